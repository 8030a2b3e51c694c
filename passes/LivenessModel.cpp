//===- LivenessModel.cpp - IR to the planning library's liveness model ----===//
//
// Pinned: function arguments (inputs, parameters, state), returned values (outputs) and
// arith.constant results. Views: tide.reshape. In place: the kernels that may write a result
// over an operand of the same shape (docs/kernels.md: Binary, Unary, UnaryGrad on dy, Rope,
// Dropout). Only single-result ops: the liveness library lets any result of the op's size take
// the operand over, so two results of a multi-result op could end up sharing it.
//
//===----------------------------------------------------------------------===//

#include "passes/LivenessModel.h"

#include "compiler/dialect/TideOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tide;
using tidemark::planning::LiveOp;
using tidemark::planning::LiveValue;

SmallVector<Value> mlir::tide::inPlaceOperands(Operation *op) {
  SmallVector<Value> operands;
  TypeSwitch<Operation *>(op)
      .Case<AddOp, SubOp, MulOp, DivOp, MinimumOp, MaximumOp>([&](Operation *binary) {
        for (Value operand : binary->getOperands())
          if (operand.getType() == binary->getResult(0).getType())
            operands.push_back(operand);
      })
      .Case<ReluOp, TanhOp, ExpOp, GeluOp, ScaleOp, NegOp, AbsOp, SqrtOp, RsqrtOp, LogOp, SigmoidOp,
            SiluOp, ErfOp, PowOp, ClampOp, RopeOp, DropoutOp, DropoutGradOp>(
          [&](Operation *unary) { operands.push_back(unary->getOperand(0)); })
      .Case<ReluGradOp, TanhGradOp, GeluGradOp, AbsGradOp, SqrtGradOp, RsqrtGradOp, LogGradOp,
            SigmoidGradOp, SiluGradOp, ErfGradOp, PowGradOp, ClampGradOp>(
          [&](Operation *grad) { operands.push_back(grad->getOperand(1)); });
  return operands;
}

int64_t mlir::tide::inlineCheckpointRegions(func::FuncOp func) {
  int64_t regionIndex = 0;
  SmallVector<CheckpointOp> checkpoints(func.getBody().getOps<CheckpointOp>());
  Builder b(func.getContext());
  for (CheckpointOp checkpoint : checkpoints) {
    YieldOp yield = checkpoint.getYield();
    for (Operation &op :
         llvm::make_early_inc_range(checkpoint.getBody().front().without_terminator())) {
      op.setAttr("tide.checkpoint_region", b.getI64IntegerAttr(regionIndex));
      op.moveBefore(checkpoint);
    }
    checkpoint.replaceAllUsesWith(yield.getValues());
    checkpoint.erase();
    ++regionIndex;
  }
  return regionIndex;
}

namespace {

/// Bytes of a statically shaped tensor value, or an error on the op that defines it.
FailureOr<int64_t> storageBytes(Value value, Operation *where) {
  auto tensor = dyn_cast<RankedTensorType>(value.getType());
  if (!tensor || !tensor.hasStaticShape() || !tensor.getElementType().isIntOrFloat())
    return where->emitError() << "memory planning needs statically shaped tensors of integers or "
                                 "floats, got "
                              << value.getType();
  return mlir::tide::detail::tensorBytes(tensor);
}

} // namespace

FailureOr<FunctionLiveness> mlir::tide::computeFunctionLiveness(func::FuncOp func,
                                                                bool allowInPlace) {
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return func.emitError() << "memory planning needs a function with exactly one block";
  Block &block = func.getBody().front();
  FunctionLiveness result;
  std::vector<LiveValue> values;
  auto addValue = [&](Value value, int64_t defStep, bool pinned,
                      Operation *where) -> LogicalResult {
    FailureOr<int64_t> bytes = storageBytes(value, where);
    if (failed(bytes))
      return failure();
    LiveValue live;
    live.id = static_cast<int64_t>(result.values.size());
    live.sizeBytes = *bytes;
    live.defStep = defStep;
    live.pinned = pinned;
    result.idOf[value] = live.id;
    result.values.push_back(value);
    values.push_back(live);
    return success();
  };
  for (BlockArgument arg : block.getArguments())
    if (failed(addValue(arg, -1, /*pinned=*/true, func)))
      return failure();

  std::vector<LiveOp> ops;
  for (Operation &op : block.without_terminator()) {
    if (isa<CheckpointOp>(op))
      return op.emitError() << "tide.checkpoint regions must be inlined before memory planning "
                               "(run -tide-autodiff for training or -tide-inline-checkpoints)";
    if (op.getNumRegions() != 0)
      return op.emitError() << "memory planning cannot see inside '" << op.getName()
                            << "': the schedule must be one flat block";
    int64_t step = static_cast<int64_t>(result.steps.size());
    result.steps.push_back(&op);
    for (Value operand : op.getOperands())
      values[result.idOf.lookup(operand)].useSteps.push_back(step);
    LiveOp liveOp;
    liveOp.step = step;
    for (Value res : op.getResults()) {
      if (failed(addValue(res, step, isa<arith::ConstantOp>(op), &op)))
        return failure();
      liveOp.results.push_back(result.idOf.lookup(res));
    }
    if (auto reshape = dyn_cast<ReshapeOp>(op))
      values.back().aliasOf = result.idOf.lookup(reshape.getInput());
    for (Value operand : inPlaceOperands(&op))
      liveOp.inPlaceOperands.push_back(result.idOf.lookup(operand));
    ops.push_back(std::move(liveOp));
  }
  for (Value returned : block.getTerminator()->getOperands())
    values[result.idOf.lookup(returned)].pinned = true;

  tidemark::planning::LivenessOptions options;
  options.allowInPlace = allowInPlace;
  auto liveness = tidemark::planning::analyzeLiveness(values, ops, options);
  if (!liveness.ok())
    return func.emitError() << "liveness analysis failed: "
                            << std::string(liveness.status().message());
  result.liveness = std::move(*liveness);
  return result;
}
