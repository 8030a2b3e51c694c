//===- TideVerifyUtils.h - shared checks for tide shape inference -*- C++ -*-===//
//
// Small helpers every op's shape inference uses; each emits a precise message at `loc` (when
// given) and fails.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_DIALECT_TIDEVERIFYUTILS_H
#define TIDEMARK_COMPILER_DIALECT_TIDEVERIFYUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLExtras.h"

#include <optional>
#include <string>

namespace mlir::tide::detail {

/// Formats a shape as `[2, 3, 4]` for diagnostics.
std::string formatShape(ArrayRef<int64_t> shape);

/// Checks `type` against the dialect's tensor limits (TideLimits.h): a ranked, statically shaped
/// tensor of a supported element type, rank <= kMaxRank, every dimension <= 2^40 and at most
/// kMaxTensorBytes bytes (computed without overflow). Emits "<what> ..." and fails otherwise.
LogicalResult checkTensorType(std::optional<Location> loc, Type type, StringRef what);

/// Returns `type` as a statically shaped ranked tensor within the limits (checkTensorType), or
/// emits "<what> must ..." and fails.
FailureOr<RankedTensorType> staticTensor(std::optional<Location> loc, Type type, StringRef what);
/// staticTensor on an operand; a function argument is checked at its own location first
/// ("argument #i of @f ..."), so a malformed argument is reported where it is declared.
FailureOr<RankedTensorType> staticTensor(std::optional<Location> loc, Value value, StringRef what);

/// Fails unless `value`, rounded to f32 (what the runtime stores), is finite.
LogicalResult checkF32(std::optional<Location> loc, StringRef what, double value);

/// Fails with a message unless `lhs` and `rhs` have the same element type.
LogicalResult sameElementType(std::optional<Location> loc, RankedTensorType lhs, StringRef lhsName,
                              RankedTensorType rhs, StringRef rhsName);

/// Maps `axis` in [-rank, rank) to [0, rank), or emits an "out of range" message.
FailureOr<int64_t> normalizeAxis(std::optional<Location> loc, int64_t axis, int64_t rank,
                                 StringRef what);

/// Broadcasts two shapes with NumPy rules or emits a message naming both shapes.
FailureOr<SmallVector<int64_t>> broadcastShapes(std::optional<Location> loc, ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs, StringRef what);

/// Checks a normalization over `input.shape[axis:]` (layer_norm and its gradient): the input has
/// rank >= 1, the axis is in range, and every named parameter (scale, bias) has the input's
/// element type and exactly the normalized shape. Returns the axis in [0, rank).
FailureOr<int64_t> verifyNormalization(std::optional<Location> loc, StringRef opName,
                                       RankedTensorType input, int64_t axis,
                                       ArrayRef<std::pair<StringRef, RankedTensorType>> params);

/// Checks the operands and attributes of tide.attention / tide.attention_grad: query
/// [B, H, Tq, D], key = value [B, KVH, Tk, D] with H a multiple of KVH, the optional
/// key_lengths (null when absent) [B], the scale and the chunk sizes.
LogicalResult verifyAttentionOperands(std::optional<Location> loc, Value query, Value key,
                                      Value value, Value keyLengths, double scale,
                                      int64_t queryChunk, int64_t keyChunk);

/// Checks clamp's bounds: both finite as f32 and min <= max after rounding to f32.
LogicalResult checkClampBounds(std::optional<Location> loc, StringRef opName, double min,
                               double max);

/// Checks tide.dropout / tide.dropout_grad's attributes: p in [0, 1) as f32, site in
/// [0, kMaxDropoutSite].
LogicalResult checkDropoutAttributes(std::optional<Location> loc, StringRef opName, double p,
                                     int64_t site);

/// Checks the operands and attributes shared by tide.lm_head_loss and its gradient and returns
/// the per-row lse type ([rows]).
FailureOr<RankedTensorType> verifyLmHeadLossOperands(std::optional<Location> loc, StringRef opName,
                                                     Value hidden, Value weight, Value labels,
                                                     Value bias, int64_t ignoreIndex,
                                                     int64_t rowChunk, int64_t vocabChunk);

/// Checks the type of every operand of `op` that is a function argument at the argument's own
/// location ("argument #i of @f ..."), so an oversized or malformed argument is reported where it
/// is declared rather than at its first use. (Op results are checked by their defining op.)
LogicalResult checkArgumentOperands(Operation *op);

/// Runs an op's shape inference with its location, so every broken rule is reported, then checks
/// the inferred result types against the tensor limits (a broadcast can outgrow its operands).
template <typename OpT> LogicalResult verifyByInference(OpT op) {
  SmallVector<Type> inferred;
  if (failed(checkArgumentOperands(op)))
    return failure();
  if (failed(
          OpT::inferReturnTypes(op.getContext(), op.getLoc(), typename OpT::Adaptor(op), inferred)))
    return failure();
  for (auto [index, type] : llvm::enumerate(inferred))
    if (failed(checkTensorType(op.getLoc(), type, "result #" + std::to_string(index))))
      return failure();
  return success();
}

} // namespace mlir::tide::detail

#endif // TIDEMARK_COMPILER_DIALECT_TIDEVERIFYUTILS_H
