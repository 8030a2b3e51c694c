// Layer norm SIMD code (per Highway target): one row forward, one row backward with the
// d_scale/d_bias partial accumulation.
//
// Performance: a row (typically 512-4096 floats) stays in L1 across the two or three passes, so
// the passes cost little beyond the first read; the two-pass variance is kept for accuracy.

#if defined(TIDEMARK_RUNTIME_KERNELS_LAYER_NORM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_LAYER_NORM_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_LAYER_NORM_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_LAYER_NORM_INL_H_
#endif

#include <cmath>
#include <cstdint>

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// sum((x - mean)^2) over [0, n); masked-off tail lanes are zero after the subtraction mask.
HWY_INLINE float SquaredDeviationSum(const float *x, float mean, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vmean = hn::Set(d, mean);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto d0 = hn::Sub(hn::LoadU(d, x + i), vmean);
    const auto d1 = hn::Sub(hn::LoadU(d, x + i + lanes), vmean);
    s0 = hn::MulAdd(d0, d0, s0);
    s1 = hn::MulAdd(d1, d1, s1);
  }
  for (; i < n; i += lanes) {
    const auto mask = hn::FirstN(d, static_cast<size_t>(n - i));
    const auto dev = hn::IfThenElseZero(mask, hn::Sub(LoadPartial(d, x + i, n - i), vmean));
    s0 = hn::MulAdd(dev, dev, s0);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

HWY_INLINE void LayerNormRow(const float *x, const float *scale, const float *bias, float epsilon,
                             float *y, float *mean_out, float *rstd_out, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float mean = SumRow(x, n) / static_cast<float>(n);
  const float var = SquaredDeviationSum(x, mean, n) / static_cast<float>(n);
  const float rstd = 1.0f / std::sqrt(var + epsilon);
  const auto vmean = hn::Set(d, mean), vrstd = hn::Set(d, rstd);
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    const auto xhat = hn::Mul(hn::Sub(LoadPartial(d, x + i, count), vmean), vrstd);
    const auto out =
        hn::MulAdd(xhat, LoadPartial(d, scale + i, count), LoadPartial(d, bias + i, count));
    StorePartial(d, out, y + i, count);
  }
  if (mean_out != nullptr)
    *mean_out = mean;
  if (rstd_out != nullptr)
    *rstd_out = rstd;
}

// dx for one row, and partial_scale += dy * xhat, partial_bias += dy.
HWY_INLINE void LayerNormGradRow(const float *x, const float *scale, float mean, float rstd,
                                 const float *dy, float *dx, float *partial_scale,
                                 float *partial_bias, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vmean = hn::Set(d, mean), vrstd = hn::Set(d, rstd);
  auto sum_g = hn::Zero(d), sum_gx = hn::Zero(d);
  for (int64_t i = 0; i < n; i += lanes) { // Tail lanes load zeros, so g = 0 there.
    const int64_t count = n - i;
    const auto xhat = hn::Mul(hn::Sub(LoadPartial(d, x + i, count), vmean), vrstd);
    const auto vdy = LoadPartial(d, dy + i, count);
    const auto g = hn::Mul(vdy, LoadPartial(d, scale + i, count));
    sum_g = hn::Add(sum_g, g);
    sum_gx = hn::MulAdd(g, xhat, sum_gx);
    StorePartial(d, hn::MulAdd(vdy, xhat, LoadPartial(d, partial_scale + i, count)),
                 partial_scale + i, count);
    StorePartial(d, hn::Add(vdy, LoadPartial(d, partial_bias + i, count)), partial_bias + i, count);
  }
  const float inv_n = 1.0f / static_cast<float>(n);
  const auto mean_g = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, sum_g)) * inv_n);
  const auto mean_gx = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, sum_gx)) * inv_n);
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    const auto xhat = hn::Mul(hn::Sub(LoadPartial(d, x + i, count), vmean), vrstd);
    const auto g = hn::Mul(LoadPartial(d, dy + i, count), LoadPartial(d, scale + i, count));
    const auto centered = hn::NegMulAdd(xhat, mean_gx, hn::Sub(g, mean_g));
    StorePartial(d, hn::Mul(vrstd, centered), dx + i, count);
  }
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
