// Global-norm clipping scalars and learning-rate schedules: the sum of squares against a double
// reference on every target and bit-identical across threads, the clip coefficient of PyTorch's
// clip_grad_norm_, and the warm-up + cosine formula at its corners.
#include "runtime/kernels/training_schedule.h"

#include <cmath>
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

TEST(TrainingScheduleTest, SumOfSquaresMatchesDoubleAndIsThreadIndependent) {
  ThreadPool pool(3);
  testing::ForEachTarget([&] {
    for (int64_t n : {int64_t{1}, int64_t{17}, int64_t{4096}, int64_t{4097}, int64_t{300001}}) {
      Buffer x(n, static_cast<int>(n % 4));
      FillRandom(x.data(), n, -2.0f, 2.0f, static_cast<uint32_t>(n));
      double expected = 0.0;
      for (int64_t i = 0; i < n; ++i)
        expected += static_cast<double>(x[i]) * x[i];
      const double one = SumOfSquares(x.data(), n, nullptr);
      const double three = SumOfSquares(x.data(), n, &pool);
      EXPECT_NEAR(one, expected, 1e-6 * expected) << n; // f32 chunk sums of 4096 squares
      EXPECT_EQ(one, three) << n;
    }
  });
  EXPECT_EQ(SumOfSquares(nullptr, 0, nullptr), 0.0);
  // More than 256 tasks of 16 chunks: the partials are combined in several rounds, in order.
  const int64_t n = 16 * 4096 * 300 + 5;
  std::vector<float> x(static_cast<size_t>(n));
  FillRandom(x.data(), n, -1.0f, 1.0f, 99);
  double expected = 0.0;
  for (float v : x)
    expected += static_cast<double>(v) * v;
  const double one = SumOfSquares(x.data(), n, nullptr);
  EXPECT_NEAR(one, expected, 1e-6 * expected);
  EXPECT_EQ(one, SumOfSquares(x.data(), n, &pool));
}

TEST(TrainingScheduleTest, ClipCoefficientIsPyTorchs) {
  EXPECT_EQ(ClipCoefficient(4.0, 5.0f), 1.0f);                           // norm 2 < 5: unchanged
  EXPECT_FLOAT_EQ(ClipCoefficient(100.0, 1.0f), 1.0f / (10.0f + 1e-6f)); // norm 10 -> 1
  EXPECT_EQ(ClipCoefficient(1e30, 0.0f), 1.0f);                          // clipping off
  EXPECT_TRUE(std::isnan(ClipCoefficient(NAN, 1.0f))); // a NaN norm poisons the step, as PyTorch
  EXPECT_EQ(ClipCoefficient(INFINITY, 1.0f), 0.0f);
  std::vector<float> g = {3.0f, 4.0f};
  ScaleBy(g.data(), 2, ClipCoefficient(SumOfSquares(g.data(), 2, nullptr), 1.0f), nullptr);
  EXPECT_NEAR(std::sqrt(g[0] * g[0] + g[1] * g[1]), 1.0, 1e-6);
}

TEST(TrainingScheduleTest, WarmupCosineCorners) {
  LrSchedule s;
  s.kind = LrSchedule::Kind::kWarmupCosine;
  s.warmup_steps = 10;
  s.total_steps = 110;
  s.min_ratio = 0.1;
  ASSERT_TRUE(ValidateLrSchedule(s).ok());
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1.0, 0), 0.1);     // (0 + 1) / 10
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1.0, 9), 1.0);     // end of warm-up
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1.0, 10), 1.0);    // cosine starts at the base
  EXPECT_NEAR(LearningRateAt(s, 1.0, 60), 0.55, 1e-12); // halfway: (1 + 0.1) / 2
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1.0, 110), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1.0, 1000), 0.1);
  for (int64_t t = 10; t < 110; ++t) // monotone decay
    EXPECT_GE(LearningRateAt(s, 1.0, t), LearningRateAt(s, 1.0, t + 1));
  LrSchedule constant;
  EXPECT_EQ(LearningRateAt(constant, 0.3, 12345), 0.3);
  s.total_steps = 10;
  Status status = ValidateLrSchedule(s);
  EXPECT_NE(status.message().find("need 0 <= warmup steps < total steps, got 10 and 10"),
            std::string::npos)
      << status.ToString();
  s.total_steps = 20;
  s.min_ratio = 1.5;
  EXPECT_FALSE(ValidateLrSchedule(s).ok());
}

} // namespace
} // namespace kernels
} // namespace tidemark
