//===- OnnxSliceOps.cpp - Slice, Split, Expand, ConstantOfShape, Equal, Where ---===//
//
// Boxes of a tensor (Slice with unit steps, Split) become tide.slice / tide.split, folded when
// the input is known at import (PyTorch slices shapes this way); Expand is a tide.mul by a
// small tensor of ones that carries the new dimensions; ConstantOfShape is always folded, and
// so is Equal (PyTorch's `expand(-1, ...)` computes its shape with ConstantOfShape, Equal and
// Where); Where selects with tide.where (its BOOL condition is an i32 mask).
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporterImpl.h"

#include "onnx/onnx_pb.h"

#include <algorithm>

namespace mlir::tide::onnx_detail {

using tidemark::onnximport::broadcastShapes;
using tidemark::onnximport::describeShape;

LogicalResult Importer::defineBox(int outputIndex, const Entry &data,
                                  const std::vector<int64_t> &start,
                                  const std::vector<int64_t> &sizes) {
  if (data.constant)
    return defineConstant(outputIndex,
                          tidemark::onnximport::sliceHost(*data.constant, start, sizes));
  if (data.kind != ElementKind::F32)
    return failNode("slicing an integer runtime tensor is not supported yet");
  if (start == std::vector<int64_t>(start.size(), 0) && sizes == data.shape)
    return define(outputIndex, alias(data));
  return defineValue(outputIndex,
                     createOp("tide.slice", {materialize(data)},
                              tensorType(sizes, ElementKind::F32),
                              {builder.getNamedAttr("start", builder.getDenseI64ArrayAttr(start)),
                               builder.getNamedAttr("sizes", builder.getDenseI64ArrayAttr(sizes))}),
                     ElementKind::F32);
}

/// Slice (opset 13): starts, ends and the optional axes and steps are known at import; each
/// start and end is counted from the end when negative and clamped to [0, dim]. Steps other
/// than 1 are not supported yet.
LogicalResult Importer::importSlice() {
  const Entry *data;
  const HostTensor *starts, *ends, *axes = nullptr, *steps = nullptr;
  if (failed(requireInput(0, &data)) || failed(requireConstant(1, &starts, "starts")) ||
      failed(requireConstant(2, &ends, "ends")) ||
      (input(3) && failed(requireConstant(3, &axes, "axes"))) ||
      (input(4) && failed(requireConstant(4, &steps, "steps"))))
    return failure();
  int64_t rank = static_cast<int64_t>(data->shape.size()), n = starts->numElements();
  if (ends->numElements() != n || (axes && axes->numElements() != n) ||
      (steps && steps->numElements() != n))
    return failNode("starts, ends, axes and steps must have the same length");
  std::vector<int64_t> start(rank, 0), sizes = data->shape;
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t axis = i;
    if (axes && failed(normalizeAxis(axes->ints[i], rank, &axis)))
      return failure();
    if (axis >= rank || seen[axis])
      return failNode("the axes must be distinct and within the input's rank");
    seen[axis] = true;
    if (steps && steps->ints[i] != 1)
      return failNode("Slice with step " + std::to_string(steps->ints[i]) +
                      " is not supported yet (step 1 is)");
    int64_t dim = data->shape[axis];
    int64_t begin = starts->ints[i], end = ends->ints[i];
    begin = std::clamp<int64_t>(begin < 0 ? begin + dim : begin, 0, dim);
    end = std::clamp<int64_t>(end < 0 ? end + dim : end, 0, dim);
    start[axis] = begin;
    sizes[axis] = std::max<int64_t>(0, end - begin);
  }
  return defineBox(0, *data, start, sizes);
}

/// Split (opsets 13-17): sizes from the optional `split` input, else equal parts, one per
/// output. A runtime float tensor becomes one tide.split.
LogicalResult Importer::importSplit() {
  const Entry *data;
  if (failed(requireInput(0, &data)))
    return failure();
  int64_t rank = static_cast<int64_t>(data->shape.size()), axis = 0;
  if (failed(normalizeAxis(intAttr("axis", 0), rank, &axis)))
    return failure();
  int64_t parts = currentNode->output_size(), dim = data->shape[axis];
  std::vector<int64_t> sizes;
  if (input(1)) {
    const HostTensor *split;
    if (failed(requireConstant(1, &split, "split")))
      return failure();
    sizes = split->ints;
  } else {
    if (parts < 1 || dim % parts != 0)
      return failNode("cannot split a dimension of " + std::to_string(dim) + " into " +
                      std::to_string(parts) + " equal parts");
    sizes.assign(parts, dim / parts);
  }
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return failNode("a split size is negative");
    total += size;
  }
  if (static_cast<int64_t>(sizes.size()) != parts || total != dim)
    return failNode("the split sizes must add up to " + std::to_string(dim) +
                    " and give one size per output");
  if (data->constant || parts == 1) {
    std::vector<int64_t> start(rank, 0), box = data->shape;
    for (int64_t i = 0; i < parts; ++i) {
      box[axis] = sizes[i];
      if (failed(defineBox(i, *data, start, box)))
        return failure();
      start[axis] += sizes[i];
    }
    return success();
  }
  if (data->kind != ElementKind::F32)
    return failNode("splitting an integer runtime tensor is not supported yet");
  SmallVector<Type> types;
  for (int64_t size : sizes) {
    std::vector<int64_t> shape = data->shape;
    shape[axis] = size;
    types.push_back(tensorType(shape, ElementKind::F32));
  }
  Operation *op = createOps("tide.split", {materialize(*data)}, types,
                            {builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis)),
                             builder.getNamedAttr("sizes", builder.getDenseI64ArrayAttr(sizes))});
  if (!op)
    return failure();
  for (int64_t i = 0; i < parts; ++i)
    if (failed(defineValue(i, op->getResult(i), ElementKind::F32)))
      return failure();
  return success();
}

/// Expand: NumPy broadcasting of the input to the shape input. Folded when known; otherwise a
/// tide.mul by ones shaped with the result's size on every dimension the input lacks or has as
/// 1 (x * 1 is exact), which keeps the constant small.
LogicalResult Importer::importExpand() {
  const Entry *x;
  const HostTensor *target;
  if (failed(requireInput(0, &x)) || failed(requireConstant(1, &target, "the shape")))
    return failure();
  std::vector<int64_t> shape;
  if (!broadcastShapes(x->shape, target->ints, &shape))
    return failNode("cannot expand " + describeShape(x->shape) + " to " +
                    describeShape(target->ints));
  if (shape == x->shape)
    return define(0, alias(*x));
  size_t offset = shape.size() - x->shape.size();
  HostTensor ones;
  ones.kind = x->kind;
  for (size_t i = 0; i < shape.size(); ++i)
    ones.shape.push_back(i < offset || x->shape[i - offset] == 1 ? shape[i] : 1);
  if (x->kind == ElementKind::F32)
    ones.floats.assign(ones.numElements(), 1.0f);
  else
    ones.ints.assign(ones.numElements(), 1);
  if (x->constant) {
    HostTensor folded;
    if (std::string message = tidemark::onnximport::foldBinary('*', *x->constant, ones, &folded);
        !message.empty())
      return failNode(message);
    return defineConstant(0, std::move(folded));
  }
  if (x->kind != ElementKind::F32)
    return failNode("expanding an integer runtime tensor is not supported yet");
  Entry onesEntry;
  onesEntry.constant = std::move(ones);
  return defineValue(0, binaryValues("tide.mul", materialize(*x), materialize(onesEntry)),
                     ElementKind::F32);
}

/// ConstantOfShape: a tensor of the known shape filled with the one-element `value` (default
/// float 0), folded.
LogicalResult Importer::importConstantOfShape() {
  const HostTensor *shape;
  if (failed(requireConstant(0, &shape, "the shape")))
    return failure();
  HostTensor fill;
  fill.floats = {0.0f};
  for (const auto &attribute : currentNode->attribute()) {
    if (attribute.name() != "value")
      continue;
    if (std::string message = tidemark::onnximport::fromTensorProto(attribute.t(), &fill);
        !message.empty())
      return failNode(message);
    if (fill.numElements() != 1)
      return failNode("the value must have one element");
  }
  HostTensor result;
  result.kind = fill.kind;
  result.shape = shape->ints;
  int64_t count = tidemark::onnximport::elementCount(result.shape);
  if (count < 0)
    return failNode("the shape " + describeShape(result.shape) + " is negative or too large");
  if (fill.isFloat())
    result.floats.assign(count, fill.floats[0]);
  else
    result.ints.assign(count, fill.ints[0]);
  return defineConstant(0, std::move(result));
}

LogicalResult Importer::importEqual() {
  const HostTensor *a, *b;
  if (failed(requireConstant(0, &a,
                             "Equal's left side (runtime comparisons are not supported "
                             "yet)")) ||
      failed(requireConstant(1, &b,
                             "Equal's right side (runtime comparisons are not supported "
                             "yet)")))
    return failure();
  HostTensor folded;
  if (std::string message = tidemark::onnximport::foldBinary('=', *a, *b, &folded);
      !message.empty())
    return failNode(message);
  return defineConstant(0, std::move(folded));
}

LogicalResult Importer::importWhere() {
  const Entry *cond, *x, *y;
  if (failed(requireInput(0, &cond)) || failed(requireInput(1, &x)) || failed(requireInput(2, &y)))
    return failure();
  if (cond->kind != ElementKind::Bool)
    return failNode("the condition must be BOOL");
  if (cond->constant && x->constant && y->constant) {
    HostTensor folded;
    if (std::string message =
            tidemark::onnximport::whereHost(*cond->constant, *x->constant, *y->constant, &folded);
        !message.empty())
      return failNode(message);
    return defineConstant(0, std::move(folded));
  }
  if (failed(requireFloat(1, &x)) || failed(requireFloat(2, &y)))
    return failure();
  std::vector<int64_t> pair, shape;
  if (!broadcastShapes(cond->shape, x->shape, &pair) || !broadcastShapes(pair, y->shape, &shape))
    return failNode("the shapes of the condition and the values do not broadcast");
  return defineValue(0,
                     createOp("tide.where", {materialize(*cond), materialize(*x), materialize(*y)},
                              tensorType(shape, ElementKind::F32)),
                     ElementKind::F32);
}

} // namespace mlir::tide::onnx_detail
