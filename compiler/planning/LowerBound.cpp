// LOAD by an event sweep (see LowerBound.h).
#include "compiler/planning/LowerBound.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace tidemark::planning {

int64_t computeLoad(const Problem &problem) {
  // (step, delta): sorting pairs puts negative deltas first at equal steps, which is what the
  // half-open intervals need (a buffer ending at t does not overlap one starting at t).
  std::vector<std::pair<int64_t, int64_t>> events;
  events.reserve(problem.buffers.size() * 2);
  for (const Buffer &buffer : problem.buffers) {
    events.emplace_back(buffer.start, buffer.size);
    events.emplace_back(buffer.end, -buffer.size);
  }
  std::sort(events.begin(), events.end());
  int64_t live = 0, load = 0;
  for (const auto &[step, delta] : events) {
    live += delta;
    load = std::max(load, live);
  }
  return load;
}

} // namespace tidemark::planning
