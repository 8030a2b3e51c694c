// The heuristic packers (see Heuristics.h).
#include "compiler/planning/Heuristics.h"

#include <algorithm>
#include <iterator>
#include <numeric>
#include <set>
#include <utility>
#include <vector>

namespace tidemark::planning {
namespace {

/// Finds, for a buffer, the already inserted buffers whose intervals intersect its own. Time is
/// compressed to the distinct endpoints (sections) and cut into blocks at several levels: level
/// L has blocks of kBaseSections * kFanout^L sections. A buffer is filed at the finest level whose
/// blocks are at least as wide as it is, so it sits in at most two blocks; a query visits, at every
/// level, the blocks its interval touches. Short buffers are thus never listed in many blocks and
/// long ones never scanned many times: the cost of a query is close to the number of overlapping
/// buffers plus the number of blocks visited.
class OverlapIndex {
public:
  explicit OverlapIndex(const std::vector<Buffer> &buffers) : buffers(buffers) {
    for (const Buffer &buffer : buffers) {
      points.push_back(buffer.start);
      points.push_back(buffer.end);
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    size_t width = kBaseSections;
    do {
      levels.emplace_back(points.size() / width + 1);
      width *= kFanout;
    } while (width / kFanout < points.size());
    seen.assign(buffers.size(), 0);
  }

  void insert(size_t index) {
    auto [first, last] = sections(buffers[index]);
    size_t level = 0, width = kBaseSections;
    while (level + 1 < levels.size() && last - first + 1 > width) {
      ++level;
      width *= kFanout;
    }
    for (size_t block = first / width; block <= last / width; ++block)
      levels[level][block].push_back(index);
  }

  /// Appends to `out` every inserted buffer whose interval intersects buffers[index]'s.
  void overlapping(size_t index, std::vector<size_t> &out) {
    ++stamp;
    const Buffer &buffer = buffers[index];
    auto [first, last] = sections(buffer);
    size_t width = kBaseSections;
    for (std::vector<std::vector<size_t>> &blocks : levels) {
      for (size_t block = first / width; block <= last / width; ++block)
        for (size_t other : blocks[block]) {
          if (seen[other] == stamp)
            continue;
          seen[other] = stamp;
          if (buffers[other].start < buffer.end && buffer.start < buffers[other].end)
            out.push_back(other);
        }
      width *= kFanout;
    }
  }

private:
  static constexpr size_t kBaseSections = 16, kFanout = 8;

  /// First and last section covered (section k = [points[k], points[k+1])).
  std::pair<size_t, size_t> sections(const Buffer &buffer) const {
    size_t first = std::lower_bound(points.begin(), points.end(), buffer.start) - points.begin();
    size_t end = std::lower_bound(points.begin(), points.end(), buffer.end) - points.begin();
    return {first, end - 1};
  }

  const std::vector<Buffer> &buffers;
  std::vector<int64_t> points;
  std::vector<std::vector<std::vector<size_t>>> levels;
  std::vector<uint64_t> seen;
  uint64_t stamp = 0;
};

/// Lowest offset >= 0, aligned, where `size` bytes fit among `placed` (sorted by offset).
int64_t lowestFit(const std::vector<std::pair<int64_t, int64_t>> &placed, int64_t size,
                  int64_t alignment) {
  int64_t candidate = 0;
  for (const auto &[offset, end] : placed) {
    if (alignUp(candidate, alignment) + size <= offset)
      break;
    candidate = std::max(candidate, end);
  }
  return alignUp(candidate, alignment);
}

Solution finish(const Problem &problem, std::vector<int64_t> offsets) {
  Solution solution;
  solution.arenaSize = arenaSizeOf(problem, offsets);
  solution.offsets = std::move(offsets);
  return solution;
}

/// Best-fit over buffers visited in `order` (which must be sorted by start step).
Solution bestFitInOrder(const Problem &problem, const std::vector<size_t> &order) {
  const std::vector<Buffer> &buffers = problem.buffers;
  std::vector<int64_t> offsets(buffers.size(), 0);
  // Live buffers as (offset, index), and their ends as (end step, index) to retire them.
  std::set<std::pair<int64_t, size_t>> live;
  std::set<std::pair<int64_t, size_t>> endings;
  for (size_t index : order) {
    const Buffer &buffer = buffers[index];
    while (!endings.empty() && endings.begin()->first <= buffer.start) {
      size_t done = endings.begin()->second;
      live.erase({offsets[done], done});
      endings.erase(endings.begin());
    }
    int64_t alignment = effectiveAlignment(problem, buffer);
    int64_t cursor = 0, bestOffset = -1, bestWaste = 0;
    for (const auto &[offset, other] : live) {
      int64_t start = alignUp(cursor, alignment);
      if (start + buffer.size <= offset && (bestOffset < 0 || offset - cursor < bestWaste)) {
        bestOffset = start;
        bestWaste = offset - cursor;
      }
      cursor = std::max(cursor, offset + buffers[other].size);
    }
    offsets[index] = bestOffset >= 0 ? bestOffset : alignUp(cursor, alignment);
    if (buffer.size > 0) {
      live.insert({offsets[index], index});
      endings.insert({buffer.end, index});
    }
  }
  return finish(problem, std::move(offsets));
}

} // namespace

Solution packNaive(const Problem &problem) {
  std::vector<int64_t> offsets;
  int64_t top = 0;
  for (const Buffer &buffer : problem.buffers) {
    offsets.push_back(alignUp(top, effectiveAlignment(problem, buffer)));
    top = offsets.back() + buffer.size;
  }
  return finish(problem, std::move(offsets));
}

Solution packGreedyBySize(const Problem &problem) {
  const std::vector<Buffer> &buffers = problem.buffers;
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].size != buffers[b].size)
      return buffers[a].size > buffers[b].size;
    return buffers[a].start < buffers[b].start;
  });
  std::vector<int64_t> offsets(buffers.size(), 0);
  OverlapIndex index(buffers);
  std::vector<size_t> neighbours;
  std::vector<std::pair<int64_t, int64_t>> placed;
  for (size_t current : order) {
    if (buffers[current].size == 0)
      continue;
    neighbours.clear();
    index.overlapping(current, neighbours);
    placed.clear();
    for (size_t other : neighbours)
      placed.emplace_back(offsets[other], offsets[other] + buffers[other].size);
    std::sort(placed.begin(), placed.end());
    offsets[current] =
        lowestFit(placed, buffers[current].size, effectiveAlignment(problem, buffers[current]));
    index.insert(current);
  }
  return finish(problem, std::move(offsets));
}

Solution packBestFit(const Problem &problem) {
  const std::vector<Buffer> &buffers = problem.buffers;
  using Tiebreak = bool (*)(const Buffer &, const Buffer &);
  const Tiebreak tiebreaks[] = {
      [](const Buffer &a, const Buffer &b) { return a.size > b.size; },
      [](const Buffer &a, const Buffer &b) { return a.end > b.end; },
      [](const Buffer &a, const Buffer &b) { return a.size < b.size; },
      [](const Buffer &, const Buffer &) { return false; },
  };
  // The extra tie-break orderings pay off on small, tightly packed instances; above this many
  // buffers only the first is tried, which keeps best-fit a fraction of greedy-size's time.
  constexpr size_t kAllOrderingsUpTo = 4096;
  size_t orderings = buffers.size() <= kAllOrderingsUpTo ? std::size(tiebreaks) : 1;
  Solution best;
  bool haveBest = false;
  for (size_t t = 0; t < orderings; ++t) {
    Tiebreak tiebreak = tiebreaks[t];
    std::vector<size_t> order(buffers.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (buffers[a].start != buffers[b].start)
        return buffers[a].start < buffers[b].start;
      return tiebreak(buffers[a], buffers[b]);
    });
    Solution candidate = bestFitInOrder(problem, order);
    if (!haveBest || candidate.arenaSize < best.arenaSize) {
      best = std::move(candidate);
      haveBest = true;
    }
  }
  return best;
}

} // namespace tidemark::planning
