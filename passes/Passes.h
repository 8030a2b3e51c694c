//===- Passes.h - Tidemark pass declarations and registration ---*- C++ -*-===//
//
// Declares every Tidemark pass (generated from Passes.td) and registerTidePasses().
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_PASSES_PASSES_H
#define TIDEMARK_PASSES_PASSES_H

#include "compiler/dialect/TideDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tide {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::tide

#endif // TIDEMARK_PASSES_PASSES_H
