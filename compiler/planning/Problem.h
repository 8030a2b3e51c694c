// Buffers, packing problems and solutions: the plain data the planning library works on.
#ifndef TIDEMARK_COMPILER_PLANNING_PROBLEM_H
#define TIDEMARK_COMPILER_PLANNING_PROBLEM_H

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"

namespace tidemark::planning {

/// One buffer to place in the arena. It is live over the HALF-OPEN interval [start, end) of
/// schedule steps: two buffers conflict when their intervals intersect, so a buffer that ends at
/// step 5 and one that starts at step 5 may share bytes.
struct Buffer {
  int64_t id = 0;        ///< Caller's identifier (not interpreted; reported in messages).
  int64_t size = 0;      ///< Bytes, >= 0. A zero-size buffer occupies nothing.
  int64_t alignment = 0; ///< Required offset alignment in bytes; 0 = use Problem::alignment.
  int64_t start = 0;     ///< First step at which the buffer is live.
  int64_t end = 0;       ///< One past the last live step (end > start).
};

/// A packing problem: the buffers, the default alignment and an optional byte capacity.
struct Problem {
  std::vector<Buffer> buffers;
  int64_t alignment = 64;          ///< Alignment of buffers whose own alignment is 0.
  std::optional<int64_t> capacity; ///< If set, the arena must not exceed this many bytes.
};

/// A placement: offsets[i] is the byte offset of problem.buffers[i].
struct Solution {
  std::vector<int64_t> offsets;
  int64_t arenaSize = 0;      ///< max(offset + size), 0 for an empty problem.
  bool provenOptimal = false; ///< True when no smaller arena exists (e.g. arenaSize == LOAD).
};

/// Limits that keep every offset computation far from int64 overflow: the sizes add up to at
/// most 2^60 bytes and alignments are at most 2^30, so offsets stay below 2^61.
inline constexpr int64_t kMaxTotalBytes = int64_t{1} << 60;
inline constexpr int64_t kMaxAlignment = int64_t{1} << 30;
/// Interval ends lie in [-kMaxTimeStep, kMaxTimeStep], so a lifetime's length (end - start)
/// never overflows; the packers' sort keys saturate lifetime x size.
inline constexpr int64_t kMaxTimeStep = int64_t{1} << 61;

/// The alignment that applies to `buffer` in `problem` (its own, or the problem's default).
int64_t effectiveAlignment(const Problem &problem, const Buffer &buffer);

/// Rounds `value` up to a multiple of `alignment` (alignment >= 1).
inline int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// Checks that a problem is well formed: sizes >= 0 adding up to at most kMaxTotalBytes,
/// start < end with both in [-kMaxTimeStep, kMaxTimeStep], alignments in [1, kMaxAlignment]
/// (after the default is applied), capacity >= 0.
/// Returns InvalidArgument naming the first bad buffer.
absl::Status validateProblem(const Problem &problem);

/// max(offset + size) over the buffers, given per-buffer offsets.
int64_t arenaSizeOf(const Problem &problem, const std::vector<int64_t> &offsets);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_PROBLEM_H
