//===- Tensor.h - Dense double tensors of the reference interpreter -*- C++ -*-===//
//
// The value type of the tide reference interpreter: a static shape and its elements in
// row-major order, held in double so that the interpreter can serve as the oracle of gradient
// checks. Integer label tensors hold their class ids as (exactly representable) doubles.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_INTERP_TENSOR_H
#define TIDEMARK_COMPILER_INTERP_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::tide::interp {

/// A dense row-major tensor of doubles. A 0-d tensor (empty shape) holds one element.
struct Tensor {
  llvm::SmallVector<int64_t, 6> shape;
  std::vector<double> data;

  Tensor() : data(1, 0.0) {}
  /// A tensor of `shape` with every element equal to `fill`.
  explicit Tensor(llvm::ArrayRef<int64_t> shape, double fill = 0.0);
  /// A tensor of `shape` with the given elements (the caller keeps the count consistent; the
  /// interpreter checks it for every argument).
  Tensor(llvm::ArrayRef<int64_t> shape, std::vector<double> values);

  /// A 0-d tensor holding `value`.
  static Tensor scalar(double value);

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numElements() const { return static_cast<int64_t>(data.size()); }
  double &operator[](int64_t i) { return data[i]; }
  double operator[](int64_t i) const { return data[i]; }
};

/// Product of the dimensions (1 for a 0-d shape).
int64_t countElements(llvm::ArrayRef<int64_t> shape);

/// Row-major strides of `shape` (the last dimension has stride 1).
llvm::SmallVector<int64_t, 6> rowMajorStrides(llvm::ArrayRef<int64_t> shape);

/// Strides that read a tensor of shape `source` at an index of the (NumPy-)broadcast shape
/// `target`: `source` is aligned at the trailing dimensions and every dimension along which it
/// is broadcast (size 1, or missing) gets stride 0. The result has `target.size()` entries.
/// Precondition: `source` broadcasts to `target` (the op verifiers guarantee it).
llvm::SmallVector<int64_t, 6> broadcastStrides(llvm::ArrayRef<int64_t> source,
                                               llvm::ArrayRef<int64_t> target);

/// Calls `visit(index, linear)` for every index of `shape` in row-major order (`linear` counts
/// from 0). A 0-d shape has exactly one (empty) index. Cost: O(elements * rank).
void forEachIndex(llvm::ArrayRef<int64_t> shape,
                  llvm::function_ref<void(llvm::ArrayRef<int64_t> index, int64_t linear)> visit);

/// Sum of index[i] * strides[i].
int64_t dotOffset(llvm::ArrayRef<int64_t> index, llvm::ArrayRef<int64_t> strides);

/// `[2, 3, 4]`, for messages.
std::string shapeToString(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::tide::interp

#endif // TIDEMARK_COMPILER_INTERP_TENSOR_H
