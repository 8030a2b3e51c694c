//===- TideFrontEnd.cpp - Reading, pre-scanning and parsing tide input ----===//
//
// See TideFrontEnd.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideFrontEnd.h"
#include "compiler/dialect/TideDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

using namespace mlir;

namespace {

/// Reads a pipe (or standard input) to its end, failing once more than `maxBytes` arrive.
std::unique_ptr<llvm::MemoryBuffer> readStream(int fd, llvm::StringRef name, uint64_t maxBytes,
                                               std::string *error) {
  std::string data;
  char chunk[65536];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *error = std::string("cannot read input file: ") + std::strerror(errno);
      return nullptr;
    }
    if (n == 0)
      break;
    if (data.size() + static_cast<uint64_t>(n) > maxBytes) {
      *error = "cannot read input file: it is larger than " + std::to_string(maxBytes) + " bytes";
      return nullptr;
    }
    data.append(chunk, static_cast<size_t>(n));
  }
  return llvm::MemoryBuffer::getMemBufferCopy(data, name);
}

} // namespace

std::unique_ptr<llvm::MemoryBuffer>
mlir::tide::readInputFile(llvm::StringRef path, std::string *error, uint64_t maxBytes) {
  if (path == "-")
    return readStream(STDIN_FILENO, "<stdin>", maxBytes, error);
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status)) {
    *error = "cannot open input file: " + ec.message();
    return nullptr;
  }
  switch (status.type()) {
  case llvm::sys::fs::file_type::directory_file:
    *error = "cannot open input file: it is a directory";
    return nullptr;
  case llvm::sys::fs::file_type::regular_file: {
    if (status.getSize() > maxBytes) {
      *error = "cannot open input file: it has " + std::to_string(status.getSize()) +
               " bytes, more than the limit of " + std::to_string(maxBytes);
      return nullptr;
    }
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/true);
    if (!buffer) {
      *error = "cannot open input file: " + buffer.getError().message();
      return nullptr;
    }
    if ((*buffer)->getBufferSize() > maxBytes) { // It grew after the stat.
      *error = "cannot open input file: it is larger than " + std::to_string(maxBytes) + " bytes";
      return nullptr;
    }
    return std::move(*buffer);
  }
  case llvm::sys::fs::file_type::fifo_file: {
    int fd = ::open(path.str().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = std::string("cannot open input file: ") + std::strerror(errno);
      return nullptr;
    }
    auto buffer = readStream(fd, path, maxBytes, error);
    ::close(fd);
    return buffer;
  }
  default:
    *error = "cannot open input file: it is not a regular file or a pipe (a device or socket)";
    return nullptr;
  }
}

std::optional<size_t> mlir::tide::findExcessiveNesting(llvm::StringRef text, unsigned limit) {
  std::vector<char> open; // The unclosed brackets, innermost last; never more than limit.
  open.reserve(limit);
  for (size_t i = 0, n = text.size(); i < n; ++i) {
    char c = text[i];
    switch (c) {
    case '"': // A string literal: skip to its closing quote (backslash escapes one character).
      for (++i; i < n && text[i] != '"' && text[i] != '\n'; ++i)
        if (text[i] == '\\')
          ++i;
      break;
    case '/':
      if (i + 1 < n && text[i + 1] == '/') // A comment runs to the end of the line.
        while (i < n && text[i] != '\n')
          ++i;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (open.size() >= limit)
        return i;
      open.push_back(c);
      break;
    case '>':
      // `->` is an arrow; `>` closes only an open `<` (so `>=` in an integer set is no closer).
      if ((i > 0 && text[i - 1] == '-') || open.empty() || open.back() != '<')
        break;
      open.pop_back();
      break;
    case ')':
    case ']':
    case '}':
      // A mismatched closer makes MLIR's parser fail at that point, no deeper than counted here.
      if (!open.empty())
        open.pop_back();
      break;
    default:
      break;
    }
  }
  return std::nullopt;
}

LogicalResult mlir::tide::checkNestingDepth(llvm::SourceMgr &sourceMgr, MLIRContext *context) {
  const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  std::optional<size_t> offset = findExcessiveNesting(buffer->getBuffer());
  if (!offset)
    return success();
  std::string message = "nesting deeper than " + std::to_string(kMaxNestingDepth) +
                        " levels of brackets (the limit of Tidemark's front end)";
  llvm::SMLoc where = llvm::SMLoc::getFromPointer(buffer->getBufferStart() + *offset);
  if (!context) {
    sourceMgr.PrintMessage(where, llvm::SourceMgr::DK_Error, message);
    return failure();
  }
  auto [line, column] = sourceMgr.getLineAndColumn(where, sourceMgr.getMainFileID());
  emitError(FileLineColLoc::get(context, buffer->getBufferIdentifier(), line, column)) << message;
  return failure();
}

OwningOpRef<ModuleOp> mlir::tide::parseTideModule(llvm::SourceMgr &sourceMgr,
                                                  MLIRContext *context) {
  if (failed(checkNestingDepth(sourceMgr, context)))
    return nullptr;
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, context);
  if (!module || failed(verifyFunctionTypes(*module)))
    return nullptr;
  return module;
}

std::string mlir::tide::writeFileAtomically(llvm::StringRef path, llvm::StringRef bytes) {
  if (path == "-") {
    llvm::outs() << bytes;
    llvm::outs().flush();
    return llvm::outs().has_error() ? "cannot write to standard output" : "";
  }
  if (path.empty())
    return "no output file name";
  if (llvm::sys::fs::is_directory(path))
    return "cannot write '" + path.str() + "': it is a directory";
  llvm::SmallString<256> temp;
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, temp))
    return "cannot create a temporary file next to '" + path.str() + "': " + ec.message();
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << bytes;
    os.close();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return "cannot write '" + path.str() + "': " + message;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return "cannot write '" + path.str() + "': " + ec.message();
  }
  return "";
}
