// The independent plan verifier (see Verifier.h). Deliberately shares no code with the packers.
#include "compiler/planning/Verifier.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tidemark::planning {
namespace {

std::string describe(const Buffer &buffer, int64_t offset) {
  return absl::StrCat("buffer ", buffer.id, " (steps [", buffer.start, ", ", buffer.end,
                      "), bytes [", offset, ", ", offset + buffer.size, "))");
}

absl::Status checkEachBuffer(const Problem &problem, const Solution &solution) {
  int64_t highest = 0;
  for (size_t i = 0; i < problem.buffers.size(); ++i) {
    const Buffer &buffer = problem.buffers[i];
    int64_t offset = solution.offsets[i];
    int64_t alignment = buffer.alignment > 0 ? buffer.alignment : problem.alignment;
    if (offset < 0)
      return absl::FailedPreconditionError(
          absl::StrCat(describe(buffer, offset), " has a negative offset"));
    if (alignment > 0 && offset % alignment != 0)
      return absl::FailedPreconditionError(absl::StrCat(
          describe(buffer, offset), " is misaligned: offset is not a multiple of ", alignment));
    if (buffer.size == 0)
      continue;
    if (offset + buffer.size > solution.arenaSize)
      return absl::FailedPreconditionError(absl::StrCat(
          describe(buffer, offset), " ends outside the arena of ", solution.arenaSize, " bytes"));
    if (problem.capacity && offset + buffer.size > *problem.capacity)
      return absl::FailedPreconditionError(absl::StrCat(
          describe(buffer, offset), " exceeds the capacity of ", *problem.capacity, " bytes"));
    highest = std::max(highest, offset + buffer.size);
  }
  if (highest != solution.arenaSize)
    return absl::FailedPreconditionError(absl::StrCat("arena size is ", solution.arenaSize,
                                                      " bytes but the buffers end at ", highest));
  return absl::OkStatus();
}

absl::Status checkNoOverlap(const Problem &problem, const Solution &solution) {
  // Event = (step, kind, buffer index); kind 0 = end, 1 = start, so ends sort first.
  std::vector<std::tuple<int64_t, int, size_t>> events;
  for (size_t i = 0; i < problem.buffers.size(); ++i) {
    if (problem.buffers[i].size == 0)
      continue;
    events.emplace_back(problem.buffers[i].start, 1, i);
    events.emplace_back(problem.buffers[i].end, 0, i);
  }
  std::sort(events.begin(), events.end());
  std::set<std::pair<int64_t, size_t>> live; // (offset, index), pairwise disjoint in bytes
  for (const auto &[step, kind, index] : events) {
    std::pair<int64_t, size_t> key{solution.offsets[index], index};
    if (kind == 0) {
      live.erase(key);
      continue;
    }
    auto next = live.lower_bound(key);
    const Buffer &buffer = problem.buffers[index];
    auto collide = [&](size_t other) {
      return absl::FailedPreconditionError(absl::StrCat(
          describe(buffer, key.first), " overlaps ",
          describe(problem.buffers[other], solution.offsets[other]), " at step ", step));
    };
    if (next != live.end() && next->first < key.first + buffer.size)
      return collide(next->second);
    if (next != live.begin()) {
      auto previous = std::prev(next);
      if (previous->first + problem.buffers[previous->second].size > key.first)
        return collide(previous->second);
    }
    live.insert(key);
  }
  return absl::OkStatus();
}

} // namespace

absl::Status verifySolution(const Problem &problem, const Solution &solution) {
  if (solution.offsets.size() != problem.buffers.size())
    return absl::FailedPreconditionError(absl::StrCat(
        "plan has ", solution.offsets.size(), " offsets for ", problem.buffers.size(), " buffers"));
  if (absl::Status status = checkEachBuffer(problem, solution); !status.ok())
    return status;
  return checkNoOverlap(problem, solution);
}

} // namespace tidemark::planning
