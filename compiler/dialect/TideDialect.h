//===- TideDialect.h - The tide dialect -------------------------*- C++ -*-===//
//
// Declares the tide dialect, its attributes and enums, and the cost interface.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_DIALECT_TIDEDIALECT_H
#define TIDEMARK_COMPILER_DIALECT_TIDEDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TypeRange.h"

#include "compiler/dialect/TideDialect.h.inc"
#include "compiler/dialect/TideEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "compiler/dialect/TideAttrs.h.inc"

namespace mlir::tide::detail {
/// Sum of the byte sizes of the given ranked tensor types (element count times element size,
/// rounded up to whole bytes). Non-tensor types count zero.
int64_t sumTensorBytes(TypeRange types);
/// Byte size of one ranked, statically shaped tensor type.
int64_t tensorBytes(Type type);
/// Type of layer_norm's per-row mean/rstd: the input's leading `axis` dimensions.
RankedTensorType normalizationStatsType(RankedTensorType input, int64_t axis);
/// Type of attention's per-row log-sum-exp: the query's [batch, heads, seq_q].
RankedTensorType attentionLseType(RankedTensorType query);
} // namespace mlir::tide::detail

namespace mlir::tide {
class GradientEmitter; // TideGradients.h: the adjoint bookkeeping a gradient rule writes through.
} // namespace mlir::tide

#include "compiler/dialect/TideInterfaces.h.inc"

namespace mlir::tide {
/// The function check no op verifier can make (docs/dialect.md, "Limits"): every argument (used
/// or not; the error points at it), result type and tensor-typed op result of a function with a
/// body is a ranked, static tensor within the dialect's limits. tidec and tide-interp run it
/// after parsing, tide-opt before its pass pipeline.
LogicalResult verifyFunctionTypes(func::FuncOp func);
/// verifyFunctionTypes on every func.func of the module.
LogicalResult verifyFunctionTypes(ModuleOp module);
} // namespace mlir::tide

#endif // TIDEMARK_COMPILER_DIALECT_TIDEDIALECT_H
