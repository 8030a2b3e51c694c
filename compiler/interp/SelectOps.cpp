//===- SelectOps.cpp - Semantics of split, where, reduce_max and cast -----===//
//
// Plain double loops for the selection ops, each a literal reading of the op's description in
// the ODS, written from the definition and independent of the runtime's kernels.
//
//===----------------------------------------------------------------------===//

#include "compiler/interp/OpSemantics.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::interp;

//===----------------------------------------------------------------------===//
// split
//===----------------------------------------------------------------------===//

// Result i holds the input's elements whose index along the axis lies in
// [offset_i, offset_i + sizes[i]).
OpResults mlir::tide::interp::evaluate(SplitOp op, const OpInputs &in) {
  const Tensor &input = in[0];
  int64_t axis = op.getNormalizedAxis(), offset = 0;
  auto strides = rowMajorStrides(input.shape);
  SmallVector<Tensor> results;
  for (Value result : op.getResults()) {
    Tensor out(shapeOf(result));
    forEachIndex(out.shape, [&](ArrayRef<int64_t> index, int64_t linear) {
      int64_t at = 0;
      for (size_t d = 0; d < index.size(); ++d)
        at += (index[d] + (static_cast<int64_t>(d) == axis ? offset : 0)) * strides[d];
      out[linear] = input[at];
    });
    offset += out.shape[axis];
    results.push_back(std::move(out));
  }
  return results;
}

//===----------------------------------------------------------------------===//
// where
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(WhereOp op, const OpInputs &in) {
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  auto condStrides = broadcastStrides(in[0].shape, shape);
  auto lhsStrides = broadcastStrides(in[1].shape, shape);
  auto rhsStrides = broadcastStrides(in[2].shape, shape);
  Tensor out(shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    out[linear] = in[0][dotOffset(index, condStrides)] != 0.0 ? in[1][dotOffset(index, lhsStrides)]
                                                              : in[2][dotOffset(index, rhsStrides)];
  });
  return singleResult(std::move(out));
}

//===----------------------------------------------------------------------===//
// reduce_max
//===----------------------------------------------------------------------===//

/// The first index of line `base + i * stride` (i < length) attaining its maximum: the first NaN
/// if there is one, else the first element no other element exceeds.
static int64_t firstMaximum(const Tensor &input, int64_t base, int64_t stride, int64_t length) {
  int64_t best = 0;
  for (int64_t i = 0; i < length; ++i) {
    double value = input[base + i * stride];
    if (std::isnan(value))
      return i;
    if (value > input[base + best * stride])
      best = i;
  }
  return best;
}

// Lines along the axis, in row-major order of the other dimensions: line n is result element n
// (keep_dims only inserts a 1, which does not change the order).
OpResults mlir::tide::interp::evaluate(ReduceMaxOp op, const OpInputs &in) {
  const Tensor &input = in[0];
  Tensor out(shapeOf(op.getResult()));
  int64_t line = 0;
  forEachLine(input.shape, op.getNormalizedAxis(), [&](int64_t base, int64_t stride, int64_t n) {
    out[line++] = input[base + firstMaximum(input, base, stride, n) * stride];
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(ReduceMaxGradOp op, const OpInputs &in) {
  const Tensor &input = in[0], &grad = in[1];
  int64_t rank = static_cast<int64_t>(input.shape.size());
  int64_t axis =
      op.getAxisAttr().getInt() < 0 ? op.getAxisAttr().getInt() + rank : op.getAxisAttr().getInt();
  Tensor out(input.shape);
  int64_t line = 0;
  forEachLine(input.shape, axis, [&](int64_t base, int64_t stride, int64_t n) {
    out[base + firstMaximum(input, base, stride, n) * stride] = grad[line++];
  });
  return singleResult(std::move(out));
}

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

/// f32 -> i32 as the ODS states: NaN -> 0, saturation at the i32 range, else truncation.
static double toI32(double x) {
  if (std::isnan(x))
    return 0.0;
  if (x >= 2147483648.0)
    return 2147483647.0;
  if (x < -2147483648.0)
    return -2147483648.0;
  return std::trunc(x);
}

OpResults mlir::tide::interp::evaluate(CastOp op, const OpInputs &in) {
  bool toInteger =
      cast<RankedTensorType>(op.getResult().getType()).getElementType().isSignlessInteger(32);
  Tensor out(in[0].shape);
  for (int64_t i = 0; i < out.numElements(); ++i)
    out[i] = toInteger ? toI32(in[0][i]) : static_cast<double>(static_cast<float>(in[0][i]));
  return singleResult(std::move(out));
}
