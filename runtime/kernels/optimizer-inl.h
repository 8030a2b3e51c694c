// Optimizer SIMD code (per Highway target): one chunk of the SGD and Adam updates.
//
// Performance: memory-bound (SGD reads 3 and writes 2 streams, Adam reads 4 and writes 3), so the
// loops are one vector per iteration; bias corrections are folded into two scalars outside the
// loop, leaving one sqrt and one division per vector.

#if defined(TIDEMARK_RUNTIME_KERNELS_OPTIMIZER_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_OPTIMIZER_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_OPTIMIZER_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_OPTIMIZER_INL_H_
#endif

#include <cmath>
#include <cstdint>

#include "hwy/highway.h"
#include "runtime/kernels/optimizer.h"
#include "runtime/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

HWY_INLINE void SgdChunk(float *param, const float *grad, float *velocity, float lr, float momentum,
                         float weight_decay, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vlr = hn::Set(d, lr), vmom = hn::Set(d, momentum), vwd = hn::Set(d, weight_decay);
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    const auto p = LoadPartial(d, param + i, count);
    auto g = hn::MulAdd(vwd, p, LoadPartial(d, grad + i, count));
    if (velocity != nullptr) {
      g = hn::MulAdd(vmom, LoadPartial(d, velocity + i, count), g);
      StorePartial(d, g, velocity + i, count);
    }
    StorePartial(d, hn::NegMulAdd(vlr, g, p), param + i, count);
  }
}

HWY_INLINE void AdamChunk(float *param, const float *grad, float *m, float *v, const AdamOptions &o,
                          int64_t step, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  // Bias corrections in double, folded into two scalars (the same as AdamReference).
  const double t = static_cast<double>(step);
  const float step_size_scalar = static_cast<float>(o.learning_rate / (1.0 - std::pow(o.beta1, t)));
  const float inv_sqrt_bc2_scalar = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(o.beta2, t)));
  const auto b1 = hn::Set(d, o.beta1), c1 = hn::Set(d, 1.0f - o.beta1);
  const auto b2 = hn::Set(d, o.beta2), c2 = hn::Set(d, 1.0f - o.beta2);
  const auto eps = hn::Set(d, o.epsilon), step_size = hn::Set(d, step_size_scalar);
  const auto inv_sqrt_bc2 = hn::Set(d, inv_sqrt_bc2_scalar);
  const auto l2 = hn::Set(d, o.decoupled_weight_decay ? 0.0f : o.weight_decay);
  const auto param_scale =
      hn::Set(d, o.decoupled_weight_decay ? 1.0f - o.learning_rate * o.weight_decay : 1.0f);
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    auto p = LoadPartial(d, param + i, count);
    const auto g = hn::MulAdd(l2, p, LoadPartial(d, grad + i, count));
    p = hn::Mul(p, param_scale);
    const auto vm = hn::MulAdd(b1, LoadPartial(d, m + i, count), hn::Mul(c1, g));
    const auto vv = hn::MulAdd(b2, LoadPartial(d, v + i, count), hn::Mul(c2, hn::Mul(g, g)));
    const auto denom = hn::MulAdd(hn::Sqrt(vv), inv_sqrt_bc2, eps);
    StorePartial(d, vm, m + i, count);
    StorePartial(d, vv, v + i, count);
    StorePartial(d, hn::NegMulAdd(step_size, hn::Div(vm, denom), p), param + i, count);
  }
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
