//===- TideGradients.cpp - The reverse-mode rule of every differentiable op ===//
//
// TideGradientOpInterface for the tide ops: one emitGradient per op (dY is the adjoint of the
// op's first result), the training forms of the ops whose backward consumes saved statistics,
// and GradientEmitter's bookkeeping. docs/passes/tide-autodiff.md tabulates the rules; the
// finite-difference tests (tests/unit/compiler/interp_autodiff_test.cpp and
// model_ops_autodiff_test.cpp) check every one of them.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideGradients.h"

#include "compiler/dialect/TideOps.h"

using namespace mlir;
using namespace mlir::tide;

//===----------------------------------------------------------------------===//
// GradientEmitter
//===----------------------------------------------------------------------===//

void GradientEmitter::accumulate(Value value, Value grad) {
  if (!needsGrad.contains(value))
    return;
  auto target = cast<RankedTensorType>(value.getType());
  if (grad.getType() != target)
    grad = b.create<ReduceToShapeOp>(grad.getLoc(), target, grad);
  auto [it, inserted] = adjoints.try_emplace(value, grad);
  if (!inserted)
    it->second = b.create<AddOp>(grad.getLoc(), it->second, grad);
}

Value GradientEmitter::scaled(Value value, double factor) {
  return b.create<ScaleOp>(value.getLoc(), value, b.getF64FloatAttr(factor));
}

Value GradientEmitter::matmul(Location loc, Value lhs, Value rhs, bool transposeLhs,
                              bool transposeRhs) {
  return b.create<MatmulOp>(loc, lhs, rhs, transposeLhs ? b.getUnitAttr() : UnitAttr(),
                            transposeRhs ? b.getUnitAttr() : UnitAttr());
}

Value GradientEmitter::foldRows(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t cols = type.getShape().back();
  auto folded = RankedTensorType::get({type.getNumElements() / cols, cols}, type.getElementType());
  return b.create<ReshapeOp>(value.getLoc(), folded, value);
}

Operation *mlir::tide::rebuildWithFlag(Operation *op, StringRef flag, ArrayRef<Type> extraResults) {
  OpBuilder b(op);
  SmallVector<NamedAttribute> attrs(op->getAttrs());
  attrs.push_back(b.getNamedAttr(flag, b.getUnitAttr()));
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(op->getOperands());
  state.addAttributes(attrs);
  state.addTypes(op->getResultTypes());
  state.addTypes(extraResults);
  Operation *newOp = b.create(state);
  for (unsigned i = 0, e = op->getNumResults(); i < e; ++i)
    op->getResult(i).replaceAllUsesWith(newOp->getResult(i));
  op->erase();
  return newOp;
}

namespace {

RankedTensorType tensorType(Value value) { return cast<RankedTensorType>(value.getType()); }

/// reduce_sum / reduce_mean: broadcast the gradient back over the reduced axes.
void backpropReduce(GradientEmitter &e, Operation *op, ArrayRef<int64_t> axes, bool keepDims,
                    bool mean) {
  OpBuilder &b = e.builder();
  Value input = op->getOperand(0);
  RankedTensorType inputType = tensorType(input);
  SmallVector<int64_t> keptShape(inputType.getShape());
  int64_t count = 1;
  for (int64_t axis : axes) {
    count *= keptShape[axis];
    keptShape[axis] = 1;
  }
  Location loc = op->getLoc();
  Value grad = e.adjoint(op->getResult(0));
  if (!keepDims)
    grad = b.create<ReshapeOp>(loc, RankedTensorType::get(keptShape, inputType.getElementType()),
                               grad);
  if (mean)
    grad = e.scaled(grad, 1.0 / static_cast<double>(count));
  e.accumulate(input, b.create<BroadcastOp>(loc, inputType, grad));
}

} // namespace

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

// dA and dB of Y = op(A) op(B). When B is a rank-2 weight shared by a batched A (the linear
// layer), dB is computed on A and dY with their batch folded into rows, so no [batch, K, N]
// temporary is ever materialized.
LogicalResult MatmulOp::emitGradient(GradientEmitter &e) {
  Value dy = e.adjoint(getResult());
  Location loc = getLoc();
  Value lhs = getLhs(), rhs = getRhs();
  bool tl = getTransposeLhs(), tr = getTransposeRhs();
  if (e.needsGradient(lhs)) {
    // dA = dY op(B)^T, or its transpose when A is stored transposed.
    Value grad = tl ? e.matmul(loc, rhs, dy, tr, /*transposeRhs=*/true)
                    : e.matmul(loc, dy, rhs, /*transposeLhs=*/false, !tr);
    e.accumulate(lhs, grad);
  }
  if (e.needsGradient(rhs)) {
    bool foldBatch = tensorType(rhs).getRank() == 2 && tensorType(lhs).getRank() > 2 && !tl;
    Value a = foldBatch ? e.foldRows(lhs) : lhs;
    Value g = foldBatch ? e.foldRows(dy) : dy;
    // dB = op(A)^T dY, or dY^T op(A) when B is stored transposed.
    Value grad = tr ? e.matmul(loc, g, a, /*transposeLhs=*/true, tl)
                    : e.matmul(loc, a, g, !tl, /*transposeRhs=*/false);
    e.accumulate(rhs, grad);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

LogicalResult AddOp::emitGradient(GradientEmitter &e) {
  Value dy = e.adjoint(getResult());
  e.accumulate(getLhs(), dy);
  e.accumulate(getRhs(), dy);
  return success();
}

LogicalResult SubOp::emitGradient(GradientEmitter &e) {
  Value dy = e.adjoint(getResult());
  e.accumulate(getLhs(), dy);
  if (e.needsGradient(getRhs()))
    e.accumulate(getRhs(), e.scaled(dy, -1.0));
  return success();
}

LogicalResult MulOp::emitGradient(GradientEmitter &e) {
  Value dy = e.adjoint(getResult());
  OpBuilder &b = e.builder();
  if (e.needsGradient(getLhs()))
    e.accumulate(getLhs(), b.create<MulOp>(getLoc(), dy, getRhs()));
  if (e.needsGradient(getRhs()))
    e.accumulate(getRhs(), b.create<MulOp>(getLoc(), dy, getLhs()));
  return success();
}

// Y = A / B: dA = dY / B, dB = -(dY / B) * Y.
LogicalResult DivOp::emitGradient(GradientEmitter &e) {
  Value dy = e.adjoint(getResult());
  OpBuilder &b = e.builder();
  Value quotient = b.create<DivOp>(getLoc(), dy, getRhs());
  e.accumulate(getLhs(), quotient);
  if (e.needsGradient(getRhs()))
    e.accumulate(getRhs(), e.scaled(b.create<MulOp>(getLoc(), quotient, getResult()), -1.0));
  return success();
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

// relu'(x) = [x > 0] = [relu(x) > 0]: reading the output instead of the input lets the input die
// at the forward op (and the relu run in place over it).
LogicalResult ReluOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(),
               e.builder().create<ReluGradOp>(getLoc(), getResult(), e.adjoint(getResult())));
  return success();
}

LogicalResult TanhOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(),
               e.builder().create<TanhGradOp>(getLoc(), getInput(), e.adjoint(getResult())));
  return success();
}

// exp' = exp: dX = dY * Y.
LogicalResult ExpOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(),
               e.builder().create<MulOp>(getLoc(), e.adjoint(getResult()), getResult()));
  return success();
}

LogicalResult GeluOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(),
               e.builder().create<GeluGradOp>(getLoc(), getInput(), e.adjoint(getResult()),
                                              getApproximationAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(), e.builder().create<SoftmaxGradOp>(
                               getLoc(), getResult(), e.adjoint(getResult()), getAxisAttr()));
  return success();
}

LogicalResult LayerNormOp::emitGradient(GradientEmitter &e) {
  if (getStats().size() != 2)
    return emitOpError("needs its training form (with_stats) to be differentiated");
  auto grad =
      e.builder().create<LayerNormGradOp>(getLoc(), getInput(), getScale(), getStats()[0],
                                          getStats()[1], e.adjoint(getResult()), getAxisAttr());
  e.accumulate(getInput(), grad.getDInput());
  e.accumulate(getScale(), grad.getDScale());
  e.accumulate(getBias(), grad.getDBias());
  return success();
}

Operation *LayerNormOp::buildTrainingForm() {
  if (getWithStats())
    return nullptr;
  auto stats = detail::normalizationStatsType(getInput().getType(), getNormalizedAxis());
  return rebuildWithFlag(*this, getWithStatsAttrName(), {stats, stats});
}

//===----------------------------------------------------------------------===//
// Reductions, data movement and views
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::emitGradient(GradientEmitter &e) {
  backpropReduce(e, *this, getNormalizedAxes(), getKeepDims(), /*mean=*/false);
  return success();
}

LogicalResult ReduceMeanOp::emitGradient(GradientEmitter &e) {
  backpropReduce(e, *this, getNormalizedAxes(), getKeepDims(), /*mean=*/true);
  return success();
}

LogicalResult TransposeOp::emitGradient(GradientEmitter &e) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, dim] : llvm::enumerate(perm))
    inverse[dim] = static_cast<int64_t>(i);
  OpBuilder &b = e.builder();
  e.accumulate(getInput(), b.create<TransposeOp>(getLoc(), e.adjoint(getResult()),
                                                 b.getDenseI64ArrayAttr(inverse)));
  return success();
}

LogicalResult ReshapeOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(), e.builder().create<ReshapeOp>(getLoc(), getInput().getType(),
                                                         e.adjoint(getResult())));
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::emitGradient(GradientEmitter &e) {
  if (!getLse())
    return emitOpError("needs its training form (with_lse) to be differentiated");
  auto grad = e.builder().create<AttentionGradOp>(
      getLoc(), getQuery(), getKey(), getValue(), getResult(), getLse(), e.adjoint(getResult()),
      getKeyLengths(), getCausalAttr(), getScaleAttr(), getQueryChunkAttr(), getKeyChunkAttr());
  // key_lengths is integer data: it has no gradient. dk, dv already sum over the query heads
  // that share a kv head, so they accumulate like any other operand's gradient.
  e.accumulate(getQuery(), grad.getDQuery());
  e.accumulate(getKey(), grad.getDKey());
  e.accumulate(getValue(), grad.getDValue());
  return success();
}

Operation *AttentionOp::buildTrainingForm() {
  if (getWithLse())
    return nullptr;
  return rebuildWithFlag(*this, getWithLseAttrName(),
                         {detail::attentionLseType(getQuery().getType())});
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult MseLossOp::emitGradient(GradientEmitter &e) {
  Value grad = e.builder().create<MseLossGradOp>(getLoc(), getPrediction(), getTarget(),
                                                 e.adjoint(getResult()));
  e.accumulate(getPrediction(), grad);
  if (e.needsGradient(getTarget()))
    e.accumulate(getTarget(), e.scaled(grad, -1.0));
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getLogits(), e.builder().create<SoftmaxCrossEntropyGradOp>(
                                getLoc(), getLogits(), getLabels(), e.adjoint(getResult())));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise ops of the transformer families
//===----------------------------------------------------------------------===//

// min / max: each operand's share with ties split evenly, already summed to its shape.
template <typename GradOpT>
static void backpropMinMax(GradientEmitter &e, Operation *op, Value dy) {
  for (int64_t operand : {0, 1})
    if (e.needsGradient(op->getOperand(operand)))
      e.accumulate(op->getOperand(operand),
                   e.builder().create<GradOpT>(op->getLoc(), op->getOperand(0), op->getOperand(1),
                                               dy, e.builder().getI64IntegerAttr(operand)));
}

LogicalResult MinimumOp::emitGradient(GradientEmitter &e) {
  backpropMinMax<MinimumGradOp>(e, *this, e.adjoint(getResult()));
  return success();
}

LogicalResult MaximumOp::emitGradient(GradientEmitter &e) {
  backpropMinMax<MaximumGradOp>(e, *this, e.adjoint(getResult()));
  return success();
}

LogicalResult NegOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(), e.scaled(e.adjoint(getResult()), -1.0));
  return success();
}

// The unary ops whose derivative a *_grad op evaluates from the saved input.
#define TIDE_ACTIVATION_GRADIENT(OpT, GradOpT)                                                     \
  LogicalResult OpT::emitGradient(GradientEmitter &e) {                                            \
    e.accumulate(getInput(),                                                                       \
                 e.builder().create<GradOpT>(getLoc(), getInput(), e.adjoint(getResult())));       \
    return success();                                                                              \
  }
TIDE_ACTIVATION_GRADIENT(AbsOp, AbsGradOp)
TIDE_ACTIVATION_GRADIENT(SqrtOp, SqrtGradOp)
TIDE_ACTIVATION_GRADIENT(RsqrtOp, RsqrtGradOp)
TIDE_ACTIVATION_GRADIENT(LogOp, LogGradOp)
TIDE_ACTIVATION_GRADIENT(SigmoidOp, SigmoidGradOp)
TIDE_ACTIVATION_GRADIENT(SiluOp, SiluGradOp)
TIDE_ACTIVATION_GRADIENT(ErfOp, ErfGradOp)
#undef TIDE_ACTIVATION_GRADIENT

LogicalResult PowOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(), e.builder().create<PowGradOp>(
                               getLoc(), getInput(), e.adjoint(getResult()), getExponentAttr()));
  return success();
}

LogicalResult ClampOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(),
               e.builder().create<ClampGradOp>(getLoc(), getInput(), e.adjoint(getResult()),
                                               getMinAttr(), getMaxAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::emitGradient(GradientEmitter &e) {
  if (!getRstd())
    return emitOpError("needs its training form (with_rstd) to be differentiated");
  auto grad = e.builder().create<RmsNormGradOp>(getLoc(), getInput(), getScale(), getRstd(),
                                                e.adjoint(getResult()), getAxisAttr());
  e.accumulate(getInput(), grad.getDInput());
  e.accumulate(getScale(), grad.getDScale());
  return success();
}

Operation *RmsNormOp::buildTrainingForm() {
  if (getWithRstd())
    return nullptr;
  return rebuildWithFlag(
      *this, getWithRstdAttrName(),
      {detail::normalizationStatsType(getInput().getType(), getNormalizedAxis())});
}

//===----------------------------------------------------------------------===//
// Slices, concatenation, padding and lookups
//===----------------------------------------------------------------------===//

// slice's backward puts the gradient back in place inside zeros: pad low = start,
// high = dim - start - size.
LogicalResult SliceOp::emitGradient(GradientEmitter &e) {
  OpBuilder &b = e.builder();
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  SmallVector<int64_t> high;
  for (auto [dim, start, size] : llvm::zip_equal(shape, getStart(), getSizes()))
    high.push_back(dim - start - size);
  e.accumulate(getInput(), b.create<PadOp>(getLoc(), e.adjoint(getResult()), getStartAttr(),
                                           b.getDenseI64ArrayAttr(high), b.getF64FloatAttr(0.0)));
  return success();
}

// pad's backward is the slice of the gradient where the input sits.
LogicalResult PadOp::emitGradient(GradientEmitter &e) {
  OpBuilder &b = e.builder();
  e.accumulate(getInput(),
               b.create<SliceOp>(getLoc(), e.adjoint(getResult()), getLowAttr(),
                                 b.getDenseI64ArrayAttr(getInput().getType().getShape())));
  return success();
}

// concat's backward: each input's slice of the gradient, at its offset along the axis.
LogicalResult ConcatOp::emitGradient(GradientEmitter &e) {
  OpBuilder &b = e.builder();
  Value dy = e.adjoint(getResult());
  int64_t axis = getNormalizedAxis(), offset = 0;
  for (Value input : getInputs()) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(input.getType()).getShape();
    if (e.needsGradient(input)) {
      SmallVector<int64_t> start(shape.size(), 0);
      start[axis] = offset;
      e.accumulate(input, b.create<SliceOp>(getLoc(), dy, b.getDenseI64ArrayAttr(start),
                                            b.getDenseI64ArrayAttr(shape)));
    }
    offset += shape[axis];
  }
  return success();
}

// gather's table gradient is the scatter-add of dy at the ids; the ids get none.
LogicalResult GatherOp::emitGradient(GradientEmitter &e) {
  if (e.needsGradient(getTable()))
    e.accumulate(getTable(), e.builder().create<GatherGradOp>(getLoc(), getTable().getType(),
                                                              getIds(), e.adjoint(getResult())));
  return success();
}

//===----------------------------------------------------------------------===//
// Rotary embedding and dropout
//===----------------------------------------------------------------------===//

// The rotation is orthogonal: its backward is the inverse rotation of dy.
LogicalResult RopeOp::emitGradient(GradientEmitter &e) {
  OpBuilder &b = e.builder();
  e.accumulate(getInput(), b.create<RopeOp>(getLoc(), e.adjoint(getResult()), getLayoutAttr(),
                                            getBaseAttr(), getRotDimAttr(), getOffsetAttr(),
                                            getInverse() ? UnitAttr() : b.getUnitAttr()));
  return success();
}

// The same mask (same site, seed and step) applied to dy.
LogicalResult DropoutOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(), e.builder().create<DropoutGradOp>(getLoc(), e.adjoint(getResult()),
                                                             getPAttr(), getSiteAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// Fused LM head loss
//===----------------------------------------------------------------------===//

LogicalResult LmHeadLossOp::emitGradient(GradientEmitter &e) {
  if (!getLse())
    return emitOpError("needs its training form (with_lse) to be differentiated");
  auto grad = e.builder().create<LmHeadLossGradOp>(
      getLoc(), getHidden(), getWeight(), getLabels(), getLse(), e.adjoint(getLoss()), getBias(),
      getIgnoreIndexAttr(), getRowChunkAttr(), getVocabChunkAttr());
  e.accumulate(getHidden(), grad.getDHidden());
  e.accumulate(getWeight(), grad.getDWeight());
  if (getBias())
    e.accumulate(getBias(), grad.getDBias());
  return success();
}

Operation *LmHeadLossOp::buildTrainingForm() {
  if (getWithLse())
    return nullptr;
  auto rows = RankedTensorType::get({getHidden().getType().getDimSize(0)},
                                    getHidden().getType().getElementType());
  return rebuildWithFlag(*this, getWithLseAttrName(), {rows});
}

//===----------------------------------------------------------------------===//
// Split, where, reduce_max and cast
//===----------------------------------------------------------------------===//

// split's backward concatenates the results' gradients; a result that does not reach the loss
// (no adjoint, possibly no use at all) contributes zeros of its shape.
LogicalResult SplitOp::emitGradient(GradientEmitter &e) {
  if (!e.needsGradient(getInput()))
    return success();
  OpBuilder &b = e.builder();
  SmallVector<Value> pieces;
  for (Value result : getResults()) {
    Value grad = e.adjoint(result);
    pieces.push_back(
        grad ? grad
             : b.create<FillOp>(getLoc(), result.getType(), b.getF64FloatAttr(0.0)).getResult());
  }
  e.accumulate(getInput(), b.create<ConcatOp>(getLoc(), pieces, getAxisAttr()));
  return success();
}

bool SplitOp::differentiatesEveryResult() { return true; }

// where's backward routes dY by the same condition: where(c, dY, 0) to lhs and where(c, 0, dY)
// to rhs (a 0-d zero broadcasts), each summed to its operand's shape by accumulate; the i32
// condition gets no gradient.
LogicalResult WhereOp::emitGradient(GradientEmitter &e) {
  OpBuilder &b = e.builder();
  Value dy = e.adjoint(getResult());
  auto scalar = RankedTensorType::get({}, getResult().getType().getElementType());
  Value zero = b.create<FillOp>(getLoc(), scalar, b.getF64FloatAttr(0.0));
  if (e.needsGradient(getLhs()))
    e.accumulate(getLhs(), b.create<WhereOp>(getLoc(), getCondition(), dy, zero));
  if (e.needsGradient(getRhs()))
    e.accumulate(getRhs(), b.create<WhereOp>(getLoc(), getCondition(), zero, dy));
  return success();
}

// reduce_max's backward puts dY at the first maximum of each line (reduce_max_grad re-finds it
// from the saved input, so nothing else is stored).
LogicalResult ReduceMaxOp::emitGradient(GradientEmitter &e) {
  e.accumulate(getInput(),
               e.builder().create<ReduceMaxGradOp>(getLoc(), getInput(), e.adjoint(getResult()),
                                                   getAxisAttr(), getKeepDimsAttr()));
  return success();
}

// A cast carries no gradient: into i32 it is piecewise constant (derivative 0 almost everywhere)
// and an i32 value has no adjoint, so a cast out of i32 has nowhere to send one. The rule exists
// so that autodiff passes such a path cleanly instead of failing on it (it is only called for a
// cast into f32 whose input needs a gradient: the driver never marks i32 values, so in practice
// the input is i32 and the rule has nothing to do).
LogicalResult CastOp::emitGradient(GradientEmitter &) { return success(); }
