//===- TideFrontEnd.h - Reading, pre-scanning and parsing tide input -*- C++ -*-===//
//
// The front end every tool shares (tidec, tide-opt, tide-interp): a bounded input reader (regular
// files and pipes up to kMaxInputBytes; directories, devices and missing files are clear errors),
// a bracket-depth pre-scan that keeps MLIR's recursive parser from overflowing the stack, the
// parse itself, and the function check (verifyFunctionTypes). Also the atomic file writer the
// tools use for their outputs. Limits: TideLimits.h and docs/dialect.md.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_DIALECT_TIDEFRONTEND_H
#define TIDEMARK_COMPILER_DIALECT_TIDEFRONTEND_H

#include "compiler/dialect/TideLimits.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::tide {

/// Reads `path` ("-": standard input). Regular files and pipes of at most `maxBytes` bytes are
/// read; anything else (missing, a directory, a device such as /dev/zero, too large) returns null
/// with a one-line reason in `*error` (e.g. "cannot open input file: it is a directory").
std::unique_ptr<llvm::MemoryBuffer> readInputFile(llvm::StringRef path, std::string *error,
                                                  uint64_t maxBytes = kMaxInputBytes);

/// The byte offset of the first opening bracket ( ( [ { < ) nested deeper than `limit`, counted
/// outside string literals and `//` comments (`->` is an arrow, not a closing bracket); nullopt if
/// the text stays within the limit. O(text size), O(limit) memory.
std::optional<size_t> findExcessiveNesting(llvm::StringRef text, unsigned limit = kMaxNestingDepth);

/// Runs findExcessiveNesting on the main buffer of `sourceMgr`. On failure reports
/// "file:line:col: error: nesting deeper than 256 ..." through `context`'s diagnostics when
/// `context` is given, else prints it through `sourceMgr`.
LogicalResult checkNestingDepth(llvm::SourceMgr &sourceMgr, MLIRContext *context);

/// The whole front end on the main buffer of `sourceMgr`: nesting pre-scan, parse (which runs the
/// op and attribute verifiers), verifyFunctionTypes. Diagnostics go to `context`'s handler; null
/// on any error.
OwningOpRef<ModuleOp> parseTideModule(llvm::SourceMgr &sourceMgr, MLIRContext *context);

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so `path`
/// is either untouched or complete ("-": standard output). Returns an error message or "".
std::string writeFileAtomically(llvm::StringRef path, llvm::StringRef bytes);

} // namespace mlir::tide

#endif // TIDEMARK_COMPILER_DIALECT_TIDEFRONTEND_H
