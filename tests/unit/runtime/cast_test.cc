// The f32 <-> i32 casts against their scalar rule on every Highway target: truncation, saturation,
// NaN, rounding to nearest, misaligned starts and nothing written past the end.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/cast.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

// ---- Casts ----

TEST(CastTest, F32ToI32TruncatesAndSaturatesOnEveryTarget) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> special = {
      0.0f,  -0.0f,       0.5f,          -0.5f,         1.99f,          -1.99f,         2.5f,
      -2.5f, 16777217.0f, 2147483520.0f, 2147483648.0f, -2147483648.0f, -2147483904.0f, 3e9f,
      -3e9f, inf,         -inf,          nan,           -nan,           1e-45f,         -7.0f};
  const std::vector<int32_t> want = {
      0,         0,         0,          0,         1,         -1,        2,
      -2,        16777216,  2147483520, INT32_MAX, INT32_MIN, INT32_MIN, INT32_MAX,
      INT32_MIN, INT32_MAX, INT32_MIN,  0,         0,         0,         -7};
  ASSERT_EQ(special.size(), want.size());
  for (size_t i = 0; i < special.size(); ++i)
    EXPECT_EQ(CastF32ToI32Reference(special[i]), want[i]) << "reference at " << special[i];
  ThreadPool pool(3);
  testing::ForEachTarget([&] {
    for (int64_t n : testing::SweepSizes()) {
      for (int misalign = 0; misalign < 4; misalign += 3) {
        Buffer x(n, misalign);
        FillRandom(x.data(), n, -3e9f, 3e9f, static_cast<uint32_t>(n));
        for (int64_t i = 0; i < n; ++i)
          if (i % 3 == 0)
            x[i] = special[static_cast<size_t>(i / 3) % special.size()];
        std::vector<int32_t> y(static_cast<size_t>(n) + 4, 123);
        CastF32ToI32(x.data(), y.data() + misalign, n, n > 100 ? &pool : nullptr);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(y[size_t(i + misalign)], CastF32ToI32Reference(x[i]))
              << "x = " << x[i] << " at " << i;
        EXPECT_EQ(y[size_t(n + misalign)], 123) << "nothing written past the end";
      }
    }
  });
}

TEST(CastTest, I32ToF32RoundsToNearestOnEveryTarget) {
  testing::ForEachTarget([&] {
    for (int64_t n : testing::SweepSizes()) {
      std::mt19937 rng(static_cast<uint32_t>(n));
      std::vector<int32_t> x(static_cast<size_t>(n));
      for (int32_t &v : x)
        v = static_cast<int32_t>(rng());
      x[0] = INT32_MIN;
      if (n > 1)
        x[1] = INT32_MAX; // rounds to 2^31
      if (n > 2)
        x[2] = 16777217; // rounds to even: 16777216
      Buffer y(n, 1);
      CastI32ToF32(x.data(), y.data(), n, nullptr);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(y[i], static_cast<float>(x[size_t(i)])) << "x = " << x[size_t(i)];
      if (n > 2)
        EXPECT_EQ(y[2], 16777216.0f);
    }
  });
}

} // namespace
} // namespace kernels
} // namespace tidemark
