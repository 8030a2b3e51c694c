//===- TrainingGraphModel.cpp - IR to the remat library's graph -----------===//

#include "passes/TrainingGraphModel.h"

#include "compiler/dialect/TideOps.h"
#include "passes/LivenessModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::tide;
using tidemark::remat::GraphOp;
using tidemark::remat::GraphValue;

namespace {

/// For each returned value tagged `tide.updates = i`: (update op, argument i).
SmallVector<std::pair<Operation *, BlockArgument>> stateUpdates(func::FuncOp func) {
  SmallVector<std::pair<Operation *, BlockArgument>> updates;
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [index, value] : llvm::enumerate(ret->getOperands())) {
    auto target = func.getResultAttrOfType<IntegerAttr>(index, "tide.updates");
    Operation *def = value.getDefiningOp();
    if (!target || !def || target.getInt() < 0 ||
        target.getInt() >= static_cast<int64_t>(func.getNumArguments()))
      continue;
    updates.emplace_back(def, func.getArgument(target.getInt()));
  }
  return updates;
}

/// The ops the first returned value (the loss) depends on.
llvm::DenseSet<Operation *> forwardOps(func::FuncOp func) {
  llvm::DenseSet<Operation *> forward;
  Operation *ret = func.getBody().front().getTerminator();
  if (ret->getNumOperands() == 0)
    return forward;
  SmallVector<Operation *> worklist;
  if (Operation *def = ret->getOperand(0).getDefiningOp())
    worklist.push_back(def);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!forward.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
  }
  return forward;
}

} // namespace

FailureOr<FunctionGraph> mlir::tide::buildTrainingGraph(func::FuncOp func) {
  // The liveness model validates the function (one flat block, static shapes) and decides
  // pinning and views; the graph reuses its verdicts.
  FailureOr<FunctionLiveness> live = computeFunctionLiveness(func, /*allowInPlace=*/false);
  if (failed(live))
    return failure();
  FunctionGraph model;
  model.values = live->values;
  model.idOf = live->idOf;
  model.ops = live->steps;
  llvm::DenseSet<Operation *> forward = forwardOps(func);
  llvm::DenseMap<Operation *, int64_t> indexOf;
  for (auto [i, op] : llvm::enumerate(model.ops))
    indexOf[op] = static_cast<int64_t>(i);

  for (Value value : model.values) {
    GraphValue node;
    node.bytes = detail::tensorBytes(value.getType());
    node.pinned = live->groupOf(value).pinned;
    if (Operation *def = value.getDefiningOp()) {
      node.def = indexOf.lookup(def);
      if (auto reshape = dyn_cast<ReshapeOp>(def))
        node.aliasOf = model.idOf.lookup(reshape.getInput());
    }
    model.graph.values.push_back(node);
  }
  for (Operation *op : model.ops) {
    GraphOp node;
    if (auto cost = dyn_cast<TideCostOpInterface>(op))
      node.flops = cost.getFlops();
    for (Value operand : op->getOperands())
      node.operands.push_back(model.idOf.lookup(operand));
    for (Value result : op->getResults())
      node.results.push_back(model.idOf.lookup(result));
    for (Value inPlace : inPlaceOperands(op))
      for (auto [position, operand] : llvm::enumerate(op->getOperands()))
        if (operand == inPlace)
          node.inPlaceOperandIndices.push_back(static_cast<int64_t>(position));
    node.forward = forward.contains(op);
    node.recomputable = node.forward && isa<TideDialect>(op->getDialect()) && !isa<FillOp>(op) &&
                        op->getNumRegions() == 0;
    if (auto region = op->getAttrOfType<IntegerAttr>("tide.checkpoint_region"))
      node.region = region.getInt();
    model.graph.ops.push_back(std::move(node));
  }
  for (auto [update, arg] : stateUpdates(func))
    for (Operation *reader : arg.getUsers())
      if (reader != update && indexOf.count(reader))
        model.graph.ops[indexOf.lookup(update)].after.push_back(indexOf.lookup(reader));
  return model;
}

void mlir::tide::applySchedule(FunctionGraph &model, const tidemark::remat::Schedule &schedule) {
  std::vector<Value> valueOf(schedule.values.size());
  for (size_t i = 0; i < model.values.size(); ++i)
    valueOf[i] = model.values[i];
  Operation *terminator =
      model.ops.empty() ? nullptr : model.ops.front()->getBlock()->getTerminator();
  if (!terminator)
    return;
  OpBuilder b(terminator);
  for (const tidemark::remat::Instance &instance : schedule.instances) {
    Operation *original = model.ops[instance.op];
    Operation *op = original;
    if (instance.clone) {
      op = b.clone(*original);
      op->setAttr("tide.recomputed", b.getUnitAttr());
      op->removeAttr("tide.arena_offsets");
    } else {
      op->moveBefore(terminator);
    }
    for (auto [position, operand] : llvm::enumerate(instance.operands))
      op->setOperand(position, valueOf[operand]);
    for (auto [position, result] : llvm::enumerate(instance.results))
      valueOf[result] = op->getResult(position);
  }
}

LogicalResult mlir::tide::verifyStateUpdateOrder(func::FuncOp func) {
  for (auto [update, arg] : stateUpdates(func))
    for (Operation *reader : arg.getUsers())
      if (reader != update && update->isBeforeInBlock(reader))
        return reader->emitError()
               << "reads argument #" << arg.getArgNumber()
               << " after its state update (the runtime updates it in place); the update must "
                  "be the last reader";
  return success();
}
