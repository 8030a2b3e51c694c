//===- Interpreter.cpp - Reference interpreter of the tide dialect --------===//
//
// Argument checking, the walk over the block, and the dispatch of each op to its semantics
// (ForwardOps.cpp, TrainingOps.cpp).
//
//===----------------------------------------------------------------------===//

#include "compiler/interp/Interpreter.h"
#include "compiler/interp/OpSemantics.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::interp;

namespace {

/// Holds the value of every SSA value evaluated so far and walks blocks in order.
class Evaluator {
public:
  explicit Evaluator(const InterpreterOptions &options) : options(options) {}

  /// Checks `args` against the function's signature and binds them to its arguments.
  LogicalResult bindArguments(func::FuncOp function, ArrayRef<Tensor> args);

  /// Evaluates the ops of `block` in order and returns the operands of its terminator
  /// (func.return or tide.yield).
  FailureOr<SmallVector<Tensor>> evaluateBlock(Block &block);

private:
  LogicalResult evaluateOp(Operation *op);
  FailureOr<SmallVector<const Tensor *>> lookupOperands(Operation *op);
  LogicalResult bindResults(Operation *op, SmallVector<Tensor> results);

  const InterpreterOptions &options;
  llvm::DenseMap<Value, Tensor> values;
};

} // namespace

/// Checks one argument tensor against its declared type.
static LogicalResult checkArgument(func::FuncOp function, unsigned index, const Tensor &arg) {
  auto type = dyn_cast<RankedTensorType>(function.getArgument(index).getType());
  if (!type || !type.hasStaticShape())
    return function.emitError("argument #")
           << index << " has type " << function.getArgument(index).getType()
           << "; the interpreter evaluates statically shaped ranked tensors only";
  if (ArrayRef<int64_t>(arg.shape) != type.getShape())
    return function.emitError("argument #")
           << index << " has shape " << shapeToString(arg.shape) << " but the function expects "
           << shapeToString(type.getShape());
  if (arg.numElements() != countElements(arg.shape))
    return function.emitError("argument #")
           << index << " holds " << arg.numElements() << " elements but its shape "
           << shapeToString(arg.shape) << " has " << countElements(arg.shape);
  if (!type.getElementType().isIntOrIndex())
    return success();
  for (double value : arg.data)
    if (value != std::floor(value) || !std::isfinite(value))
      return function.emitError("argument #")
             << index << " of integer type " << type << " holds the non-integer value " << value;
  return success();
}

LogicalResult Evaluator::bindArguments(func::FuncOp function, ArrayRef<Tensor> args) {
  if (args.size() != function.getNumArguments())
    return function.emitError("expected ")
           << function.getNumArguments() << " arguments, got " << args.size();
  for (auto [index, arg] : llvm::enumerate(args)) {
    if (failed(checkArgument(function, index, arg)))
      return failure();
    values[function.getArgument(index)] = arg;
  }
  return success();
}

FailureOr<SmallVector<Tensor>> Evaluator::evaluateBlock(Block &block) {
  for (Operation &op : block) {
    if (!isa<func::ReturnOp, YieldOp>(op)) {
      if (failed(evaluateOp(&op)))
        return failure();
      continue;
    }
    auto operands = lookupOperands(&op);
    if (failed(operands))
      return failure();
    SmallVector<Tensor> results;
    for (const Tensor *operand : *operands)
      results.push_back(*operand);
    return results;
  }
  return block.getParentOp()->emitError("block has no func.return or tide.yield terminator");
}

FailureOr<SmallVector<const Tensor *>> Evaluator::lookupOperands(Operation *op) {
  SmallVector<const Tensor *> operands;
  for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
    auto found = values.find(operand);
    if (found == values.end())
      return op->emitError("operand #") << index << " has no value (defined outside the function "
                                        << "or by an op the interpreter did not evaluate)";
    operands.push_back(&found->second);
  }
  return operands;
}

/// Runs the semantics of one (non-region) tide op.
static OpResults dispatch(Operation *op, const OpInputs &in) {
  return llvm::TypeSwitch<Operation *, OpResults>(op)
      .Case<MatmulOp, AddOp, SubOp, MulOp, DivOp, ReluOp, TanhOp, ExpOp, GeluOp, SoftmaxOp,
            LayerNormOp, ReduceSumOp, ReduceMeanOp, TransposeOp, ReshapeOp, AttentionOp, MseLossOp,
            SoftmaxCrossEntropyOp, ReluGradOp, TanhGradOp, GeluGradOp, SoftmaxGradOp,
            LayerNormGradOp, AttentionGradOp, MseLossGradOp, SoftmaxCrossEntropyGradOp,
            ReduceToShapeOp, BroadcastOp, ScaleOp, FillOp, SgdUpdateOp, AdamUpdateOp>(
          [&](auto typed) { return evaluate(typed, in); })
      .Case<MinimumOp, MaximumOp, NegOp, AbsOp, SqrtOp, RsqrtOp, LogOp, SigmoidOp, SiluOp, ErfOp,
            PowOp, ClampOp, AbsGradOp, SqrtGradOp, RsqrtGradOp, LogGradOp, SigmoidGradOp,
            SiluGradOp, ErfGradOp, PowGradOp, ClampGradOp, MinimumGradOp, MaximumGradOp, RmsNormOp,
            RmsNormGradOp, SliceOp, ConcatOp, PadOp, GatherOp, GatherGradOp, RopeOp, DropoutOp,
            DropoutGradOp, LmHeadLossOp, LmHeadLossGradOp>(
          [&](auto typed) { return evaluate(typed, in); })
      .Case<SumSquaresOp, ClipCoefficientOp>([&](auto typed) { return evaluate(typed, in); })
      .Case<SplitOp, WhereOp, ReduceMaxOp, ReduceMaxGradOp, CastOp>(
          [&](auto typed) { return evaluate(typed, in); })
      .Default([](Operation *other) -> OpResults {
        return other->emitError("the tide interpreter has no semantics for '")
               << other->getName() << "'";
      });
}

LogicalResult Evaluator::evaluateOp(Operation *op) {
  if (auto checkpoint = dyn_cast<CheckpointOp>(op)) {
    // The region reads values from above directly; its interior stays in the same map.
    auto results = evaluateBlock(checkpoint.getBody().front());
    return failed(results) ? failure() : bindResults(op, std::move(*results));
  }
  auto operands = lookupOperands(op);
  if (failed(operands))
    return failure();
  auto results = dispatch(op, OpInputs{*operands, options});
  return failed(results) ? failure() : bindResults(op, std::move(*results));
}

LogicalResult Evaluator::bindResults(Operation *op, SmallVector<Tensor> results) {
  if (results.size() != op->getNumResults())
    return op->emitError("interpreter produced ")
           << results.size() << " values for " << op->getNumResults() << " results";
  for (auto [result, tensor] : llvm::zip_equal(op->getResults(), results)) {
    auto type = dyn_cast<RankedTensorType>(result.getType());
    if (!type || ArrayRef<int64_t>(tensor.shape) != type.getShape() ||
        tensor.numElements() != countElements(tensor.shape))
      return op->emitError("interpreter produced a value of shape ")
             << shapeToString(tensor.shape) << " for result #" << result.getResultNumber()
             << " of type " << result.getType();
    values[result] = std::move(tensor);
  }
  return success();
}

FailureOr<SmallVector<Tensor>> mlir::tide::interp::interpret(func::FuncOp function,
                                                             ArrayRef<Tensor> args,
                                                             const InterpreterOptions &options) {
  if (function.isExternal())
    return function.emitError("cannot interpret a function without a body");
  if (options.verifyFirst && failed(mlir::verify(function)))
    return failure();
  if (!function.getBody().hasOneBlock())
    return function.emitError("the interpreter evaluates single-block functions only");
  Evaluator evaluator(options);
  if (failed(evaluator.bindArguments(function, args)))
    return failure();
  return evaluator.evaluateBlock(function.getBody().front());
}
