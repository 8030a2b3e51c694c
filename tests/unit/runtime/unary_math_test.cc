// The math unary ops (neg, abs, sqrt, rsqrt, log, sigmoid, silu, erf, pow by a constant, clamp)
// against their double-precision references on every Highway target, their derivatives against
// the analytic reference and central finite differences, IEEE edge values and parameter checks.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/elementwise.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// One op with its constants, the input range it is tested on and its error bound
// |y - ref| <= abs_tol + rel_tol |ref|. The bounds are the functions' documented accuracy:
// correctly rounded ops (neg, abs, sqrt, clamp, pow 0.5) within 1 ULP, Highway's exp/log within
// a few ULP, pow by exp(a log x) within |a log x| ULP of its argument.
struct Case {
  const char *name;
  UnaryOp op;
  UnaryParams params;
  float lo, hi;
  double abs_tol, rel_tol;
};

const Case kCases[] = {
    {"neg", UnaryOp::kNeg, {}, -9.0f, 9.0f, 0.0, 0.0},
    {"abs", UnaryOp::kAbs, {}, -9.0f, 9.0f, 0.0, 0.0},
    {"sqrt", UnaryOp::kSqrt, {}, 0.0f, 9.0f, 0.0, 6e-8},
    {"rsqrt", UnaryOp::kRsqrt, {}, 0.01f, 9.0f, 0.0, 1.2e-7},
    {"log", UnaryOp::kLog, {}, 0.001f, 100.0f, 1e-7, 4e-7},
    {"sigmoid", UnaryOp::kSigmoid, {}, -20.0f, 20.0f, 1e-8, 5e-7},
    {"silu", UnaryOp::kSilu, {}, -20.0f, 20.0f, 1e-7, 5e-7},
    {"erf", UnaryOp::kErf, {}, -5.0f, 5.0f, 2e-7, 2e-7},
    {"erf-series", UnaryOp::kErf, {}, -0.499f, 0.499f, 0.0, 3e-7}, // the series branch
    {"pow2", UnaryOp::kPow, {2.0f}, -9.0f, 9.0f, 0.0, 1.2e-7},
    {"pow3", UnaryOp::kPow, {3.0f}, -9.0f, 9.0f, 0.0, 2.4e-7},
    {"pow-1", UnaryOp::kPow, {-1.0f}, 0.1f, 9.0f, 0.0, 6e-8},
    {"pow-2", UnaryOp::kPow, {-2.0f}, -9.0f, -0.1f, 0.0, 2.4e-7},
    {"pow0", UnaryOp::kPow, {0.0f}, -9.0f, 9.0f, 0.0, 0.0},
    {"pow0.5", UnaryOp::kPow, {0.5f}, 0.0f, 9.0f, 0.0, 6e-8},
    {"pow-0.5", UnaryOp::kPow, {-0.5f}, 0.01f, 9.0f, 0.0, 1.2e-7},
    {"pow1.7", UnaryOp::kPow, {1.7f}, 0.01f, 9.0f, 0.0, 2e-6},
    {"pow-2.5", UnaryOp::kPow, {-2.5f}, 0.1f, 9.0f, 0.0, 2e-6},
    {"clamp", UnaryOp::kClamp, {-1.0f, 2.0f}, -9.0f, 9.0f, 0.0, 0.0},
    {"clamp-max-only", UnaryOp::kClamp, {-kInf, 0.5f}, -9.0f, 9.0f, 0.0, 0.0},
    {"clamp-min-only", UnaryOp::kClamp, {0.25f, kInf}, -9.0f, 9.0f, 0.0, 0.0},
};

TEST(UnaryMathTest, MatchesTheDoubleReferenceOnEveryTarget) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (const Case &c : kCases) {
      SCOPED_TRACE(c.name);
      std::vector<int64_t> sizes = testing::SweepSizes();
      sizes.push_back(70001); // several tasks on the pool
      for (int64_t n : sizes)
        for (int misalign = 0; misalign < 4; misalign += 3) {
          Buffer x(n, misalign), y(n, 3 - misalign);
          FillRandom(x.data(), n, c.lo, c.hi, static_cast<uint32_t>(n * 13 + misalign));
          Unary(c.op, x.data(), y.data(), n, n > 10000 ? &pool : nullptr, c.params);
          for (int64_t i = 0; i < n; ++i) {
            const double expected = UnaryReference<double>(c.op, x[i], c.params);
            ASSERT_NEAR(y[i], expected, c.abs_tol + c.rel_tol * std::fabs(expected))
                << "x " << x[i] << " n " << n;
          }
        }
    }
  });
}

// erf near 0 keeps its relative accuracy (the series branch), no cancellation from 1 - erfc.
TEST(UnaryMathTest, ErfIsRelativelyAccurateNearZero) {
  testing::ForEachTarget([] {
    float x[6] = {1e-30f, -1e-20f, 1e-7f, 3e-4f, -0.01f, 0.49f}, y[6];
    Unary(UnaryOp::kErf, x, y, 6, nullptr);
    for (int i = 0; i < 6; ++i)
      EXPECT_NEAR(y[i] / std::erf(static_cast<double>(x[i])), 1.0, 3e-7) << "x " << x[i];
  });
}

TEST(UnaryMathTest, IeeeEdgeValues) {
  testing::ForEachTarget([] {
    auto run = [](UnaryOp op, std::vector<float> in, UnaryParams params = {}) {
      std::vector<float> out(in.size());
      Unary(op, in.data(), out.data(), static_cast<int64_t>(in.size()), nullptr, params);
      return out;
    };
    std::vector<float> y = run(UnaryOp::kLog, {0.0f, -1.0f, kInf, kNaN, 1.0f});
    EXPECT_EQ(y[0], -kInf);
    EXPECT_TRUE(std::isnan(y[1]));
    EXPECT_EQ(y[2], kInf);
    EXPECT_TRUE(std::isnan(y[3]));
    EXPECT_EQ(y[4], 0.0f);
    y = run(UnaryOp::kSqrt, {-1.0f, 0.0f, kInf});
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_EQ(y[2], kInf);
    y = run(UnaryOp::kRsqrt, {0.0f, kInf, 4.0f});
    EXPECT_EQ(y[0], kInf);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_EQ(y[2], 0.5f);
    y = run(UnaryOp::kSigmoid, {-200.0f, 200.0f, 0.0f, kNaN});
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_EQ(y[1], 1.0f);
    EXPECT_EQ(y[2], 0.5f);
    EXPECT_TRUE(std::isnan(y[3]));
    y = run(UnaryOp::kSilu, {-200.0f, 200.0f});
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_EQ(y[1], 200.0f);
    y = run(UnaryOp::kErf, {kInf, -kInf, 0.0f, kNaN, 6.0f});
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[1], -1.0f);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_TRUE(std::isnan(y[3]));
    EXPECT_EQ(y[4], 1.0f);
    y = run(UnaryOp::kPow, {0.0f, -2.0f, kInf}, {1.7f});
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_TRUE(std::isnan(y[1])); // negative base, non-integral exponent
    EXPECT_EQ(y[2], kInf);
    y = run(UnaryOp::kPow, {0.0f, kInf}, {-1.7f});
    EXPECT_EQ(y[0], kInf);
    EXPECT_EQ(y[1], 0.0f);
    y = run(UnaryOp::kPow, {-2.0f, -2.0f}, {3.0f});
    EXPECT_EQ(y[0], -8.0f);
    y = run(UnaryOp::kPow, {-2.0f, 0.0f}, {-1.0f});
    EXPECT_EQ(y[0], -0.5f);
    EXPECT_EQ(y[1], kInf);
    y = run(UnaryOp::kClamp, {kNaN, -kInf, kInf, 0.5f}, {-1.0f, 1.0f});
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], -1.0f);
    EXPECT_EQ(y[2], 1.0f);
    EXPECT_EQ(y[3], 0.5f);
    y = run(UnaryOp::kAbs, {-0.0f, -kInf});
    EXPECT_FALSE(std::signbit(y[0]));
    EXPECT_EQ(y[1], kInf);
  });
}

// Moves x away from the op's kinks and domain edges so the finite-difference stencil (h = 1e-5)
// never straddles one.
float AwayFromKinks(const Case &c, float x) {
  if ((c.op == UnaryOp::kAbs || c.op == UnaryOp::kPow) && std::fabs(x) < 1e-2f)
    return x < 0 ? -0.5f : 0.5f;
  if (c.op == UnaryOp::kClamp &&
      (std::fabs(x - c.params.a) < 1e-2f || std::fabs(x - c.params.b) < 1e-2f))
    return x + 0.05f;
  if ((c.op == UnaryOp::kSqrt || c.op == UnaryOp::kRsqrt || c.op == UnaryOp::kLog) && x < 0.05f)
    return 0.05f + x;
  return x;
}

TEST(UnaryMathTest, GradientsMatchAnalyticAndFiniteDifferences) {
  testing::ForEachTarget([] {
    for (const Case &c : kCases) {
      SCOPED_TRACE(c.name);
      for (int64_t n : testing::SweepSizes()) {
        Buffer x(n, 1), dy(n, 2), dx(n, 3);
        FillRandom(x.data(), n, c.lo, c.hi, static_cast<uint32_t>(7 * n));
        FillRandom(dy.data(), n, -1.0f, 1.0f, static_cast<uint32_t>(11 * n));
        for (int64_t i = 0; i < n; ++i)
          x[i] = AwayFromKinks(c, x[i]);
        UnaryGrad(c.op, x.data(), dy.data(), dx.data(), n, nullptr, c.params);
        for (int64_t i = 0; i < n; ++i) {
          const double xi = x[i], h = 1e-5 * (1.0 + std::fabs(xi)), dyi = dy[i];
          const double fd = (UnaryReference<double>(c.op, xi + h, c.params) -
                             UnaryReference<double>(c.op, xi - h, c.params)) /
                            (2 * h);
          double analytic = 0.0;
          UnaryGradReference<double>(c.op, &xi, &dyi, &analytic, 1, c.params);
          ASSERT_NEAR(dx[i], analytic, 4e-6 * (1.0 + std::fabs(analytic))) << "x " << xi;
          ASSERT_NEAR(dx[i], dyi * fd, 1e-3 * (1.0 + std::fabs(dyi * fd))) << "x " << xi;
        }
      }
    }
  });
}

TEST(UnaryMathTest, ParametersAreValidated) {
  EXPECT_TRUE(ValidateUnaryParams(UnaryOp::kPow, {2.0f}).ok());
  Status status = ValidateUnaryParams(UnaryOp::kPow, {kInf});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("pow: the exponent must be finite"), std::string::npos)
      << status.ToString();
  EXPECT_FALSE(ValidateUnaryParams(UnaryOp::kPow, {kNaN}).ok());
  status = ValidateUnaryParams(UnaryOp::kClamp, {2.0f, 1.0f});
  EXPECT_NE(status.message().find("clamp: the bounds must satisfy min <= max"), std::string::npos)
      << status.ToString();
  EXPECT_FALSE(ValidateUnaryParams(UnaryOp::kClamp, {kNaN, 1.0f}).ok());
  EXPECT_TRUE(ValidateUnaryParams(UnaryOp::kClamp, {-kInf, kInf}).ok());
  EXPECT_TRUE(ValidateUnaryParams(UnaryOp::kRelu, {kNaN, kNaN}).ok()); // unused constants
}

TEST(UnaryMathTest, ThreadCountDoesNotChangeResults) {
  const int64_t n = 300000;
  Buffer x(n), one(n), two(n);
  FillRandom(x.data(), n, -4.0f, 4.0f, 3);
  ThreadPool pool(3);
  for (const Case &c : kCases) {
    Unary(c.op, x.data(), one.data(), n, nullptr, c.params);
    Unary(c.op, x.data(), two.data(), n, &pool, c.params);
    EXPECT_TRUE(testing::BitIdentical(one.data(), two.data(), n)) << c.name;
  }
}

} // namespace
} // namespace kernels
} // namespace tidemark
