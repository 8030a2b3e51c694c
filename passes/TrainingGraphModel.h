//===- TrainingGraphModel.h - IR to the remat library's graph ---*- C++ -*-===//
//
// Builds tidemark::remat::TrainingGraph from a function's single block (costs from
// TideCostOpInterface, pinning and views as in LivenessModel.h, the forward pass = the ops the
// loss depends on, state-update ordering constraints), and writes a rewritten schedule back.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_PASSES_TRAININGGRAPHMODEL_H
#define TIDEMARK_PASSES_TRAININGGRAPHMODEL_H

#include "compiler/remat/TrainingGraph.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <vector>

namespace mlir::tide {

struct FunctionGraph {
  tidemark::remat::TrainingGraph graph;
  std::vector<Value> values;    ///< Graph value i.
  std::vector<Operation *> ops; ///< Graph op i.
  llvm::DenseMap<Value, int64_t> idOf;
};

/// Models `func`. The loss is the first returned value. Fails (with a diagnostic) on anything
/// the planner cannot model: several blocks, checkpoint regions, dynamic shapes.
FailureOr<FunctionGraph> buildTrainingGraph(func::FuncOp func);

/// Rewrites `func`'s block into `schedule` (ops moved into its order; clones created for its
/// clone instances and tagged `tide.recomputed`).
void applySchedule(FunctionGraph &model, const tidemark::remat::Schedule &schedule);

/// Checks that every state update (a returned value with `tide.updates = i`) runs after every
/// other reader of argument i: the runtime writes updates over their argument in place.
LogicalResult verifyStateUpdateOrder(func::FuncOp func);

} // namespace mlir::tide

#endif // TIDEMARK_PASSES_TRAININGGRAPHMODEL_H
