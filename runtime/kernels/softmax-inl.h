// Softmax SIMD code (per Highway target): last-axis rows (horizontal) and strided columns
// (vertical), forward and backward, plus the row exp-sum that the cross-entropy loss reuses.
//
// Performance: the row case makes three passes (max, exp+sum with y written, scale) so each pass
// streams one row that stays in L1/L2 for typical widths; the exp pass is compute-bound (Highway's
// Exp is a ~15-op polynomial) and its per-lane work is independent, so one vector per iteration
// keeps the pipes busy. The column case keeps `Lanes` softmax vectors in registers at once.

#if defined(TIDEMARK_RUNTIME_KERNELS_SOFTMAX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_SOFTMAX_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_SOFTMAX_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_SOFTMAX_INL_H_
#endif

#include <cstdint>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Returns sum_i exp(x[i] - shift); also stores the exponentials to y when y != nullptr.
HWY_INLINE float ExpSumRow(const float *x, float shift, float *y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vshift = hn::Set(d, shift);
  auto sum = hn::Zero(d);
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    auto e = hn::Exp(d, hn::Sub(LoadPartial(d, x + i, count), vshift));
    if (count < lanes) // Zero the lanes past the row (their exp(0 - shift) is not part of it).
      e = hn::IfThenElseZero(hn::FirstN(d, static_cast<size_t>(count)), e);
    sum = hn::Add(sum, e);
    if (y != nullptr)
      StorePartial(d, e, y + i, count);
  }
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

HWY_INLINE void SoftmaxRow(const float *x, float *y, int64_t n) {
  const float max_value = MaxRow(x, n);
  const float sum = ExpSumRow(x, max_value, y, n);
  ScaleRow(y, 1.0f / sum, n);
}

// dx = y * (dy - dot(dy, y)) along one row.
HWY_INLINE void SoftmaxGradRow(const float *y, const float *dy, float *dx, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto dot = hn::Set(d, DotRow(dy, y, n));
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    const auto vy = LoadPartial(d, y + i, count);
    StorePartial(d, hn::Mul(vy, hn::Sub(LoadPartial(d, dy + i, count), dot)), dx + i, count);
  }
}

// Softmax of `count` (<= Lanes) neighbouring columns at x, each of axis_len elements strided by
// `inner`.
HWY_INLINE void SoftmaxColumns(const float *x, float *y, int64_t axis_len, int64_t inner,
                               int64_t count) {
  const hn::ScalableTag<float> d;
  auto max_value = LoadPartial(d, x, count);
  for (int64_t j = 1; j < axis_len; ++j)
    max_value = hn::Max(max_value, LoadPartial(d, x + j * inner, count));
  auto sum = hn::Zero(d);
  for (int64_t j = 0; j < axis_len; ++j) {
    const auto e = hn::Exp(d, hn::Sub(LoadPartial(d, x + j * inner, count), max_value));
    sum = hn::Add(sum, e);
    StorePartial(d, e, y + j * inner, count);
  }
  const auto inverse = hn::Div(hn::Set(d, 1.0f), sum);
  for (int64_t j = 0; j < axis_len; ++j)
    StorePartial(d, hn::Mul(LoadPartial(d, y + j * inner, count), inverse), y + j * inner, count);
}

HWY_INLINE void SoftmaxGradColumns(const float *y, const float *dy, float *dx, int64_t axis_len,
                                   int64_t inner, int64_t count) {
  const hn::ScalableTag<float> d;
  auto dot = hn::Zero(d);
  for (int64_t j = 0; j < axis_len; ++j)
    dot = hn::MulAdd(LoadPartial(d, dy + j * inner, count), LoadPartial(d, y + j * inner, count),
                     dot);
  for (int64_t j = 0; j < axis_len; ++j) {
    const auto vy = LoadPartial(d, y + j * inner, count);
    const auto vdy = LoadPartial(d, dy + j * inner, count);
    StorePartial(d, hn::Mul(vy, hn::Sub(vdy, dot)), dx + j * inner, count);
  }
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
