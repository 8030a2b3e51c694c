// Elementwise kernels: binary ops with NumPy broadcasting, unary activations, and their backward.
//
// Binary algorithm:
//   1. Right-align both operand shapes to the output rank; a dimension broadcasts when it is 1
//      (input stride 0). Check the output shape is exactly the broadcast shape.
//   2. Drop size-1 output axes and merge neighbouring axes whose strides stay contiguous for both
//      operands. Equal shapes collapse to one axis (the flat fast path); a trailing-vector
//      broadcast such as a bias add collapses to [rows, cols] with b's row stride 0.
//   3. The innermost axis runs as a SIMD loop in one of three forms (vector op vector,
//      vector op scalar, scalar op vector); tasks own disjoint blocks of rows or columns.
// Complexity: O(output elements); no extra memory. Results are bit-identical to the scalar
// reference (IEEE add/sub/mul/div are exactly rounded) and independent of the thread count.
//
// Unary ops: relu, tanh, exp, GELU (tanh form) and GELU (erf form), neg, abs, sqrt, rsqrt, log,
// sigmoid, silu, erf, pow by a constant and clamp, and UnaryGrad which always takes the saved
// INPUT x (also for tanh and exp). erfc comes from the Chebyshev fit of Numerical
// Recipes' erfcc (Highway 1.0.3 has no erf): see docs/kernels.md for its measured error.
#ifndef TIDEMARK_RUNTIME_KERNELS_ELEMENTWISE_H_
#define TIDEMARK_RUNTIME_KERNELS_ELEMENTWISE_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "runtime/kernels/shape.h"
#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMin, kMax }; // min/max propagate NaN
enum class UnaryOp {
  kRelu,
  kTanh,
  kExp,
  kGeluTanh,
  kGeluErf,
  kNeg,
  kAbs,
  kSqrt,
  kRsqrt,
  kLog,
  kSigmoid,
  kSilu,
  kErf,
  kPow,  // x^a for a constant a (UnaryParams::a)
  kClamp // min(max(x, a), b); a = -inf or b = +inf give max / min by a constant
};

// The constants of the parameterized unary ops (ignored by the others).
struct UnaryParams {
  float a = 0.0f;
  float b = 0.0f;
};

// Checks the constants: pow's exponent finite; clamp's a <= b (not NaN).
Status ValidateUnaryParams(UnaryOp op, const UnaryParams &params);

// *out = the NumPy broadcast of a and b. InvalidArgument when a dimension pair is neither equal
// nor has a 1, or a shape is malformed.
Status BroadcastShapes(const Shape &a_shape, const Shape &b_shape, Shape *out);

// out = a <op> b with broadcasting. out_shape must equal BroadcastShapes(a_shape, b_shape).
// `out` may alias `a` (or `b`) only when that operand has out_shape; otherwise no overlap.
// `pool` may be nullptr. Errors: InvalidArgument for incompatible or wrong shapes (nothing
// written).
Status Binary(BinaryOp op, const Shape &a_shape, const float *a, const Shape &b_shape,
              const float *b, const Shape &out_shape, float *out, ThreadPool *pool);

// y[i] = op(x[i]) for i in [0, n). y may alias x. Exp saturates to +inf above ~88.7 and to 0
// below -104. Outside a function's domain the IEEE value results (sqrt/log of x < 0: NaN,
// log(0) = -inf, rsqrt(0) = +inf, pow(x < 0, non-integral a) = NaN); NaN inputs give NaN.
// `params` must pass ValidateUnaryParams (the plan verifier checks it before a step runs).
void Unary(UnaryOp op, const float *x, float *y, int64_t n, ThreadPool *pool,
           const UnaryParams &params = {});

// dx[i] = dy[i] * op'(x[i]) with x the forward INPUT (for every op, tanh and exp included).
// dx may alias dy. At kinks the subgradient PyTorch uses: abs' = sign(x) (0 at 0), clamp' = 1 on
// [a, b] bounds included, relu' = 0 at 0.
void UnaryGrad(UnaryOp op, const float *x, const float *dy, float *dx, int64_t n, ThreadPool *pool,
               const UnaryParams &params = {});

// The backward of broadcasting: out (operand_shape) = sum of grad (grad_shape) over the axes along
// which operand_shape was broadcast to grad_shape. InvalidArgument when operand_shape does not
// broadcast to grad_shape.
Status ReduceToShape(const Shape &grad_shape, const float *grad, const Shape &operand_shape,
                     float *out, ThreadPool *pool);

// Scratch bytes BinaryGrad needs for d(operand) of `op` (0 when no temporary is needed: add/sub,
// or an operand that already has the output shape). num_threads does not change the answer.
size_t BinaryGradScratchBytes(BinaryOp op, const Shape &operand_shape, const Shape &out_shape,
                              int num_threads);

// Gradient of out = a <op> b for operand `operand` (0: a, 1: b) given dy (out_shape):
//   add: dA = dY, dB = dY;          sub: dA = dY, dB = -dY;
//   mul: dA = dY * B, dB = dY * A;  div: dA = dY / B, dB = -dY * A / B^2 (as ((dY / B) * A) / B);
//   max: dA = dY where A > B, dY / 2 where A == B, else 0 (min: A < B), dB symmetric;
// each summed down to the operand's shape (ReduceToShape). `scratch` is 64-byte aligned with at
// least BinaryGradScratchBytes bytes (may be nullptr when that is 0).
Status BinaryGrad(BinaryOp op, int operand, const Shape &a_shape, const float *a,
                  const Shape &b_shape, const float *b, const Shape &out_shape, const float *dy,
                  float *d_operand, void *scratch, ThreadPool *pool);

// ---- Scalar references (tests and documentation). T is float or double. ----

template <typename T> T BinaryReference(BinaryOp op, T a, T b) {
  switch (op) {
  case BinaryOp::kAdd:
    return a + b;
  case BinaryOp::kSub:
    return a - b;
  case BinaryOp::kMul:
    return a * b;
  case BinaryOp::kDiv:
    return a / b;
  case BinaryOp::kMin:
    return std::isnan(a) || std::isnan(b) ? (std::isnan(a) ? a : b) : (b < a ? b : a);
  case BinaryOp::kMax:
    return std::isnan(a) || std::isnan(b) ? (std::isnan(a) ? a : b) : (b > a ? b : a);
  }
  return T(0);
}

// Offset of output element `index` in an operand of `operand_shape` broadcast to `out_shape`.
inline int64_t BroadcastOffset(const Shape &operand_shape, const Shape &out_shape, int64_t index) {
  int64_t offset = 0, stride = 1;
  for (int axis = out_shape.rank - 1; axis >= 0; --axis) {
    const int64_t coord = index % out_shape.dims[axis];
    index /= out_shape.dims[axis];
    const int operand_axis = axis - (out_shape.rank - operand_shape.rank);
    if (operand_axis < 0)
      continue;
    if (operand_shape.dims[operand_axis] != 1)
      offset += coord * stride;
    stride *= operand_shape.dims[operand_axis];
  }
  return offset;
}

template <typename T>
Status BinaryReference(BinaryOp op, const Shape &a_shape, const T *a, const Shape &b_shape,
                       const T *b, const Shape &out_shape, T *out) {
  Shape expected;
  TIDEMARK_RETURN_IF_ERROR(BroadcastShapes(a_shape, b_shape, &expected));
  if (expected != out_shape)
    return InvalidArgument("binary reference: output shape is not the broadcast shape");
  const int64_t n = out_shape.NumElements();
  for (int64_t i = 0; i < n; ++i)
    out[i] = BinaryReference(op, a[BroadcastOffset(a_shape, out_shape, i)],
                             b[BroadcastOffset(b_shape, out_shape, i)]);
  return Status::Ok();
}

template <typename T> T GeluTanhReference(T x) {
  const T k = T(0.79788456080286535588); // sqrt(2 / pi)
  return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
}

template <typename T> T GeluErfReference(T x) {
  return T(0.5) * x * std::erfc(-x * T(0.70710678118654752440)); // 1 + erf(z) = erfc(-z)
}

template <typename T> T SigmoidReference(T x) { return T(1) / (T(1) + std::exp(-x)); }

template <typename T> T UnaryReference(UnaryOp op, T x, const UnaryParams &params = {}) {
  switch (op) {
  case UnaryOp::kRelu:
    return x > T(0) ? x : T(0);
  case UnaryOp::kTanh:
    return std::tanh(x);
  case UnaryOp::kExp:
    return std::exp(x);
  case UnaryOp::kGeluTanh:
    return GeluTanhReference(x);
  case UnaryOp::kGeluErf:
    return GeluErfReference(x);
  case UnaryOp::kNeg:
    return -x;
  case UnaryOp::kAbs:
    return std::fabs(x);
  case UnaryOp::kSqrt:
    return std::sqrt(x);
  case UnaryOp::kRsqrt:
    return T(1) / std::sqrt(x);
  case UnaryOp::kLog:
    return std::log(x);
  case UnaryOp::kSigmoid:
    return SigmoidReference(x);
  case UnaryOp::kSilu:
    return x * SigmoidReference(x);
  case UnaryOp::kErf:
    return std::erf(x);
  case UnaryOp::kPow:
    return std::pow(x, static_cast<T>(params.a));
  case UnaryOp::kClamp:
    return std::isnan(x) ? x : std::fmin(std::fmax(x, T(params.a)), T(params.b));
  }
  return T(0);
}

// d op(x) / dx (analytic).
template <typename T> T UnaryDerivativeReference(UnaryOp op, T x, const UnaryParams &params = {}) {
  switch (op) {
  case UnaryOp::kRelu:
    return x > T(0) ? T(1) : T(0);
  case UnaryOp::kTanh: {
    const T t = std::tanh(x);
    return T(1) - t * t;
  }
  case UnaryOp::kExp:
    return std::exp(x);
  case UnaryOp::kGeluTanh: {
    const T k = T(0.79788456080286535588), c = T(0.044715);
    const T t = std::tanh(k * (x + c * x * x * x));
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
  }
  case UnaryOp::kGeluErf: {
    const T cdf = T(0.5) * std::erfc(-x * T(0.70710678118654752440));
    const T pdf = std::exp(T(-0.5) * x * x) * T(0.39894228040143267794); // 1/sqrt(2 pi)
    return cdf + x * pdf;
  }
  case UnaryOp::kNeg:
    return T(-1);
  case UnaryOp::kAbs:
    return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
  case UnaryOp::kSqrt:
    return T(0.5) / std::sqrt(x);
  case UnaryOp::kRsqrt:
    return T(-0.5) / (x * std::sqrt(x));
  case UnaryOp::kLog:
    return T(1) / x;
  case UnaryOp::kSigmoid: {
    const T s = SigmoidReference(x);
    return s * (T(1) - s);
  }
  case UnaryOp::kSilu: {
    const T s = SigmoidReference(x);
    return s * (T(1) + x * (T(1) - s));
  }
  case UnaryOp::kErf:
    return T(1.12837916709551257390) * std::exp(-x * x); // 2 / sqrt(pi)
  case UnaryOp::kPow: {
    const T e = static_cast<T>(params.a);
    return e == T(0) ? T(0) : e * std::pow(x, e - T(1));
  }
  case UnaryOp::kClamp:
    return x >= T(params.a) && x <= T(params.b) ? T(1) : T(0);
  }
  return T(0);
}

template <typename T>
void UnaryGradReference(UnaryOp op, const T *x, const T *dy, T *dx, int64_t n,
                        const UnaryParams &params = {}) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] = dy[i] * UnaryDerivativeReference(op, x[i], params);
}

// d(operand) of out = a op b, accumulated straight into the operand's shape.
template <typename T>
Status BinaryGradReference(BinaryOp op, int operand, const Shape &a_shape, const T *a,
                           const Shape &b_shape, const T *b, const Shape &out_shape, const T *dy,
                           T *d_operand) {
  Shape expected;
  TIDEMARK_RETURN_IF_ERROR(BroadcastShapes(a_shape, b_shape, &expected));
  if (expected != out_shape || (operand != 0 && operand != 1))
    return InvalidArgument("binary grad reference: bad output shape or operand");
  const Shape &operand_shape = operand == 0 ? a_shape : b_shape;
  for (int64_t j = 0; j < operand_shape.NumElements(); ++j)
    d_operand[j] = T(0);
  for (int64_t i = 0; i < out_shape.NumElements(); ++i) {
    const T av = a[BroadcastOffset(a_shape, out_shape, i)];
    const T bv = b[BroadcastOffset(b_shape, out_shape, i)];
    T g = dy[i];
    if (op == BinaryOp::kSub && operand == 1)
      g = -g;
    else if (op == BinaryOp::kMul)
      g *= operand == 0 ? bv : av;
    else if (op == BinaryOp::kDiv)
      g = operand == 0 ? g / bv : -g * av / (bv * bv);
    else if (op == BinaryOp::kMin || op == BinaryOp::kMax) {
      const T mine = operand == 0 ? av : bv, other = operand == 0 ? bv : av;
      const bool wins = op == BinaryOp::kMax ? mine > other : mine < other;
      g *= wins ? T(1) : (mine == other ? T(0.5) : T(0));
    }
    d_operand[BroadcastOffset(operand_shape, out_shape, i)] += g;
  }
  return Status::Ok();
}

template <typename T>
Status ReduceToShapeReference(const Shape &grad_shape, const T *grad, const Shape &operand_shape,
                              T *out) {
  Shape check;
  TIDEMARK_RETURN_IF_ERROR(BroadcastShapes(operand_shape, grad_shape, &check));
  if (check != grad_shape)
    return InvalidArgument("reduce-to-shape reference: operand does not broadcast to grad");
  const int64_t m = operand_shape.NumElements();
  for (int64_t j = 0; j < m; ++j)
    out[j] = T(0);
  const int64_t n = grad_shape.NumElements();
  for (int64_t i = 0; i < n; ++i)
    out[BroadcastOffset(operand_shape, grad_shape, i)] += grad[i];
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_ELEMENTWISE_H_
