// ReduceMax / ReduceMaxGrad against their scalar references on every Highway target: the three
// layouts, sizes swept around the vector width, misaligned starts, lines with NaNs, ties, signed
// zeros and negatives, and bit-identity across thread counts.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/reduce_max.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

// ---- ReduceMax ----

void CheckReduceMax(const ReduceMaxShape &s, ThreadPool *pool, int misalign, bool specials) {
  const int64_t n = s.outer * s.len * s.inner, m = s.outer * s.inner;
  Buffer x(n, misalign), out(m, 3 - misalign), dy(m, 1), dx(n, 2);
  FillRandom(x.data(), n, -4.0f, 4.0f, static_cast<uint32_t>(n + s.len));
  FillRandom(dy.data(), m, -1.0f, 1.0f, static_cast<uint32_t>(m));
  if (specials && n > 0) { // NaN lines, ties, signed zeros and all-negative lines
    std::mt19937 rng(static_cast<uint32_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int kind = static_cast<int>(rng() % 16);
      if (kind == 0)
        x[i] = std::numeric_limits<float>::quiet_NaN();
      else if (kind == 1)
        x[i] = 0.0f;
      else if (kind == 2)
        x[i] = -0.0f;
      else if (kind < 6)
        x[i] = std::floor(x[i]); // repeated small integers: ties
      else
        x[i] = -std::fabs(x[i]);
    }
  }
  ASSERT_TRUE(ReduceMax(s, x.data(), out.data(), pool).ok());
  std::vector<float> want(static_cast<size_t>(m));
  ReduceMaxReference(s, x.data(), want.data());
  EXPECT_TRUE(testing::BitIdentical(out.data(), want.data(), m))
      << "[" << s.outer << ", " << s.len << ", " << s.inner << "]";
  ASSERT_TRUE(ReduceMaxGrad(s, x.data(), dy.data(), dx.data(), pool).ok());
  std::vector<float> want_grad(static_cast<size_t>(n));
  ReduceMaxGradReference(s, x.data(), dy.data(), want_grad.data());
  EXPECT_TRUE(testing::BitIdentical(dx.data(), want_grad.data(), n))
      << "grad [" << s.outer << ", " << s.len << ", " << s.inner << "]";
}

TEST(ReduceMaxTest, MatchesReferenceOnEveryTarget) {
  ThreadPool pool(3);
  testing::ForEachTarget([&] {
    for (int64_t size : testing::SweepSizes())
      for (bool specials : {false, true}) {
        CheckReduceMax({3, size, 1}, nullptr, 0, specials); // contiguous lines
        CheckReduceMax({2, size, 5}, nullptr, 3, specials); // vertical, inner below a vector
        CheckReduceMax({2, 3, size}, nullptr, 1, specials); // vertical across `size` columns
        CheckReduceMax({1, 1, size}, nullptr, 0, specials); // a length-1 axis
      }
    CheckReduceMax({300, 257, 1}, &pool, 1, true);
    CheckReduceMax({7, 33, 130}, &pool, 0, true); // several 64-column chunks in the backward
    CheckReduceMax({0, 4, 3}, nullptr, 0, false);
  });
}

TEST(ReduceMaxTest, NaNPropagatesAndTheFirstMaximumTakesTheGradient) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Two lines of 5: [1, 3, 3, -2, 0] (tie at 1 and 2) and [2, nan, 9, nan, 1].
  const float x[10] = {1, 3, 3, -2, 0, 2, nan, 9, nan, 1};
  const float dy[2] = {10, 20};
  float out[2], dx[10];
  testing::ForEachTarget([&] {
    ASSERT_TRUE(ReduceMax({2, 5, 1}, x, out, nullptr).ok());
    EXPECT_EQ(out[0], 3.0f);
    EXPECT_TRUE(std::isnan(out[1]));
    ASSERT_TRUE(ReduceMaxGrad({2, 5, 1}, x, dy, dx, nullptr).ok());
    const float want[10] = {0, 10, 0, 0, 0, 0, 20, 0, 0, 0};
    EXPECT_TRUE(testing::BitIdentical(dx, want, 10));
  });
}

TEST(ReduceMaxTest, ThreadCountDoesNotChangeResults) {
  const ReduceMaxShape s{64, 300, 7};
  Buffer x(s.outer * s.len * s.inner), one(s.outer * s.inner), three(s.outer * s.inner);
  FillRandom(x.data(), x.size(), -1.0f, 1.0f, 5);
  ThreadPool pool(3);
  ASSERT_TRUE(ReduceMax(s, x.data(), one.data(), nullptr).ok());
  ASSERT_TRUE(ReduceMax(s, x.data(), three.data(), &pool).ok());
  EXPECT_TRUE(testing::BitIdentical(one.data(), three.data(), one.size()));
}

TEST(ReduceMaxTest, RejectsAnEmptyReducedAxis) {
  float x[1] = {}, out[1] = {5};
  Status status = ReduceMax({2, 0, 3}, x, out, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("reduced length >= 1"), std::string::npos);
  EXPECT_EQ(out[0], 5.0f);
}

} // namespace
} // namespace kernels
} // namespace tidemark
