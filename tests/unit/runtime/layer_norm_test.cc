// Layer norm forward/backward against scalar references on every Highway target, finite
// differences of the scalar forward (dx, d_scale, d_bias), bad inputs and determinism.
#include "runtime/kernels/layer_norm.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

constexpr float kEpsilon = 1e-5f;

using testing::Scratch;

struct Inputs {
  Inputs(int64_t rows, int64_t n, int misalign)
      : x(rows * n, misalign), scale(n, 3 - misalign), bias(n, 1), dy(rows * n, 2) {
    FillRandom(x.data(), x.size(), -2.0f, 3.0f, static_cast<uint32_t>(rows * 31 + n));
    FillRandom(scale.data(), n, 0.5f, 1.5f, 2);
    FillRandom(bias.data(), n, -0.5f, 0.5f, 3);
    FillRandom(dy.data(), dy.size(), -1.0f, 1.0f, 4);
  }
  Buffer x, scale, bias, dy;
};

void CheckForward(int64_t rows, int64_t n, int misalign, ThreadPool *pool) {
  Inputs in(rows, n, misalign);
  Buffer y(rows * n, misalign), mean(rows), rstd(rows);
  ASSERT_TRUE(LayerNorm(rows, n, in.x.data(), in.scale.data(), in.bias.data(), kEpsilon, y.data(),
                        mean.data(), rstd.data(), pool)
                  .ok());
  const auto x = in.x.ToDouble(), scale = in.scale.ToDouble(), bias = in.bias.ToDouble();
  std::vector<double> y_ref(x.size()), mean_ref(static_cast<size_t>(rows)),
      rstd_ref(mean_ref.size());
  LayerNormReference<double>(rows, n, x.data(), scale.data(), bias.data(), kEpsilon, y_ref.data(),
                             mean_ref.data(), rstd_ref.data());
  const double tol = 1e-8 * static_cast<double>(n) + 1e-6;
  testing::ExpectAllNear(y.data(), y_ref.data(), y.size(), tol, tol, "layer norm y");
  testing::ExpectAllNear(mean.data(), mean_ref.data(), rows, tol, tol, "layer norm mean");
  testing::ExpectAllNear(rstd.data(), rstd_ref.data(), rows, 0.0, tol, "layer norm rstd");
}

TEST(LayerNormTest, ForwardMatchesReference) {
  testing::ForEachTarget([] {
    for (int64_t n : testing::SweepSizes())
      for (int misalign = 0; misalign < 4; ++misalign)
        CheckForward(3, n, misalign, nullptr);
  });
  ThreadPool pool(2);
  testing::ForEachTarget([&] { CheckForward(100, 768, 1, &pool); });
}

void CheckBackward(int64_t rows, int64_t n, int misalign, ThreadPool *pool) {
  Inputs in(rows, n, misalign);
  Buffer y(rows * n), mean(rows), rstd(rows), dx(rows * n, 3 - misalign), d_scale(n, misalign),
      d_bias(n, 2);
  ASSERT_TRUE(LayerNorm(rows, n, in.x.data(), in.scale.data(), in.bias.data(), kEpsilon, y.data(),
                        mean.data(), rstd.data(), pool)
                  .ok());
  Scratch scratch(LayerNormGradScratchBytes(rows, n, 2));
  ASSERT_TRUE(LayerNormGrad(rows, n, in.x.data(), in.scale.data(), mean.data(), rstd.data(),
                            in.dy.data(), dx.data(), d_scale.data(), d_bias.data(), scratch.data(),
                            pool)
                  .ok());
  // Against the scalar backward reference fed the same saved statistics.
  std::vector<float> dx_ref(static_cast<size_t>(rows * n)), ds_ref(static_cast<size_t>(n)),
      db_ref(static_cast<size_t>(n));
  LayerNormGradReference(rows, n, in.x.data(), in.scale.data(), mean.data(), rstd.data(),
                         in.dy.data(), dx_ref.data(), ds_ref.data(), db_ref.data());
  const double tol = 2e-8 * static_cast<double>(n + rows) + 2e-6;
  // dx = rstd * (a difference of O(|g|) terms): its rounding error scales with rstd (large for
  // nearly constant rows, e.g. n = 2).
  for (int64_t r = 0; r < rows; ++r)
    testing::ExpectAllNear(dx.data() + r * n, dx_ref.data() + r * n, n,
                           tol * std::fmax(1.0, rstd[r]), tol, "dx");
  testing::ExpectAllNear(d_scale.data(), ds_ref.data(), n, tol, tol, "d_scale");
  testing::ExpectAllNear(d_bias.data(), db_ref.data(), n, tol, tol, "d_bias");
}

TEST(LayerNormTest, BackwardMatchesReference) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (int64_t n : testing::SweepSizes())
      CheckBackward(5, n, static_cast<int>(n % 4), nullptr);
    CheckBackward(1, 17, 1, &pool);
    CheckBackward(100, 200, 2, &pool); // more rows than gradient blocks
    CheckBackward(7, 2500, 0, &pool);  // several column chunks when combining partials
  });
}

// L(x, scale, bias) = sum(w * layer_norm(x)); every gradient against central differences.
TEST(LayerNormTest, BackwardMatchesFiniteDifferences) {
  testing::ForEachTarget([] {
    const int64_t rows = 4, n = 9;
    Inputs in(rows, n, 1);
    Buffer y(rows * n), mean(rows), rstd(rows), dx(rows * n), d_scale(n), d_bias(n);
    ASSERT_TRUE(LayerNorm(rows, n, in.x.data(), in.scale.data(), in.bias.data(), kEpsilon, y.data(),
                          mean.data(), rstd.data(), nullptr)
                    .ok());
    Scratch scratch(LayerNormGradScratchBytes(rows, n, 1));
    ASSERT_TRUE(LayerNormGrad(rows, n, in.x.data(), in.scale.data(), mean.data(), rstd.data(),
                              in.dy.data(), dx.data(), d_scale.data(), d_bias.data(),
                              scratch.data(), nullptr)
                    .ok());
    const auto x = in.x.ToDouble(), scale = in.scale.ToDouble(), bias = in.bias.ToDouble(),
               w = in.dy.ToDouble();
    std::vector<double> out(x.size()), m(rows), s(rows);
    auto loss = [&](const std::vector<double> &xv, const std::vector<double> &sv,
                    const std::vector<double> &bv) {
      LayerNormReference<double>(rows, n, xv.data(), sv.data(), bv.data(), kEpsilon, out.data(),
                                 m.data(), s.data());
      double sum = 0.0;
      for (size_t i = 0; i < out.size(); ++i)
        sum += w[i] * out[i];
      return sum;
    };
    const auto fd_x = testing::FiniteDifferences(
        x, [&](const std::vector<double> &v) { return loss(v, scale, bias); });
    const auto fd_scale = testing::FiniteDifferences(
        scale, [&](const std::vector<double> &v) { return loss(x, v, bias); });
    const auto fd_bias = testing::FiniteDifferences(
        bias, [&](const std::vector<double> &v) { return loss(x, scale, v); });
    EXPECT_LE(testing::GradientError(dx.data(), fd_x), 1e-3);
    EXPECT_LE(testing::GradientError(d_scale.data(), fd_scale), 1e-3);
    EXPECT_LE(testing::GradientError(d_bias.data(), fd_bias), 1e-3);
  });
}

TEST(LayerNormTest, BadInputs) {
  float v[4] = {1, 2, 3, 4}, y[4], m[1], s[1];
  Status status = LayerNorm(1, 4, v, v, v, -1.0f, y, m, s, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("epsilon"), std::string::npos);
  status = LayerNorm(2, 0, v, v, v, 1e-5f, y, m, s, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("norm_size is 0"), std::string::npos);
  status = LayerNorm(-1, 4, v, v, v, 1e-5f, y, m, s, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  status = LayerNormGrad(1, 4, v, v, m, s, v, y, y, y, nullptr, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("scratch"), std::string::npos);
  // A constant row normalizes to bias (var = 0, rstd = 1 / sqrt(eps)), finite.
  float constant[4] = {2, 2, 2, 2}, one[4] = {1, 1, 1, 1}, zero[4] = {0, 0, 0, 0};
  ASSERT_TRUE(LayerNorm(1, 4, constant, one, zero, 1e-5f, y, m, s, nullptr).ok());
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(m[0], 2.0f);
  EXPECT_TRUE(std::isfinite(s[0]));
  EXPECT_EQ(LayerNormGradScratchBytes(1000, 10, 8), 2u * 32u * 16u * 4u);
}

TEST(LayerNormTest, BackwardBitIdenticalAcrossRunsAndThreadCounts) {
  const int64_t rows = 301, n = 777;
  Inputs in(rows, n, 0);
  Buffer y(rows * n), mean(rows), rstd(rows);
  ASSERT_TRUE(LayerNorm(rows, n, in.x.data(), in.scale.data(), in.bias.data(), kEpsilon, y.data(),
                        mean.data(), rstd.data(), nullptr)
                  .ok());
  ThreadPool pool(2);
  auto run = [&](ThreadPool *p) {
    Buffer dx(rows * n), ds(n), db(n);
    Scratch scratch(LayerNormGradScratchBytes(rows, n, 2));
    EXPECT_TRUE(LayerNormGrad(rows, n, in.x.data(), in.scale.data(), mean.data(), rstd.data(),
                              in.dy.data(), dx.data(), ds.data(), db.data(), scratch.data(), p)
                    .ok());
    std::vector<float> all = dx.ToVector();
    all.insert(all.end(), ds.data(), ds.data() + n);
    all.insert(all.end(), db.data(), db.data() + n);
    return all;
  };
  const std::vector<float> first = run(&pool), second = run(&pool), serial = run(nullptr);
  EXPECT_TRUE(testing::BitIdentical(first.data(), second.data(), first.size()));
  EXPECT_TRUE(testing::BitIdentical(first.data(), serial.data(), first.size()));
}

} // namespace
} // namespace kernels
} // namespace tidemark
