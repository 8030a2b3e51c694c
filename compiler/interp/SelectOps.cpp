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
