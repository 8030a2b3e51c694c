//===- GradientCheck.h - Finite-difference gradients through the interpreter -*- C++ -*-===//
//
// Numerical gradients of a function whose result 0 is a scalar loss, by central differences
// evaluated with the reference interpreter in double:
//   dL/dx_i ~= (L(x + h e_i) - L(x - h e_i)) / (2 h),
// whose error is O(h^2 |L'''|) (truncation) plus O(eps |L| / h) (rounding). One derivative costs
// two evaluations of the function; a whole argument's gradient costs 2 * (its element count).
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_INTERP_GRADIENTCHECK_H
#define TIDEMARK_COMPILER_INTERP_GRADIENTCHECK_H

#include "compiler/interp/Interpreter.h"

namespace mlir::tide::interp {

/// Evaluates `function` and returns its result 0, which must be a one-element (scalar) tensor.
FailureOr<double> evaluateLoss(func::FuncOp function, ArrayRef<Tensor> args,
                               const InterpreterOptions &options = {});

/// The central difference of the loss (result 0) with respect to element `element` of argument
/// `argIndex`, with step `step` (> 0, in the argument's units).
FailureOr<double> centralDifference(func::FuncOp function, ArrayRef<Tensor> args, unsigned argIndex,
                                    int64_t element, double step,
                                    const InterpreterOptions &options = {});

/// The central-difference gradient of the loss with respect to every element of argument
/// `argIndex` (a tensor of that argument's shape). Verifies the function once, then evaluates it
/// 2 * elements times without re-verifying.
FailureOr<Tensor> numericGradient(func::FuncOp function, ArrayRef<Tensor> args, unsigned argIndex,
                                  double step, const InterpreterOptions &options = {});

/// |analytic - numeric| / max(|analytic|, |numeric|, floor). With floor > 0, differences between
/// values far below `floor` are measured against `floor` (an absolute tolerance of
/// floor * bound), so tiny gradients dominated by rounding noise do not fail a relative bound.
double relativeError(double analytic, double numeric, double floor = 0.0);

/// The worst element of a gradient comparison.
struct GradientComparison {
  double maxError = 0.0;
  int64_t worstElement = -1;
  double analytic = 0.0, numeric = 0.0;
};

/// Compares two gradients of the same shape element by element with `relativeError`.
GradientComparison compareGradients(const Tensor &analytic, const Tensor &numeric,
                                    double floor = 0.0);

} // namespace mlir::tide::interp

#endif // TIDEMARK_COMPILER_INTERP_GRADIENTCHECK_H
