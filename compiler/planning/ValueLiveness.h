// Value liveness for one schedule: storage groups (aliases), in-place reuse, and the buffers to
// pack.
//
// The model is the one the MLIR passes fill from IR (passes/BufferLiveness.cpp) and the
// rematerialization search fills from its own schedules, so both see the same lifetimes:
//
//   * Steps are the ops of the schedule, numbered 0, 1, 2, ... A value is defined at its op's step
//     (function arguments at step -1) and used at the steps of the ops that read it.
//   * Storage groups. A view (`aliasOf` = the id of the value it views, e.g. a reshape) shares
//     its source's storage; views of views chain. A group is live over the HALF-OPEN interval
//     [first definition, last use + 1); a group nobody reads is live over [def, def + 1).
//     A group with a pinned member (argument, parameter, state, output, constant) is pinned: it
//     lives outside the arena and is not packed.
//   * In-place reuse. Walking ops in step order, a result r of op s may take over the storage of
//     one of the op's in-place operands o (declared per op, e.g. elementwise kernels that can
//     write over an input of the same shape) when: o's group is not pinned, has the same byte
//     size as r, and its last use is step s; r is not pinned and is no view. The two groups
//     merge and the group then lives until r's last use. Each group is taken over at most once
//     per step (after the merge its last use is no longer s).
//
// Complexity: O((V + U) α(V) + O log O) for V values, U uses and O ops.
#ifndef TIDEMARK_COMPILER_PLANNING_VALUELIVENESS_H
#define TIDEMARK_COMPILER_PLANNING_VALUELIVENESS_H

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/planning/Problem.h"

namespace tidemark::planning {

/// One SSA value of the schedule.
struct LiveValue {
  int64_t id = 0;                ///< Caller's identifier, unique.
  int64_t sizeBytes = 0;         ///< Storage bytes (>= 0).
  int64_t defStep = 0;           ///< Step of the defining op; -1 for function arguments.
  std::vector<int64_t> useSteps; ///< Steps of the ops that read it (any order, repeats allowed).
  bool pinned = false;           ///< Lives outside the arena.
  int64_t aliasOf = -1;          ///< Id of the value whose storage this view shares, or -1.
};

/// One op of the schedule, for in-place decisions.
struct LiveOp {
  int64_t step = 0;
  std::vector<int64_t> results;         ///< Value ids it defines.
  std::vector<int64_t> inPlaceOperands; ///< Value ids it may overwrite with a result.
};

/// A set of values sharing one storage.
struct StorageGroup {
  std::vector<int64_t> members; ///< Value ids, in the order they were added.
  int64_t sizeBytes = 0;        ///< Largest member size.
  int64_t start = 0;            ///< First definition step.
  int64_t end = 0;              ///< One past the last use step.
  bool pinned = false;
};

/// What analyzeLiveness found.
struct Liveness {
  std::vector<StorageGroup> groups;
  std::vector<int64_t> groupOfValue; ///< Indexed like the `values` argument.
  /// In-place decisions: (result id, operand id whose storage it took over).
  std::vector<std::pair<int64_t, int64_t>> inPlace;

  /// The packing problem: one buffer per non-pinned group with a non-zero size; Buffer::id is the
  /// group index.
  Problem toProblem(int64_t alignment) const;
};

/// Options of the analysis.
struct LivenessOptions {
  bool allowInPlace = true;
};

/// Analyzes `values` (ids unique) under `ops`. InvalidArgument on malformed input: duplicate or
/// unknown ids, an alias cycle, a use before the definition, negative sizes.
absl::StatusOr<Liveness> analyzeLiveness(const std::vector<LiveValue> &values,
                                         const std::vector<LiveOp> &ops,
                                         const LivenessOptions &options = {});

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_VALUELIVENESS_H
