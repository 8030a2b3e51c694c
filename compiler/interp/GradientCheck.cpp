//===- GradientCheck.cpp - Finite-difference gradients through the interpreter ===//

#include "compiler/interp/GradientCheck.h"

#include "mlir/IR/Verifier.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tide::interp;

FailureOr<double> mlir::tide::interp::evaluateLoss(func::FuncOp function, ArrayRef<Tensor> args,
                                                   const InterpreterOptions &options) {
  auto results = interpret(function, args, options);
  if (failed(results))
    return failure();
  if (results->empty() || (*results)[0].numElements() != 1)
    return function.emitError("gradient checks need result 0 to be a scalar loss");
  return (*results)[0][0];
}

/// Checks the argument index, element and step of a finite difference.
static LogicalResult checkPerturbation(func::FuncOp function, ArrayRef<Tensor> args,
                                       unsigned argIndex, int64_t element, double step) {
  if (argIndex >= args.size())
    return function.emitError("gradient check of argument #")
           << argIndex << " but only " << args.size() << " arguments are given";
  if (element < 0 || element >= args[argIndex].numElements())
    return function.emitError("gradient check of element ")
           << element << " of argument #" << argIndex << ", which has "
           << args[argIndex].numElements() << " elements";
  if (!(step > 0.0) || !std::isfinite(step))
    return function.emitError("finite-difference step must be positive and finite, got ") << step;
  return success();
}

/// L(x + h e_i) and L(x - h e_i), on a private copy of the arguments.
static FailureOr<double> differenceAt(func::FuncOp function, SmallVector<Tensor> &work,
                                      unsigned argIndex, int64_t element, double step,
                                      const InterpreterOptions &options) {
  double original = work[argIndex][element];
  work[argIndex][element] = original + step;
  auto plus = evaluateLoss(function, work, options);
  work[argIndex][element] = original - step;
  auto minus = evaluateLoss(function, work, options);
  work[argIndex][element] = original;
  if (failed(plus) || failed(minus))
    return failure();
  // Divide by the step actually taken (x + h and x - h are rounded to doubles).
  return (*plus - *minus) / ((original + step) - (original - step));
}

FailureOr<double> mlir::tide::interp::centralDifference(func::FuncOp function,
                                                        ArrayRef<Tensor> args, unsigned argIndex,
                                                        int64_t element, double step,
                                                        const InterpreterOptions &options) {
  if (failed(checkPerturbation(function, args, argIndex, element, step)))
    return failure();
  SmallVector<Tensor> work(args.begin(), args.end());
  return differenceAt(function, work, argIndex, element, step, options);
}

FailureOr<Tensor> mlir::tide::interp::numericGradient(func::FuncOp function, ArrayRef<Tensor> args,
                                                      unsigned argIndex, double step,
                                                      const InterpreterOptions &options) {
  if (failed(checkPerturbation(function, args, argIndex, 0, step)))
    return failure();
  if (options.verifyFirst && failed(mlir::verify(function)))
    return failure();
  InterpreterOptions fast = options;
  fast.verifyFirst = false;
  SmallVector<Tensor> work(args.begin(), args.end());
  Tensor gradient(args[argIndex].shape);
  for (int64_t i = 0; i < gradient.numElements(); ++i) {
    auto derivative = differenceAt(function, work, argIndex, i, step, fast);
    if (failed(derivative))
      return failure();
    gradient[i] = *derivative;
  }
  return gradient;
}

double mlir::tide::interp::relativeError(double analytic, double numeric, double floor) {
  double scale = std::max({std::fabs(analytic), std::fabs(numeric), floor});
  if (scale == 0.0)
    return 0.0;
  return std::fabs(analytic - numeric) / scale;
}

GradientComparison mlir::tide::interp::compareGradients(const Tensor &analytic,
                                                        const Tensor &numeric, double floor) {
  GradientComparison worst;
  if (analytic.shape != numeric.shape) {
    worst.maxError = std::numeric_limits<double>::infinity();
    return worst;
  }
  for (int64_t i = 0; i < analytic.numElements(); ++i) {
    double error = relativeError(analytic[i], numeric[i], floor);
    // A NaN error is the worst possible and is never replaced.
    bool worse = std::isnan(error) ? !std::isnan(worst.maxError) : error > worst.maxError;
    if (worse || worst.worstElement < 0)
      worst = {error, i, analytic[i], numeric[i]};
  }
  return worst;
}
