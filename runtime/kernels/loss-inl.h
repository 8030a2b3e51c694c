// Loss SIMD code (per Highway target): squared-error sums, the MSE gradient, and the
// softmax-minus-one-hot row gradient of the cross-entropy.
//
// Performance: the squared-error sum keeps two vector accumulators (FMA latency 4, two FMA
// ports); the cross-entropy reuses the softmax row passes (max, exp-sum) from softmax-inl.h.

#if defined(TIDEMARK_RUNTIME_KERNELS_LOSS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_LOSS_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_LOSS_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_LOSS_INL_H_
#endif

#include <cmath>
#include <cstdint>

#include "hwy/highway.h"
#include "runtime/kernels/reduce-inl.h"
#include "runtime/kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// sum (pred - target)^2 over [0, n); tail lanes load zeros on both sides (difference 0).
HWY_INLINE float SquaredErrorSum(const float *pred, const float *target, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto d0 = hn::Sub(hn::LoadU(d, pred + i), hn::LoadU(d, target + i));
    const auto d1 = hn::Sub(hn::LoadU(d, pred + i + lanes), hn::LoadU(d, target + i + lanes));
    s0 = hn::MulAdd(d0, d0, s0);
    s1 = hn::MulAdd(d1, d1, s1);
  }
  for (; i < n; i += lanes) {
    const auto diff = hn::Sub(LoadPartial(d, pred + i, n - i), LoadPartial(d, target + i, n - i));
    s0 = hn::MulAdd(diff, diff, s0);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

// d_pred = factor * (pred - target).
HWY_INLINE void ScaledDifference(const float *pred, const float *target, float factor,
                                 float *d_pred, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto f = hn::Set(d, factor);
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    const auto diff = hn::Sub(LoadPartial(d, pred + i, count), LoadPartial(d, target + i, count));
    StorePartial(d, hn::Mul(diff, f), d_pred + i, count);
  }
}

// d[j] = scale * (softmax(x)_j - [j == label]).
HWY_INLINE void CrossEntropyGradRow(const float *x, int32_t label, float scale, float *d,
                                    int64_t n) {
  const float m = MaxRow(x, n);
  const float sum = ExpSumRow(x, m, d, n); // d holds exp(x - m) now (d may alias x).
  ScaleRow(d, scale / sum, n);
  d[label] -= scale;
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
