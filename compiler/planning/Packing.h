// The packer interface: every arena-packing algorithm behind one small class, selectable by name.
//
// Algorithms (see docs/planning.md for the details and the benchmark):
//   naive        no reuse: offsets are aligned prefix sums. The upper bound. O(n).
//   greedy-size  TFLite's planner: largest buffer first, lowest aligned offset that fits among the
//                already placed buffers whose intervals intersect. O(n^2) worst case.
//   best-fit     heap-simulator style: by start step, the best-fitting free gap among the buffers
//                live at that step; several buffer orderings are tried and the best kept.
//   exact        depth-first search over canonical placements with LOAD-based pruning
//                (ExactPacker.h); proves feasibility under a capacity or minimises the arena.
//   default      the heuristics, best kept, then `exact` polish under a short time limit.
// Every packer respects alignment and is deterministic (same input, same output).
#ifndef TIDEMARK_COMPILER_PLANNING_PACKING_H
#define TIDEMARK_COMPILER_PLANNING_PACKING_H

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/planning/Problem.h"

namespace tidemark::planning {

/// Knobs shared by all packers; heuristics ignore the time limits.
struct PackOptions {
  double timeLimitSeconds = 10.0; ///< Budget of `exact`, CPU seconds of the calling thread.
  double polishSeconds = 1.0;     ///< Budget of the `exact` polish inside `default`.
};

/// One packing algorithm. Implementations are stateless and thread-compatible.
class Packer {
public:
  virtual ~Packer() = default;
  virtual std::string_view name() const = 0;
  /// Places every buffer of a validated `problem` and always returns a complete placement. It may
  /// exceed problem.capacity (the caller decides what to do, see packProblem): `exact` then
  /// returns the smallest placement it knows; the heuristics ignore the capacity.
  virtual Solution pack(const Problem &problem, const PackOptions &options) const = 0;
};

/// The registered algorithm names, in the order listed above.
std::vector<std::string> packerNames();

/// The packer called `name`, or InvalidArgument listing the valid names.
absl::StatusOr<std::unique_ptr<Packer>> createPacker(std::string_view name);

/// What packProblem reports besides the solution.
struct PackReport {
  Solution solution;
  int64_t load = 0;     ///< LOAD of the problem.
  double seconds = 0.0; ///< Wall time of the packer.
};

/// The front door used by tools and passes: validates `problem`, runs algorithm `name`, runs the
/// independent verifier on the result, and checks the capacity. Errors: InvalidArgument (bad
/// problem or name), Internal (the verifier rejected a plan: a packer bug, the plan is dropped),
/// ResourceExhausted when the arena exceeds problem.capacity; that message states the minimum
/// arena found and LOAD.
absl::StatusOr<PackReport> packProblem(const Problem &problem, std::string_view name,
                                       const PackOptions &options);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_PACKING_H
