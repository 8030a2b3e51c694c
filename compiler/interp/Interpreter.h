//===- Interpreter.h - Reference interpreter of the tide dialect -*- C++ -*-===//
//
// An independent, scalar, double-precision evaluator of one tide function. It is the oracle of
// the autodiff gradient checks and of "rematerialization changes no value" checks, and a
// reference for the runtime; it shares no code with the runtime's kernels.
//
// Algorithm: verify the function, check the arguments against its signature, then walk the
// single block in order, computing every op's results from its operands with plain loops
// (a tide.checkpoint evaluates its body in place) until func.return. Cost: the ops' own
// arithmetic (e.g. M*N*K multiply-adds per matmul) plus one map entry per SSA value.
//
// Errors (never a crash or an abort): an unknown op, a label out of range, a wrong argument
// count or shape, or a function that does not verify each emit a located diagnostic on the
// function's context and return failure.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_INTERP_INTERPRETER_H
#define TIDEMARK_COMPILER_INTERP_INTERPRETER_H

#include "compiler/interp/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

namespace mlir::tide::interp {

struct InterpreterOptions {
  /// The 1-based training step t: tide.adam_update's bias corrections and the `step` word of
  /// tide.dropout's Philox counter (the runtime's step counter in the state).
  int64_t step = 1;
  /// The plan's seed: the key of tide.dropout's Philox stream.
  uint64_t dropoutSeed = 0;
  /// Run the MLIR verifier on the function before evaluating it. Callers that evaluate one
  /// already-verified function many times (finite differences) may turn it off.
  bool verifyFirst = true;
};

/// Evaluates `function` on `args` (one tensor per argument, shaped as the argument's type; an
/// integer argument holds integral values) and returns one tensor per function result.
FailureOr<SmallVector<Tensor>> interpret(func::FuncOp function, ArrayRef<Tensor> args,
                                         const InterpreterOptions &options = {});

} // namespace mlir::tide::interp

#endif // TIDEMARK_COMPILER_INTERP_INTERPRETER_H
