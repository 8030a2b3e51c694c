// Status: the error value every public Tidemark runtime call returns (no exceptions cross the API).
#ifndef TIDEMARK_STATUS_H_
#define TIDEMARK_STATUS_H_

#include <string>
#include <utility>

namespace tidemark {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // The caller passed something malformed (bad name, shape, pointer, flag).
  kNotFound,           // A named input, output, parameter or file does not exist.
  kDataLoss,           // A plan or weights file is truncated or corrupt.
  kFailedPrecondition, // The call is valid but not now (e.g. run before every input is bound).
  kOutOfRange,         // An offset, size or index lies outside what the plan allows.
  kResourceExhausted,  // Memory could not be obtained at load time.
  kUnimplemented,      // A plan uses a feature this runtime version does not have.
  kInternal,           // A broken invariant inside Tidemark: a bug, please report it.
};

// A status code and a human-readable message. Cheap to return when OK (no allocation).
class Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

const char *StatusCodeName(StatusCode code);

inline Status InvalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status DataLoss(std::string m) { return Status(StatusCode::kDataLoss, std::move(m)); }
inline Status FailedPrecondition(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status OutOfRange(std::string m) { return Status(StatusCode::kOutOfRange, std::move(m)); }
inline Status ResourceExhausted(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
inline Status Unimplemented(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}
inline Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

} // namespace tidemark

// Returns early from the enclosing function when `expr` yields a non-OK status.
#define TIDEMARK_RETURN_IF_ERROR(expr)                                                             \
  do {                                                                                             \
    ::tidemark::Status _tm_status = (expr);                                                        \
    if (!_tm_status.ok())                                                                          \
      return _tm_status;                                                                           \
  } while (0)

#endif // TIDEMARK_STATUS_H_
