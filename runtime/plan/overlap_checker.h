// Independent arena overlap check: no two buffers live at the same step share a byte.
//
// Input: one rectangle per arena buffer, [first_step, last_step] (inclusive) x [offset,
// offset + size). The check does not trust the planner; it only needs these rectangles.
// Steps: 1. make two events per buffer, "start" at first_step and "end" after last_step, sorted by
// step with ends first (a buffer whose last use is step s does not conflict with one first
// defined at s + 1, but does with one defined at s). 2. Sweep the events keeping the live buffers
// in an ordered map from offset to end; since live buffers never overlap (or we stop), a new
// buffer can only collide with its predecessor or successor in offset order: check those two.
// Complexity: O(n log n) time, O(n) memory.
#ifndef TIDEMARK_RUNTIME_PLAN_OVERLAP_CHECKER_H_
#define TIDEMARK_RUNTIME_PLAN_OVERLAP_CHECKER_H_

#include <cstdint>
#include <vector>

namespace tidemark {

struct ArenaBuffer {
  int id = -1; // Reported in the conflict (e.g. a tensor id).
  int first_step = 0;
  int last_step = 0;
  uint64_t offset = 0;
  uint64_t size = 0; // Buffers of size 0 never conflict.
};

struct OverlapConflict {
  int first_id = -1;  // The buffer already live.
  int second_id = -1; // The buffer that starts while it is live.
  int step = -1;      // A step at which both are live.
};

// Returns true and fills *conflict (if non-null) when two buffers overlap in time and bytes.
// Requires first_step <= last_step for every buffer.
bool FindArenaOverlap(const std::vector<ArenaBuffer> &buffers, OverlapConflict *conflict);

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_PLAN_OVERLAP_CHECKER_H_
