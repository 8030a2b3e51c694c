// Where (select): out = cond != 0 ? a : b elementwise, with NumPy broadcasting of all three.
//
// cond is an i32 mask (nonzero = true: the plan format's element types are f32 and i32, so a
// mask is i32); a, b and out are f32. Algorithm:
//   1. Right-align the three operand shapes to the output rank (a dimension of 1 broadcasts:
//      stride 0) and check the output shape is exactly their broadcast shape.
//   2. Drop size-1 output axes and merge neighbours whose strides stay contiguous for all three,
//      so equal shapes become one flat row and a row-vector mask becomes [rows, cols].
//   3. Every innermost row is one SIMD select (IfThenElse on cond == 0) whose operands are
//      either contiguous vectors or broadcast scalars; tasks own disjoint blocks of rows.
// Complexity: O(output elements), no extra memory. Results are exact copies of a or b elements
// (NaN payloads included) and independent of the thread count.
#ifndef TIDEMARK_RUNTIME_KERNELS_WHERE_H_
#define TIDEMARK_RUNTIME_KERNELS_WHERE_H_

#include <cstdint>

#include "runtime/kernels/elementwise.h"
#include "runtime/kernels/shape.h"
#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// *out = the broadcast shape of cond, a and b, or InvalidArgument naming the incompatible pair.
Status WhereShape(const Shape &cond_shape, const Shape &a_shape, const Shape &b_shape, Shape *out);

// out = cond != 0 ? a : b. out_shape must equal WhereShape(...); out must not overlap any
// operand unless it is that operand with out_shape. Errors: InvalidArgument (nothing written).
Status Where(const Shape &cond_shape, const int32_t *cond, const Shape &a_shape, const float *a,
             const Shape &b_shape, const float *b, const Shape &out_shape, float *out,
             ThreadPool *pool);

// Scalar reference (tests). T is float or double.
template <typename T>
Status WhereReference(const Shape &cond_shape, const int32_t *cond, const Shape &a_shape,
                      const T *a, const Shape &b_shape, const T *b, const Shape &out_shape,
                      T *out) {
  Shape expected;
  TIDEMARK_RETURN_IF_ERROR(WhereShape(cond_shape, a_shape, b_shape, &expected));
  if (expected != out_shape)
    return InvalidArgument("where reference: output shape is not the broadcast shape");
  const int64_t n = out_shape.NumElements();
  for (int64_t i = 0; i < n; ++i)
    out[i] = cond[BroadcastOffset(cond_shape, out_shape, i)] != 0
                 ? a[BroadcastOffset(a_shape, out_shape, i)]
                 : b[BroadcastOffset(b_shape, out_shape, i)];
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_WHERE_H_
