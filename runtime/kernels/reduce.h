// Reduce: sum and mean of a dense f32 tensor over a set of axes, and their backward (broadcast).
//
// Algorithm (Reduce):
//   1. Validate the shape and the axes mask; drop size-1 axes and merge neighbouring axes that are
//      both reduced or both kept, leaving alternating kept/reduced groups.
//   2. If the innermost group is reduced, every output is a sum of contiguous rows (SIMD horizontal
//      sums); otherwise every output row accumulates input rows (SIMD vertical adds).
//   3. Tasks own disjoint outputs; each output sums its inputs in row-major order, so results do
//      not depend on the thread count. Mean divides the sum by the reduced element count.
// Complexity: O(number of input elements) time, no extra memory.
#ifndef TIDEMARK_RUNTIME_KERNELS_REDUCE_H_
#define TIDEMARK_RUNTIME_KERNELS_REDUCE_H_

#include <cmath>
#include <cstdint>

#include "runtime/kernels/shape.h"
#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

enum class ReduceOp { kSum, kMean };

// Checks that `in_shape` is a valid shape (rank <= kMaxRank, no negative dim) and that
// `axes_mask` names only axes below its rank. Bit i of the mask selects axis i.
Status ValidateReduce(const Shape &in_shape, uint32_t axes_mask);

// The shape of Reduce's output with the reduced axes kept as size 1 (the caller may drop them:
// the layout is the same).
Shape ReducedShape(const Shape &in_shape, uint32_t axes_mask);

// out = sum (or mean) of `in` over the axes in `axes_mask`. `out` holds
// ReducedShape(in_shape, axes_mask).NumElements() floats and must not overlap `in`. Mean over an
// empty set of elements is NaN, sum is 0. `pool` may be nullptr (single-threaded).
// Errors: InvalidArgument for a bad shape or mask (nothing written).
Status Reduce(ReduceOp op, const Shape &in_shape, const float *in, uint32_t axes_mask, float *out,
              ThreadPool *pool);

// Backward of Reduce: dx (in_shape) = dy broadcast back over the reduced axes, times
// 1 / (reduced element count) for the mean. dy has ReducedShape(in_shape, axes_mask).
Status ReduceGrad(ReduceOp op, const Shape &in_shape, uint32_t axes_mask, const float *dy,
                  float *dx, ThreadPool *pool);

// Scalar references (used by the tests). T is float or double; summation in input order.
template <typename T>
Status ReduceReference(ReduceOp op, const Shape &in_shape, const T *in, uint32_t axes_mask,
                       T *out) {
  TIDEMARK_RETURN_IF_ERROR(ValidateReduce(in_shape, axes_mask));
  const Shape out_shape = ReducedShape(in_shape, axes_mask);
  const int64_t out_count = out_shape.NumElements();
  for (int64_t o = 0; o < out_count; ++o)
    out[o] = T(0);
  const int64_t in_count = in_shape.NumElements();
  for (int64_t i = 0; i < in_count; ++i) {
    int64_t rest = i, out_index = 0, out_stride = 1;
    for (int axis = in_shape.rank - 1; axis >= 0; --axis) {
      const int64_t coord = rest % in_shape.dims[axis];
      rest /= in_shape.dims[axis];
      if (!(axes_mask & (1u << axis))) {
        out_index += coord * out_stride;
        out_stride *= in_shape.dims[axis];
      }
    }
    out[out_index] += in[i];
  }
  if (op == ReduceOp::kMean) {
    const int64_t count = out_count == 0 ? 0 : in_count / out_count;
    for (int64_t o = 0; o < out_count; ++o)
      out[o] = count == 0 ? T(NAN) : out[o] / static_cast<T>(count);
  }
  return Status::Ok();
}

template <typename T>
Status ReduceGradReference(ReduceOp op, const Shape &in_shape, uint32_t axes_mask, const T *dy,
                           T *dx) {
  TIDEMARK_RETURN_IF_ERROR(ValidateReduce(in_shape, axes_mask));
  const int64_t in_count = in_shape.NumElements();
  const int64_t out_count = ReducedShape(in_shape, axes_mask).NumElements();
  const T scale =
      (op == ReduceOp::kMean && in_count > 0) ? T(1) / static_cast<T>(in_count / out_count) : T(1);
  for (int64_t i = 0; i < in_count; ++i) {
    int64_t rest = i, out_index = 0, out_stride = 1;
    for (int axis = in_shape.rank - 1; axis >= 0; --axis) {
      const int64_t coord = rest % in_shape.dims[axis];
      rest /= in_shape.dims[axis];
      if (!(axes_mask & (1u << axis))) {
        out_index += coord * out_stride;
        out_stride *= in_shape.dims[axis];
      }
    }
    dx[i] = dy[out_index] * scale;
  }
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_REDUCE_H_
