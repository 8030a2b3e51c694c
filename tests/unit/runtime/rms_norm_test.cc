// RMS norm forward/backward against scalar references on every Highway target, finite
// differences of the double forward (dx, d_scale), bad inputs and determinism.
#include "runtime/kernels/rms_norm.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

constexpr float kEpsilon = 1e-6f;

using testing::Scratch;

struct Inputs {
  Inputs(int64_t rows, int64_t n, int misalign)
      : x(rows * n, misalign), scale(n, 3 - misalign), dy(rows * n, 2) {
    FillRandom(x.data(), x.size(), -2.0f, 3.0f, static_cast<uint32_t>(rows * 31 + n));
    FillRandom(scale.data(), n, 0.5f, 1.5f, 2);
    FillRandom(dy.data(), dy.size(), -1.0f, 1.0f, 4);
  }
  Buffer x, scale, dy;
};

void Check(int64_t rows, int64_t n, int misalign, ThreadPool *pool) {
  Inputs in(rows, n, misalign);
  Buffer y(rows * n, misalign), rstd(rows), dx(rows * n, 1), d_scale(n, 2);
  ASSERT_TRUE(
      RmsNorm(rows, n, in.x.data(), in.scale.data(), kEpsilon, y.data(), rstd.data(), pool).ok());
  const auto x = in.x.ToDouble(), scale = in.scale.ToDouble(), dy = in.dy.ToDouble();
  std::vector<double> y_ref(x.size()), rstd_ref(static_cast<size_t>(rows));
  RmsNormReference<double>(rows, n, x.data(), scale.data(), kEpsilon, y_ref.data(),
                           rstd_ref.data());
  const double tol = 1e-8 * static_cast<double>(n) + 1e-6;
  testing::ExpectAllNear(y.data(), y_ref.data(), y.size(), tol, tol, "rms norm y");
  testing::ExpectAllNear(rstd.data(), rstd_ref.data(), rows, 0.0, tol, "rms norm rstd");

  Scratch scratch(RmsNormGradScratchBytes(rows, n, 2));
  ASSERT_TRUE(RmsNormGrad(rows, n, in.x.data(), in.scale.data(), rstd.data(), in.dy.data(),
                          dx.data(), d_scale.data(), scratch.data(), pool)
                  .ok());
  const auto rstd_f = rstd.ToDouble();
  std::vector<double> dx_ref(x.size()), d_scale_ref(static_cast<size_t>(n));
  RmsNormGradReference<double>(rows, n, x.data(), scale.data(), rstd_f.data(), dy.data(),
                               dx_ref.data(), d_scale_ref.data());
  const double gtol = 2e-8 * static_cast<double>(n) + 2e-6;
  testing::ExpectAllNear(dx.data(), dx_ref.data(), dx.size(), gtol, gtol, "rms norm dx");
  testing::ExpectAllNear(d_scale.data(), d_scale_ref.data(), n, gtol * static_cast<double>(rows),
                         gtol, "rms norm d_scale");
}

TEST(RmsNormTest, ForwardAndBackwardMatchReference) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (int64_t n : testing::SweepSizes())
      for (int misalign = 0; misalign < 4; ++misalign)
        Check(3, n, misalign, nullptr);
    Check(67, 1031, 1, &pool); // several grad blocks and tasks
    Check(100, 4096, 0, &pool);
  });
}

// L(x, scale) = sum(w * rms_norm(x)); both gradients against central differences.
TEST(RmsNormTest, BackwardMatchesFiniteDifferences) {
  testing::ForEachTarget([] {
    const int64_t rows = 4, n = 9;
    Inputs in(rows, n, 1);
    Buffer y(rows * n), rstd(rows), dx(rows * n), d_scale(n);
    ASSERT_TRUE(
        RmsNorm(rows, n, in.x.data(), in.scale.data(), kEpsilon, y.data(), rstd.data(), nullptr)
            .ok());
    Scratch scratch(RmsNormGradScratchBytes(rows, n, 1));
    ASSERT_TRUE(RmsNormGrad(rows, n, in.x.data(), in.scale.data(), rstd.data(), in.dy.data(),
                            dx.data(), d_scale.data(), scratch.data(), nullptr)
                    .ok());
    const auto x = in.x.ToDouble(), scale = in.scale.ToDouble(), w = in.dy.ToDouble();
    std::vector<double> out(x.size()), s(rows);
    auto loss = [&](const std::vector<double> &xv, const std::vector<double> &sv) {
      RmsNormReference<double>(rows, n, xv.data(), sv.data(), kEpsilon, out.data(), s.data());
      double sum = 0.0;
      for (size_t i = 0; i < out.size(); ++i)
        sum += w[i] * out[i];
      return sum;
    };
    const auto fd_x =
        testing::FiniteDifferences(x, [&](const std::vector<double> &v) { return loss(v, scale); });
    const auto fd_scale =
        testing::FiniteDifferences(scale, [&](const std::vector<double> &v) { return loss(x, v); });
    EXPECT_LE(testing::GradientError(dx.data(), fd_x), 1e-3);
    EXPECT_LE(testing::GradientError(d_scale.data(), fd_scale), 1e-3);
  });
}

TEST(RmsNormTest, BadInputs) {
  float x[4] = {1, 2, 3, 4}, scale[4] = {1, 1, 1, 1}, y[4] = {9, 9, 9, 9}, rstd[1] = {9};
  Status status = RmsNorm(-1, 4, x, scale, kEpsilon, y, rstd, nullptr);
  EXPECT_NE(status.message().find("rms norm: negative size"), std::string::npos)
      << status.ToString();
  status = RmsNorm(1, 0, x, scale, kEpsilon, y, rstd, nullptr);
  EXPECT_NE(status.message().find("norm_size is 0"), std::string::npos) << status.ToString();
  status = RmsNorm(1, 4, x, scale, -1.0f, y, rstd, nullptr);
  EXPECT_NE(status.message().find("epsilon must be finite and >= 0"), std::string::npos);
  EXPECT_FALSE(RmsNorm(1, 4, x, scale, INFINITY, y, rstd, nullptr).ok());
  EXPECT_FALSE(RmsNorm(1, 4, x, scale, NAN, y, rstd, nullptr).ok());
  for (float v : y)
    EXPECT_EQ(v, 9.0f);
  float dx[4], d_scale[4];
  status = RmsNormGrad(1, 4, x, scale, rstd, x, dx, d_scale, nullptr, nullptr);
  EXPECT_NE(status.message().find("scratch is null"), std::string::npos) << status.ToString();
  EXPECT_EQ(RmsNormGradScratchBytes(1000, 10, 8), 32u * 16u * 4u);
  EXPECT_EQ(RmsNormGradScratchBytes(0, 10, 8), 0u);
}

TEST(RmsNormTest, BackwardBitIdenticalAcrossThreadCounts) {
  const int64_t rows = 150, n = 333;
  Inputs in(rows, n, 0);
  Buffer y(rows * n), rstd(rows);
  ASSERT_TRUE(
      RmsNorm(rows, n, in.x.data(), in.scale.data(), kEpsilon, y.data(), rstd.data(), nullptr)
          .ok());
  Scratch scratch(RmsNormGradScratchBytes(rows, n, 4));
  Buffer dx1(rows * n), ds1(n), dx4(rows * n), ds4(n);
  ThreadPool pool(4);
  ASSERT_TRUE(RmsNormGrad(rows, n, in.x.data(), in.scale.data(), rstd.data(), in.dy.data(),
                          dx1.data(), ds1.data(), scratch.data(), nullptr)
                  .ok());
  ASSERT_TRUE(RmsNormGrad(rows, n, in.x.data(), in.scale.data(), rstd.data(), in.dy.data(),
                          dx4.data(), ds4.data(), scratch.data(), &pool)
                  .ok());
  EXPECT_TRUE(testing::BitIdentical(dx1.data(), dx4.data(), dx1.size()));
  EXPECT_TRUE(testing::BitIdentical(ds1.data(), ds4.data(), n));
}

} // namespace
} // namespace kernels
} // namespace tidemark
