//===- RandomArguments.h - Seeded random arguments for a tide function -*- C++ -*-===//
//
// Arguments for the interpreter from a seed: floating-point arguments uniform in
// [-range, range), except Adam's second-moment state (the `v` operand of tide.adam_update),
// which is uniform in [0, range); integer arguments (labels) uniform over the valid class ids, that
// is [0, classes) with `classes` the smallest class count (last logits dimension) among the
// tide.softmax_cross_entropy(_grad) ops that read the argument as labels. The generator is a
// 64-bit Mersenne Twister with its own integer-to-double mapping, so a seed gives the same
// values on every platform.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_INTERP_RANDOMARGUMENTS_H
#define TIDEMARK_COMPILER_INTERP_RANDOMARGUMENTS_H

#include "compiler/interp/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

namespace mlir::tide::interp {

/// One random tensor per argument of `function`. Fails with a located error for an argument
/// that is not a statically shaped ranked tensor, or an integer argument that no
/// softmax cross-entropy op reads as labels (no valid range is known for it).
FailureOr<SmallVector<Tensor>> makeRandomArguments(func::FuncOp function, uint64_t seed,
                                                   double range = 1.0);

} // namespace mlir::tide::interp

#endif // TIDEMARK_COMPILER_INTERP_RANDOMARGUMENTS_H
