// Memory-aware list scheduling of a training graph's ops.
//
// Steps: (1) dependences are the producers of each op's operands plus GraphOp::after;
// (2) repeatedly run, among the ready ops, the one with the smallest net allocation (bytes of
// its new arena results minus bytes of operands it is the last reader of), ties to the earlier
// original position; (3) measure LOAD of the new order and of the given one and keep the given
// order unless the new one is strictly lower. O(n^2) in the number of ops (n is a few thousand
// for a 12-layer transformer step), O(n) memory.
#ifndef TIDEMARK_COMPILER_REMAT_SCHEDULER_H
#define TIDEMARK_COMPILER_REMAT_SCHEDULER_H

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/remat/TrainingGraph.h"

namespace tidemark::remat {

struct ScheduleResult {
  std::vector<int64_t> order; ///< Op indices in the chosen order.
  int64_t loadBefore = 0, loadAfter = 0;
  bool changed = false; ///< The greedy order was strictly better and was kept.
};

/// Schedules `graph`; InvalidArgument if its dependences have a cycle.
absl::StatusOr<ScheduleResult> scheduleForMemory(const TrainingGraph &graph, int64_t alignment);

/// `graph` with its ops permuted into `order` (value indices unchanged, op references remapped).
TrainingGraph reorder(const TrainingGraph &graph, const std::vector<int64_t> &order);

} // namespace tidemark::remat

#endif // TIDEMARK_COMPILER_REMAT_SCHEDULER_H
