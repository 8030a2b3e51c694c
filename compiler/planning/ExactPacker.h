// The exact packer: depth-first search over canonical placements, pruned by LOAD-style bounds.
//
// Canonical placements. Drop every buffer as low as it goes ("gravity"): each buffer then sits at
// the lowest aligned offset above all lower buffers whose intervals intersect its own. Any
// feasible placement can be turned into such a canonical one without growing the arena, so the
// search enumerates canonical placements only, and each exactly once: buffers are placed in
// increasing (offset, rank) order, where rank is a fixed static order (longer interval first,
// then larger size). With that order the next buffer's offset is determined by what is already
// placed: candidate(b) = alignUp(max top of placed buffers whose intervals intersect b).
//
// Steps:
//   1. Split the buffers into independent components (no interval crosses a component boundary)
//      and compress each component's time into sections (maximal spans between endpoints).
//   2. Per component, depth-first search. A node is a set of placed buffers plus `last`, the
//      (offset, rank) of the most recent placement. Children: every unplaced buffer b with
//      (candidate(b), rank(b)) > last, placed at candidate(b).
//   3. Inference at each node (fail = backtrack):
//      - section bound: in every section s, all unplaced buffers will sit at or above
//        max(floor(s), last.offset), so that plus their total size must fit the capacity;
//      - a buffer whose candidate + size exceeds the capacity fails now (candidates only rise);
//      - a "pending" buffer (candidate below `last`) can only be placed once some unplaced
//        buffer that intersects it lifts its candidate; if none is left, fail.
//   4. With a capacity: stop at the first placement that fits (feasibility), or prove none
//      exists when the search is exhausted. Without one: try the capacity LOAD first (success
//      proves optimality), then branch and bound: each placement found lowers the capacity to its
//      arena - 1; exhausting the search proves the best found optimal.
// Per node cost: O(S + n + k log k) (S sections, n buffers, k children). The worst case is
// exponential; a wall-clock limit bounds the run and the best placement found so far is kept.
// Components with more than ExactOptions::maxSearchBuffers buffers keep the heuristic placement.
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
