// FindArenaOverlap: the sweep over live intervals described in overlap_checker.h.
#include "runtime/plan/overlap_checker.h"

#include <algorithm>
#include <iterator>
#include <map>

namespace tidemark {
namespace {

struct Event {
  // 2 * step for a start, 2 * last_step + 1 for an end: at equal steps starts come before the ends
  // of that same step, so buffers sharing their boundary step are live together.
  int64_t key;
  size_t buffer;
};

struct LiveBuffer {
  uint64_t end;
  size_t buffer;
};

// The live buffer that overlaps [offset, end) if there is one, else live.end().
std::map<uint64_t, LiveBuffer>::const_iterator
findCollision(const std::map<uint64_t, LiveBuffer> &live, uint64_t offset, uint64_t end) {
  auto next = live.lower_bound(offset);
  if (next != live.end() && next->first < end)
    return next;
  if (next != live.begin()) {
    auto prev = std::prev(next);
    if (prev->second.end > offset)
      return prev;
  }
  return live.end();
}

} // namespace

bool FindArenaOverlap(const std::vector<ArenaBuffer> &buffers, OverlapConflict *conflict) {
  std::vector<Event> events;
  events.reserve(2 * buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].size == 0)
      continue;
    events.push_back({2 * int64_t{buffers[i].first_step}, i});
    events.push_back({2 * int64_t{buffers[i].last_step} + 1, i});
  }
  std::sort(events.begin(), events.end(), [](const Event &a, const Event &b) {
    return a.key != b.key ? a.key < b.key : a.buffer < b.buffer;
  });
  std::map<uint64_t, LiveBuffer> live; // offset -> (end, buffer)
  for (const Event &event : events) {
    const ArenaBuffer &b = buffers[event.buffer];
    if (event.key % 2 != 0) {
      live.erase(b.offset);
      continue;
    }
    auto hit = findCollision(live, b.offset, b.offset + b.size);
    if (hit != live.end()) {
      if (conflict)
        *conflict = {buffers[hit->second.buffer].id, b.id, b.first_step};
      return true;
    }
    live.emplace(b.offset, LiveBuffer{b.offset + b.size, event.buffer});
  }
  return false;
}

} // namespace tidemark
