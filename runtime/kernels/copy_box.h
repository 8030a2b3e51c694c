// Box copies: one kernel for slice, concat, split and pad, and their backward.
//
// CopyBox copies an axis-aligned box of `extent` elements from `src` (starting at src_start) to
// `dst` (starting at dst_start), both dense row-major tensors of the same rank:
//   slice(x, start)            = CopyBox(x at start -> out at 0, extent = out shape)
//   slice backward             = Fill(dx, 0); CopyBox(dy at 0 -> dx at start)
//   concat(x_0..x_k, axis)     = CopyBox(x_i at 0 -> out at offset_i along axis), per input
//   split / concat backward    = the slices of the output gradient
//   pad(x, low) with a value   = Fill(out, value); CopyBox(x at 0 -> out at low)
//   pad backward               = slice(dy, low)
// Algorithm: trailing axes where the box spans the whole of both tensors are merged, so the
// innermost run is as long as possible; every innermost run is one SIMD row copy. Tasks are
// blocks of runs.
// Complexity: O(box elements) time, no extra memory.
#ifndef TIDEMARK_RUNTIME_KERNELS_COPY_BOX_H_
#define TIDEMARK_RUNTIME_KERNELS_COPY_BOX_H_

#include <cstdint>

#include "runtime/kernels/shape.h"
#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// Checks ranks (equal, <= kMaxRank), non-negative dims, starts and extent, and that the box fits
// in both tensors: InvalidArgument naming the axis otherwise.
Status ValidateCopyBox(const Shape &src_shape, const int64_t *src_start, const Shape &dst_shape,
                       const int64_t *dst_start, const int64_t *extent);

// dst[dst_start + k] = src[src_start + k] for every k in the box [0, extent). src and dst must not
// overlap. Errors: InvalidArgument (nothing written).
Status CopyBox(const Shape &src_shape, const float *src, const int64_t *src_start,
               const Shape &dst_shape, float *dst, const int64_t *dst_start, const int64_t *extent,
               ThreadPool *pool);

// x[0, n) = value.
void Fill(float *x, int64_t n, float value, ThreadPool *pool);

// Scalar reference of CopyBox (tests).
inline void CopyBoxReference(const Shape &src_shape, const float *src, const int64_t *src_start,
                             const Shape &dst_shape, float *dst, const int64_t *dst_start,
                             const int64_t *extent) {
  int64_t total = 1;
  for (int a = 0; a < src_shape.rank; ++a)
    total *= extent[a];
  for (int64_t k = 0; k < total; ++k) {
    int64_t rest = k, src_offset = 0, dst_offset = 0, src_stride = 1, dst_stride = 1;
    for (int a = src_shape.rank - 1; a >= 0; --a) {
      const int64_t coord = rest % extent[a];
      rest /= extent[a];
      src_offset += (src_start[a] + coord) * src_stride;
      dst_offset += (dst_start[a] + coord) * dst_stride;
      src_stride *= src_shape.dims[a];
      dst_stride *= dst_shape.dims[a];
    }
    dst[dst_offset] = src[src_offset];
  }
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_COPY_BOX_H_
