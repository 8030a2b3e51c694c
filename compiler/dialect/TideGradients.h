//===- TideGradients.h - The adjoint bookkeeping of reverse-mode rules -*- C++ -*-===//
//
// GradientEmitter holds the adjoint of every value the reverse sweep has reached and the builder
// the rules emit into. Each op's rule (TideGradientOpInterface::emitGradient, defined in
// TideGradients.cpp) reads its results' adjoints and accumulates its operands' contributions;
// tide-autodiff (passes/Autodiff.cpp) is the driver that visits the ops in reverse order.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_DIALECT_TIDEGRADIENTS_H
#define TIDEMARK_COMPILER_DIALECT_TIDEGRADIENTS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::tide {

class GradientEmitter {
public:
  /// Emits at `builder`'s insertion point; only values in `needsGrad` receive adjoints.
  GradientEmitter(OpBuilder &builder, const llvm::DenseSet<Value> &needsGrad)
      : b(builder), needsGrad(needsGrad) {}

  OpBuilder &builder() { return b; }

  /// The adjoint accumulated so far for `value` (null when nothing reached it).
  Value adjoint(Value value) const { return adjoints.lookup(value); }

  /// Whether `value` depends on a parameter (only those get gradients).
  bool needsGradient(Value value) const { return needsGrad.contains(value); }

  /// Adds `grad` to the adjoint of `value`: a first contribution becomes the adjoint, later ones
  /// are summed with tide.add; a contribution with a broadcast of `value`'s shape is summed down
  /// with tide.reduce_to_shape first. Does nothing when `value` needs no gradient.
  void accumulate(Value value, Value grad);

  /// `value * factor` (tide.scale).
  Value scaled(Value value, double factor);

  /// tide.matmul with the given transpose flags.
  Value matmul(Location loc, Value lhs, Value rhs, bool transposeLhs, bool transposeRhs);

  /// `value` with its leading dimensions folded into rows: [..., R, C] -> [N, C] (a view).
  Value foldRows(Value value);

private:
  OpBuilder &b;
  const llvm::DenseSet<Value> &needsGrad;
  llvm::DenseMap<Value, Value> adjoints;
};

/// Rebuilds `op` with one more unit attribute `flag` and the extra results `extraResults`; uses
/// of the old results move to the new op's leading results, and the old op is erased. The shared
/// step of every buildTrainingForm.
Operation *rebuildWithFlag(Operation *op, StringRef flag, ArrayRef<Type> extraResults);

} // namespace mlir::tide

#endif // TIDEMARK_COMPILER_DIALECT_TIDEGRADIENTS_H
