//===- TideTrainingOps.cpp - gradient and optimizer op verification -------===//
//
// Shape inference (which is also verification, see TideOps.cpp) for the ops tide-autodiff emits.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/dialect/TideVerifyUtils.h"

#include "mlir/Dialect/Traits.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::detail;

namespace {

/// `grad` must have exactly the type of the forward tensor it is the gradient of.
LogicalResult sameTypeAs(std::optional<Location> loc, Type grad, StringRef gradName, Type forward,
                         StringRef forwardName) {
  if (grad == forward)
    return success();
  return emitOptionalError(loc, gradName, " ", grad, " must have the type of ", forwardName, " ",
                           forward);
}

/// Inference for ops whose result has their first operand's type.
LogicalResult inferLikeOperand(std::optional<Location> loc, Value operand, StringRef name,
                               SmallVectorImpl<Type> &inferred) {
  auto tensor = staticTensor(loc, operand, name);
  if (failed(tensor))
    return failure();
  inferred.push_back(*tensor);
  return success();
}

/// Fails unless `value`, rounded to f32 as the runtime stores it, is finite and, when `positive`,
/// greater than zero (or >= 0 otherwise).
LogicalResult checkHyperParameter(std::optional<Location> loc, StringRef name, double value,
                                  bool positive) {
  float rounded = static_cast<float>(value);
  bool ok = std::isfinite(rounded) && (positive ? rounded > 0.0f : rounded >= 0.0f);
  if (ok)
    return success();
  return emitOptionalError(loc, name, " must be ", positive ? "positive" : "non-negative",
                           " and finite (as a 32-bit float), got ", value);
}

/// The optional warm-up + cosine schedule of an optimizer update: all three attributes or none,
/// 0 <= warmup < total, and 0 <= min_lr <= lr (min_lr finite as a 32-bit float).
LogicalResult checkLrSchedule(std::optional<Location> loc, double learningRate, IntegerAttr warmup,
                              IntegerAttr total, FloatAttr minLr) {
  if (!warmup && !total && !minLr)
    return success();
  if (!warmup || !total || !minLr)
    return emitOptionalError(loc, "a cosine lr schedule needs warmup_steps, total_steps and "
                                  "min_lr together");
  int64_t w = warmup.getInt(), t = total.getInt();
  if (w < 0 || t <= w)
    return emitOptionalError(loc, "lr schedule needs 0 <= warmup steps < total steps, got warmup ",
                             w, " and total ", t);
  double minimum = minLr.getValueAsDouble();
  float minimum32 = static_cast<float>(minimum);
  if (!std::isfinite(minimum32) || minimum32 < 0.0f || minimum32 > static_cast<float>(learningRate))
    return emitOptionalError(loc, "lr schedule min_lr must be in [0, lr = ", learningRate,
                             "], got ", minimum);
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Activation and normalization gradients
//===----------------------------------------------------------------------===//

LogicalResult ReluGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferLikeOperand(loc, adaptor.getInput(), "input", inferred);
}

LogicalResult TanhGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferLikeOperand(loc, adaptor.getInput(), "input", inferred);
}

LogicalResult GeluGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferLikeOperand(loc, adaptor.getInput(), "input", inferred);
}

#define TIDE_ACTIVATION_GRAD_INFER(OpT)                                                            \
  LogicalResult OpT::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor, \
                                      SmallVectorImpl<Type> &inferred) {                           \
    return inferLikeOperand(loc, adaptor.getInput(), "input", inferred);                           \
  }
TIDE_ACTIVATION_GRAD_INFER(AbsGradOp)
TIDE_ACTIVATION_GRAD_INFER(SqrtGradOp)
TIDE_ACTIVATION_GRAD_INFER(RsqrtGradOp)
TIDE_ACTIVATION_GRAD_INFER(LogGradOp)
TIDE_ACTIVATION_GRAD_INFER(SigmoidGradOp)
TIDE_ACTIVATION_GRAD_INFER(SiluGradOp)
TIDE_ACTIVATION_GRAD_INFER(ErfGradOp)
#undef TIDE_ACTIVATION_GRAD_INFER

LogicalResult PowGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(checkF32(loc, "pow_grad exponent", adaptor.getExponent().convertToDouble())))
    return failure();
  return inferLikeOperand(loc, adaptor.getInput(), "input", inferred);
}

LogicalResult ClampGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(checkClampBounds(loc, "clamp_grad", adaptor.getMin().convertToDouble(),
                              adaptor.getMax().convertToDouble())))
    return failure();
  return inferLikeOperand(loc, adaptor.getInput(), "input", inferred);
}

/// Shared by minimum_grad / maximum_grad: the operands broadcast to grad's shape, and the
/// result is the chosen operand's type.
static LogicalResult inferMinMaxGrad(std::optional<Location> loc, StringRef opName, Value lhsValue,
                                     Value rhsValue, Value gradValue, int64_t operand,
                                     SmallVectorImpl<Type> &inferred) {
  auto lhs = staticTensor(loc, lhsValue, "lhs");
  auto rhs = staticTensor(loc, rhsValue, "rhs");
  auto grad = staticTensor(loc, gradValue, "grad");
  if (failed(lhs) || failed(rhs) || failed(grad) ||
      failed(sameElementType(loc, *lhs, "lhs", *rhs, "rhs")))
    return failure();
  auto shape = broadcastShapes(loc, lhs->getShape(), rhs->getShape(), "operand shapes");
  if (failed(shape))
    return failure();
  if (failed(sameTypeAs(loc, *grad, "grad", RankedTensorType::get(*shape, lhs->getElementType()),
                        "the broadcast result")))
    return failure();
  if (operand != 0 && operand != 1)
    return emitOptionalError(loc, opName, " operand must be 0 (lhs) or 1 (rhs), got ", operand);
  inferred.push_back(operand == 0 ? *lhs : *rhs);
  return success();
}

LogicalResult MinimumGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferMinMaxGrad(loc, "minimum_grad", adaptor.getLhs(), adaptor.getRhs(), adaptor.getGrad(),
                         adaptor.getOperandAttr().getInt(), inferred);
}

LogicalResult MaximumGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferMinMaxGrad(loc, "maximum_grad", adaptor.getLhs(), adaptor.getRhs(), adaptor.getGrad(),
                         adaptor.getOperandAttr().getInt(), inferred);
}

LogicalResult SoftmaxGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto output = staticTensor(loc, adaptor.getOutput(), "output");
  if (failed(output))
    return failure();
  if (output->getRank() == 0)
    return emitOptionalError(loc, "softmax_grad output must have rank >= 1");
  if (failed(normalizeAxis(loc, adaptor.getAxisAttr().getInt(), output->getRank(),
                           "softmax_grad axis")))
    return failure();
  inferred.push_back(*output);
  return success();
}

LogicalResult LayerNormGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  auto scale = staticTensor(loc, adaptor.getScale(), "scale");
  if (failed(input) || failed(scale))
    return failure();
  auto axis = verifyNormalization(loc, "layer_norm_grad", *input, adaptor.getAxisAttr().getInt(),
                                  {{"scale", *scale}});
  if (failed(axis))
    return failure();
  auto statsType = detail::normalizationStatsType(*input, *axis);
  if (failed(
          sameTypeAs(loc, adaptor.getMean().getType(), "mean", statsType, "the row statistics")) ||
      failed(
          sameTypeAs(loc, adaptor.getRstd().getType(), "rstd", statsType, "the row statistics")) ||
      failed(sameTypeAs(loc, adaptor.getGrad().getType(), "grad", *input, "input")))
    return failure();
  inferred.append({*input, *scale, *scale});
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionGradOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(verifyAttentionOperands(loc, adaptor.getQuery(), adaptor.getKey(), adaptor.getValue(),
                                     adaptor.getKeyLengths(), adaptor.getScale().convertToDouble(),
                                     adaptor.getQueryChunkAttr().getInt(),
                                     adaptor.getKeyChunkAttr().getInt())))
    return failure();
  auto query = cast<RankedTensorType>(adaptor.getQuery().getType());
  auto lseType = detail::attentionLseType(query);
  if (failed(sameTypeAs(loc, adaptor.getOutput().getType(), "output", query, "query")) ||
      failed(sameTypeAs(loc, adaptor.getLse().getType(), "lse", lseType,
                        "[batch, heads, seq_q] row statistics")) ||
      failed(sameTypeAs(loc, adaptor.getGrad().getType(), "grad", query, "query")))
    return failure();
  inferred.append({query, adaptor.getKey().getType(), adaptor.getValue().getType()});
  return success();
}

//===----------------------------------------------------------------------===//
// Loss gradients
//===----------------------------------------------------------------------===//

LogicalResult MseLossGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto prediction = staticTensor(loc, adaptor.getPrediction(), "prediction");
  if (failed(prediction))
    return failure();
  if (prediction->getNumElements() == 0)
    return emitOptionalError(loc, "mse_loss_grad of an empty tensor is undefined");
  if (failed(sameTypeAs(loc, adaptor.getGrad().getType(), "grad",
                        RankedTensorType::get({}, prediction->getElementType()), "the loss")))
    return failure();
  inferred.push_back(*prediction);
  return success();
}

LogicalResult SoftmaxCrossEntropyGradOp::inferReturnTypes(MLIRContext *,
                                                          std::optional<Location> loc,
                                                          Adaptor adaptor,
                                                          SmallVectorImpl<Type> &inferred) {
  auto logits = staticTensor(loc, adaptor.getLogits(), "logits");
  auto labels = staticTensor(loc, adaptor.getLabels(), "labels");
  if (failed(logits) || failed(labels))
    return failure();
  if (logits->getRank() == 0 || logits->getNumElements() == 0)
    return emitOptionalError(loc, "softmax_cross_entropy_grad logits must be [rows..., classes] "
                                  "with at least one row and one class");
  ArrayRef<int64_t> rows = logits->getShape().drop_back();
  if (labels->getShape() != rows)
    return emitOptionalError(loc, "softmax_cross_entropy_grad labels shape ",
                             formatShape(labels->getShape()), " must equal the logits' row shape ",
                             formatShape(rows));
  if (failed(sameTypeAs(loc, adaptor.getGrad().getType(), "grad",
                        RankedTensorType::get({}, logits->getElementType()), "the loss")))
    return failure();
  inferred.push_back(*logits);
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting helpers and constants
//===----------------------------------------------------------------------===//

/// Fails unless `small` broadcasts (NumPy rules) to exactly `large`.
static LogicalResult checkBroadcastsTo(Operation *op, RankedTensorType small,
                                       RankedTensorType large, StringRef relation) {
  if (failed(checkArgumentOperands(op)))
    return failure();
  if (!small.hasStaticShape() || !large.hasStaticShape())
    return op->emitOpError("requires static shapes, got ") << small << " and " << large;
  if (failed(checkTensorType(op->getLoc(), op->getOperand(0).getType(), "input")) ||
      failed(checkTensorType(op->getLoc(), op->getResult(0).getType(), "result")))
    return failure();
  if (small.getElementType() != large.getElementType())
    return op->emitOpError("cannot change the element type (")
           << small.getElementType() << " vs " << large.getElementType() << ")";
  SmallVector<int64_t> broadcast;
  if (small.getRank() > large.getRank() ||
      !OpTrait::util::getBroadcastedShape(small.getShape(), large.getShape(), broadcast) ||
      ArrayRef<int64_t>(broadcast) != large.getShape())
    return op->emitOpError() << relation << ": " << formatShape(small.getShape())
                             << " does not broadcast to " << formatShape(large.getShape());
  return success();
}

LogicalResult ReduceToShapeOp::verify() {
  return checkBroadcastsTo(*this, getResult().getType(), getInput().getType(),
                           "result shape must broadcast to the input shape");
}

LogicalResult BroadcastOp::verify() {
  return checkBroadcastsTo(*this, getInput().getType(), getResult().getType(),
                           "input shape must broadcast to the result shape");
}

LogicalResult ScaleOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  if (!std::isfinite(static_cast<float>(adaptor.getFactor().convertToDouble())))
    return emitOptionalError(loc, "scale factor must be finite (as a 32-bit float), got ",
                             adaptor.getFactor().convertToDouble());
  return inferLikeOperand(loc, adaptor.getInput(), "input", inferred);
}

LogicalResult FillOp::verify() {
  if (!getResult().getType().hasStaticShape())
    return emitOpError("requires a static shape, got ") << getResult().getType();
  if (failed(checkTensorType(getLoc(), getResult().getType(), "result")))
    return failure();
  if (!std::isfinite(static_cast<float>(getValue().convertToDouble())))
    return emitOpError("fill value must be finite (as a 32-bit float), got ")
           << getValue().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

LogicalResult SgdUpdateOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto param = staticTensor(loc, adaptor.getParam(), "param");
  if (failed(param) ||
      failed(sameTypeAs(loc, adaptor.getGrad().getType(), "grad", *param, "param")))
    return failure();
  if (failed(checkHyperParameter(loc, "learning rate", adaptor.getLearningRate().convertToDouble(),
                                 /*positive=*/true)) ||
      failed(
          checkHyperParameter(loc, "momentum", adaptor.getMomentum().convertToDouble(), false)) ||
      failed(checkHyperParameter(loc, "weight_decay", adaptor.getWeightDecay().convertToDouble(),
                                 false)))
    return failure();
  if (static_cast<float>(adaptor.getMomentum().convertToDouble()) > 1.0f)
    return emitOptionalError(loc, "momentum must be at most 1, got ",
                             adaptor.getMomentum().convertToDouble());
  if (failed(checkLrSchedule(loc, adaptor.getLearningRate().convertToDouble(),
                             adaptor.getWarmupStepsAttr(), adaptor.getTotalStepsAttr(),
                             adaptor.getMinLrAttr())))
    return failure();
  bool hasVelocity = static_cast<bool>(adaptor.getVelocity());
  bool hasMomentum = adaptor.getMomentum().convertToDouble() != 0.0;
  if (hasVelocity != hasMomentum)
    return emitOptionalError(loc, hasMomentum ? "momentum > 0 needs a velocity operand"
                                              : "a velocity operand needs momentum > 0");
  inferred.push_back(*param);
  if (hasVelocity) {
    if (failed(sameTypeAs(loc, adaptor.getVelocity().getType(), "velocity", *param, "param")))
      return failure();
    inferred.push_back(*param);
  }
  return success();
}

LogicalResult AdamUpdateOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto param = staticTensor(loc, adaptor.getParam(), "param");
  if (failed(param) ||
      failed(sameTypeAs(loc, adaptor.getGrad().getType(), "grad", *param, "param")) ||
      failed(sameTypeAs(loc, adaptor.getM().getType(), "m", *param, "param")) ||
      failed(sameTypeAs(loc, adaptor.getV().getType(), "v", *param, "param")))
    return failure();
  double beta1 = adaptor.getBeta1().convertToDouble(), beta2 = adaptor.getBeta2().convertToDouble();
  if (failed(checkHyperParameter(loc, "learning rate", adaptor.getLearningRate().convertToDouble(),
                                 true)) ||
      failed(checkHyperParameter(loc, "epsilon", adaptor.getEpsilon().convertToDouble(), true)) ||
      failed(checkHyperParameter(loc, "weight_decay", adaptor.getWeightDecay().convertToDouble(),
                                 false)))
    return failure();
  float beta1f = static_cast<float>(beta1), beta2f = static_cast<float>(beta2); // As the runtime.
  if (!(beta1f >= 0.0f && beta1f < 1.0f) || !(beta2f >= 0.0f && beta2f < 1.0f))
    return emitOptionalError(loc, "adam betas must be in [0, 1) (as 32-bit floats), got [", beta1,
                             ", ", beta2, "]");
  if (failed(checkLrSchedule(loc, adaptor.getLearningRate().convertToDouble(),
                             adaptor.getWarmupStepsAttr(), adaptor.getTotalStepsAttr(),
                             adaptor.getMinLrAttr())))
    return failure();
  inferred.append({*param, *param, *param});
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient clipping
//===----------------------------------------------------------------------===//

LogicalResult SumSquaresOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  auto scalar = RankedTensorType::get({}, input->getElementType());
  if (adaptor.getAccumulator() &&
      failed(sameTypeAs(loc, adaptor.getAccumulator().getType(), "accumulator", scalar,
                        "the 0-d sum of the input's element type")))
    return failure();
  inferred.push_back(scalar);
  return success();
}

LogicalResult ClipCoefficientOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &inferred) {
  if (failed(checkHyperParameter(loc, "clip max_norm", adaptor.getMaxNorm().convertToDouble(),
                                 /*positive=*/true)))
    return failure();
  inferred.push_back(adaptor.getSumOfSquares().getType());
  return success();
}
