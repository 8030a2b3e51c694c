//===- Autodiff.cpp - tide-autodiff: reverse-mode training step -----------===//
//
// Turns a scalar-loss function into a training step. Steps (see Passes.td and
// docs/passes/tide-autodiff.md): inline checkpoint regions (tagging their ops), switch the ops
// with a training form to it, propagate gradients in reverse op order through each op's own rule
// (TideGradientOpInterface, compiler/dialect/TideGradients.cpp; this file is only the driver),
// and emit each parameter's optimizer update as soon as its gradient is complete. Linear in the
// number of ops.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideGradients.h"
#include "compiler/dialect/TideOps.h"
#include "passes/LivenessModel.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>

#define DEBUG_TYPE "tide-autodiff"

namespace mlir::tide {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using namespace mlir::tide;

namespace {

/// Hyper-parameters of the update the pass emits.
struct OptimizerConfig {
  enum class Kind { Sgd, Adam, None } kind = Kind::Sgd;
  double learningRate = 0.01, momentum = 0.0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weightDecay = 0.0;
  bool decoupled = false;    // adamw
  double clipGradNorm = 0.0; // 0: off
  bool cosine = false;
  int64_t warmupSteps = 0, totalSteps = 0;
  double minLr = 0.0;
};

} // namespace

/// Switches every op with a training form (layer_norm's `with_stats`, attention's `with_lse`, ...)
/// to it: with `needsGrad`, only the ops whose first result is in it (and adds the new results).
void mlir::tide::useTrainingForms(Block &block, DenseSet<Value> *needsGrad) {
  for (Operation &op : llvm::make_early_inc_range(block.without_terminator())) {
    if (op.getNumResults() == 0 || (needsGrad && !needsGrad->contains(op.getResult(0))))
      continue;
    auto differentiable = dyn_cast<TideGradientOpInterface>(op);
    Operation *replacement = differentiable ? differentiable.buildTrainingForm() : nullptr;
    if (replacement && needsGrad)
      needsGrad->insert(replacement->result_begin(), replacement->result_end());
  }
}

namespace {

/// Emits the gradient of `op` through its TideGradientOpInterface rule (when its first result
/// has an adjoint, or any result for a rule that differentiatesEveryResult), or fails on an op
/// without one.
LogicalResult backprop(GradientEmitter &emitter, Operation *op) {
  if (llvm::none_of(op->getResults(), [&](Value r) { return emitter.adjoint(r); }))
    return success(); // No result reaches the loss.
  auto differentiable = dyn_cast<TideGradientOpInterface>(op);
  if (!emitter.adjoint(op->getResult(0)) &&
      !(differentiable && differentiable.differentiatesEveryResult()))
    return success(); // Only a statistic or secondary result is read: not differentiated.
  if (!differentiable)
    return op->emitOpError("has no gradient rule (TideGradientOpInterface); it lies on a path "
                           "from a tide.param argument to the loss");
  return differentiable.emitGradient(emitter);
}

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
  else if (optimizer == "adam" || optimizer == "adamw")
    config.kind = OptimizerConfig::Kind::Adam;
  else if (optimizer == "none")
    config.kind = OptimizerConfig::Kind::None;
  else
    return func.emitError() << "tide-autodiff: unknown optimizer '" << std::string(optimizer)
                            << "'; expected sgd, adam, adamw or none";
  config.decoupled = optimizer == "adamw";
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
  config.clipGradNorm = clipGradNorm;
  if (!(clipGradNorm >= 0.0) || !std::isfinite(static_cast<double>(clipGradNorm)))
    return func.emitError() << "tide-autodiff: clip-grad-norm must be finite and > 0 (0: off), got "
                            << static_cast<double>(clipGradNorm);
  if (lrSchedule == "cosine") {
    config.cosine = true;
    config.warmupSteps = warmupSteps;
    config.totalSteps = totalSteps;
    config.minLr = minLr;
    if (warmupSteps < 0 || totalSteps <= warmupSteps)
      return func.emitError() << "tide-autodiff: the cosine schedule needs 0 <= warmup-steps < "
                                 "total-steps, got "
                              << static_cast<int64_t>(warmupSteps) << " and "
                              << static_cast<int64_t>(totalSteps);
    if (!(minLr >= 0.0 && minLr <= learningRate))
      return func.emitError() << "tide-autodiff: min-lr must be in [0, lr], got "
                              << static_cast<double>(minLr);
  } else if (lrSchedule != "constant") {
    return func.emitError() << "tide-autodiff: unknown lr-schedule '" << std::string(lrSchedule)
                            << "'; expected constant or cosine";
  }
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
  IntegerAttr warmup, total;
  FloatAttr minLr;
  if (config.cosine) {
    warmup = b.getI64IntegerAttr(config.warmupSteps);
    total = b.getI64IntegerAttr(config.totalSteps);
    minLr = f64(config.minLr);
  }
  switch (config.kind) {
  case OptimizerConfig::Kind::None:
    results.push_back({grad, paramIndex});
    return;
  case OptimizerConfig::Kind::Sgd: {
    auto update =
        b.create<SgdUpdateOp>(loc, param, grad, state.velocity, f64(config.learningRate),
                              f64(config.momentum), f64(config.weightDecay), warmup, total, minLr);
    results.push_back({update.getNewParam(), paramIndex});
    if (state.velocity)
      results.push_back({update.getNewVelocity(), state.velocity.getArgNumber()});
    return;
  }
  case OptimizerConfig::Kind::Adam: {
    auto update = b.create<AdamUpdateOp>(
        loc, param, grad, state.m, state.v, f64(config.learningRate), f64(config.beta1),
        f64(config.beta2), f64(config.epsilon), f64(config.weightDecay),
        config.decoupled ? b.getUnitAttr() : UnitAttr(), warmup, total, minLr);
    results.push_back({update.getNewParam(), paramIndex});
    results.push_back({update.getNewM(), state.m.getArgNumber()});
    results.push_back({update.getNewV(), state.v.getArgNumber()});
    return;
  }
  }
}

/// Clipping by global norm: sum_squares over every gradient in parameter order (a chain of 0-d
/// values), clip_coefficient, then each gradient times the factor and its update.
void emitClippedUpdates(OpBuilder &b, func::FuncOp func,
                        MutableArrayRef<std::pair<unsigned, Value>> gradients,
                        DenseMap<unsigned, ParamState> &states, const OptimizerConfig &config,
                        SmallVectorImpl<StepResult> &results) {
  llvm::stable_sort(gradients, [](auto &x, auto &y) { return x.first < y.first; });
  Location loc = func.getLoc();
  Value squares;
  for (auto &[index, grad] : gradients)
    squares = b.create<SumSquaresOp>(loc, grad, squares);
  Value factor = b.create<ClipCoefficientOp>(loc, squares, b.getF64FloatAttr(config.clipGradNorm));
  for (auto &[index, grad] : gradients) {
    Value clipped = b.create<MulOp>(loc, grad.getType(), grad, factor);
    emitUpdate(b, func, index, clipped, states[index], config, results);
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

  // Values that depend on a parameter need a gradient, except integer ones: an i32 value (a
  // tide.cast into i32) carries none, so neither does anything computed from it alone.
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
      for (Value result : op.getResults())
        if (isa<FloatType>(cast<ShapedType>(result.getType()).getElementType()))
          needsGrad.insert(result);

  useTrainingForms(block, &needsGrad);
  // A training form replaces its op: the loss itself may now be another op's result (the fused
  // LM head loss's training form), so read it again.
  loss = ret->getOperand(0);

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
  // With clipping every update waits for the global norm: the complete gradients are collected
  // (parameter index, gradient) and updated after the backward.
  bool clip = config->clipGradNorm > 0.0 && config->kind != OptimizerConfig::Kind::None;
  SmallVector<std::pair<unsigned, Value>> completeGradients;
  auto updateIfComplete = [&](Value arg) {
    if (--pendingUses[arg] != 0)
      return;
    unsigned index = cast<BlockArgument>(arg).getArgNumber();
    Value grad = emitter.adjoint(arg);
    if (!grad)
      grad = b.create<FillOp>(arg.getLoc(), arg.getType(), b.getF64FloatAttr(0.0));
    if (clip)
      completeGradients.push_back({index, grad});
    else
      emitUpdate(b, func, index, grad, states[index], *config, results);
  };
  if (!needsGrad.contains(loss))
    return (void)(ret->emitError() << "tide-autodiff: the loss does not depend on any tide.param "
                                      "argument (through differentiable ops: a tide.cast carries "
                                      "no gradient)"),
           signalPassFailure();
  emitter.accumulate(loss, b.create<FillOp>(loss.getLoc(), loss.getType(), b.getF64FloatAttr(1.0)));
  for (Operation *op : llvm::reverse(forwardOps)) {
    if (failed(backprop(emitter, op)))
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
  if (clip)
    emitClippedUpdates(b, func, completeGradients, states, *config, results);

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
