// IR-free buffer liveness: storage (alias) groups, live intervals, in-place reuse, buffer list.
//
// The model is what the tide-buffer-liveness pass fills in from IR; steps are schedule positions.
// Rules (also in docs/planning.md):
//   1. Alias groups. A value with aliasOf = v is a view of v (e.g. a reshape): same storage. Views
//      chain; a group is a root (aliasOf = -1) and every value that leads to it. A view may not be
//      larger than its root. A group is pinned when any member is pinned (arguments, parameters
//      and outputs live outside the arena, and so does everything that shares their storage).
//   2. Intervals. A group is live over the half-open [first def, last use + 1) of its members;
//      a group whose members have no use is live over [def, def + 1). Uses must come after the def.
//   3. In-place reuse, ops in step order. For an op with inPlaceCandidate, each result r (in
//      order) takes the storage of the first operand o (in order) such that: o's group has its
//      last use at this step, has the same byte size as r's group, neither group is pinned, they
//      are different groups, r's group has not taken storage yet, and o's group's storage has not
//      already been given to another result. Reuse chains (x -> a -> b) form one storage slot.
//   4. Buffers. One packing buffer per storage slot that is not pinned: size = the group size,
//      interval = the union of its groups' intervals (contiguous by construction).
// Complexity: O(V + U + O log O) for V values, U uses and O ops, with near-constant union-find.
#ifndef TIDEMARK_COMPILER_PLANNING_LIVENESS_H
#define TIDEMARK_COMPILER_PLANNING_LIVENESS_H

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/planning/Problem.h"

namespace tidemark::planning {

struct LiveValue {
  int64_t id = 0;
  int64_t sizeBytes = 0;
  int64_t defStep = 0;
  std::vector<int64_t> useSteps;
  bool pinned = false;  ///< Function argument, parameter or output: not in the arena.
  int64_t aliasOf = -1; ///< Id of the value this one is a view of, or -1.
};

struct LiveOp {
  int64_t step = 0;
  std::vector<int64_t> operands; ///< Value ids.
  std::vector<int64_t> results;  ///< Value ids (their defStep must equal `step`).
  bool inPlaceCandidate = false; ///< Elementwise: a result may overwrite a dying operand.
};

/// One alias group: a root value and its views.
struct StorageGroup {
  int64_t root = 0;             ///< Id of the root value.
  std::vector<int64_t> members; ///< Value ids in input order.
  int64_t sizeBytes = 0;
  int64_t start = 0, end = 0; ///< Live interval [start, end).
  bool pinned = false;
  int64_t buffer = -1; ///< Index into LivenessResult::problem.buffers, -1 when pinned.
};

struct InPlaceDecision {
  int64_t step = 0;
  int64_t result = 0;  ///< Value id of the result...
  int64_t operand = 0; ///< ...that reuses this operand's storage.
};

struct LivenessResult {
  std::vector<StorageGroup> groups;     ///< In order of their root's first appearance.
  std::vector<InPlaceDecision> inPlace; ///< In op order.
  Problem problem;                      ///< The buffers to pack (one per storage slot).
  std::vector<int64_t> groupOfValue;    ///< groupOfValue[i] for values[i].
};

/// Runs the rules above. Errors (InvalidArgument, naming the value or op): duplicate value ids,
/// unknown ids in aliasOf/operands/results, alias cycles, a view larger than its root, a
/// negative size, a use not after the def, a result whose defStep differs from its op's step.
absl::StatusOr<LivenessResult> analyzeLiveness(const std::vector<LiveValue> &values,
                                               const std::vector<LiveOp> &ops,
                                               int64_t alignment = 64);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_LIVENESS_H
