// RegularFile, OpenRegularFile, ReadFileAt, ReadWholeFile: POSIX open/fstat/pread with the checks
// described in file_io.h.
#include "runtime/core/file_io.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tidemark {
namespace {

// The kind of a non-regular file, for messages.
const char *fileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

std::string quoted(const std::string &path) { return "'" + path + "'"; }

} // namespace

RegularFile::~RegularFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

RegularFile::RegularFile(RegularFile &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), path_(std::move(other.path_)),
      what_(std::move(other.what_)) {}

RegularFile &RegularFile::operator=(RegularFile &&other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    path_ = std::move(other.path_);
    what_ = std::move(other.what_);
  }
  return *this;
}

Status OpenRegularFile(const std::string &path, const std::string &what, RegularFile *out) {
  *out = RegularFile();
  if (path.empty())
    return InvalidArgument(what + " path is empty");
  if (path.find('\0') != std::string::npos)
    return InvalidArgument(what + " path contains a NUL byte");
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it has no effect on regular files.
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int error = errno;
    std::string message = "cannot open " + what + " " + quoted(path) + ": " + std::strerror(error);
    if (error == ENOENT || error == ENOTDIR)
      return NotFound(message);
    return InvalidArgument(message);
  }
  RegularFile file;
  file.fd_ = fd;
  file.path_ = path;
  file.what_ = what;
  struct stat info;
  if (::fstat(fd, &info) != 0)
    return InvalidArgument("cannot stat " + what + " " + quoted(path) + ": " +
                           std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    return InvalidArgument(what + " " + quoted(path) + " is " + fileKind(info.st_mode) +
                           ", not a regular file");
  file.size_ = static_cast<uint64_t>(info.st_size);
  *out = std::move(file);
  return Status::Ok();
}

Status ReadFileAt(const RegularFile &file, uint64_t offset, void *buffer, size_t bytes) {
  if (!file.is_open())
    return Internal("ReadFileAt on a file that is not open");
  // Built only for an error message: a read (one per sampled data window) allocates nothing.
  auto name = [&file] { return file.what_ + " " + quoted(file.path_); };
  if (offset > file.size_ || bytes > file.size_ - offset)
    return DataLoss(name() + " has " + std::to_string(file.size_) + " bytes, fewer than the " +
                    std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                    " that are needed");
  auto *cursor = static_cast<uint8_t *>(buffer);
  size_t done = 0;
  while (done < bytes) {
    const size_t chunk = std::min<size_t>(bytes - done, size_t{1} << 30);
    const ssize_t got = ::pread(file.fd_, cursor + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return DataLoss("error reading " + name() + ": " + std::strerror(errno));
    if (got == 0)
      return DataLoss(name() + " shrank while being read: got " + std::to_string(done) + " of " +
                      std::to_string(bytes) + " bytes at offset " + std::to_string(offset));
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

Status ReadWholeFile(const RegularFile &file, uint64_t max_bytes, const std::string &limit_name,
                     std::vector<uint8_t> *out) {
  if (file.size() > max_bytes)
    return OutOfRange(file.what() + " " + quoted(file.path()) + " has " +
                      std::to_string(file.size()) + " bytes, more than the " +
                      std::to_string(max_bytes) + " bytes " + limit_name);
  try {
    out->assign(static_cast<size_t>(file.size()), 0);
  } catch (const std::bad_alloc &) {
    return ResourceExhausted("cannot allocate " + std::to_string(file.size()) + " bytes for " +
                             file.what() + " " + quoted(file.path()));
  }
  return ReadFileAt(file, 0, out->data(), out->size());
}

} // namespace tidemark
