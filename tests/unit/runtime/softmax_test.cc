// Softmax forward/backward against scalar references on every Highway target (last axis and
// strided middle axis), finite differences of the scalar forward, edge values and determinism.
#include "runtime/kernels/softmax.h"

#include <cmath>
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

struct Case {
  int64_t outer, axis_len, inner;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (int64_t n : testing::SweepSizes()) {
    cases.push_back({3, n, 1}); // last axis
    cases.push_back({2, 5, n}); // middle axis, vectorized over inner
    cases.push_back({1, n, 3});
  }
  cases.push_back({2, 7, 300}); // inner longer than one column block
  return cases;
}

void CheckForward(const Case &c, int misalign, ThreadPool *pool) {
  const int64_t n = c.outer * c.axis_len * c.inner;
  Buffer x(n, misalign), y(n, 3 - misalign);
  FillRandom(x.data(), n, -20.0f, 20.0f, static_cast<uint32_t>(n + misalign));
  ASSERT_TRUE(Softmax(c.outer, c.axis_len, c.inner, x.data(), y.data(), pool).ok());
  const std::vector<double> x_d = x.ToDouble();
  std::vector<double> expected(x_d.size());
  SoftmaxReference(c.outer, c.axis_len, c.inner, x_d.data(), expected.data());
  // exp within a few ULP, one rounding for the reciprocal, f32 accumulation of the sum.
  testing::ExpectAllNear(y.data(), expected.data(), n, 1e-9, 2e-6 + 6e-8 * c.axis_len, "softmax");
}

TEST(SoftmaxTest, ForwardMatchesReference) {
  testing::ForEachTarget([] {
    for (const Case &c : Cases())
      for (int misalign = 0; misalign < 4; ++misalign)
        CheckForward(c, misalign, nullptr);
  });
}

TEST(SoftmaxTest, ForwardInPlaceAndThreaded) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    CheckForward({257, 1000, 1}, 1, &pool);
    CheckForward({3, 50, 700}, 2, &pool);
    Buffer x(5 * 33), y(5 * 33);
    FillRandom(x.data(), x.size(), -3.0f, 3.0f, 4);
    ASSERT_TRUE(Softmax(5, 33, 1, x.data(), y.data(), nullptr).ok());
    ASSERT_TRUE(Softmax(5, 33, 1, x.data(), x.data(), nullptr).ok()); // y aliases x
    EXPECT_TRUE(testing::BitIdentical(x.data(), y.data(), x.size()));
  });
}

TEST(SoftmaxTest, LargeLogitsDoNotOverflow) {
  testing::ForEachTarget([] {
    float x[4] = {1000.0f, 999.0f, -1000.0f, 1000.0f}, y[4];
    ASSERT_TRUE(Softmax(1, 4, 1, x, y, nullptr).ok());
    const double e1 = std::exp(-1.0), total = 2.0 + e1;
    EXPECT_NEAR(y[0], 1.0 / total, 1e-6);
    EXPECT_NEAR(y[1], e1 / total, 1e-6);
    EXPECT_EQ(y[2], 0.0f);
    const float inf = std::numeric_limits<float>::infinity();
    float all_masked[3] = {-inf, -inf, -inf}, out[3];
    ASSERT_TRUE(Softmax(1, 3, 1, all_masked, out, nullptr).ok());
    EXPECT_TRUE(std::isnan(out[0])); // documented: an all -inf row is NaN
  });
  float v[2];
  const Status status = Softmax(1, -2, 1, v, v, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("negative size"), std::string::npos);
}

// L(x) = sum(w * softmax(x)); SoftmaxGrad(y, dy = w) must equal dL/dx by central differences
// in double, and the scalar backward reference.
TEST(SoftmaxTest, BackwardMatchesReferenceAndFiniteDifferences) {
  testing::ForEachTarget([] {
    for (const Case &c :
         {Case{3, 9, 1}, Case{2, 17, 1}, Case{2, 6, 5}, Case{1, 33, 1}, Case{2, 4, 19}}) {
      const int64_t n = c.outer * c.axis_len * c.inner;
      Buffer x(n, 1), y(n, 2), w(n, 3), dx(n, 0);
      FillRandom(x.data(), n, -3.0f, 3.0f, 5);
      FillRandom(w.data(), n, -1.0f, 1.0f, 6);
      ASSERT_TRUE(Softmax(c.outer, c.axis_len, c.inner, x.data(), y.data(), nullptr).ok());
      ASSERT_TRUE(
          SoftmaxGrad(c.outer, c.axis_len, c.inner, y.data(), w.data(), dx.data(), nullptr).ok());
      std::vector<float> expected(static_cast<size_t>(n));
      SoftmaxGradReference(c.outer, c.axis_len, c.inner, y.data(), w.data(), expected.data());
      testing::ExpectAllNear(dx.data(), expected.data(), n, 1e-7, 1e-5, "softmax grad");
      const std::vector<double> w_d = w.ToDouble();
      std::vector<double> out(w_d.size());
      auto loss = [&](const std::vector<double> &v) {
        SoftmaxReference(c.outer, c.axis_len, c.inner, v.data(), out.data());
        double sum = 0.0;
        for (size_t i = 0; i < out.size(); ++i)
          sum += w_d[i] * out[i];
        return sum;
      };
      const auto fd = testing::FiniteDifferences(x.ToDouble(), loss);
      EXPECT_LE(testing::GradientError(dx.data(), fd), 1e-3);
    }
  });
}

TEST(SoftmaxTest, BackwardSweepAndAliasing) {
  testing::ForEachTarget([] {
    for (const Case &c : Cases()) {
      const int64_t n = c.outer * c.axis_len * c.inner;
      Buffer y(n, 1), dy(n, 2), dx(n, 3);
      FillRandom(y.data(), n, 0.0f, 1.0f, 8);
      FillRandom(dy.data(), n, -1.0f, 1.0f, 9);
      std::vector<double> expected(static_cast<size_t>(n));
      const std::vector<double> y_d = y.ToDouble(), dy_d = dy.ToDouble();
      SoftmaxGradReference(c.outer, c.axis_len, c.inner, y_d.data(), dy_d.data(), expected.data());
      ASSERT_TRUE(SoftmaxGrad(c.outer, c.axis_len, c.inner, y.data(), dy.data(), dy.data(),
                              nullptr)
                      .ok()); // dx aliases dy
      testing::ExpectAllNear(dy.data(), expected.data(), n, 2e-7 * c.axis_len, 1e-6,
                             "softmax grad");
    }
  });
}

TEST(SoftmaxTest, DeterministicWithTwoThreads) {
  ThreadPool pool(2);
  const int64_t outer = 64, len = 1500;
  Buffer x(outer * len), first(outer * len), second(outer * len), grad(outer * len),
      grad2(outer * len);
  FillRandom(x.data(), x.size(), -5.0f, 5.0f, 10);
  ASSERT_TRUE(Softmax(outer, len, 1, x.data(), first.data(), &pool).ok());
  ASSERT_TRUE(Softmax(outer, len, 1, x.data(), second.data(), &pool).ok());
  EXPECT_TRUE(testing::BitIdentical(first.data(), second.data(), x.size()));
  ASSERT_TRUE(SoftmaxGrad(outer, len, 1, first.data(), x.data(), grad.data(), &pool).ok());
  ASSERT_TRUE(SoftmaxGrad(outer, len, 1, first.data(), x.data(), grad2.data(), nullptr).ok());
  EXPECT_TRUE(testing::BitIdentical(grad.data(), grad2.data(), x.size()));
}

TEST(SoftmaxTest, EmptySizesAreNoOps) {
  float v[1] = {7.0f};
  EXPECT_TRUE(Softmax(0, 5, 1, v, v, nullptr).ok());
  EXPECT_TRUE(Softmax(3, 0, 1, v, v, nullptr).ok());
  EXPECT_TRUE(SoftmaxGrad(2, 4, 0, v, v, v, nullptr).ok());
  EXPECT_EQ(v[0], 7.0f);
  float one = 123.0f;
  ASSERT_TRUE(Softmax(1, 1, 1, &one, &one, nullptr).ok());
  EXPECT_EQ(one, 1.0f);
}

} // namespace
} // namespace kernels
} // namespace tidemark
