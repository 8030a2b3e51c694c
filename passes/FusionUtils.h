//===- FusionUtils.h - Helpers shared by the fusion passes ------*- C++ -*-===//
//
// Reading scalar constants, counting what was fused (the function's `tide.fusions` dictionary,
// which tidec reports) and erasing a replaced chain of ops.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_PASSES_FUSIONUTILS_H
#define TIDEMARK_PASSES_FUSIONUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"

#include <cstdint>
#include <optional>

namespace mlir::tide {

/// The value of an f32 constant whose elements are all equal (a scalar or a splat).
std::optional<double> splatConstant(Value value);

/// Sets `tide.fusions[pattern] = fused` and `tide.fusions[pattern + "_not_fused"] = rejected`
/// on `func` (adding to counts already there), keeping the other entries.
void recordFusions(func::FuncOp func, StringRef pattern, int64_t fused, int64_t rejected);

/// Erases `root` if it has no uses, then every pure op that feeds it and so becomes unused.
void eraseDeadChain(Operation *root);

} // namespace mlir::tide

#endif // TIDEMARK_PASSES_FUSIONUTILS_H
