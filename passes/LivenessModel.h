//===- LivenessModel.h - IR to the planning library's liveness model -*- C++ -*-===//
//
// Builds tidemark::planning's LiveValue/LiveOp model from a function's single block: the one
// place that decides which values are pinned, which are views and which ops may work in place.
// Used by tide-buffer-liveness, tide-assign-arena, tide-remat and tidec.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_PASSES_LIVENESSMODEL_H
#define TIDEMARK_PASSES_LIVENESSMODEL_H

#include "compiler/planning/ValueLiveness.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <vector>

namespace mlir::tide {

/// The liveness of one function, with the IR objects behind the model's ids.
struct FunctionLiveness {
  std::vector<Value> values; ///< Value id i is values[i]: arguments, then op results.
  llvm::DenseMap<Value, int64_t> idOf;
  std::vector<Operation *> steps; ///< Step i is steps[i] (the terminator is not a step).
  tidemark::planning::Liveness liveness;

  /// The storage group of `value`.
  const tidemark::planning::StorageGroup &groupOf(Value value) const {
    return liveness.groups[liveness.groupOfValue[idOf.lookup(value)]];
  }
};

/// The operands of `op` whose storage a result may take over (the runtime kernel supports it).
SmallVector<Value> inPlaceOperands(Operation *op);

/// Computes the liveness of `func`'s body. Emits an error and fails when the function is not one
/// flat block of statically shaped tensors (e.g. a remaining tide.checkpoint region).
FailureOr<FunctionLiveness> computeFunctionLiveness(func::FuncOp func, bool allowInPlace);

/// Replaces every tide.checkpoint in `func` by its body, tagging the moved ops with
/// `tide.checkpoint_region = N`. Returns the number of regions inlined.
int64_t inlineCheckpointRegions(func::FuncOp func);

/// Switches layer_norm to `with_stats` and attention to `with_lse`; with `needsGrad`, only the
/// ops whose first result is in it (and adds the new results to it).
void useTrainingForms(Block &block, llvm::DenseSet<Value> *needsGrad);

} // namespace mlir::tide

#endif // TIDEMARK_PASSES_LIVENESSMODEL_H
