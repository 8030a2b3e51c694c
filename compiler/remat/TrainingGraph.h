// The IR-free model of a training step that scheduling and rematerialization work on.
//
// A TrainingGraph is the function's single block as plain data: values (bytes, defining op,
// pinned, view-of) and ops in schedule order (FLOPs, operands, results, which operands a result
// may overwrite, whether the op belongs to the forward pass and may be recomputed, and extra
// ordering constraints). `recompute(graph, chosen)` rewrites the schedule so that every forward op
// in `chosen` is cloned right before the first backward op that reads one of its results; the
// backward ops then read the clones and the originals die after their last forward use.
// `evaluate` measures a schedule with the planning library's liveness (the same model the MLIR
// passes use), so the search below and the final planned IR agree on every lifetime.
#ifndef TIDEMARK_COMPILER_REMAT_TRAININGGRAPH_H
#define TIDEMARK_COMPILER_REMAT_TRAININGGRAPH_H

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "compiler/planning/Problem.h"

namespace tidemark::remat {

struct GraphValue {
  int64_t bytes = 0;
  int64_t def = -1;     ///< Index of the defining op; -1 for function arguments.
  bool pinned = false;  ///< Lives outside the arena (arguments, state, outputs, constants).
  int64_t aliasOf = -1; ///< The value whose storage this view shares, or -1.
};

struct GraphOp {
  int64_t flops = 0;
  std::vector<int64_t> operands;              ///< Value indices (repeats allowed).
  std::vector<int64_t> results;               ///< Value indices.
  std::vector<int64_t> inPlaceOperandIndices; ///< Positions in `operands` a result may overwrite.
  bool forward = false;                       ///< Computes the loss (the loss depends on it).
  bool recomputable = false;  ///< A forward op that may be cloned (pure, deterministic).
  int64_t region = -1;        ///< tide.checkpoint region, or -1.
  std::vector<int64_t> after; ///< Ops that must run before this one besides data dependences
                              ///< (a state update runs after every other reader of the state).
};

/// The block: values, and ops in their current schedule order.
struct TrainingGraph {
  std::vector<GraphValue> values;
  std::vector<GraphOp> ops;
};

/// One op instance of a rewritten schedule.
struct Instance {
  int64_t op = 0;                ///< Index of the original op.
  bool clone = false;            ///< A recomputation of a forward op.
  std::vector<int64_t> operands; ///< Value indices into Schedule::values.
  std::vector<int64_t> results;
};

/// A rewritten schedule: the original values followed by the clones' results.
struct Schedule {
  std::vector<GraphValue> values;
  std::vector<Instance> instances;
  int64_t extraFlops = 0; ///< FLOPs of the clones.
  int64_t clones = 0;
};

/// Clones each op i with chosen[i] (a recomputable forward op) right before the first
/// non-forward op reading one of its results, recursively cloning chosen producers of its
/// operands first; one clone per op serves every later backward use. Unchosen values are kept.
Schedule recompute(const TrainingGraph &graph, const std::vector<bool> &chosen);

/// The schedule with no recomputation.
Schedule identitySchedule(const TrainingGraph &graph);

/// What a schedule costs in memory.
struct Evaluation {
  int64_t load = 0;          ///< LOAD: the most bytes live at one step.
  int64_t peakStep = 0;      ///< A step where LOAD is reached.
  planning::Problem problem; ///< The buffers to pack (one per storage group in the arena).
  /// Per schedule value: its storage group (values sharing storage through views or in-place
  /// reuse have the same group).
  std::vector<int64_t> groupOfValue;
  /// Arena bytes live at each step (LOAD is the maximum).
  std::vector<int64_t> liveBytes;
  /// Per schedule value: the [start, end) of its storage group in the arena ({0, 0} if pinned).
  std::vector<std::pair<int64_t, int64_t>> liveRange;
};

/// Liveness of `schedule` (planning::analyzeLiveness, with the in-place rules of `graph`'s ops)
/// and its LOAD.
absl::StatusOr<Evaluation> evaluate(const TrainingGraph &graph, const Schedule &schedule,
                                    int64_t alignment);

/// The values of `instance`'s operands that its op may overwrite in place.
std::vector<int64_t> inPlaceValues(const TrainingGraph &graph, const Instance &instance);

} // namespace tidemark::remat

#endif // TIDEMARK_COMPILER_REMAT_TRAININGGRAPH_H
