//===- Autodiff.cpp - tide-autodiff: reverse-mode training step -----------===//
//
// Turns a scalar-loss function into a training step. Steps (see Passes.td and
// docs/passes/tide-autodiff.md): inline checkpoint regions (tagging their ops), switch
// layer_norm/attention to their training forms, propagate gradients in reverse op order with one
// rule per op, and emit each parameter's optimizer update as soon as its gradient is complete.
// Linear in the number of ops.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "passes/LivenessModel.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#define DEBUG_TYPE "tide-autodiff"

namespace mlir::tide {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using namespace mlir::tide;

namespace {

RankedTensorType tensorType(Value value) { return cast<RankedTensorType>(value.getType()); }

/// Hyper-parameters of the update the pass emits.
struct OptimizerConfig {
  enum class Kind { Sgd, Adam, None } kind = Kind::Sgd;
  double learningRate = 0.01, momentum = 0.0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weightDecay = 0.0;
};

/// Emits gradient ops for one function, keeping the adjoint of every value seen so far.
class GradientEmitter {
public:
  GradientEmitter(OpBuilder &builder, const DenseSet<Value> &needsGrad)
      : b(builder), needsGrad(needsGrad) {}

  Value adjoint(Value value) const { return adjoints.lookup(value); }

  /// Adds `grad` to the adjoint of `value` (summing it down first if `value` was broadcast).
  void accumulate(Value value, Value grad) {
    if (!needsGrad.contains(value))
      return;
    grad = reduceTo(grad, tensorType(value));
    auto [it, inserted] = adjoints.try_emplace(value, grad);
    if (!inserted)
      it->second = b.create<AddOp>(grad.getLoc(), it->second, grad);
  }

  /// Emits the gradient ops of `op` (whose results' adjoints are known) at the builder's point.
  LogicalResult backprop(Operation *op);

private:
  Value reduceTo(Value grad, RankedTensorType target) {
    if (grad.getType() == target)
      return grad;
    return b.create<ReduceToShapeOp>(grad.getLoc(), target, grad);
  }
  Value scaled(Value value, double factor) {
    return b.create<ScaleOp>(value.getLoc(), value, b.getF64FloatAttr(factor));
  }
  Value matmul(Location loc, Value lhs, Value rhs, bool transposeLhs, bool transposeRhs) {
    return b.create<MatmulOp>(loc, lhs, rhs, transposeLhs ? b.getUnitAttr() : UnitAttr(),
                              transposeRhs ? b.getUnitAttr() : UnitAttr());
  }
  /// `value` with its leading dimensions folded into the row dimension: [..., R, C] -> [N, C].
  Value foldRows(Value value) {
    RankedTensorType type = tensorType(value);
    int64_t cols = type.getShape().back();
    auto folded =
        RankedTensorType::get({type.getNumElements() / cols, cols}, type.getElementType());
    return b.create<ReshapeOp>(value.getLoc(), folded, value);
  }

  void backpropMatmul(MatmulOp op, Value dy);
  void backpropBinary(Operation *op, Value dy);
  void backpropReduce(Operation *op, Value dy, ArrayRef<int64_t> axes, bool keepDims, bool mean);

  OpBuilder &b;
  const DenseSet<Value> &needsGrad;
  DenseMap<Value, Value> adjoints;
};

/// dA and dB of Y = op(A) op(B). When B is a rank-2 weight shared by a batched A (the linear
/// layer), dB is computed on A and dY with their batch folded into rows, so no [batch, K, N]
/// temporary is ever materialized.
void GradientEmitter::backpropMatmul(MatmulOp op, Value dy) {
  Location loc = op.getLoc();
  Value lhs = op.getLhs(), rhs = op.getRhs();
  bool tl = op.getTransposeLhs(), tr = op.getTransposeRhs();
  if (needsGrad.contains(lhs)) {
    // dA = dY op(B)^T, or its transpose when A is stored transposed.
    Value grad = tl ? matmul(loc, rhs, dy, tr, /*transposeRhs=*/true)
                    : matmul(loc, dy, rhs, /*transposeLhs=*/false, !tr);
    accumulate(lhs, grad);
  }
  if (needsGrad.contains(rhs)) {
    bool foldBatch = tensorType(rhs).getRank() == 2 && tensorType(lhs).getRank() > 2 && !tl;
    Value a = foldBatch ? foldRows(lhs) : lhs;
    Value g = foldBatch ? foldRows(dy) : dy;
    // dB = op(A)^T dY, or dY^T op(A) when B is stored transposed.
    Value grad = tr ? matmul(loc, g, a, /*transposeLhs=*/true, tl)
                    : matmul(loc, a, g, !tl, /*transposeRhs=*/false);
    accumulate(rhs, grad);
  }
}

/// Broadcasting add/sub/mul/div.
void GradientEmitter::backpropBinary(Operation *op, Value dy) {
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Location loc = op->getLoc();
  TypeSwitch<Operation *>(op)
      .Case<AddOp>([&](auto) {
        accumulate(lhs, dy);
        accumulate(rhs, dy);
      })
      .Case<SubOp>([&](auto) {
        accumulate(lhs, dy);
        if (needsGrad.contains(rhs))
          accumulate(rhs, scaled(dy, -1.0));
      })
      .Case<MulOp>([&](auto) {
        if (needsGrad.contains(lhs))
          accumulate(lhs, b.create<MulOp>(loc, dy, rhs));
        if (needsGrad.contains(rhs))
          accumulate(rhs, b.create<MulOp>(loc, dy, lhs));
      })
      .Case<DivOp>([&](auto) {
        // Y = A / B: dA = dY / B, dB = -(dY / B) * Y.
        Value quotient = b.create<DivOp>(loc, dy, rhs);
        accumulate(lhs, quotient);
        if (needsGrad.contains(rhs))
          accumulate(rhs, scaled(b.create<MulOp>(loc, quotient, op->getResult(0)), -1.0));
      });
}

/// reduce_sum / reduce_mean: broadcast the gradient back over the reduced axes.
void GradientEmitter::backpropReduce(Operation *op, Value dy, ArrayRef<int64_t> axes, bool keepDims,
                                     bool mean) {
  Value input = op->getOperand(0);
  RankedTensorType inputType = tensorType(input);
  SmallVector<int64_t> keptShape(inputType.getShape());
  int64_t count = 1;
  for (int64_t axis : axes) {
    count *= keptShape[axis];
    keptShape[axis] = 1;
  }
  Location loc = op->getLoc();
  Value grad = dy;
  if (!keepDims)
    grad = b.create<ReshapeOp>(loc, RankedTensorType::get(keptShape, inputType.getElementType()),
                               grad);
  if (mean)
    grad = scaled(grad, 1.0 / static_cast<double>(count));
  accumulate(input, b.create<BroadcastOp>(loc, inputType, grad));
}

LogicalResult GradientEmitter::backprop(Operation *op) {
  Value dy = op->getNumResults() ? adjoint(op->getResult(0)) : Value();
  if (!dy)
    return success(); // The first result does not reach the loss.
  Location loc = op->getLoc();
  auto needs = [&](Value value) { return needsGrad.contains(value); };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case<MatmulOp>([&](MatmulOp matmulOp) {
        backpropMatmul(matmulOp, dy);
        return success();
      })
      .Case<AddOp, SubOp, MulOp, DivOp>([&](Operation *binary) {
        backpropBinary(binary, dy);
        return success();
      })
      .Case<ReluOp>([&](ReluOp relu) {
        // relu'(x) = [x > 0] = [relu(x) > 0]: reading the output instead of the input lets the
        // input die at the forward op (and the relu run in place over it).
        accumulate(relu.getInput(), b.create<ReluGradOp>(loc, relu.getResult(), dy));
        return success();
      })
      .Case<TanhOp>([&](TanhOp tanh) {
        accumulate(tanh.getInput(), b.create<TanhGradOp>(loc, tanh.getInput(), dy));
        return success();
      })
      .Case<ExpOp>([&](ExpOp exp) {
        accumulate(exp.getInput(), b.create<MulOp>(loc, dy, exp.getResult()));
        return success();
      })
      .Case<GeluOp>([&](GeluOp gelu) {
        accumulate(gelu.getInput(),
                   b.create<GeluGradOp>(loc, gelu.getInput(), dy, gelu.getApproximationAttr()));
        return success();
      })
      .Case<SoftmaxOp>([&](SoftmaxOp softmax) {
        accumulate(softmax.getInput(),
                   b.create<SoftmaxGradOp>(loc, softmax.getResult(), dy, softmax.getAxisAttr()));
        return success();
      })
      .Case<LayerNormOp>([&](LayerNormOp norm) -> LogicalResult {
        if (norm.getStats().size() != 2)
          return norm.emitOpError("needs its training form (with_stats) to be differentiated");
        auto grad =
            b.create<LayerNormGradOp>(loc, norm.getInput(), norm.getScale(), norm.getStats()[0],
                                      norm.getStats()[1], dy, norm.getAxisAttr());
        accumulate(norm.getInput(), grad.getDInput());
        accumulate(norm.getScale(), grad.getDScale());
        accumulate(norm.getBias(), grad.getDBias());
        return success();
      })
      .Case<ReduceSumOp>([&](ReduceSumOp reduce) {
        backpropReduce(reduce, dy, reduce.getNormalizedAxes(), reduce.getKeepDims(), false);
        return success();
      })
      .Case<ReduceMeanOp>([&](ReduceMeanOp reduce) {
        backpropReduce(reduce, dy, reduce.getNormalizedAxes(), reduce.getKeepDims(), true);
        return success();
      })
      .Case<TransposeOp>([&](TransposeOp transpose) {
        ArrayRef<int64_t> perm = transpose.getPermutation();
        SmallVector<int64_t> inverse(perm.size());
        for (auto [i, dim] : llvm::enumerate(perm))
          inverse[dim] = static_cast<int64_t>(i);
        accumulate(transpose.getInput(),
                   b.create<TransposeOp>(loc, dy, b.getDenseI64ArrayAttr(inverse)));
        return success();
      })
      .Case<ReshapeOp>([&](ReshapeOp reshape) {
        accumulate(reshape.getInput(), b.create<ReshapeOp>(loc, reshape.getInput().getType(), dy));
        return success();
      })
      .Case<AttentionOp>([&](AttentionOp attention) -> LogicalResult {
        if (!attention.getLse())
          return attention.emitOpError("needs its training form (with_lse) to be differentiated");
        auto grad = b.create<AttentionGradOp>(
            loc, attention.getQuery(), attention.getKey(), attention.getValue(),
            attention.getResult(), attention.getLse(), dy, attention.getCausalAttr(),
            attention.getScaleAttr(), attention.getQueryChunkAttr(), attention.getKeyChunkAttr());
        accumulate(attention.getQuery(), grad.getDQuery());
        accumulate(attention.getKey(), grad.getDKey());
        accumulate(attention.getValue(), grad.getDValue());
        return success();
      })
      .Case<MseLossOp>([&](MseLossOp mse) {
        Value grad = b.create<MseLossGradOp>(loc, mse.getPrediction(), mse.getTarget(), dy);
        accumulate(mse.getPrediction(), grad);
        if (needs(mse.getTarget()))
          accumulate(mse.getTarget(), scaled(grad, -1.0));
        return success();
      })
      .Case<SoftmaxCrossEntropyOp>([&](SoftmaxCrossEntropyOp xent) {
        accumulate(xent.getLogits(), b.create<SoftmaxCrossEntropyGradOp>(loc, xent.getLogits(),
                                                                         xent.getLabels(), dy));
        return success();
      })
      .Case<FillOp>([](auto) { return success(); })
      .Default([&](Operation *other) {
        return other->emitOpError("has no gradient rule in tide-autodiff; it lies on a path from "
                                  "a tide.param argument to the loss");
      });
}

/// Rebuilds `op` with one more unit attribute (`with_stats` / `with_lse`) and the extra results
/// it implies; uses of the old results move to the new op's leading results.
Operation *withTrainingForm(Operation *op, StringRef flag, ArrayRef<Type> extraResults) {
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

} // namespace

/// Switches layer_norm to `with_stats` and attention to `with_lse` (when `needsGrad` is given,
/// only where a gradient flows through them: their backward ops consume the statistics).
void mlir::tide::useTrainingForms(Block &block, DenseSet<Value> *needsGrad) {
  for (Operation &op : llvm::make_early_inc_range(block.without_terminator())) {
    if (op.getNumResults() == 0 || (needsGrad && !needsGrad->contains(op.getResult(0))))
      continue;
    Operation *replacement = nullptr;
    if (auto norm = dyn_cast<LayerNormOp>(op); norm && !norm.getWithStats()) {
      RankedTensorType input = norm.getInput().getType();
      auto stats = detail::normalizationStatsType(input, norm.getNormalizedAxis());
      replacement = withTrainingForm(norm, norm.getWithStatsAttrName(), {stats, stats});
    } else if (auto attn = dyn_cast<AttentionOp>(op); attn && !attn.getWithLse()) {
      RankedTensorType query = attn.getQuery().getType();
      auto lse = detail::attentionLseType(query);
      replacement = withTrainingForm(attn, attn.getWithLseAttrName(), {lse});
    }
    if (replacement && needsGrad)
      needsGrad->insert(replacement->result_begin(), replacement->result_end());
  }
}

namespace {

struct AutodiffPass : public tide::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;
  void runOnOperation() override;

private:
  FailureOr<OptimizerConfig> parseOptions(func::FuncOp func);
};

FailureOr<OptimizerConfig> AutodiffPass::parseOptions(func::FuncOp func) {
  OptimizerConfig config;
  if (optimizer == "sgd")
    config.kind = OptimizerConfig::Kind::Sgd;
  else if (optimizer == "adam")
    config.kind = OptimizerConfig::Kind::Adam;
  else if (optimizer == "none")
    config.kind = OptimizerConfig::Kind::None;
  else
    return func.emitError() << "tide-autodiff: unknown optimizer '" << std::string(optimizer)
                            << "'; expected sgd, adam or none";
  config.learningRate = learningRate;
  config.momentum = momentum;
  config.beta1 = beta1;
  config.beta2 = beta2;
  config.epsilon = epsilon;
  config.weightDecay = weightDecay;
  if (!(learningRate > 0.0))
    return func.emitError() << "tide-autodiff: lr must be positive, got "
                            << static_cast<double>(learningRate);
  if (momentum < 0.0 || weightDecay < 0.0)
    return func.emitError() << "tide-autodiff: momentum and weight-decay must be >= 0";
  if (config.kind == OptimizerConfig::Kind::Adam &&
      (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0) || !(epsilon > 0.0)))
    return func.emitError() << "tide-autodiff: adam needs betas in [0, 1) and epsilon > 0";
  return config;
}

/// Checks that `func` is a loss function tide-autodiff can differentiate and returns its return.
FailureOr<func::ReturnOp> checkLossFunction(func::FuncOp func) {
  if (func.isExternal())
    return func.emitError() << "tide-autodiff: @" << func.getSymName() << " has no body";
  if (func->hasAttr("tide.optimizer"))
    return func.emitError() << "tide-autodiff: @" << func.getSymName()
                            << " is already a training step";
  if (!func.getBody().hasOneBlock())
    return func.emitError() << "tide-autodiff: @" << func.getSymName()
                            << " must have a single block (the schedule)";
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  auto lossType =
      ret.getNumOperands() == 1 ? dyn_cast<RankedTensorType>(ret.getOperand(0).getType()) : nullptr;
  if (!lossType || lossType.getRank() != 0 || !isa<FloatType>(lossType.getElementType()))
    return ret.emitError() << "tide-autodiff: the function must return exactly one scalar loss "
                              "(a 0-d float tensor such as tensor<f32>), got ("
                           << ret.getOperandTypes() << ")";
  bool anyParam = llvm::any_of(llvm::seq<unsigned>(0, func.getNumArguments()), [&](unsigned i) {
    return func.getArgAttr(i, TideDialect::kParamAttrName) != nullptr;
  });
  if (!anyParam)
    return func.emitError() << "tide-autodiff: no argument of @" << func.getSymName()
                            << " is marked tide.param; there is nothing to train";
  return ret;
}

/// Appends a new state argument for parameter `paramIndex`.
BlockArgument addStateArgument(func::FuncOp func, unsigned paramIndex, StringRef kind) {
  OpBuilder b(func.getContext());
  Type type = func.getArgument(paramIndex).getType();
  unsigned index = func.getNumArguments();
  auto attrs =
      b.getDictionaryAttr({b.getNamedAttr("tide.state", b.getStringAttr(kind)),
                           b.getNamedAttr("tide.state_of", b.getI64IntegerAttr(paramIndex))});
  (void)func.insertArgument(index, type, attrs, func.getLoc());
  return func.getArgument(index);
}

/// Result produced for the return: a value and the argument it updates (or is the gradient of).
struct StepResult {
  Value value;
  unsigned argIndex;
};

/// The optimizer state arguments of one parameter (none for plain SGD and for `none`).
struct ParamState {
  BlockArgument velocity, m, v;
};

/// Adds every parameter's state arguments, in parameter order.
DenseMap<unsigned, ParamState> addStateArguments(func::FuncOp func, ArrayRef<unsigned> params,
                                                 const OptimizerConfig &config) {
  DenseMap<unsigned, ParamState> states;
  for (unsigned index : params) {
    ParamState &state = states[index];
    if (config.kind == OptimizerConfig::Kind::Sgd && config.momentum > 0.0)
      state.velocity = addStateArgument(func, index, "sgd_velocity");
    if (config.kind == OptimizerConfig::Kind::Adam) {
      state.m = addStateArgument(func, index, "adam_m");
      state.v = addStateArgument(func, index, "adam_v");
    }
  }
  return states;
}

/// Emits parameter `paramIndex`'s update with gradient `grad` at `b`'s insertion point.
void emitUpdate(OpBuilder &b, func::FuncOp func, unsigned paramIndex, Value grad,
                const ParamState &state, const OptimizerConfig &config,
                SmallVectorImpl<StepResult> &results) {
  Value param = func.getArgument(paramIndex);
  Location loc = param.getLoc();
  auto f64 = [&](double value) { return b.getF64FloatAttr(value); };
  switch (config.kind) {
  case OptimizerConfig::Kind::None:
    results.push_back({grad, paramIndex});
    return;
  case OptimizerConfig::Kind::Sgd: {
    auto update = b.create<SgdUpdateOp>(loc, param, grad, state.velocity, f64(config.learningRate),
                                        f64(config.momentum), f64(config.weightDecay));
    results.push_back({update.getNewParam(), paramIndex});
    if (state.velocity)
      results.push_back({update.getNewVelocity(), state.velocity.getArgNumber()});
    return;
  }
  case OptimizerConfig::Kind::Adam: {
    auto update = b.create<AdamUpdateOp>(
        loc, param, grad, state.m, state.v, f64(config.learningRate), f64(config.beta1),
        f64(config.beta2), f64(config.epsilon), f64(config.weightDecay));
    results.push_back({update.getNewParam(), paramIndex});
    results.push_back({update.getNewM(), state.m.getArgNumber()});
    results.push_back({update.getNewV(), state.v.getArgNumber()});
    return;
  }
  }
}

void AutodiffPass::runOnOperation() {
  func::FuncOp func = getOperation();
  FailureOr<OptimizerConfig> config = parseOptions(func);
  if (failed(config))
    return signalPassFailure();
  FailureOr<func::ReturnOp> ret = checkLossFunction(func);
  if (failed(ret))
    return signalPassFailure();
  Value loss = ret->getOperand(0);
  inlineCheckpointRegions(func);

  // Values that depend on a parameter need a gradient.
  SmallVector<unsigned> params;
  DenseSet<Value> needsGrad;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, TideDialect::kParamAttrName)) {
      params.push_back(i);
      needsGrad.insert(func.getArgument(i));
    }
  Block &block = func.getBody().front();
  for (Operation &op : block.without_terminator())
    if (llvm::any_of(op.getOperands(), [&](Value v) { return needsGrad.contains(v); }))
      needsGrad.insert(op.result_begin(), op.result_end());

  useTrainingForms(block, &needsGrad);

  // Forward uses of each parameter still to be differentiated.
  DenseMap<Value, int64_t> pendingUses;
  SmallVector<Operation *> forwardOps;
  for (Operation &op : block.without_terminator()) {
    forwardOps.push_back(&op);
    for (Value operand : op.getOperands())
      if (auto arg = dyn_cast<BlockArgument>(operand); arg && needsGrad.contains(arg))
        ++pendingUses[arg];
  }

  DenseMap<unsigned, ParamState> states = addStateArguments(func, params, *config);
  OpBuilder b(*ret);
  GradientEmitter emitter(b, needsGrad);
  SmallVector<StepResult> results;
  auto updateIfComplete = [&](Value arg) {
    if (--pendingUses[arg] != 0)
      return;
    unsigned index = cast<BlockArgument>(arg).getArgNumber();
    Value grad = emitter.adjoint(arg);
    if (!grad)
      grad = b.create<FillOp>(arg.getLoc(), arg.getType(), b.getF64FloatAttr(0.0));
    emitUpdate(b, func, index, grad, states[index], *config, results);
  };
  if (!needsGrad.contains(loss))
    return (void)(ret->emitError() << "tide-autodiff: the loss does not depend on any tide.param "
                                      "argument"),
           signalPassFailure();
  emitter.accumulate(loss, b.create<FillOp>(loss.getLoc(), loss.getType(), b.getF64FloatAttr(1.0)));
  for (Operation *op : llvm::reverse(forwardOps)) {
    if (failed(emitter.backprop(op)))
      return signalPassFailure();
    for (Value operand : op->getOperands())
      if (auto arg = dyn_cast<BlockArgument>(operand); arg && needsGrad.contains(arg))
        updateIfComplete(arg);
  }
  for (unsigned index : params) // Parameters the loss never reads still get an update.
    if (!pendingUses.count(func.getArgument(index))) {
      pendingUses[func.getArgument(index)] = 1;
      updateIfComplete(func.getArgument(index));
    }

  // The new signature: the loss, then every update (or gradient) in argument order.
  llvm::stable_sort(
      results, [](const StepResult &a, const StepResult &b) { return a.argIndex < b.argIndex; });
  SmallVector<Value> returned{loss};
  for (const StepResult &result : results)
    returned.push_back(result.value);
  ret->getOperation()->setOperands(returned);
  StringRef resultAttr =
      config->kind == OptimizerConfig::Kind::None ? "tide.grad_of" : "tide.updates";
  for (auto [i, result] : llvm::enumerate(results))
    (void)func.insertResult(
        i + 1, result.value.getType(),
        b.getDictionaryAttr(b.getNamedAttr(resultAttr, b.getI64IntegerAttr(result.argIndex))));
  func->setAttr("tide.optimizer", b.getStringAttr(optimizer));
}

} // namespace
