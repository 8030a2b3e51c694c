// Softmax along one axis (max-subtracted) and its backward dx = y * (dy - sum(dy * y)).
//
// The axis is given as (outer, axis_len, inner): the tensor is viewed as [outer, axis_len, inner]
// row-major and softmax runs along the middle dimension; last-axis softmax is inner = 1 (the
// compiler may also transpose instead).
// Algorithm per softmax vector: 1. m = max_j x_j; 2. e_j = exp(x_j - m), s = sum_j e_j;
// 3. y_j = e_j * (1 / s). inner = 1 uses horizontal SIMD along the row; inner > 1 runs the same
// three steps on SIMD vectors of `inner` positions at once (vertical, stride `inner`).
// Complexity: O(outer * axis_len * inner) time, 3 passes over the data, no extra memory.
// Rows of all -inf (or containing +inf or NaN) produce NaN, as in PyTorch.
#ifndef TIDEMARK_RUNTIME_KERNELS_SOFTMAX_H_
#define TIDEMARK_RUNTIME_KERNELS_SOFTMAX_H_

#include <cmath>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// y = softmax(x) along the middle axis of [outer, axis_len, inner]. y may alias x.
// Errors: InvalidArgument for a negative size (nothing written). pool may be nullptr.
Status Softmax(int64_t outer, int64_t axis_len, int64_t inner, const float *x, float *y,
               ThreadPool *pool);

// dx = y * (dy - sum_axis(dy * y)) from the forward OUTPUT y. dx may alias dy.
Status SoftmaxGrad(int64_t outer, int64_t axis_len, int64_t inner, const float *y, const float *dy,
                   float *dx, ThreadPool *pool);

// ---- Scalar references (tests). T is float or double. ----

template <typename T>
void SoftmaxReference(int64_t outer, int64_t axis_len, int64_t inner, const T *x, T *y) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T *xs = x + o * axis_len * inner + i;
      T *ys = y + o * axis_len * inner + i;
      T max_value = xs[0];
      for (int64_t j = 1; j < axis_len; ++j)
        max_value = std::fmax(max_value, xs[j * inner]);
      T sum = T(0);
      for (int64_t j = 0; j < axis_len; ++j)
        sum += std::exp(xs[j * inner] - max_value);
      for (int64_t j = 0; j < axis_len; ++j)
        ys[j * inner] = std::exp(xs[j * inner] - max_value) / sum;
    }
}

template <typename T>
void SoftmaxGradReference(int64_t outer, int64_t axis_len, int64_t inner, const T *y, const T *dy,
                          T *dx) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * axis_len * inner + i;
      T dot = T(0);
      for (int64_t j = 0; j < axis_len; ++j)
        dot += dy[base + j * inner] * y[base + j * inner];
      for (int64_t j = 0; j < axis_len; ++j)
        dx[base + j * inner] = y[base + j * inner] * (dy[base + j * inner] - dot);
    }
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_SOFTMAX_H_
