// Casts between f32 and i32 (tide.cast), with every input given a defined result.
//
// f32 -> i32: truncation toward zero (as PyTorch's .to(torch.int32) for in-range values), then
//   saturation: x >= 2^31 gives INT32_MAX, x < -2^31 gives INT32_MIN (including the infinities),
//   and NaN gives 0. (PyTorch leaves out-of-range and NaN undefined: on x86 it returns
//   INT32_MIN for them.) The kernel clamps before it converts, so no conversion ever sees an
//   out-of-range value (no undefined behaviour on the emulated targets either).
// i32 -> f32: round to nearest even (exact for |x| <= 2^24), as a C++ static_cast.
// Algorithm: one SIMD pass (replace NaN by 0, clamp to [-2^31, largest float < 2^31], convert,
// then patch the lanes >= 2^31 to INT32_MAX); a scalar tail with the same rule. Tasks own
// disjoint element ranges. Complexity: O(n), no extra memory.
#ifndef TIDEMARK_RUNTIME_KERNELS_CAST_H_
#define TIDEMARK_RUNTIME_KERNELS_CAST_H_

#include <cmath>
#include <cstdint>
#include <limits>

namespace tidemark {
class ThreadPool;
namespace kernels {

// y[i] = the saturating truncation of x[i] (see above) for i in [0, n).
void CastF32ToI32(const float *x, int32_t *y, int64_t n, ThreadPool *pool);

// y[i] = static_cast<float>(x[i]) for i in [0, n).
void CastI32ToF32(const int32_t *x, float *y, int64_t n, ThreadPool *pool);

// Scalar reference of CastF32ToI32 (tests and the documentation of the rule).
inline int32_t CastF32ToI32Reference(float x) {
  if (std::isnan(x))
    return 0;
  if (x >= 2147483648.0f)
    return std::numeric_limits<int32_t>::max();
  if (x < -2147483648.0f)
    return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(x); // In range: truncation toward zero, defined.
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_CAST_H_
