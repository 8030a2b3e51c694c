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

/// Reads and parses `path` (NotFound if it cannot be opened).
absl::StatusOr<CsvBufferList> readMiniMallocCsv(const std::string &path, int64_t defaultAlignment);

/// The CSV text of `list` placed by `solution`: header `id,lower,upper,size,offset`.
std::string formatMiniMallocCsv(const CsvBufferList &list, const Solution &solution);

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so
/// `path` is either untouched or complete. Errors: Unavailable naming the path and the reason.
absl::Status writeFileAtomically(const std::string &path, std::string_view contents);

} // namespace tidemark::planning

#endif // TIDEMARK_COMPILER_PLANNING_MINIMALLOCCSV_H
