// The exact packer: canonical depth-first search per independent component (see ExactPacker.h).
#include "compiler/planning/ExactPacker.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

#include "compiler/planning/Heuristics.h"
#include "compiler/planning/LowerBound.h"

namespace tidemark::planning {
namespace {

using Clock = std::chrono::steady_clock;

/// Buffers (by index into the problem) that form one independent component: sorted by start,
/// a component ends where no buffer crosses the next start. Zero-size buffers are left out.
std::vector<std::vector<size_t>> splitComponents(const Problem &problem) {
  std::vector<size_t> order;
  for (size_t i = 0; i < problem.buffers.size(); ++i)
    if (problem.buffers[i].size > 0)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return problem.buffers[a].start < problem.buffers[b].start;
  });
  std::vector<std::vector<size_t>> components;
  int64_t reach = 0;
  for (size_t index : order) {
    const Buffer &buffer = problem.buffers[index];
    if (components.empty() || buffer.start >= reach)
      components.emplace_back();
    components.back().push_back(index);
    reach = components.back().size() == 1 ? buffer.end : std::max(reach, buffer.end);
  }
  return components;
}

/// The depth-first search over canonical placements of one component.
class CanonicalSearch {
public:
  enum class Outcome { kFound, kExhausted, kTimedOut };

  CanonicalSearch(const Problem &problem, const std::vector<size_t> &members);

  /// Feasibility (minimise == false): find any placement with arena <= capacity. Minimisation:
  /// branch and bound below `capacity`, stopping early at `lowerBound`. kFound means at least
  /// one placement was found; for minimisation kExhausted after kFound is impossible: the
  /// search then reports kFound with `proven` set.
  Outcome run(int64_t capacity, bool minimise, int64_t lowerBound, Clock::time_point deadline);

  bool foundAny() const { return bestArena >= 0; }
  bool provenOptimal() const { return proven; }
  int64_t bestArenaSize() const { return bestArena; }
  uint64_t nodeCount() const { return nodes; }
  /// Writes the best placement found into `offsets` (indexed like the problem's buffers).
  void exportOffsets(std::vector<int64_t> &offsets) const;

private:
  bool descend();
  bool prunedBySections();
  bool collectChildren(std::vector<int> &children) const;
  void place(int buffer, int64_t offset);
  void unplace(int buffer);
  void recordSolution();

  // Static data, local buffers renumbered in rank order.
  std::vector<size_t> problemIndex;
  std::vector<int64_t> size, alignment;
  std::vector<int> firstSection, endSection;
  std::vector<std::vector<int>> neighbours;
  int numSections = 0;
  // Search state.
  std::vector<int64_t> floorTop, remaining, candidate, offset;
  std::vector<int> freeNeighbours;
  std::vector<char> placed;
  std::vector<int64_t> floorTrail, candidateTrail;
  std::vector<std::vector<int>> childrenAtDepth;
  std::vector<std::pair<int64_t, int>> lowOrder;
  std::vector<int> nextUnpainted;
  int numPlaced = 0, lastRank = -1;
  int64_t lastOffset = 0;
  // Run parameters and results.
  int64_t capacity = 0, lowerBound = 0, bestArena = -1;
  bool minimise = false, proven = false, timedOut = false;
  std::vector<int64_t> bestOffsets;
  Clock::time_point deadline;
  uint64_t nodes = 0;
};

CanonicalSearch::CanonicalSearch(const Problem &problem, const std::vector<size_t> &members) {
  // Rank: longer intervals first, then larger buffers, then input order. Long-lived large
  // buffers constrain the most, so placing them early makes the bounds bite early.
  problemIndex = members;
  std::stable_sort(problemIndex.begin(), problemIndex.end(), [&](size_t a, size_t b) {
    const Buffer &x = problem.buffers[a], &y = problem.buffers[b];
    if (x.end - x.start != y.end - y.start)
      return x.end - x.start > y.end - y.start;
    return x.size > y.size;
  });
  std::vector<int64_t> points;
  for (size_t index : problemIndex) {
    points.push_back(problem.buffers[index].start);
    points.push_back(problem.buffers[index].end);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  numSections = static_cast<int>(points.size()) - 1;
  auto sectionOf = [&](int64_t step) {
    return static_cast<int>(std::lower_bound(points.begin(), points.end(), step) - points.begin());
  };
  int n = static_cast<int>(problemIndex.size());
  for (size_t index : problemIndex) {
    const Buffer &buffer = problem.buffers[index];
    size.push_back(buffer.size);
    alignment.push_back(effectiveAlignment(problem, buffer));
    firstSection.push_back(sectionOf(buffer.start));
    endSection.push_back(sectionOf(buffer.end));
  }
  neighbours.resize(n);
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b)
      if (firstSection[a] < endSection[b] && firstSection[b] < endSection[a]) {
        neighbours[a].push_back(b);
        neighbours[b].push_back(a);
      }
  childrenAtDepth.resize(n + 1);
  nextUnpainted.resize(numSections + 1);
}

CanonicalSearch::Outcome CanonicalSearch::run(int64_t capacityBytes, bool minimiseArena,
                                              int64_t lowerBoundBytes,
                                              Clock::time_point deadlineTime) {
  int n = static_cast<int>(size.size());
  capacity = capacityBytes;
  minimise = minimiseArena;
  lowerBound = lowerBoundBytes;
  deadline = deadlineTime;
  proven = timedOut = false;
  nodes = 0;
  floorTop.assign(numSections, 0);
  remaining.assign(numSections, 0);
  for (int b = 0; b < n; ++b)
    for (int s = firstSection[b]; s < endSection[b]; ++s)
      remaining[s] += size[b];
  candidate.assign(n, 0);
  offset.assign(n, 0);
  placed.assign(n, 0);
  freeNeighbours.resize(n);
  for (int b = 0; b < n; ++b)
    freeNeighbours[b] = static_cast<int>(neighbours[b].size());
  numPlaced = 0;
  lastRank = -1;
  lastOffset = 0;
  descend();
  if (timedOut)
    return foundAny() ? Outcome::kFound : Outcome::kTimedOut;
  if (minimise && foundAny())
    proven = true; // the whole space below the best arena was searched
  return foundAny() ? Outcome::kFound : Outcome::kExhausted;
}

/// Section bound. Every unplaced buffer b will sit at or above low(b) = max(candidate(b), last)
/// (one byte higher if it is pending: something must still be placed under it). In section s the
/// unplaced buffers therefore start no lower than minLow(s), the least low(b) over the unplaced
/// buffers covering s, and minLow(s) + remaining(s) must fit the capacity. minLow is computed by
/// painting sections in increasing low(b) order, skipping painted sections with a "next
/// unpainted" union-find: O(n log n + S) per node.
bool CanonicalSearch::prunedBySections() {
  lowOrder.clear();
  int n = static_cast<int>(size.size());
  for (int b = 0; b < n; ++b) {
    if (placed[b])
      continue;
    bool pending = candidate[b] < lastOffset || (candidate[b] == lastOffset && b < lastRank);
    lowOrder.emplace_back(pending ? lastOffset + 1 : std::max(candidate[b], lastOffset), b);
  }
  std::sort(lowOrder.begin(), lowOrder.end());
  for (int s = 0; s <= numSections; ++s)
    nextUnpainted[s] = s;
  auto find = [&](int s) {
    while (nextUnpainted[s] != s) {
      nextUnpainted[s] = nextUnpainted[nextUnpainted[s]];
      s = nextUnpainted[s];
    }
    return s;
  };
  for (const auto &[low, b] : lowOrder) {
    for (int s = find(firstSection[b]); s < endSection[b]; s = find(s)) {
      if (low + remaining[s] > capacity)
        return true;
      nextUnpainted[s] = s + 1;
    }
  }
  return false;
}

/// Fills `children` with the buffers that may come next, cheapest offset first; returns false
/// when an inference rule shows that this node has no completion.
bool CanonicalSearch::collectChildren(std::vector<int> &children) const {
  children.clear();
  int n = static_cast<int>(size.size());
  for (int b = 0; b < n; ++b) {
    if (placed[b])
      continue;
    if (candidate[b] + size[b] > capacity)
      return false;
    bool pending = candidate[b] < lastOffset || (candidate[b] == lastOffset && b < lastRank);
    if (!pending)
      children.push_back(b);
    else if (freeNeighbours[b] == 0)
      return false;
  }
  std::sort(children.begin(), children.end(), [&](int a, int b) {
    return candidate[a] != candidate[b] ? candidate[a] < candidate[b] : a < b;
  });
  return !children.empty();
}

void CanonicalSearch::place(int buffer, int64_t at) {
  int64_t top = at + size[buffer];
  for (int s = firstSection[buffer]; s < endSection[buffer]; ++s) {
    floorTrail.push_back(floorTop[s]);
    floorTop[s] = top;
    remaining[s] -= size[buffer];
  }
  for (int other : neighbours[buffer]) {
    candidateTrail.push_back(candidate[other]);
    candidate[other] = std::max(candidate[other], alignUp(top, alignment[other]));
    --freeNeighbours[other];
  }
  placed[buffer] = 1;
  offset[buffer] = at;
  ++numPlaced;
}

void CanonicalSearch::unplace(int buffer) {
  --numPlaced;
  placed[buffer] = 0;
  for (auto it = neighbours[buffer].rbegin(); it != neighbours[buffer].rend(); ++it) {
    candidate[*it] = candidateTrail.back();
    candidateTrail.pop_back();
    ++freeNeighbours[*it];
  }
  for (int s = endSection[buffer] - 1; s >= firstSection[buffer]; --s) {
    floorTop[s] = floorTrail.back();
    floorTrail.pop_back();
    remaining[s] += size[buffer];
  }
}

void CanonicalSearch::recordSolution() {
  int64_t arena = 0;
  for (size_t b = 0; b < size.size(); ++b)
    arena = std::max(arena, offset[b] + size[b]);
  bestArena = arena;
  bestOffsets = offset;
  capacity = arena - 1; // branch and bound: from now on only strictly better placements count
}

/// Returns true when the search must stop (answer found, optimum reached, or out of time).
bool CanonicalSearch::descend() {
  if (numPlaced == static_cast<int>(size.size())) {
    recordSolution();
    if (!minimise || bestArena <= lowerBound) {
      proven = minimise;
      return true;
    }
    return false;
  }
  if ((++nodes & 1023) == 0 && Clock::now() > deadline) {
    timedOut = true;
    return true;
  }
  if (prunedBySections())
    return false;
  std::vector<int> &children = childrenAtDepth[numPlaced];
  if (!collectChildren(children))
    return false;
  int64_t savedOffset = lastOffset;
  int savedRank = lastRank;
  for (size_t i = 0; i < children.size(); ++i) {
    int buffer = children[i];
    place(buffer, candidate[buffer]);
    lastOffset = offset[buffer];
    lastRank = buffer;
    bool stop = descend();
    unplace(buffer);
    lastOffset = savedOffset;
    lastRank = savedRank;
    if (stop)
      return true;
    // A better placement may have lowered the capacity: later siblings that no longer fit fail.
  }
  return false;
}

void CanonicalSearch::exportOffsets(std::vector<int64_t> &offsets) const {
  for (size_t b = 0; b < problemIndex.size(); ++b)
    offsets[problemIndex[b]] = bestOffsets[b];
}

int64_t componentArena(const Problem &problem, const std::vector<size_t> &members,
                       const std::vector<int64_t> &offsets) {
  int64_t arena = 0;
  for (size_t index : members)
    arena = std::max(arena, offsets[index] + problem.buffers[index].size);
  return arena;
}

Solution bestHeuristic(const Problem &problem) {
  Solution greedy = packGreedyBySize(problem);
  Solution bestFit = packBestFit(problem);
  return bestFit.arenaSize < greedy.arenaSize ? bestFit : greedy;
}

/// Time left until `deadline` split evenly over `parts` remaining searches.
Clock::time_point shareOf(Clock::time_point deadline, size_t parts) {
  Clock::time_point now = Clock::now();
  if (now >= deadline || parts == 0)
    return deadline;
  return now + (deadline - now) / static_cast<int64_t>(parts);
}

} // namespace

ExactResult solveExact(const Problem &problem, const ExactOptions &options) {
  ExactResult result;
  Solution best = options.initial ? *options.initial : bestHeuristic(problem);
  Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(std::max(0.0, options.timeLimitSeconds)));
  int64_t load = computeLoad(problem);
  // A component only has to reach `target`: the capacity, or LOAD (the optimum if reachable).
  int64_t target = problem.capacity ? *problem.capacity : load;
  std::vector<std::vector<size_t>> components = splitComponents(problem);
  std::vector<const std::vector<size_t> *> open;
  for (const std::vector<size_t> &members : components)
    if (componentArena(problem, members, best.offsets) > target)
      open.push_back(&members);
  // Largest components first: they decide the arena.
  std::stable_sort(open.begin(), open.end(),
                   [](auto *a, auto *b) { return a->size() > b->size(); });
  bool allProven = true;
  for (size_t i = 0; i < open.size(); ++i) {
    const std::vector<size_t> &members = *open[i];
    if (members.size() > options.maxSearchBuffers) {
      allProven = false;
      continue;
    }
    CanonicalSearch search(problem, members);
    int64_t current = componentArena(problem, members, best.offsets);
    // Feasibility at the target first (half the share when minimising, to leave time for B&B).
    Clock::time_point share = shareOf(deadline, (open.size() - i) * (problem.capacity ? 1 : 2));
    CanonicalSearch::Outcome outcome = search.run(target, false, target, share);
    result.nodes += search.nodeCount();
    result.timedOut |= outcome == CanonicalSearch::Outcome::kTimedOut;
    if (outcome == CanonicalSearch::Outcome::kFound) {
      search.exportOffsets(best.offsets);
      continue;
    }
    if (problem.capacity) {
      allProven = false;
      continue;
    }
    // Minimise: branch and bound strictly below the current arena, stop at target + 1 when the
    // target itself was proven infeasible.
    int64_t floorBound = outcome == CanonicalSearch::Outcome::kExhausted ? target + 1 : target;
    outcome = search.run(current - 1, true, floorBound, shareOf(deadline, open.size() - i));
    result.nodes += search.nodeCount();
    result.timedOut |= search.foundAny() ? !search.provenOptimal()
                                         : outcome == CanonicalSearch::Outcome::kTimedOut;
    if (search.foundAny())
      search.exportOffsets(best.offsets);
    bool exhaustedBelow = outcome == CanonicalSearch::Outcome::kExhausted;
    allProven &= search.provenOptimal() || exhaustedBelow;
  }
  best.arenaSize = arenaSizeOf(problem, best.offsets);
  best.provenOptimal = best.arenaSize <= load || (!problem.capacity && allProven);
  result.fitsCapacity = problem.capacity && best.arenaSize <= *problem.capacity;
  result.solution = std::move(best);
  return result;
}

} // namespace tidemark::planning
