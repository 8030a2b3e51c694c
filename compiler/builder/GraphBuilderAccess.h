//===- GraphBuilderAccess.h - The builder's MLIR module, for compiler code -*- C++ -*-===//
//
// include/tidemark/builder.h is MLIR-free; compiler code that wants the built module itself (to
// run passes on it, or inspect it, without printing and reparsing) includes this header.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_BUILDER_GRAPHBUILDERACCESS_H
#define TIDEMARK_COMPILER_BUILDER_GRAPHBUILDERACCESS_H

#include "tidemark/builder.h"

#include "mlir/IR/BuiltinOps.h"

namespace tidemark::builder {

struct GraphBuilderAccess {
  /// The builder's module (one func.func, verified as a whole first), or null when status() is
  /// not OK. It lives in the builder's own MLIRContext and belongs to the builder: it is valid
  /// while the builder lives, and later builder calls change it. O(module size).
  static mlir::ModuleOp module(const GraphBuilder &builder);
};

} // namespace tidemark::builder

#endif // TIDEMARK_COMPILER_BUILDER_GRAPHBUILDERACCESS_H
