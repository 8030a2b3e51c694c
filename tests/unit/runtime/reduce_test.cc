// Reduce (sum, mean over axis sets) and ReduceGrad against scalar references on every Highway
// target, finite differences, error messages and determinism.
#include "runtime/kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

// Compares Reduce against the double reference; the bound is the worst-case f32 summation error
// (count * 2^-24 * sum |x|), far below the size of one wrongly included or missing element.
void CheckReduce(ReduceOp op, const Shape &shape, uint32_t mask, ThreadPool *pool, int misalign) {
  const Shape out_shape = ReducedShape(shape, mask);
  Buffer in(shape.NumElements(), misalign), out(out_shape.NumElements(), 3 - misalign);
  FillRandom(in.data(), in.size(), -1.0f, 1.0f, static_cast<uint32_t>(mask + 17 * in.size()));
  const std::vector<double> in_d = in.ToDouble();
  std::vector<double> abs_d(in_d.size());
  for (size_t i = 0; i < in_d.size(); ++i)
    abs_d[i] = std::fabs(in_d[i]);
  std::vector<double> expected(static_cast<size_t>(out.size())), magnitude(expected.size());
  ASSERT_TRUE(ReduceReference(op, shape, in_d.data(), mask, expected.data()).ok());
  ASSERT_TRUE(ReduceReference(op, shape, abs_d.data(), mask, magnitude.data()).ok());
  const Status status = Reduce(op, shape, in.data(), mask, out.data(), pool);
  ASSERT_TRUE(status.ok()) << status.ToString();
  const double count = out.size() == 0 ? 0.0 : static_cast<double>(in.size() / out.size());
  for (int64_t o = 0; o < out.size(); ++o) {
    const double tol = (count + 1.0) * 6e-8 * magnitude[o] + 1e-30;
    ASSERT_NEAR(out[o], expected[o], tol) << "mask " << mask << " output " << o;
  }
}

TEST(ReduceTest, EveryMaskOfRankFour) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (const Shape &shape : {Shape{3, 5, 7, 2}, Shape{2, 1, 9, 17}, Shape{4, 33, 1, 3}})
      for (uint32_t mask = 0; mask < 16; ++mask)
        for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMean})
          CheckReduce(op, shape, mask, mask % 2 ? &pool : nullptr, static_cast<int>(mask % 4));
  });
}

TEST(ReduceTest, SizesAroundVectorWidth) {
  testing::ForEachTarget([] {
    for (int64_t n : testing::SweepSizes())
      for (int misalign = 0; misalign < 4; ++misalign) {
        CheckReduce(ReduceOp::kSum, Shape{n}, 1, nullptr, misalign);        // full
        CheckReduce(ReduceOp::kSum, Shape{3, n}, 2, nullptr, misalign);     // rows
        CheckReduce(ReduceOp::kMean, Shape{3, n}, 1, nullptr, misalign);    // columns
        CheckReduce(ReduceOp::kSum, Shape{n, 5}, 1, nullptr, misalign);     // long columns
        CheckReduce(ReduceOp::kMean, Shape{2, n, 3}, 5, nullptr, misalign); // outer + inner
      }
  });
}

TEST(ReduceTest, LargeShapesSplitIntoTasks) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    CheckReduce(ReduceOp::kSum, Shape{3, 70001}, 2, &pool, 1);  // long rows
    CheckReduce(ReduceOp::kSum, Shape{300, 2500}, 1, &pool, 2); // column chunks
    CheckReduce(ReduceOp::kMean, Shape{7, 6, 5, 4, 3, 2}, 0x2B, &pool, 0);
    CheckReduce(ReduceOp::kSum, Shape{2, 3, 4, 5, 6, 7}, 0x15, &pool, 3);
  });
}

TEST(ReduceTest, EmptyAndBadInputs) {
  float out[4] = {7, 7, 7, 7};
  ASSERT_TRUE(Reduce(ReduceOp::kSum, Shape{0, 4}, nullptr, 1, out, nullptr).ok());
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[3], 0.0f);
  ASSERT_TRUE(Reduce(ReduceOp::kMean, Shape{0, 4}, nullptr, 1, out, nullptr).ok());
  EXPECT_TRUE(std::isnan(out[2]));
  Status status = Reduce(ReduceOp::kSum, Shape{2, 3}, out, 4, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("beyond the rank"), std::string::npos) << status.message();
  status = Reduce(ReduceOp::kSum, Shape{2, -3}, out, 1, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("negative"), std::string::npos) << status.message();
  status = ReduceGrad(ReduceOp::kSum, Shape{2, 3}, 8, out, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
}

// L(x) = sum(w * reduce(x)); ReduceGrad(dy = w) equals dL/dx by finite differences and equals the
// reference exactly (it is a broadcast copy times a scale).
TEST(ReduceTest, GradMatchesReferenceAndFiniteDifferences) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    const Shape shape{3, 4, 5};
    for (uint32_t mask = 0; mask < 8; ++mask)
      for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMean}) {
        const Shape out_shape = ReducedShape(shape, mask);
        Buffer w(out_shape.NumElements(), 1), dx(shape.NumElements(), 2);
        FillRandom(w.data(), w.size(), -1.0f, 1.0f, mask + 3);
        ASSERT_TRUE(ReduceGrad(op, shape, mask, w.data(), dx.data(), &pool).ok());
        std::vector<float> expected(static_cast<size_t>(dx.size()));
        ASSERT_TRUE(ReduceGradReference(op, shape, mask, w.data(), expected.data()).ok());
        EXPECT_TRUE(testing::BitIdentical(dx.data(), expected.data(), dx.size()));
        const std::vector<double> w_d = w.ToDouble();
        std::vector<double> x(static_cast<size_t>(dx.size()), 0.25), y(w_d.size());
        auto loss = [&](const std::vector<double> &v) {
          ReduceReference(op, shape, v.data(), mask, y.data());
          double sum = 0.0;
          for (size_t i = 0; i < y.size(); ++i)
            sum += w_d[i] * y[i];
          return sum;
        };
        EXPECT_LE(testing::GradientError(dx.data(), testing::FiniteDifferences(x, loss)), 1e-3);
      }
  });
}

TEST(ReduceTest, DeterministicWithTwoThreads) {
  const Shape shape{64, 33, 129};
  Buffer in(shape.NumElements());
  FillRandom(in.data(), in.size(), -1.0f, 1.0f, 99);
  ThreadPool pool(2);
  for (uint32_t mask : {1u, 2u, 4u, 5u, 3u, 6u}) {
    const int64_t n = ReducedShape(shape, mask).NumElements();
    Buffer first(n), second(n), serial(n);
    ASSERT_TRUE(Reduce(ReduceOp::kMean, shape, in.data(), mask, first.data(), &pool).ok());
    ASSERT_TRUE(Reduce(ReduceOp::kMean, shape, in.data(), mask, second.data(), &pool).ok());
    ASSERT_TRUE(Reduce(ReduceOp::kMean, shape, in.data(), mask, serial.data(), nullptr).ok());
    EXPECT_TRUE(testing::BitIdentical(first.data(), second.data(), n)) << "mask " << mask;
    EXPECT_TRUE(testing::BitIdentical(first.data(), serial.data(), n)) << "mask " << mask;
  }
}

TEST(ReduceTest, RankZeroAndNoAxesCopy) {
  float scalar = 2.5f, out = 0.0f;
  ASSERT_TRUE(Reduce(ReduceOp::kMean, Shape{}, &scalar, 0, &out, nullptr).ok());
  EXPECT_EQ(out, 2.5f);
  float in[6] = {1, 2, 3, 4, 5, 6}, copy[6] = {};
  ASSERT_TRUE(Reduce(ReduceOp::kSum, Shape{2, 3}, in, 0, copy, nullptr).ok());
  EXPECT_TRUE(testing::BitIdentical(in, copy, 6));
  float sums[2] = {};
  ASSERT_TRUE(Reduce(ReduceOp::kSum, Shape{2, 1, 3}, in, 6, sums, nullptr).ok()); // axes 1, 2
  EXPECT_EQ(sums[0], 6.0f);
  EXPECT_EQ(sums[1], 15.0f);
}

// Sums over many rows (a bias gradient sums the batch's rows) round once: within one float ulp of
// the exact sum, where a float accumulator drifts by tens of ulps over 4096 rows (measured with the
// float accumulator: 10-30 ulps for these shapes). Positive values, so the exact sum is far
// from 0 and an ulp is a meaningful unit; the double reference's own error is ~1e-12 of an ulp.
void CheckRoundsOnce(ReduceOp op, const Shape &shape, uint32_t mask, ThreadPool *pool) {
  const Shape out_shape = ReducedShape(shape, mask);
  Buffer in(shape.NumElements()), out(out_shape.NumElements());
  FillRandom(in.data(), in.size(), 0.25f, 1.75f, static_cast<uint32_t>(mask + in.size()));
  const std::vector<double> in_d = in.ToDouble();
  std::vector<double> expected(static_cast<size_t>(out.size()));
  ASSERT_TRUE(ReduceReference(op, shape, in_d.data(), mask, expected.data()).ok());
  ASSERT_TRUE(Reduce(op, shape, in.data(), mask, out.data(), pool).ok());
  double worst_ulps = 0.0;
  for (int64_t o = 0; o < out.size(); ++o) {
    const float nearest = static_cast<float>(expected[o]);
    const double ulp = static_cast<double>(std::nextafter(nearest, HUGE_VALF) - nearest);
    worst_ulps = std::max(worst_ulps, std::fabs(out[o] - expected[o]) / ulp);
  }
  EXPECT_LE(worst_ulps, 1.0) << "mask " << mask << " over " << in.size() / out.size()
                             << " elements per output";
}

TEST(ReduceTest, LongColumnSumsRoundOnce) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    CheckRoundsOnce(ReduceOp::kSum, Shape{4096, 64}, 1, nullptr);    // bias gradient [rows, d]
    CheckRoundsOnce(ReduceOp::kMean, Shape{4096, 67}, 1, &pool);     // ragged width, mean
    CheckRoundsOnce(ReduceOp::kSum, Shape{2, 2048, 1500}, 2, &pool); // column chunks
    CheckRoundsOnce(ReduceOp::kSum, Shape{4096, 2, 3}, 5, &pool);    // rows of short row sums
  });
}

} // namespace
} // namespace kernels
} // namespace tidemark
