//===- Tensor.cpp - Dense double tensors of the reference interpreter ------===//

#include "compiler/interp/Tensor.h"

#include <utility>

using namespace mlir::tide::interp;

Tensor::Tensor(llvm::ArrayRef<int64_t> shape, double fill)
    : shape(shape.begin(), shape.end()), data(countElements(shape), fill) {}

Tensor::Tensor(llvm::ArrayRef<int64_t> shape, std::vector<double> values)
    : shape(shape.begin(), shape.end()), data(std::move(values)) {}

Tensor Tensor::scalar(double value) { return Tensor({}, value); }

int64_t mlir::tide::interp::countElements(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

llvm::SmallVector<int64_t, 6> mlir::tide::interp::rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t, 6> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

llvm::SmallVector<int64_t, 6> mlir::tide::interp::broadcastStrides(llvm::ArrayRef<int64_t> source,
                                                                   llvm::ArrayRef<int64_t> target) {
  llvm::SmallVector<int64_t, 6> sourceStrides = rowMajorStrides(source);
  llvm::SmallVector<int64_t, 6> strides(target.size(), 0);
  size_t offset = target.size() - source.size();
  for (size_t i = 0; i < source.size(); ++i)
    strides[offset + i] = source[i] == 1 && target[offset + i] != 1 ? 0 : sourceStrides[i];
  return strides;
}

void mlir::tide::interp::forEachIndex(
    llvm::ArrayRef<int64_t> shape,
    llvm::function_ref<void(llvm::ArrayRef<int64_t> index, int64_t linear)> visit) {
  int64_t count = countElements(shape);
  llvm::SmallVector<int64_t, 6> index(shape.size(), 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    visit(index, linear);
    // Odometer increment: bump the last dimension, carry into the earlier ones.
    for (int64_t dim = static_cast<int64_t>(shape.size()) - 1; dim >= 0; --dim) {
      if (++index[dim] < shape[dim])
        break;
      index[dim] = 0;
    }
  }
}

int64_t mlir::tide::interp::dotOffset(llvm::ArrayRef<int64_t> index,
                                      llvm::ArrayRef<int64_t> strides) {
  int64_t offset = 0;
  for (size_t i = 0; i < index.size(); ++i)
    offset += index[i] * strides[i];
  return offset;
}

std::string mlir::tide::interp::shapeToString(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}
