// Elementwise SIMD code (per Highway target): binary rows with scalar broadcast, unary ops
// (activations, math functions, pow by a constant, clamp) and their derivatives.
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

#include <cmath>
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
// min / max with NaN propagated (PyTorch's minimum / maximum); Highway's Min/Max leave NaN
// handling to the target.
// (Eq(x, x) is false only for NaN; Highway's Ne is an ORDERED compare, false for NaN too.)
struct MinFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const {
    const V r = hn::IfThenElse(hn::Eq(a, a), hn::Min(a, b), a);
    return hn::IfThenElse(hn::Eq(b, b), r, b);
  }
};
struct MaxFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const {
    const V r = hn::IfThenElse(hn::Eq(a, a), hn::Max(a, b), a);
    return hn::IfThenElse(hn::Eq(b, b), r, b);
  }
};
// The share of the gradient of max(a, b) that goes to a: 1 where a > b, 0.5 on ties (PyTorch
// splits it evenly), 0 otherwise; MinShareFn likewise for min.
struct MaxShareFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const {
    const hn::DFromV<V> d;
    const V half = hn::Set(d, 0.5f);
    return hn::IfThenElse(hn::Gt(a, b), hn::Set(d, 1.0f), hn::IfThenElseZero(hn::Eq(a, b), half));
  }
};
struct MinShareFn {
  template <class V> HWY_INLINE V operator()(V a, V b) const { return MaxShareFn()(b, a); }
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

// exp(x) with +inf above Highway's valid range (+104), 0 below -104 and NaN propagated. Highway's
// Exp is only given arguments inside [-104, 104]: NaN or an infinity would reach a float-to-int
// conversion inside it, which is undefined behaviour on the emulated targets (UBSan reports it).
template <class D, class V> HWY_INLINE V SafeExp(D d, V x) {
  const auto is_number = hn::Eq(x, x);
  const V low = hn::Set(d, -104.0f);
  const V clamped = hn::Min(hn::Max(x, low), hn::Set(d, 104.0f));
  V y = hn::Exp(d, hn::IfThenElseZero(is_number, clamped));
  y = hn::IfThenElseZero(hn::Ge(x, low),
                         y); // exactly 0 below -104 (NaN compares false: kept below)
  return hn::IfThenElse(is_number, y, x);
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
  return hn::Mul(t, SafeExp(d, exponent));
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
  const V e = SafeExp(d, hn::Mul(hn::Set(d, -0.5f), hn::Mul(x, x)));
  return hn::Mul(e, hn::Set(d, 0.39894228040143268f));
}

// tanh argument of the tanh-form GELU: sqrt(2/pi) * (x + 0.044715 x^3).
template <class D, class V> HWY_INLINE V GeluTanhArgument(D d, V x) {
  const V x2 = hn::Mul(x, x);
  const V inner = hn::MulAdd(hn::Mul(hn::Set(d, 0.044715f), x2), x, x);
  return hn::Mul(hn::Set(d, 0.79788456080286536f), inner);
}

// erf(x): an odd Taylor polynomial below |x| = 0.5 (relative accuracy near 0, where 1 - erfc
// would cancel), 1 - erfc(|x|) with the sign restored above. Truncation error of the series at
// 0.5: the first omitted term, x^15 / 75600 * 2/sqrt(pi), is below 1e-9.
template <class D, class V> HWY_INLINE V Erf(D d, V x) {
  const V ax = hn::Abs(x);
  const V x2 = hn::Mul(x, x);
  // 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320 + x^13/9360)
  V series = hn::Set(d, 1.0f / 9360.0f);
  series = hn::MulAdd(series, x2, hn::Set(d, -1.0f / 1320.0f));
  series = hn::MulAdd(series, x2, hn::Set(d, 1.0f / 216.0f));
  series = hn::MulAdd(series, x2, hn::Set(d, -1.0f / 42.0f));
  series = hn::MulAdd(series, x2, hn::Set(d, 1.0f / 10.0f));
  series = hn::MulAdd(series, x2, hn::Set(d, -1.0f / 3.0f));
  series = hn::MulAdd(series, x2, hn::Set(d, 1.0f));
  series = hn::Mul(hn::Mul(series, x), hn::Set(d, 1.12837916709551257f));
  const V large = hn::CopySign(hn::Sub(hn::Set(d, 1.0f), ErfcNonNegative(d, ax)), x);
  return hn::IfThenElse(hn::Lt(ax, hn::Set(d, 0.5f)), series, large);
}

// log(x) with the IEEE edge cases made explicit: log(0) = -inf, log(x < 0) = NaN,
// log(+inf) = +inf, NaN propagated (Highway's Log is only specified for finite x > 0).
template <class D, class V> HWY_INLINE V SafeLog(D d, V x) {
  const V inf = hn::Set(d, HUGE_VALF);
  const V positive = hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Set(d, 1.0f));
  V y = hn::Log(d, positive);
  y = hn::IfThenElse(hn::Eq(x, hn::Zero(d)), hn::Neg(inf), y);
  y = hn::IfThenElse(hn::Eq(x, inf), inf, y);
  const V nan = hn::Div(hn::Zero(d), hn::Zero(d));
  y = hn::IfThenElse(hn::Lt(x, hn::Zero(d)), nan, y);
  return hn::IfThenElse(hn::Eq(x, x), y, x);
}

// 1 / (1 + exp(-x)): 0 for x below about -88 (exp overflows to +inf), 1 above about 17.
template <class D, class V> HWY_INLINE V Sigmoid(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  return hn::Div(one, hn::Add(one, SafeExp(d, hn::Neg(x))));
}

// x^e for a constant e. Integral e with |e| <= 64 by binary powering (exact sign for negative x,
// a few ULP); e = 0.5 and -0.5 through sqrt; any other e as exp(e log x) for x > 0, with
// pow(0, e > 0) = 0, pow(0, e < 0) = +inf and NaN for x < 0 (PyTorch's float semantics).
template <class D, class V> HWY_INLINE V PowConstant(D d, V x, float e) {
  const V one = hn::Set(d, 1.0f);
  if (e == std::floor(e) && std::fabs(e) <= 64.0f) {
    uint32_t bits = static_cast<uint32_t>(std::fabs(e));
    V result = one, base = x;
    while (bits != 0) {
      if (bits & 1u)
        result = hn::Mul(result, base);
      bits >>= 1;
      if (bits != 0)
        base = hn::Mul(base, base);
    }
    return e < 0.0f ? hn::Div(one, result) : result;
  }
  if (e == 0.5f)
    return hn::Sqrt(x);
  if (e == -0.5f)
    return hn::Div(one, hn::Sqrt(x));
  const V ve = hn::Set(d, e);
  V y = SafeExp(d, hn::Mul(ve, SafeLog(d, x))); // NaN for x < 0 from SafeLog
  // x = 0: log is -inf, e * -inf is -inf (e > 0, exp -> 0) or +inf (e < 0, exp -> inf): correct.
  return y;
}

// Parameters of the parameterized unary ops: pow's exponent (a), clamp's bounds [a, b].
struct UnaryArgs {
  float a = 0.0f;
  float b = 0.0f;
};

template <int kOp, class D, class V> HWY_INLINE V UnaryVector(D d, V x, const UnaryArgs &args) {
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
  if (kOp == 4)
    return hn::Mul(x, NormalCdf(d, x)); // gelu, erf form: x Phi(x)
  if (kOp == 5)
    return hn::Neg(x);
  if (kOp == 6)
    return hn::Abs(x);
  if (kOp == 7)
    return hn::Sqrt(x);
  if (kOp == 8)
    return hn::Div(hn::Set(d, 1.0f), hn::Sqrt(x)); // rsqrt: exactly rounded sqrt, then divide
  if (kOp == 9)
    return SafeLog(d, x);
  if (kOp == 10)
    return Sigmoid(d, x);
  if (kOp == 11)
    return hn::Mul(x, Sigmoid(d, x)); // silu
  if (kOp == 12)
    return Erf(d, x);
  if (kOp == 13)
    return PowConstant(d, x, args.a);
  // clamp to [a, b]; NaN propagated like PyTorch (Min/Max differ per target on NaN).
  const V clamped = hn::Min(hn::Max(x, hn::Set(d, args.a)), hn::Set(d, args.b));
  return hn::IfThenElse(hn::Eq(x, x), clamped, x);
}

template <int kOp, class D, class V> HWY_INLINE V UnaryDerivative(D d, V x, const UnaryArgs &args) {
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
  if (kOp == 4)
    return hn::MulAdd(x, NormalPdf(d, x), NormalCdf(d, x)); // Phi(x) + x phi(x)
  if (kOp == 5)
    return hn::Neg(one);
  if (kOp == 6) // sign(x), 0 at 0 (PyTorch's abs backward)
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), one,
                          hn::IfThenElseZero(hn::Lt(x, hn::Zero(d)), hn::Neg(one)));
  if (kOp == 7)
    return hn::Div(hn::Set(d, 0.5f), hn::Sqrt(x));
  if (kOp == 8) { // -0.5 x^-1.5 = -0.5 r^3
    const V r = hn::Div(one, hn::Sqrt(x));
    return hn::Mul(hn::Set(d, -0.5f), hn::Mul(r, hn::Mul(r, r)));
  }
  if (kOp == 9)
    return hn::Div(one, x);
  if (kOp == 10) {
    const V s = Sigmoid(d, x);
    return hn::Mul(s, hn::Sub(one, s));
  }
  if (kOp == 11) { // s (1 + x (1 - s))
    const V s = Sigmoid(d, x);
    return hn::Mul(s, hn::MulAdd(x, hn::Sub(one, s), one));
  }
  if (kOp == 12) // 2/sqrt(pi) exp(-x^2)
    return hn::Mul(hn::Set(d, 1.12837916709551257f), SafeExp(d, hn::Neg(hn::Mul(x, x))));
  if (kOp == 13) // e x^(e-1), 0 for e = 0
    return args.a == 0.0f ? hn::Zero(d)
                          : hn::Mul(hn::Set(d, args.a), PowConstant(d, x, args.a - 1.0f));
  // clamp: 1 inside [a, b] (bounds included, as PyTorch), 0 outside.
  const auto inside = hn::And(hn::Ge(x, hn::Set(d, args.a)), hn::Le(x, hn::Set(d, args.b)));
  return hn::IfThenElseZero(inside, one);
}

template <int kOp>
HWY_INLINE void UnaryRowT(const float *x, float *y, int64_t n, const UnaryArgs &args) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = 0; i < n; i += lanes)
    StorePartial(d, UnaryVector<kOp>(d, LoadPartial(d, x + i, n - i), args), y + i, n - i);
}

template <int kOp>
HWY_INLINE void UnaryGradRowT(const float *x, const float *dy, float *dx, int64_t n,
                              const UnaryArgs &args) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = 0; i < n; i += lanes) {
    const auto derivative = UnaryDerivative<kOp>(d, LoadPartial(d, x + i, n - i), args);
    StorePartial(d, hn::Mul(LoadPartial(d, dy + i, n - i), derivative), dx + i, n - i);
  }
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard toggle
