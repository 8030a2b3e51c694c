// Reduce SIMD code (per Highway target): row sums, row accumulation and small row helpers that
// the other kernel families (softmax, layer_norm, loss) reuse.
//
// Performance: horizontal sums keep four independent vector accumulators so the adds of
// consecutive iterations do not wait on each other (add latency 3-4 cycles, 2 ports); the fixed
// combination order ((a0 + a1) + (a2 + a3)) keeps results deterministic. Tails use FirstN masks
// on AVX2/AVX-512 (Highway 1.0.3 has no LoadN/StoreN) and a stack copy elsewhere (see
// LoadPartial): masked-off lanes load as zero and are never stored.

#if defined(TIDEMARK_RUNTIME_KERNELS_REDUCE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_REDUCE_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_REDUCE_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_REDUCE_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Loads up to Lanes(d) floats from p (count > 0); lanes past `count` are zero.
// Highway 1.0.3's MaskedLoad is a plain ALIGNED full-vector load plus a blend on SSE4/EMU128
// (it would read past the end of the array and fault on unaligned tails), so only AVX2 and
// AVX-512 use it; other targets copy the tail through a small aligned stack buffer.
template <class D> HWY_INLINE hn::Vec<D> LoadPartial(D d, const float *p, int64_t count) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  if (count >= lanes)
    return hn::LoadU(d, p);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return hn::MaskedLoad(hn::FirstN(d, static_cast<size_t>(count)), d, p);
#else
  alignas(64) float buffer[HWY_MAX_BYTES / sizeof(float)] = {};
  for (int64_t i = 0; i < count; ++i)
    buffer[i] = p[i];
  return hn::Load(d, buffer);
#endif
}

// Stores the first min(count, Lanes(d)) lanes of v to p (never touches p[count...]).
template <class D> HWY_INLINE void StorePartial(D d, hn::Vec<D> v, float *p, int64_t count) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  if (count >= lanes) {
    hn::StoreU(v, d, p);
    return;
  }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  hn::BlendedStore(v, hn::FirstN(d, static_cast<size_t>(count)), d, p);
#else
  alignas(64) float buffer[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, buffer);
  for (int64_t i = 0; i < count; ++i)
    p[i] = buffer[i];
#endif
}

// Sum of x[0, n) with four vector accumulators (fixed order: deterministic).
HWY_INLINE float SumRow(const float *HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    a0 = hn::Add(a0, hn::LoadU(d, x + i));
    a1 = hn::Add(a1, hn::LoadU(d, x + i + lanes));
    a2 = hn::Add(a2, hn::LoadU(d, x + i + 2 * lanes));
    a3 = hn::Add(a3, hn::LoadU(d, x + i + 3 * lanes));
  }
  for (; i < n; i += lanes)
    a0 = hn::Add(a0, LoadPartial(d, x + i, n - i));
  const auto total = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
  return hn::GetLane(hn::SumOfLanes(d, total));
}

// Sum of a[i] * b[i] over [0, n), four accumulators as in SumRow.
HWY_INLINE float DotRow(const float *HWY_RESTRICT a, const float *HWY_RESTRICT b, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    a0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), a0);
    a1 = hn::MulAdd(hn::LoadU(d, a + i + lanes), hn::LoadU(d, b + i + lanes), a1);
    a2 = hn::MulAdd(hn::LoadU(d, a + i + 2 * lanes), hn::LoadU(d, b + i + 2 * lanes), a2);
    a3 = hn::MulAdd(hn::LoadU(d, a + i + 3 * lanes), hn::LoadU(d, b + i + 3 * lanes), a3);
  }
  for (; i < n; i += lanes)
    a0 = hn::MulAdd(LoadPartial(d, a + i, n - i), LoadPartial(d, b + i, n - i), a0);
  const auto total = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
  return hn::GetLane(hn::SumOfLanes(d, total));
}

// Maximum of x[0, n), n >= 1. Masked-off tail lanes are replaced by x[0] so they never win.
HWY_INLINE float MaxRow(const float *HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto first = hn::Set(d, x[0]);
  auto m0 = first, m1 = first;
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    m0 = hn::Max(m0, hn::LoadU(d, x + i));
    m1 = hn::Max(m1, hn::LoadU(d, x + i + lanes));
  }
  for (; i < n; i += lanes) {
    const auto mask = hn::FirstN(d, static_cast<size_t>(n - i));
    m0 = hn::Max(m0, hn::IfThenElse(mask, LoadPartial(d, x + i, n - i), first));
  }
  return hn::GetLane(hn::MaxOfLanes(d, hn::Max(m0, m1)));
}

// acc[0, n) += x[0, n).
HWY_INLINE void AccumulateRow(const float *HWY_RESTRICT x, float *HWY_RESTRICT acc, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = 0; i < n; i += lanes) {
    const int64_t count = n - i;
    StorePartial(d, hn::Add(LoadPartial(d, acc + i, count), LoadPartial(d, x + i, count)), acc + i,
                 count);
  }
}

// acc[0, n) += x[0, n) with the accumulator in double: a column sum over R rows then rounds
// once, instead of accumulating R float roundings (bias gradients sum the batch's rows).
HWY_INLINE void AccumulateRowDouble(const float *HWY_RESTRICT x, double *HWY_RESTRICT acc,
                                    int64_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(hn::Add(hn::LoadU(dd, acc + i), hn::PromoteTo(dd, hn::LoadU(df, x + i))), dd,
               acc + i);
  for (; i < n; ++i)
    acc[i] += static_cast<double>(x[i]);
}

// x[0, n) *= factor (in place).
HWY_INLINE void ScaleRow(float *HWY_RESTRICT x, float factor, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto f = hn::Set(d, factor);
  for (int64_t i = 0; i < n; i += lanes)
    StorePartial(d, hn::Mul(LoadPartial(d, x + i, n - i), f), x + i, n - i);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
