// RoPE against its double reference on every Highway target (both layouts, partial rotary,
// position offsets), the inverse as the exact backward, finite differences, norms preserved and
// bad sizes.
#include "runtime/kernels/rope.h"

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

void Check(const RopeShape &s, double base, int64_t offset, bool inverse, ThreadPool *pool,
           int misalign) {
  const int64_t n = s.outer * s.positions * s.inner * s.head_dim;
  Buffer x(n, misalign), y(n, 3 - misalign);
  std::vector<float> table(static_cast<size_t>(RopeTableFloats(s.positions, s.rot_dim)));
  FillRandom(x.data(), n, -1.0f, 1.0f, static_cast<uint32_t>(n + offset));
  ASSERT_TRUE(RopeTable(s.positions, s.rot_dim, base, offset, table.data()).ok());
  ASSERT_TRUE(Rope(s, table.data(), x.data(), y.data(), inverse, pool).ok());
  const std::vector<double> xd = x.ToDouble();
  std::vector<double> expected(static_cast<size_t>(n));
  RopeReference<double>(s, base, offset, xd.data(), expected.data(), inverse);
  // cos/sin rounded to f32 (2^-24 each) and two FMAs: 3e-7 on |y| <= sqrt(2).
  testing::ExpectAllNear(y.data(), expected.data(), n, 3e-7, 0.0, "rope");
}

TEST(RopeTest, MatchesReferenceOnEveryTarget) {
  ThreadPool pool(2);
  testing::ForEachTarget([&] {
    for (int64_t head_dim : {2, 4, 8, 16, 18, 34, 64, 66, 128})
      for (bool inverse : {false, true}) {
        Check({2, 5, 3, head_dim, head_dim}, 10000.0, 0, inverse, nullptr, head_dim % 4);
        Check({6, 7, 1, head_dim, head_dim}, 500000.0, 13, inverse, nullptr, 1);
        if (head_dim >= 4) // partial rotary: the last features pass through
          Check({1, 9, 2, head_dim, head_dim / 2 / 2 * 2}, 10000.0, 3, inverse, nullptr, 2);
      }
    Check({2, 2048, 4, 64, 64}, 10000.0, 0, false, &pool, 0); // long positions, several tasks
  });
}

TEST(RopeTest, InverseUndoesTheRotationInPlaceAndKeepsNorms) {
  const RopeShape s{2, 33, 4, 64, 64};
  const int64_t n = 2 * 33 * 4 * 64;
  Buffer x(n), y(n);
  FillRandom(x.data(), n, -1.0f, 1.0f, 4);
  std::vector<float> table(static_cast<size_t>(RopeTableFloats(33, 64)));
  ASSERT_TRUE(RopeTable(33, 64, 10000.0, 0, table.data()).ok());
  for (int64_t i = 0; i < n; ++i)
    y[i] = x[i];
  ASSERT_TRUE(Rope(s, table.data(), y.data(), y.data(), false, nullptr).ok());
  for (int64_t row = 0; row < n / 64; ++row) {
    double before = 0.0, after = 0.0;
    for (int64_t j = 0; j < 64; ++j) {
      before += static_cast<double>(x[row * 64 + j]) * x[row * 64 + j];
      after += static_cast<double>(y[row * 64 + j]) * y[row * 64 + j];
    }
    ASSERT_NEAR(after, before, 1e-5 * before);
  }
  ASSERT_TRUE(Rope(s, table.data(), y.data(), y.data(), true, nullptr).ok());
  testing::ExpectAllNear(y.data(), x.data(), n, 5e-7, 0.0, "rope then inverse");
}

// The backward: for L = sum(w * rope(x)), dL/dx = rope_inverse(w); checked by finite differences
// of the double reference.
TEST(RopeTest, InverseIsTheGradient) {
  const RopeShape s{1, 5, 2, 6, 4};
  const int64_t n = 5 * 2 * 6;
  Buffer w(n), dx(n);
  FillRandom(w.data(), n, -1.0f, 1.0f, 5);
  std::vector<float> table(static_cast<size_t>(RopeTableFloats(5, 4)));
  ASSERT_TRUE(RopeTable(5, 4, 10000.0, 2, table.data()).ok());
  ASSERT_TRUE(Rope(s, table.data(), w.data(), dx.data(), true, nullptr).ok());
  std::vector<double> x(static_cast<size_t>(n), 0.3), out(static_cast<size_t>(n));
  const auto wd = w.ToDouble();
  const auto fd = testing::FiniteDifferences(x, [&](const std::vector<double> &v) {
    RopeReference<double>(s, 10000.0, 2, v.data(), out.data(), false);
    double sum = 0.0;
    for (size_t i = 0; i < out.size(); ++i)
      sum += wd[i] * out[i];
    return sum;
  });
  EXPECT_LE(testing::GradientError(dx.data(), fd), 1e-6);
}

TEST(RopeTest, BadSizesAndParameters) {
  float buffer[8] = {};
  Status status = Rope({1, 1, 1, 8, 3}, buffer, buffer, buffer, false, nullptr);
  EXPECT_NE(status.message().find("rotated dimension 3 must be even and in (0, head_dim = 8]"),
            std::string::npos)
      << status.ToString();
  EXPECT_FALSE(Rope({1, 1, 1, 8, 10}, buffer, buffer, buffer, false, nullptr).ok());
  EXPECT_FALSE(Rope({-1, 1, 1, 8, 8}, buffer, buffer, buffer, false, nullptr).ok());
  EXPECT_FALSE(Rope({1, 1, 1, 8, 8}, nullptr, buffer, buffer, false, nullptr).ok());
  EXPECT_FALSE(RopeTable(4, 8, 0.0, 0, buffer).ok());
  EXPECT_FALSE(RopeTable(4, 8, NAN, 0, buffer).ok());
  EXPECT_FALSE(RopeTable(4, 7, 10000.0, 0, buffer).ok());
  EXPECT_FALSE(RopeTable(4, 8, 10000.0, -1, buffer).ok());
}

} // namespace
} // namespace kernels
} // namespace tidemark
