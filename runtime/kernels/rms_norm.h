// RMS normalization (Llama's RMSNorm) over the last `norm_size` elements of each row, with a
// scale, and its backward (dx, d_scale).
//
// Forward, per row: rstd = 1 / sqrt(sum(x^2) / n + epsilon); y = x * rstd * scale. rstd is saved.
// Backward, per row, with xhat = x * rstd and g = dy * scale:
//   dx = rstd * (g - xhat * mean(g * xhat));   d_scale = sum over rows of dy * xhat.
// As in layer_norm, d_scale is deterministic: rows are split into at most kRmsNormGradBlocks fixed
// blocks (a function of `rows` only); each block sums its partial row in scratch and the partials
// are added in block order.
// Complexity: O(rows * norm_size) time; backward scratch blocks * norm_size floats.
#ifndef TIDEMARK_RUNTIME_KERNELS_RMS_NORM_H_
#define TIDEMARK_RUNTIME_KERNELS_RMS_NORM_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

constexpr int64_t kRmsNormGradBlocks = 32;

// y[r, :] = rms norm of x[r, :] times scale (norm_size floats); rstd[r] is written when rstd is
// non-null. y may alias x. Errors: InvalidArgument for negative sizes, norm_size 0 with rows > 0,
// or a negative or non-finite epsilon (nothing written).
Status RmsNorm(int64_t rows, int64_t norm_size, const float *x, const float *scale, float epsilon,
               float *y, float *rstd, ThreadPool *pool);

// Scratch bytes RmsNormGrad needs (a multiple of 64). num_threads does not change it.
size_t RmsNormGradScratchBytes(int64_t rows, int64_t norm_size, int num_threads);

// Backward from the forward input x, scale and the saved rstd. Writes dx (rows x norm_size, may
// alias dy) and d_scale (norm_size, overwritten). scratch is 64-byte aligned with at least
// RmsNormGradScratchBytes bytes. Errors: InvalidArgument for negative sizes or a null scratch
// when one is needed.
Status RmsNormGrad(int64_t rows, int64_t norm_size, const float *x, const float *scale,
                   const float *rstd, const float *dy, float *dx, float *d_scale, void *scratch,
                   ThreadPool *pool);

// ---- Scalar references (tests). T is float or double; rstd is always written. ----
template <typename T>
void RmsNormReference(int64_t rows, int64_t n, const T *x, const T *scale, T epsilon, T *y,
                      T *rstd) {
  for (int64_t r = 0; r < rows; ++r) {
    const T *xr = x + r * n;
    T sq = T(0);
    for (int64_t j = 0; j < n; ++j)
      sq += xr[j] * xr[j];
    const T s = T(1) / std::sqrt(sq / static_cast<T>(n) + epsilon);
    for (int64_t j = 0; j < n; ++j)
      y[r * n + j] = xr[j] * s * scale[j];
    rstd[r] = s;
  }
}

template <typename T>
void RmsNormGradReference(int64_t rows, int64_t n, const T *x, const T *scale, const T *rstd,
                          const T *dy, T *dx, T *d_scale) {
  for (int64_t j = 0; j < n; ++j)
    d_scale[j] = T(0);
  for (int64_t r = 0; r < rows; ++r) {
    T sum_gx = T(0);
    for (int64_t j = 0; j < n; ++j) {
      const T xhat = x[r * n + j] * rstd[r];
      sum_gx += dy[r * n + j] * scale[j] * xhat;
      d_scale[j] += dy[r * n + j] * xhat;
    }
    for (int64_t j = 0; j < n; ++j) {
      const T xhat = x[r * n + j] * rstd[r];
      dx[r * n + j] = rstd[r] * (dy[r * n + j] * scale[j] - xhat * sum_gx / static_cast<T>(n));
    }
  }
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_RMS_NORM_H_
