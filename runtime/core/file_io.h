// Reading files the runtime does not trust (plans, weights): regular files only, of a size known
// before anything is allocated for them, read exactly that size.
//
// Why: a plan path may name a directory, a FIFO (opening one blocks until a writer appears), or a
// character device such as /dev/zero (endless bytes); reading "to the end" of those hangs, throws
// or allocates without bound. OpenRegularFile opens without blocking (O_NONBLOCK), checks with
// fstat on the open descriptor (no race between the check and the read) that it is a regular file,
// and reports its size; ReadFileAt reads exactly the bytes asked for and calls a short read (the
// file shrank meanwhile) data loss.
//
// Errors (Status, never an exception): NotFound (no such file or directory), InvalidArgument (a
// directory, a FIFO, a device or a socket; cannot be opened, e.g. permission denied), DataLoss (a
// read error, or fewer bytes than fstat reported), ResourceExhausted (no memory for the bytes).
// Thread-safety: no shared state.
#ifndef TIDEMARK_RUNTIME_CORE_FILE_IO_H_
#define TIDEMARK_RUNTIME_CORE_FILE_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tidemark/status.h"

namespace tidemark {

// An open regular file; closes its descriptor on destruction. Movable, not copyable.
class RegularFile {
public:
  RegularFile() = default;
  ~RegularFile();
  RegularFile(RegularFile &&other) noexcept;
  RegularFile &operator=(RegularFile &&other) noexcept;
  RegularFile(const RegularFile &) = delete;
  RegularFile &operator=(const RegularFile &) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Size in bytes when it was opened (fstat).
  uint64_t size() const { return size_; }
  const std::string &path() const { return path_; }
  // What the file is, for messages ("plan file", "weights file").
  const std::string &what() const { return what_; }

private:
  friend Status OpenRegularFile(const std::string &path, const std::string &what, RegularFile *out);
  friend Status ReadFileAt(const RegularFile &file, uint64_t offset, void *buffer, size_t bytes);
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
  std::string what_;
};

// Opens `path` for reading if it is a regular file. `what` names it in messages, e.g. "plan file"
// ("cannot open plan file 'x': No such file or directory", "plan file 'dir' is a directory").
Status OpenRegularFile(const std::string &path, const std::string &what, RegularFile *out);

// Reads exactly `bytes` bytes at `offset` into `buffer`. DataLoss when the range goes past the
// size the file had when opened, or the file delivers fewer bytes (it shrank), or on a read error.
Status ReadFileAt(const RegularFile &file, uint64_t offset, void *buffer, size_t bytes);

// The whole file (its size at open) into *out. `max_bytes` bounds the size: a larger file is
// OutOfRange before anything is allocated; `limit_name` ends the message "... has N bytes, more
// than the M bytes <limit_name>", e.g. "a plan can have".
Status ReadWholeFile(const RegularFile &file, uint64_t max_bytes, const std::string &limit_name,
                     std::vector<uint8_t> *out);

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_CORE_FILE_IO_H_
