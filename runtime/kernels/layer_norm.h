// Layer normalization over the last `norm_size` elements of each row, with scale and bias, and
// its backward (dx, d_scale, d_bias).
//
// Forward, per row: mean = sum(x) / n; var = sum((x - mean)^2) / n (two passes: no cancellation);
// rstd = 1 / sqrt(var + epsilon); y = (x - mean) * rstd * scale + bias. mean and rstd are saved.
// Backward, per row, with xhat = (x - mean) * rstd and g = dy * scale:
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat));
//   d_scale = sum over rows of dy * xhat;  d_bias = sum over rows of dy.
// The row sums of d_scale/d_bias are deterministic: rows are split into at most
// kLayerNormGradBlocks fixed blocks (a function of `rows` only, not of the thread count); each
// block accumulates its partial sums in scratch, and the partials are added in block order.
// Complexity: O(rows * norm_size) time; backward scratch 2 * blocks * norm_size floats.
#ifndef TIDEMARK_RUNTIME_KERNELS_LAYER_NORM_H_
#define TIDEMARK_RUNTIME_KERNELS_LAYER_NORM_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

constexpr int64_t kLayerNormGradBlocks = 32;

// y[r, :] = layer norm of x[r, :]; mean[r], rstd[r] are written when those pointers are non-null.
// scale and bias hold norm_size floats. y may alias x.
// Errors: InvalidArgument for negative sizes, norm_size 0 with rows > 0, or a negative or
// non-finite epsilon (nothing written).
Status LayerNorm(int64_t rows, int64_t norm_size, const float *x, const float *scale,
                 const float *bias, float epsilon, float *y, float *mean, float *rstd,
                 ThreadPool *pool);

// Scratch bytes LayerNormGrad needs (a multiple of 64). num_threads does not change it.
size_t LayerNormGradScratchBytes(int64_t rows, int64_t norm_size, int num_threads);

// Backward from the forward input x, scale and the saved mean/rstd. Writes dx (rows x norm_size,
// may alias dy), d_scale and d_bias (norm_size each, overwritten, not accumulated). scratch is
// 64-byte aligned with at least LayerNormGradScratchBytes bytes.
// Errors: InvalidArgument for negative sizes or a null scratch when one is needed.
Status LayerNormGrad(int64_t rows, int64_t norm_size, const float *x, const float *scale,
                     const float *mean, const float *rstd, const float *dy, float *dx,
                     float *d_scale, float *d_bias, void *scratch, ThreadPool *pool);

// ---- Scalar references (tests). T is float or double; mean/rstd are always written. ----

template <typename T>
void LayerNormReference(int64_t rows, int64_t n, const T *x, const T *scale, const T *bias,
                        T epsilon, T *y, T *mean, T *rstd) {
  for (int64_t r = 0; r < rows; ++r) {
    const T *xr = x + r * n;
    T sum = T(0);
    for (int64_t j = 0; j < n; ++j)
      sum += xr[j];
    const T m = sum / static_cast<T>(n);
    T sq = T(0);
    for (int64_t j = 0; j < n; ++j)
      sq += (xr[j] - m) * (xr[j] - m);
    const T s = T(1) / std::sqrt(sq / static_cast<T>(n) + epsilon);
    for (int64_t j = 0; j < n; ++j)
      y[r * n + j] = (xr[j] - m) * s * scale[j] + bias[j];
    mean[r] = m;
    rstd[r] = s;
  }
}

template <typename T>
void LayerNormGradReference(int64_t rows, int64_t n, const T *x, const T *scale, const T *mean,
                            const T *rstd, const T *dy, T *dx, T *d_scale, T *d_bias) {
  for (int64_t j = 0; j < n; ++j)
    d_scale[j] = d_bias[j] = T(0);
  for (int64_t r = 0; r < rows; ++r) {
    T sum_g = T(0), sum_gx = T(0);
    for (int64_t j = 0; j < n; ++j) {
      const T xhat = (x[r * n + j] - mean[r]) * rstd[r];
      const T g = dy[r * n + j] * scale[j];
      sum_g += g;
      sum_gx += g * xhat;
      d_scale[j] += dy[r * n + j] * xhat;
      d_bias[j] += dy[r * n + j];
    }
    for (int64_t j = 0; j < n; ++j) {
      const T xhat = (x[r * n + j] - mean[r]) * rstd[r];
      const T g = dy[r * n + j] * scale[j];
      dx[r * n + j] = rstd[r] * (g - sum_g / static_cast<T>(n) - xhat * sum_gx / static_cast<T>(n));
    }
  }
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_LAYER_NORM_H_
