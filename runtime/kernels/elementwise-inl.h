// Elementwise SIMD code (per Highway target): binary rows with scalar broadcast, activations
// (relu, tanh, exp, two GELUs) and their derivatives.
//
// Performance: these loops are memory-bound for add/mul/relu, so one vector per iteration is
// enough; the transcendental ones (tanh, exp, erf) have long independent per-lane chains that
// already fill the FMA pipes. The broadcast form (vector-vector, vector-scalar, scalar-vector) is
// a template parameter so the innermost loop has no branch.

#if defined(TIDEMARK_RUNTIME_KERNELS_ELEMENTWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_ELEMENTWISE_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_ELEMENTWISE_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_ELEMENTWISE_INL_H_
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

struct AddFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Add(a, b); }
};
struct SubFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Sub(a, b); }
};
struct MulFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Mul(a, b); }
};
struct DivFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return hn::Div(a, b); }
};

// out[i] = fn(a[i or 0], b[i or 0]) for i in [0, n); kAVector/kBVector say whether the operand
// advances (true) or is one broadcast scalar (false).
template <bool kAVector, bool kBVector, class Fn>
HWY_INLINE void BinaryRowT(Fn fn, const float *HWY_RESTRICT a, const float *HWY_RESTRICT b,
                           float *out, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto a_scalar = hn::Set(d, a[0]);
  const auto b_scalar = hn::Set(d, b[0]);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto va = kAVector ? hn::LoadU(d, a + i) : a_scalar;
    const auto vb = kBVector ? hn::LoadU(d, b + i) : b_scalar;
    hn::StoreU(fn(va, vb), d, out + i);
  }
  if (i < n) {
    const auto va = kAVector ? LoadPartial(d, a + i, n - i) : a_scalar;
    // Masked-off lanes of a divisor are 0: their NaN/inf never reaches memory.
    const auto vb = kBVector ? LoadPartial(d, b + i, n - i) : b_scalar;
    StorePartial(d, fn(va, vb), out + i, n - i);
  }
}

template <class Fn>
HWY_INLINE void BinaryRowForm(Fn fn, const float *a, int64_t a_step, const float *b, int64_t b_step,
                              float *out, int64_t n) {
  if (a_step != 0 && b_step != 0)
    BinaryRowT<true, true>(fn, a, b, out, n);
  else if (a_step != 0)
    BinaryRowT<true, false>(fn, a, b, out, n);
  else if (b_step != 0)
    BinaryRowT<false, true>(fn, a, b, out, n);
  else
    BinaryRowT<false, false>(fn, a, b, out, n);
}

// erfc(z) for z >= 0 by the Chebyshev-fitted form of Numerical Recipes (erfcc):
//   t = 1 / (1 + z / 2),  erfc(z) ~= t exp(-z^2 + P(t)), P of degree 9,
// fractional error < 1.2e-7 for every z >= 0 in exact arithmetic (measured in f32, with Highway's
// exp: see docs/kernels.md). Computing erfc (not 1 - erf) keeps the GELU tail
// 0.5 x erfc(|x| / sqrt 2) relatively accurate for large negative x.
template <class D, class V> HWY_INLINE V ErfcNonNegative(D d, V z) {
  const V t = hn::Div(hn::Set(d, 1.0f), hn::MulAdd(hn::Set(d, 0.5f), z, hn::Set(d, 1.0f)));
  V poly = hn::Set(d, 0.17087277f);
  poly = hn::MulAdd(poly, t, hn::Set(d, -0.82215223f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 1.48851587f));
  poly = hn::MulAdd(poly, t, hn::Set(d, -1.13520398f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 0.27886807f));
  poly = hn::MulAdd(poly, t, hn::Set(d, -0.18628806f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 0.09678418f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 0.37409196f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 1.00002368f));
  poly = hn::MulAdd(poly, t, hn::Set(d, -1.26551223f));
  const V exponent = hn::NegMulAdd(z, z, poly); // -z^2 + poly
  return hn::Mul(t, hn::Exp(d, exponent));
}

// Phi(x) = 0.5 (1 + erf(x / sqrt 2)) = 0.5 erfc(-x / sqrt 2).
template <class D, class V> HWY_INLINE V NormalCdf(D d, V x) {
  const V z = hn::Mul(hn::Abs(x), hn::Set(d, 0.70710678118654752f));
  const V half_erfc = hn::Mul(hn::Set(d, 0.5f), ErfcNonNegative(d, z));
  const auto negative = hn::Lt(x, hn::Zero(d));
  return hn::IfThenElse(negative, half_erfc, hn::Sub(hn::Set(d, 1.0f), half_erfc));
}

// phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
template <class D, class V> HWY_INLINE V NormalPdf(D d, V x) {
  const V e = hn::Exp(d, hn::Mul(hn::Set(d, -0.5f), hn::Mul(x, x)));
  return hn::Mul(e, hn::Set(d, 0.39894228040143268f));
}

// tanh argument of the tanh-form GELU: sqrt(2/pi) * (x + 0.044715 x^3).
template <class D, class V> HWY_INLINE V GeluTanhArgument(D d, V x) {
  const V x2 = hn::Mul(x, x);
  const V inner = hn::MulAdd(hn::Mul(hn::Set(d, 0.044715f), x2), x, x);
  return hn::Mul(hn::Set(d, 0.79788456080286536f), inner);
}

// exp(x) with +inf above Highway's valid range (+104) and NaN propagated.
template <class D, class V> HWY_INLINE V SafeExp(D d, V x) {
  const V y = hn::Exp(d, hn::Min(x, hn::Set(d, 104.0f)));
  return hn::IfThenElse(hn::Eq(x, x), y, x);
}

template <int kOp, class D, class V> HWY_INLINE V UnaryVector(D d, V x) {
  if (kOp == 0) // relu
    return hn::Max(x, hn::Zero(d));
  if (kOp == 1) // tanh
    return hn::Tanh(d, x);
  if (kOp == 2) // exp
    return SafeExp(d, x);
  if (kOp == 3) { // gelu, tanh form
    const V t = hn::Tanh(d, GeluTanhArgument(d, x));
    return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x), hn::Add(hn::Set(d, 1.0f), t));
  }
  return hn::Mul(x, NormalCdf(d, x)); // gelu, erf form: x Phi(x)
}

template <int kOp, class D, class V> HWY_INLINE V UnaryDerivative(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  if (kOp == 0)
    return hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), one);
  if (kOp == 1) {
    const V t = hn::Tanh(d, x);
    return hn::NegMulAdd(t, t, one);
  }
  if (kOp == 2)
    return SafeExp(d, x);
  if (kOp == 3) { // 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 c x^2)
    const V t = hn::Tanh(d, GeluTanhArgument(d, x));
    const V half = hn::Set(d, 0.5f);
    const V du = hn::Mul(hn::Set(d, 0.79788456080286536f),
                         hn::MulAdd(hn::Set(d, 3.0f * 0.044715f), hn::Mul(x, x), one));
    const V sech2 = hn::NegMulAdd(t, t, one);
    return hn::MulAdd(hn::Mul(hn::Mul(half, x), sech2), du, hn::Mul(half, hn::Add(one, t)));
  }
  return hn::MulAdd(x, NormalPdf(d, x), NormalCdf(d, x)); // Phi(x) + x phi(x)
}

template <int kOp> HWY_INLINE void UnaryRowT(const float *x, float *y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = 0; i < n; i += lanes)
    StorePartial(d, UnaryVector<kOp>(d, LoadPartial(d, x + i, n - i)), y + i, n - i);
}

template <int kOp>
HWY_INLINE void UnaryGradRowT(const float *x, const float *dy, float *dx, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = 0; i < n; i += lanes) {
    const auto derivative = UnaryDerivative<kOp>(d, LoadPartial(d, x + i, n - i));
    StorePartial(d, hn::Mul(LoadPartial(d, dy + i, n - i), derivative), dx + i, n - i);
  }
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
