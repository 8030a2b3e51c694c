// The exact packer: depth-first search over canonical placements, pruned by LOAD-style bounds.
//
// Canonical placements. Drop every buffer as low as it goes ("gravity"): each buffer then sits at
// the lowest aligned offset above all lower buffers whose intervals intersect its own. Any
// feasible placement can be turned into such a canonical one without growing the arena, so the
// search enumerates canonical placements only, and each exactly once: buffers are placed in
// increasing (offset, rank) order, rank being a static order. With that order the next buffer's
// offset is determined by what is already placed:
// candidate(b) = alignUp(max top of placed buffers whose intervals intersect b).
//
// Steps:
//   1. Split the buffers into independent components (no interval crosses a component boundary);
//      compress each component's time into sections (spans between interval endpoints).
//   2. Per component and capacity, depth-first search. A node is the set of placed buffers plus
//      `last`, the (offset, rank) of the latest placement. Children: every unplaced buffer b with
//      (candidate(b), rank(b)) > last, placed at candidate(b), lowest offset first.
//   3. Inference at each node (fail = backtrack):
//      - section bound: every unplaced buffer sits at or above low(b) (max(candidate, last), or
//        last + the smallest unplaced neighbour for a "pending" buffer whose candidate is below
//        last); in each section the least low(b) plus the remaining size must fit the capacity;
//      - overflow: candidate(b) + size(b) > capacity (candidates only rise);
//      - a pending buffer without unplaced neighbours can never be lifted into place;
//      - dominance: a child is skipped if another unplaced buffer fits entirely below it;
//      - symmetry: identical buffers are placed in rank order.
//   4. Dynamic decomposition: when no unplaced buffer crosses some step, both sides are solved
//      separately, each with a fresh canonical order (last reset to offset 0) and ranks
//      re-derived from the sections' remaining totals; failed parts are remembered by a 64-bit
//      fingerprint of their state.
//   5. Portfolio: rounds of runs over four static orders with doubling node budgets, plus short
//      runs on randomly perturbed orders (fixed seeds); an exhausted run proves infeasibility.
//   6. With a capacity: the first placement that fits, or a proof that none exists. Without one:
//      the capacity LOAD first (success proves optimality), then bisection between the smallest
//      arena not ruled out and the best found.
// Per node O(S + n log S) plus the placed buffer's span and neighbour count (S sections, n
// buffers). The worst case is exponential; a time limit (CPU seconds of the calling thread)
// bounds the run, and the best placement found is kept.
// Deterministic unless the time limit cuts a search. Components with more than
// ExactOptions::maxSearchBuffers buffers keep the heuristic placement.
#ifndef TIDEMARK_COMPILER_PLANNING_EXACTPACKER_H
#define TIDEMARK_COMPILER_PLANNING_EXACTPACKER_H

#include <cstdint>
#include <optional>

#include "compiler/planning/Problem.h"

namespace tidemark::planning {

struct ExactOptions {
  double timeLimitSeconds = 10.0;
  /// A valid placement to start from (upper bound); if absent the heuristics provide one.
  std::optional<Solution> initial;
  /// Components larger than this are not searched (per-node cost is linear in the size).
  size_t maxSearchBuffers = 4096;
};

struct ExactResult {
  Solution solution;         ///< Best placement found (always complete and valid).
  bool fitsCapacity = false; ///< True when the problem has a capacity and the solution meets it.
  bool timedOut = false;     ///< The time limit stopped a search before it finished.
  uint64_t nodes = 0;        ///< Search nodes visited, for statistics.
};

/// Runs the exact search on a validated problem. With problem.capacity set it looks for any
/// placement within the capacity (returning the best known placement if it cannot find one);
/// without it, it minimises the arena. solution.provenOptimal tells whether optimality was proven.
ExactResult solveExact(const Problem &problem, const ExactOptions &options);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_EXACTPACKER_H
