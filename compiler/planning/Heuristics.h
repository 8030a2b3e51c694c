// The heuristic packers: naive (no reuse), greedy-by-size (TFLite) and best-fit (heap simulator).
//
// naive:       offsets are aligned prefix sums in input order. O(n).
// greedy-size: buffers by size descending (ties: earlier start, then input order); each goes to
//              the lowest aligned offset that fits between the already placed buffers whose
//              intervals intersect its own. Overlapping buffers are found through a time-blocked
//              index, so the cost is O(n * k log k) with k the number of placed buffers sharing a
//              time block, O(n^2 log n) in the worst case.
// best-fit:    buffers by start step; each goes into the smallest free gap (among the buffers
//              live at its start step) that fits, or on top of them if none does. Up to 4096
//              buffers, four orderings of buffers that start at the same step are tried (size
//              descending, end descending, size ascending, input order) and the smallest arena
//              kept; above that, only the first. O(n * L) per ordering, L = largest number of
//              live buffers.
#ifndef TIDEMARK_COMPILER_PLANNING_HEURISTICS_H
#define TIDEMARK_COMPILER_PLANNING_HEURISTICS_H

#include "compiler/planning/Problem.h"

namespace tidemark::planning {

Solution packNaive(const Problem &problem);
Solution packGreedyBySize(const Problem &problem);
Solution packBestFit(const Problem &problem);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_HEURISTICS_H
