// LOAD, the lower bound on any arena: the largest total size of buffers live at one step.
//
// Algorithm: turn each buffer into a +size event at `start` and a -size event at `end`, sort the
// events by step (at equal steps the -size events first, because intervals are half-open), and
// sweep keeping the running total; LOAD is the largest running total. O(n log n) time, O(n) space.
#ifndef TIDEMARK_COMPILER_PLANNING_LOWERBOUND_H
#define TIDEMARK_COMPILER_PLANNING_LOWERBOUND_H

#include <cstdint>

#include "compiler/planning/Problem.h"

namespace tidemark::planning {

/// LOAD of `problem` (alignment ignored: every arena is >= LOAD whatever the alignment).
int64_t computeLoad(const Problem &problem);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_LOWERBOUND_H
