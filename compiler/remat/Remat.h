// Rematerialization policies: which forward ops to recompute in the backward pass.
//
//   none        keep every activation.
//   regions     recompute the interior of each tide.checkpoint region: its ops whose results
//               no forward op outside the region reads (the region's inputs and outputs stay).
//   segments=N  split the forward ops into N contiguous segments of equal FLOPs and recompute
//               every segment's interior except the last one's (as torch's
//               checkpoint_sequential does): only values crossing a segment boundary stay.
//   budget=B    the fewest extra FLOPs such that the packed arena is at most B bytes. A greedy
//               search over candidates (forward ops whose results the backward pass reads):
//                 1. measure the schedule (liveness, LOAD, the peak step);
//                 2. score each candidate by (bytes it frees at the peak step - bytes of inputs
//                    it newly keeps alive) per FLOP of recomputation; recompute the best batch
//                    (at most max(64, candidates / 16)); keep it only if LOAD drops, otherwise
//                    reject its first op;
//                 3. when LOAD is under the target, pack; if the arena (fragmentation included)
//                    is still above B, lower the target by the excess and continue;
//                 4. measure the structured starting points (regions, segments=k); pack them in
//                    order of extra FLOPs (LOAD within B only) until two fit;
//                 5. refine the greedy result and those two: un-recompute the most expensive
//                    of their choices (the first 128) one by one while the packed arena stays
//                    within B. The walk decides by LOAD (rejections by UnrecomputeBound where it
//                    suffices, runs of accepted ops by exponential search) and packs its end;
//                    a bisection handles an end that fragmentation puts over B.
//               When no choice reaches B it fails, stating the smallest arena it reached.
// Cost: a measurement is O(n log n) for n ops; the search makes O(log n + rejected batches) of
// them in step 2, 12 in step 4 and, per refinement, O(log 128) per trial the bound leaves open.
// A greedy-size packing is O(b k log k) for b buffers of which k overlap (quadratic on a chain);
// each choice is packed at most once, and only when a decision needs it (a handful per search).
// docs/passes/tide-remat.md has the details.
#ifndef TIDEMARK_COMPILER_REMAT_REMAT_H
#define TIDEMARK_COMPILER_REMAT_REMAT_H

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "compiler/remat/TrainingGraph.h"

namespace tidemark::remat {

enum class Policy { None, Regions, Segments, Budget };

struct RematOptions {
  Policy policy = Policy::None;
  int64_t segments = 0;    ///< For Policy::Segments, >= 1.
  int64_t budgetBytes = 0; ///< For Policy::Budget: the arena bound.
  int64_t alignment = 64;  ///< Arena alignment, as tide-assign-arena will use.
};

/// Parses "none", "regions", "segments=N" or "budget=BYTES" (BYTES may end in K, M or G).
absl::StatusOr<RematOptions> parsePolicy(const std::string &text);

/// Statistics every policy reports.
struct RematStats {
  int64_t valuesKept = 0; ///< Forward values the backward pass reads (saved activations).
  int64_t bytesKept = 0;
  int64_t opsRecomputed = 0;               ///< Clones inserted.
  int64_t extraFlops = 0;                  ///< Their FLOPs.
  int64_t forwardFlops = 0;                ///< FLOPs of the forward pass, for scale.
  int64_t totalFlops = 0;                  ///< FLOPs of the whole step before recomputation.
  int64_t loadBefore = 0, loadAfter = 0;   ///< LOAD without / with recomputation.
  int64_t arenaBefore = 0, arenaAfter = 0; ///< Packed arena (greedy-size) without / with.
  int64_t evaluations = 0;                 ///< Schedules rewritten and measured (liveness, LOAD).
  int64_t stepsEvaluated = 0;              ///< Their steps, summed: the measuring work.
  int64_t packs = 0;         ///< Greedy-size packings (each choice is packed at most once).
  int64_t boundedTrials = 0; ///< Refinement trials a LOAD bound rejected without measuring.
};

struct RematResult {
  std::vector<bool> chosen; ///< Per op: recompute it.
  Schedule schedule;
  RematStats stats;
};

/// Applies `options.policy` to `graph`. Budget failures are ResourceExhausted with the smallest
/// arena reached; malformed graphs are InvalidArgument.
absl::StatusOr<RematResult> rematerialize(const TrainingGraph &graph, const RematOptions &options);

} // namespace tidemark::remat

#endif // TIDEMARK_COMPILER_REMAT_REMAT_H
