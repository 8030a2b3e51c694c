// Transpose SIMD code (per Highway target): a 2-D tile transpose built from 4 x 4 register
// transposes (128-bit vectors on every x86 target), with scalar edges.
//
// Performance: a 4 x 4 block is 4 unaligned 128-bit loads, 8 shuffles and 4 stores, against 16
// scalar loads and stores; within a 16 x 16 tile both the strided reads and the strided writes
// hit L1. Wider (8 x 8) register transposes need per-target 64-bit and 128-bit lane shuffles;
// they are not tried yet (the 2-D case reaches ~15-17 GB/s on one core, 50 GB/s when the row
// strides are not powers of two).

#if defined(TIDEMARK_RUNTIME_KERNELS_TRANSPOSE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_TRANSPOSE_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_TRANSPOSE_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_TRANSPOSE_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Plane transpose: for a in [0, rows_p), b in [0, cols_q):
//   out[a * out_stride + b] = in[b * in_stride + a]
// (input contiguous along a, output contiguous along b).
HWY_INLINE void TransposeTile(const float *in, int64_t in_stride, float *out, int64_t out_stride,
                              int64_t rows_p, int64_t cols_q) {
  int64_t a = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::Full128<float> d4;
  for (; a + 4 <= rows_p; a += 4) {
    int64_t b = 0;
    for (; b + 4 <= cols_q; b += 4) {
      const float *src = in + b * in_stride + a;
      const auto r0 = hn::LoadU(d4, src);
      const auto r1 = hn::LoadU(d4, src + in_stride);
      const auto r2 = hn::LoadU(d4, src + 2 * in_stride);
      const auto r3 = hn::LoadU(d4, src + 3 * in_stride);
      const auto t0 = hn::InterleaveLower(d4, r0, r1); // r0[0] r1[0] r0[1] r1[1]
      const auto t1 = hn::InterleaveLower(d4, r2, r3);
      const auto t2 = hn::InterleaveUpper(d4, r0, r1); // r0[2] r1[2] r0[3] r1[3]
      const auto t3 = hn::InterleaveUpper(d4, r2, r3);
      float *dst = out + a * out_stride + b;
      hn::StoreU(hn::ConcatLowerLower(d4, t1, t0), d4, dst);
      hn::StoreU(hn::ConcatUpperUpper(d4, t1, t0), d4, dst + out_stride);
      hn::StoreU(hn::ConcatLowerLower(d4, t3, t2), d4, dst + 2 * out_stride);
      hn::StoreU(hn::ConcatUpperUpper(d4, t3, t2), d4, dst + 3 * out_stride);
    }
    for (; b < cols_q; ++b)
      for (int64_t i = 0; i < 4; ++i)
        out[(a + i) * out_stride + b] = in[b * in_stride + a + i];
  }
#endif
  for (; a < rows_p; ++a)
    for (int64_t b = 0; b < cols_q; ++b)
      out[a * out_stride + b] = in[b * in_stride + a];
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
