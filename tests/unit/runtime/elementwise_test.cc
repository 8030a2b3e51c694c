// Elementwise kernels against their scalar references on every Highway target: broadcasting
// binary ops, activations and their gradients (also against finite differences), ReduceToShape,
// BinaryGrad, error messages and determinism.
#include "runtime/kernels/elementwise.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

const BinaryOp kBinaryOps[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul,
                               BinaryOp::kDiv, BinaryOp::kMin, BinaryOp::kMax};
const UnaryOp kUnaryOps[] = {UnaryOp::kRelu, UnaryOp::kTanh, UnaryOp::kExp, UnaryOp::kGeluTanh,
                             UnaryOp::kGeluErf};

// Divisors stay in [0.5, 2] so div results are finite and gradients well conditioned.
void FillOperand(Buffer *buffer, uint32_t seed, bool divisor) {
  FillRandom(buffer->data(), buffer->size(), divisor ? 0.5f : -2.0f, 2.0f, seed);
}

void CheckBinaryExact(BinaryOp op, const Shape &a_shape, const Shape &b_shape, ThreadPool *pool,
                      int misalign) {
  Shape out_shape;
  const Status status = BroadcastShapes(a_shape, b_shape, &out_shape);
  ASSERT_TRUE(status.ok()) << status.ToString();
  Buffer a(a_shape.NumElements(), misalign), b(b_shape.NumElements(), (misalign + 1) % 4);
  Buffer out(out_shape.NumElements(), (misalign + 2) % 4), expected(out_shape.NumElements());
  FillOperand(&a, 1, false);
  FillOperand(&b, 2, op == BinaryOp::kDiv);
  ASSERT_TRUE(
      BinaryReference(op, a_shape, a.data(), b_shape, b.data(), out_shape, expected.data()).ok());
  ASSERT_TRUE(Binary(op, a_shape, a.data(), b_shape, b.data(), out_shape, out.data(), pool).ok());
  // IEEE add/sub/mul/div are exactly rounded: SIMD and scalar agree bit for bit.
  EXPECT_TRUE(testing::BitIdentical(out.data(), expected.data(), out.size()))
      << "op " << static_cast<int>(op) << " out elements " << out.size();
}

TEST(ElementwiseTest, BinaryEqualShapesSweep) {
  testing::ForEachTarget([] {
    for (BinaryOp op : kBinaryOps)
      for (int64_t n : testing::SweepSizes())
        for (int misalign = 0; misalign < 4; ++misalign)
          CheckBinaryExact(op, Shape{n}, Shape{n}, nullptr, misalign);
  });
}

TEST(ElementwiseTest, BinaryBroadcastShapes) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {Shape{}, Shape{5, 7}},           // scalar op tensor
      {Shape{3, 17}, Shape{}},          // tensor op scalar
      {Shape{3, 17}, Shape{17}},        // row (bias add)
      {Shape{33, 1}, Shape{33, 9}},     // column
      {Shape{4, 1, 9}, Shape{4, 5, 9}}, // middle axis
      {Shape{2, 3, 4, 5}, Shape{4, 1}}, // rank mismatch
      {Shape{3, 1, 7}, Shape{1, 5, 1}}, // both broadcast
      {Shape{1, 1}, Shape{1}},          // a single element
      {Shape{2, 1, 3, 1, 2, 5}, Shape{3, 4, 1, 5}},
      {Shape{3, 20000}, Shape{20000}}, // rows longer than one task chunk
      {Shape{40000}, Shape{1}},        // long flat vector-scalar
  };
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (const auto &shapes : cases)
      for (BinaryOp op : kBinaryOps) {
        CheckBinaryExact(op, shapes.first, shapes.second, &pool, 1);
        CheckBinaryExact(op, shapes.second, shapes.first, nullptr, 3);
      }
  });
}

TEST(ElementwiseTest, BinaryRejectsBadShapes) {
  float a[12] = {}, b[5] = {}, out[60] = {};
  Status status = Binary(BinaryOp::kAdd, Shape{3, 4}, a, Shape{5}, b, Shape{3, 5}, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("incompatible"), std::string::npos) << status.message();
  status = Binary(BinaryOp::kAdd, Shape{3, 4}, a, Shape{4}, b, Shape{4, 3}, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("not the broadcast shape"), std::string::npos);
  status = Binary(BinaryOp::kAdd, Shape{-1}, a, Shape{4}, b, Shape{4}, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("negative"), std::string::npos);
  Shape too_big;
  too_big.rank = 7;
  status = Binary(BinaryOp::kAdd, too_big, a, Shape{4}, b, Shape{4}, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
}

// Absolute tolerance per op (relative part 1e-6): Highway's tanh/exp are within 4 ULP, the
// GELUs add the rounding of their polynomial argument, GELU-erf the erfc fit (1.2e-7 relative).
double UnaryTolerance(UnaryOp op, double x) {
  switch (op) {
  case UnaryOp::kRelu:
    return 0.0;
  case UnaryOp::kTanh:
  case UnaryOp::kExp:
    return 1e-7;
  case UnaryOp::kGeluTanh:
    return 6e-7 * (1.0 + std::fabs(x));
  case UnaryOp::kGeluErf:
    return 4e-7 * (1.0 + std::fabs(x));
  }
  return 0.0;
}

TEST(ElementwiseTest, UnaryMatchesReference) {
  testing::ForEachTarget([] {
    for (UnaryOp op : kUnaryOps)
      for (int64_t n : testing::SweepSizes())
        for (int misalign = 0; misalign < 4; ++misalign) {
          Buffer x(n, misalign), y(n, 3 - misalign);
          FillRandom(x.data(), n, -9.0f, 9.0f, static_cast<uint32_t>(n));
          Unary(op, x.data(), y.data(), n, nullptr);
          for (int64_t i = 0; i < n; ++i) {
            const double expected = UnaryReference<double>(op, x[i]);
            const double tol = UnaryTolerance(op, x[i]) + 1e-6 * std::fabs(expected);
            ASSERT_NEAR(y[i], expected, tol) << "op " << static_cast<int>(op) << " x " << x[i];
          }
        }
  });
}

TEST(ElementwiseTest, UnaryEdgeValues) {
  testing::ForEachTarget([] {
    const float inf = std::numeric_limits<float>::infinity();
    float x[6] = {100.0f, 200.0f, -200.0f, 0.0f, -30.0f, 30.0f}, y[6];
    Unary(UnaryOp::kExp, x, y, 6, nullptr);
    EXPECT_EQ(y[0], inf);
    EXPECT_EQ(y[1], inf);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_EQ(y[3], 1.0f);
    float nan_in = std::numeric_limits<float>::quiet_NaN(), nan_out = 0.0f;
    Unary(UnaryOp::kExp, &nan_in, &nan_out, 1, nullptr);
    EXPECT_TRUE(std::isnan(nan_out));
    Unary(UnaryOp::kGeluErf, x, y, 6, nullptr);
    EXPECT_EQ(y[0], 100.0f);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_LE(std::fabs(y[4]), 1e-30f); // -30 * Phi(-30) underflows to (almost) zero
    EXPECT_EQ(y[5], 30.0f);
    Unary(UnaryOp::kTanh, x, y, 6, nullptr);
    EXPECT_EQ(y[1], 1.0f);
    EXPECT_EQ(y[2], -1.0f);
  });
}

// The erf approximation: GELU-erf tail values keep their relative accuracy (no cancellation).
TEST(ElementwiseTest, GeluErfTailIsRelativelyAccurate) {
  testing::ForEachTarget([] {
    float x[4] = {-3.0f, -4.5f, -6.0f, -8.0f}, y[4];
    Unary(UnaryOp::kGeluErf, x, y, 4, nullptr);
    for (int i = 0; i < 4; ++i) {
      const double expected = GeluErfReference<double>(x[i]);
      EXPECT_NEAR(y[i] / expected, 1.0, 1e-5) << "x " << x[i];
    }
  });
}

// The measured error of Phi(x) = gelu_erf(x) / x over a dense grid (documented in kernels.md).
TEST(ElementwiseTest, GeluErfCdfErrorOverDenseGrid) {
  const int64_t n = 20001; // x in [-10, 10], step 1e-3
  Buffer x(n), y(n);
  for (int64_t i = 0; i < n; ++i)
    x[i] = -10.0f + 0.001f * static_cast<float>(i);
  testing::ForEachTarget([&] {
    Unary(UnaryOp::kGeluErf, x.data(), y.data(), n, nullptr);
    double max_abs = 0.0, max_rel = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      if (x[i] == 0.0f)
        continue;
      const double cdf = 0.5 * std::erfc(-static_cast<double>(x[i]) / std::sqrt(2.0));
      const double measured = static_cast<double>(y[i]) / x[i];
      max_abs = std::fmax(max_abs, std::fabs(measured - cdf));
      max_rel = std::fmax(max_rel, std::fabs(measured - cdf) / cdf);
    }
    std::printf("gelu_erf: max |Phi error| %.3g, max relative %.3g\n", max_abs, max_rel);
    // Relative error grows in the far tail with the f32 rounding of z^2 inside exp(-z^2 + ...).
    EXPECT_LE(max_abs, 2e-7);
    EXPECT_LE(max_rel, 1e-5);
  });
}

TEST(ElementwiseTest, UnaryGradMatchesReferenceAndFiniteDifferences) {
  testing::ForEachTarget([] {
    for (UnaryOp op : kUnaryOps)
      for (int64_t n : testing::SweepSizes()) {
        Buffer x(n, 1), dy(n, 2), dx(n, 3);
        FillRandom(x.data(), n, -5.0f, 5.0f, static_cast<uint32_t>(7 * n));
        FillRandom(dy.data(), n, -1.0f, 1.0f, static_cast<uint32_t>(11 * n));
        for (int64_t i = 0; i < n; ++i) // Keep relu's kink away from the FD stencil.
          if (op == UnaryOp::kRelu && std::fabs(x[i]) < 1e-3f)
            x[i] = 0.5f;
        UnaryGrad(op, x.data(), dy.data(), dx.data(), n, nullptr);
        for (int64_t i = 0; i < n; ++i) {
          const double xi = x[i], h = 1e-5;
          const double fd =
              (UnaryReference<double>(op, xi + h) - UnaryReference<double>(op, xi - h)) / (2 * h);
          double analytic = 0.0;
          const double dyi = dy[i];
          UnaryGradReference<double>(op, &xi, &dyi, &analytic, 1);
          ASSERT_NEAR(dx[i], analytic, 2e-6 * (1.0 + std::fabs(analytic)))
              << "op " << static_cast<int>(op) << " x " << xi;
          ASSERT_NEAR(dx[i], dy[i] * fd, 1e-3 * (1.0 + std::fabs(dy[i] * fd)))
              << "op " << static_cast<int>(op) << " x " << xi;
        }
      }
  });
}

TEST(ElementwiseTest, ReduceToShapeMatchesReference) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {Shape{7, 33}, Shape{33}},        {Shape{7, 33}, Shape{7, 1}},
      {Shape{7, 33}, Shape{}},          {Shape{4, 5, 9}, Shape{4, 1, 9}},
      {Shape{2, 3, 4, 5}, Shape{4, 1}}, {Shape{5, 3000}, Shape{3000}},
      {Shape{3000, 5}, Shape{3000, 1}}, {Shape{6, 7}, Shape{6, 7}}};
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (const auto &c : cases) {
      const Shape &grad_shape = c.first, &operand_shape = c.second;
      Buffer grad(grad_shape.NumElements(), 1), out(operand_shape.NumElements(), 2);
      FillRandom(grad.data(), grad.size(), -1.0f, 1.0f, 5);
      std::vector<double> expected(static_cast<size_t>(operand_shape.NumElements()));
      const std::vector<double> grad_d = grad.ToDouble();
      ASSERT_TRUE(
          ReduceToShapeReference(grad_shape, grad_d.data(), operand_shape, expected.data()).ok());
      ASSERT_TRUE(ReduceToShape(grad_shape, grad.data(), operand_shape, out.data(), &pool).ok());
      const double count = static_cast<double>(grad.size() / out.size());
      testing::ExpectAllNear(out.data(), expected.data(), out.size(), 2e-7 * count, 0.0,
                             "reduce-to-shape");
    }
  });
  float g[6] = {}, o[3] = {};
  const Status status = ReduceToShape(Shape{2, 3}, g, Shape{2}, o, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("does not broadcast"), std::string::npos) << status.message();
}

// L(a, b) = sum(w * (a op b)); BinaryGrad with dy = w must match d L / d operand by central
// differences in double, and the dy-weighted scalar reference.
void CheckBinaryGrad(BinaryOp op, int operand, const Shape &a_shape, const Shape &b_shape,
                     ThreadPool *pool) {
  Shape out_shape;
  ASSERT_TRUE(BroadcastShapes(a_shape, b_shape, &out_shape).ok());
  Buffer a(a_shape.NumElements(), 1), b(b_shape.NumElements(), 2), w(out_shape.NumElements(), 3);
  FillOperand(&a, 21, false);
  FillOperand(&b, 22, op == BinaryOp::kDiv);
  FillRandom(w.data(), w.size(), -1.0f, 1.0f, 23);
  const Shape &operand_shape = operand == 0 ? a_shape : b_shape;
  Buffer grad(operand_shape.NumElements(), 1);
  std::vector<unsigned char> scratch_storage(
      BinaryGradScratchBytes(op, operand_shape, out_shape, 2) + 64);
  void *scratch =
      scratch_storage.data() + (64 - reinterpret_cast<uintptr_t>(scratch_storage.data()) % 64) % 64;
  ASSERT_TRUE(BinaryGrad(op, operand, a_shape, a.data(), b_shape, b.data(), out_shape, w.data(),
                         grad.data(), scratch, pool)
                  .ok());
  const std::vector<double> a_d = a.ToDouble(), b_d = b.ToDouble(), w_d = w.ToDouble();
  std::vector<double> out_d(static_cast<size_t>(out_shape.NumElements()));
  auto loss = [&](const std::vector<double> &x) {
    const double *a_ptr = operand == 0 ? x.data() : a_d.data();
    const double *b_ptr = operand == 1 ? x.data() : b_d.data();
    BinaryReference(op, a_shape, a_ptr, b_shape, b_ptr, out_shape, out_d.data());
    double sum = 0.0;
    for (size_t i = 0; i < out_d.size(); ++i)
      sum += w_d[i] * out_d[i];
    return sum;
  };
  std::vector<double> expected(static_cast<size_t>(operand_shape.NumElements()));
  ASSERT_TRUE(BinaryGradReference(op, operand, a_shape, a_d.data(), b_shape, b_d.data(), out_shape,
                                  w_d.data(), expected.data())
                  .ok());
  const double count = static_cast<double>(out_shape.NumElements() / operand_shape.NumElements());
  testing::ExpectAllNear(grad.data(), expected.data(), grad.size(), 1e-6 * count, 1e-6,
                         "binary grad vs reference");
  const std::vector<double> fd = testing::FiniteDifferences(operand == 0 ? a_d : b_d, loss);
  EXPECT_LE(testing::GradientError(grad.data(), fd), 1e-3)
      << "op " << static_cast<int>(op) << " operand " << operand;
  EXPECT_LE(testing::GradientError(grad.data(), fd), 1e-5); // double FD is far better than 1e-3
}

TEST(ElementwiseTest, BinaryGradMatchesFiniteDifferences) {
  const std::vector<std::pair<Shape, Shape>> cases = {{Shape{5, 9}, Shape{5, 9}},
                                                      {Shape{5, 9}, Shape{9}},
                                                      {Shape{}, Shape{3, 4}},
                                                      {Shape{4, 1, 6}, Shape{4, 3, 6}},
                                                      {Shape{2, 3, 17}, Shape{3, 1}}};
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (const auto &c : cases)
      for (BinaryOp op : kBinaryOps)
        for (int operand = 0; operand < 2; ++operand)
          CheckBinaryGrad(op, operand, c.first, c.second, &pool);
  });
  float v[4] = {};
  EXPECT_EQ(
      BinaryGrad(BinaryOp::kAdd, 2, Shape{4}, v, Shape{4}, v, Shape{4}, v, v, nullptr, nullptr)
          .code(),
      StatusCode::kInvalidArgument);
  float big[12] = {};
  const Status status = BinaryGrad(BinaryOp::kMul, 1, Shape{3, 4}, big, Shape{4}, v, Shape{3, 4},
                                   big, v, nullptr, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("scratch"), std::string::npos);
  EXPECT_EQ(BinaryGradScratchBytes(BinaryOp::kMul, Shape{4}, Shape{3, 4}, 1), 64u);
  EXPECT_EQ(BinaryGradScratchBytes(BinaryOp::kAdd, Shape{4}, Shape{3, 4}, 1), 0u);
  EXPECT_EQ(BinaryGradScratchBytes(BinaryOp::kDiv, Shape{3, 4}, Shape{3, 4}, 1), 0u);
}

// Ties split the gradient evenly (PyTorch's minimum/maximum), NaN propagates from either side.
TEST(ElementwiseTest, MinMaxTiesAndNaN) {
  testing::ForEachTarget([] {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    float a[5] = {2.0f, 1.0f, 3.0f, nan, 0.0f}, b[5] = {2.0f, 4.0f, -1.0f, 1.0f, nan}, out[5];
    ASSERT_TRUE(Binary(BinaryOp::kMax, Shape{5}, a, Shape{5}, b, Shape{5}, out, nullptr).ok());
    EXPECT_EQ(out[0], 2.0f);
    EXPECT_EQ(out[1], 4.0f);
    EXPECT_EQ(out[2], 3.0f);
    EXPECT_TRUE(std::isnan(out[3]));
    EXPECT_TRUE(std::isnan(out[4]));
    ASSERT_TRUE(Binary(BinaryOp::kMin, Shape{5}, a, Shape{5}, b, Shape{5}, out, nullptr).ok());
    EXPECT_EQ(out[1], 1.0f);
    EXPECT_EQ(out[2], -1.0f);
    EXPECT_TRUE(std::isnan(out[3]));
    EXPECT_TRUE(std::isnan(out[4]));
    float dy[3] = {1.0f, 1.0f, 1.0f}, da[3], db[3];
    ASSERT_TRUE(
        BinaryGrad(BinaryOp::kMax, 0, Shape{3}, a, Shape{3}, b, Shape{3}, dy, da, nullptr, nullptr)
            .ok());
    ASSERT_TRUE(
        BinaryGrad(BinaryOp::kMax, 1, Shape{3}, a, Shape{3}, b, Shape{3}, dy, db, nullptr, nullptr)
            .ok());
    EXPECT_EQ(da[0], 0.5f);
    EXPECT_EQ(db[0], 0.5f);
    EXPECT_EQ(da[1], 0.0f);
    EXPECT_EQ(db[1], 1.0f);
    EXPECT_EQ(da[2], 1.0f);
    EXPECT_EQ(db[2], 0.0f);
  });
}

TEST(ElementwiseTest, DeterministicWithTwoThreads) {
  const Shape a_shape{64, 4099}, b_shape{4099};
  Buffer a(a_shape.NumElements()), b(b_shape.NumElements());
  FillRandom(a.data(), a.size(), -3.0f, 3.0f, 31);
  FillRandom(b.data(), b.size(), 0.5f, 2.0f, 32);
  ThreadPool pool(2);
  auto run = [&](ThreadPool *p, std::vector<float> *result) {
    Buffer out(a.size()), act(a.size()), grad(a.size()), reduced(b.size());
    EXPECT_TRUE(
        Binary(BinaryOp::kDiv, a_shape, a.data(), b_shape, b.data(), a_shape, out.data(), p).ok());
    Unary(UnaryOp::kGeluErf, out.data(), act.data(), act.size(), p);
    UnaryGrad(UnaryOp::kGeluTanh, out.data(), act.data(), grad.data(), grad.size(), p);
    EXPECT_TRUE(ReduceToShape(a_shape, grad.data(), b_shape, reduced.data(), p).ok());
    *result = act.ToVector();
    result->insert(result->end(), reduced.data(), reduced.data() + reduced.size());
  };
  std::vector<float> first, second, serial;
  run(&pool, &first);
  run(&pool, &second);
  run(nullptr, &serial);
  ASSERT_EQ(first.size(), second.size());
  EXPECT_TRUE(testing::BitIdentical(first.data(), second.data(), first.size()));
  EXPECT_TRUE(testing::BitIdentical(first.data(), serial.data(), first.size()));
}

TEST(ElementwiseTest, EmptyTensorsWriteNothing) {
  float a[1] = {1.0f}, out[1] = {7.0f};
  ASSERT_TRUE(Binary(BinaryOp::kAdd, Shape{0, 5}, a, Shape{5}, a, Shape{0, 5}, out, nullptr).ok());
  Unary(UnaryOp::kExp, a, out, 0, nullptr);
  UnaryGrad(UnaryOp::kTanh, a, a, out, 0, nullptr);
  EXPECT_EQ(out[0], 7.0f);
  // Rank-0 operands: one element.
  float b[1] = {3.0f};
  ASSERT_TRUE(Binary(BinaryOp::kDiv, Shape{}, a, Shape{}, b, Shape{}, out, nullptr).ok());
  EXPECT_EQ(out[0], 1.0f / 3.0f);
}

} // namespace
} // namespace kernels
} // namespace tidemark
