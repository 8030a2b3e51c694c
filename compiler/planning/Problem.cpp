// Problem validation and small helpers shared by every packer.
#include "compiler/planning/Problem.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tidemark::planning {

int64_t effectiveAlignment(const Problem &problem, const Buffer &buffer) {
  return buffer.alignment > 0 ? buffer.alignment : problem.alignment;
}

absl::Status validateProblem(const Problem &problem) {
  if (problem.alignment < 1 || problem.alignment > kMaxAlignment)
    return absl::InvalidArgumentError(absl::StrCat("default alignment must be in [1, ",
                                                   kMaxAlignment, "], got ", problem.alignment));
  if (problem.capacity && *problem.capacity < 0)
    return absl::InvalidArgumentError(
        absl::StrCat("capacity must be >= 0, got ", *problem.capacity));
  int64_t total = 0; // sum of sizes, kept <= 2^60 so that no offset arithmetic can overflow
  for (const Buffer &buffer : problem.buffers) {
    if (buffer.size < 0)
      return absl::InvalidArgumentError(
          absl::StrCat("buffer ", buffer.id, ": negative size ", buffer.size));
    if (buffer.start >= buffer.end)
      return absl::InvalidArgumentError(absl::StrCat("buffer ", buffer.id, ": empty interval [",
                                                     buffer.start, ", ", buffer.end, ")"));
    if (buffer.start < -kMaxTimeStep || buffer.end > kMaxTimeStep)
      return absl::InvalidArgumentError(
          absl::StrCat("buffer ", buffer.id, ": interval [", buffer.start, ", ", buffer.end,
                       ") reaches outside [-2^61, 2^61], which the planner does not support"));
    if (buffer.alignment < 0 || buffer.alignment > kMaxAlignment)
      return absl::InvalidArgumentError(absl::StrCat("buffer ", buffer.id, ": alignment ",
                                                     buffer.alignment, " is not in [0, ",
                                                     kMaxAlignment, "]"));
    if (buffer.size > kMaxTotalBytes - total)
      return absl::InvalidArgumentError(
          absl::StrCat("buffer ", buffer.id, ": the sizes add up to more than ", kMaxTotalBytes,
                       " bytes (2^60), which the planner does not support"));
    total += buffer.size;
  }
  return absl::OkStatus();
}

int64_t arenaSizeOf(const Problem &problem, const std::vector<int64_t> &offsets) {
  int64_t arena = 0;
  for (size_t i = 0; i < problem.buffers.size(); ++i)
    if (problem.buffers[i].size > 0)
      arena = std::max(arena, offsets[i] + problem.buffers[i].size);
  return arena;
}

} // namespace tidemark::planning
