// The independent plan verifier: checks a placement without sharing any code with the packers.
//
// Checks, in order: one offset per buffer; every offset >= 0 and a multiple of the buffer's
// alignment; offset + size <= the solution's arena size (and <= the problem's capacity, if any);
// the arena size equals max(offset + size); and no two buffers whose intervals intersect share a
// byte. Steps of the overlap check: make a start and an end event per non-empty buffer, sort them
// by step (ends before starts at equal steps: intervals are half-open), sweep while keeping the
// live buffers in a set ordered by offset; a new buffer can only collide with its neighbours in
// that set, because the set is kept collision-free. O(n log n) time, O(n) space.
#ifndef TIDEMARK_COMPILER_PLANNING_VERIFIER_H
#define TIDEMARK_COMPILER_PLANNING_VERIFIER_H

#include "absl/status/status.h"
#include "compiler/planning/Problem.h"

namespace tidemark::planning {

/// OK if `solution` is a valid placement of `problem`; otherwise FailedPrecondition with a
/// message that names the offending buffer(s) by id, their intervals and byte ranges.
absl::Status verifySolution(const Problem &problem, const Solution &solution);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_VERIFIER_H
