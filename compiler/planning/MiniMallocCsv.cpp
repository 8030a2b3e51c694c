// MiniMalloc CSV reader and writer (see MiniMallocCsv.h).
#include "compiler/planning/MiniMallocCsv.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tidemark::planning {
namespace {

std::vector<absl::string_view> splitFields(absl::string_view line) {
  std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
  for (absl::string_view &field : fields)
    field = absl::StripAsciiWhitespace(field);
  return fields;
}

/// Returns the number of columns (4 or 5) described by the header, or an error.
absl::StatusOr<size_t> parseHeader(absl::string_view line, size_t lineNumber) {
  std::vector<absl::string_view> fields = splitFields(line);
  std::string joined = absl::StrJoin(fields, ",");
  if (joined == "id,lower,upper,size" || joined == "buffer,start,end,size")
    return 4;
  if (joined == "id,lower,upper,size,offset" || joined == "buffer,start,end,size,offset")
    return 5;
  return absl::InvalidArgumentError(
      absl::StrCat("line ", lineNumber,
                   ": expected the header 'id,lower,upper,size' (or 'buffer,start,end,size', "
                   "optionally followed by ',offset'), got '",
                   line, "'"));
}

absl::StatusOr<int64_t> parseInteger(absl::string_view field, absl::string_view column,
                                     size_t lineNumber) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(field, &value))
    return absl::InvalidArgumentError(
        absl::StrCat("line ", lineNumber, ": ", column, " '", field, "' is not an integer"));
  return value;
}

/// Parses one data row into `buffer`; `lineNumber` is 1-based for messages.
absl::Status parseRow(const std::vector<absl::string_view> &fields, size_t lineNumber,
                      Buffer &buffer) {
  const char *columns[] = {"lower", "upper", "size"};
  int64_t values[3];
  for (int c = 0; c < 3; ++c) {
    absl::StatusOr<int64_t> value = parseInteger(fields[c + 1], columns[c], lineNumber);
    if (!value.ok())
      return value.status();
    values[c] = *value;
  }
  if (values[2] < 0)
    return absl::InvalidArgumentError(
        absl::StrCat("line ", lineNumber, ": size ", values[2], " is negative"));
  if (values[0] >= values[1])
    return absl::InvalidArgumentError(absl::StrCat("line ", lineNumber, ": lower ", values[0],
                                                   " must be less than upper ", values[1],
                                                   " (intervals are half-open [lower, upper))"));
  buffer.start = values[0];
  buffer.end = values[1];
  buffer.size = values[2];
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<CsvBufferList> parseMiniMallocCsv(std::string_view text, int64_t defaultAlignment) {
  CsvBufferList list;
  list.problem.alignment = defaultAlignment;
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(text.data(), text.size()), '\n');
  size_t columns = 0;
  absl::flat_hash_set<std::string> seen;
  bool allNumeric = true;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = absl::StripAsciiWhitespace(lines[i]);
    if (line.empty())
      continue;
    if (columns == 0) {
      absl::StatusOr<size_t> header = parseHeader(line, i + 1);
      if (!header.ok())
        return header.status();
      columns = *header;
      continue;
    }
    std::vector<absl::string_view> fields = splitFields(line);
    if (fields.size() != columns)
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 1, ": expected ", columns, " columns, got ", fields.size()));
    if (fields[0].empty())
      return absl::InvalidArgumentError(absl::StrCat("line ", i + 1, ": empty id"));
    if (!seen.insert(std::string(fields[0])).second)
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 1, ": duplicate id '", fields[0], "'"));
    Buffer buffer;
    if (absl::Status status = parseRow(fields, i + 1, buffer); !status.ok())
      return status;
    int64_t numericId = 0;
    allNumeric &= absl::SimpleAtoi(fields[0], &numericId);
    buffer.id = numericId;
    list.problem.buffers.push_back(buffer);
    list.names.emplace_back(fields[0]);
  }
  if (columns == 0)
    return absl::InvalidArgumentError("the input is empty: expected the header "
                                      "'id,lower,upper,size' and one line per buffer");
  if (!allNumeric)
    for (size_t row = 0; row < list.problem.buffers.size(); ++row)
      list.problem.buffers[row].id = static_cast<int64_t>(row);
  return list;
}

absl::StatusOr<std::string> readRegularFile(const std::string &path, int64_t maxBytes) {
  // open + fstat on the same descriptor: the checked file is the one read (no stat/open race).
  // O_NONBLOCK keeps open() from waiting on a FIFO with no writer; it is refused just below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    int error = errno;
    ::close(fd);
    return absl::NotFoundError(absl::StrCat("cannot stat '", path, "': ", std::strerror(error)));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    const char *kind = S_ISDIR(info.st_mode)    ? "a directory"
                       : S_ISCHR(info.st_mode)  ? "a character device"
                       : S_ISBLK(info.st_mode)  ? "a block device"
                       : S_ISFIFO(info.st_mode) ? "a pipe"
                       : S_ISSOCK(info.st_mode) ? "a socket"
                                                : "not a regular file";
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is ", kind, ", expected a regular file"));
  }
  if (info.st_size > maxBytes) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is ", info.st_size,
                                                   " bytes, more than the limit of ", maxBytes));
  }
  std::string contents(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t got = ::read(fd, contents.data() + done, contents.size() - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      int error = got < 0 ? errno : 0;
      ::close(fd);
      return absl::DataLossError(absl::StrCat(
          "cannot read '", path,
          "': ", error != 0 ? std::strerror(error) : "the file shrank while it was read"));
    }
    done += static_cast<size_t>(got);
  }
  ::close(fd);
  return contents;
}

absl::StatusOr<CsvBufferList> readMiniMallocCsv(const std::string &path, int64_t defaultAlignment) {
  absl::StatusOr<std::string> contents = readRegularFile(path, kMaxCsvBytes);
  if (!contents.ok())
    return contents.status();
  absl::StatusOr<CsvBufferList> list = parseMiniMallocCsv(*contents, defaultAlignment);
  if (!list.ok())
    return absl::Status(list.status().code(), absl::StrCat(path, ": ", list.status().message()));
  return list;
}

std::string formatMiniMallocCsv(const CsvBufferList &list, const Solution &solution) {
  std::string out = "id,lower,upper,size,offset\n";
  for (size_t row = 0; row < list.problem.buffers.size(); ++row) {
    const Buffer &buffer = list.problem.buffers[row];
    absl::StrAppend(&out, list.names[row], ",", buffer.start, ",", buffer.end, ",", buffer.size,
                    ",", solution.offsets[row], "\n");
  }
  return out;
}

absl::Status writeFileAtomically(const std::string &path, std::string_view contents) {
  std::string temporary = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
      return absl::UnavailableError(
          absl::StrCat("cannot create '", temporary, "': ", std::strerror(errno)));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) {
      std::remove(temporary.c_str());
      return absl::UnavailableError(absl::StrCat("cannot write '", temporary, "'"));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    std::remove(temporary.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename to '", path, "': ", std::strerror(error)));
  }
  return absl::OkStatus();
}

} // namespace tidemark::planning
