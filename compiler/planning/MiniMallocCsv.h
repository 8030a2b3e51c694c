// Reading and writing buffer lists in the MiniMalloc CSV format used by tide-pack and benchmarks.
//
// Input: a header line `id,lower,upper,size` (or the older `buffer,start,end,size`), optionally
// followed by an `offset` column, which is accepted and ignored; then one buffer per line.
// Intervals are half-open [lower, upper). Blank lines are skipped; surrounding spaces and a
// trailing '\r' are trimmed. Output: the same rows in input order with an `offset` column.
#ifndef TIDEMARK_COMPILER_PLANNING_MINIMALLOCCSV_H
#define TIDEMARK_COMPILER_PLANNING_MINIMALLOCCSV_H

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "compiler/planning/Problem.h"

namespace tidemark::planning {

/// A parsed file: the problem (Buffer::id is the numeric id when every id is an integer,
/// otherwise the 0-based row index) and the ids exactly as written, row by row.
struct CsvBufferList {
  Problem problem;
  std::vector<std::string> names;
};

/// Parses CSV text. Every buffer gets alignment 0 (i.e. `defaultAlignment`, stored in the
/// problem). Errors (InvalidArgument, "line N: ..."): empty input, missing or unknown header,
/// wrong column count, non-integer fields, negative size, lower >= upper, duplicate id.
absl::StatusOr<CsvBufferList> parseMiniMallocCsv(std::string_view text, int64_t defaultAlignment);

/// The largest CSV readMiniMallocCsv accepts: 1 GiB is about 30 million buffers, far beyond
/// any trace the packers can place in reasonable time.
inline constexpr int64_t kMaxCsvBytes = int64_t{1} << 30;

/// Reads and parses `path`: a regular file of at most kMaxCsvBytes (see readRegularFile).
absl::StatusOr<CsvBufferList> readMiniMallocCsv(const std::string &path, int64_t defaultAlignment);

/// Reads the whole of `path`, which must be a regular file of at most `maxBytes` bytes, so a
/// directory, a device such as /dev/zero, a pipe or an oversized file is refused before anything
/// is allocated for it. Errors: NotFound (cannot open), InvalidArgument (not a regular file, too
/// large; the message names the path, its kind or size and the limit), DataLoss (read failed or
/// the file shrank while it was read).
absl::StatusOr<std::string> readRegularFile(const std::string &path, int64_t maxBytes);

/// The CSV text of `list` placed by `solution`: header `id,lower,upper,size,offset`.
std::string formatMiniMallocCsv(const CsvBufferList &list, const Solution &solution);

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so
/// `path` is either untouched or complete. Errors: Unavailable naming the path and the reason.
absl::Status writeFileAtomically(const std::string &path, std::string_view contents);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_MINIMALLOCCSV_H
