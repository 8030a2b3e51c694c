// Dropout and its Philox4x32-10 generator: the published known-answer vectors, bit-identity of the
// SIMD kernel with the scalar reference on every Highway target and thread count, the keep rate,
// stream independence and the error messages.
#include "runtime/kernels/dropout.h"

#include <algorithm>
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

// Random123's known-answer vectors for Philox4x32-10 (counter, key -> output): the independent
// reference the generator is checked against bit for bit.
TEST(PhiloxTest, KnownAnswerVectors) {
  using Words = std::array<uint32_t, 4>;
  EXPECT_EQ(Philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(
      Philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
      (Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(
      Philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
      (Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
  static_assert(Philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5, "usable at compile time");
}

TEST(PhiloxTest, StreamLayoutIsTheDocumentedCounterAndKey) {
  const DropoutStream stream{0x0123456789abcdefULL, 7, 42};
  for (int64_t index :
       {int64_t{0}, int64_t{3}, int64_t{4}, int64_t{1} << 34, (int64_t{1} << 34) + 5}) {
    const uint64_t block = static_cast<uint64_t>(index) / 4;
    const auto words =
        Philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 7, 42},
                      {0x89abcdefu, 0x01234567u});
    EXPECT_EQ(DropoutDraw(stream, index), words[index % 4]) << index;
  }
}

void ExpectMatchesReference(const DropoutStream &stream, float p, int64_t n, ThreadPool *pool,
                            int misalign) {
  Buffer x(n, misalign), y(n, 3 - misalign), expected(n);
  FillRandom(x.data(), n, -2.0f, 2.0f, static_cast<uint32_t>(n * 31 + misalign));
  ASSERT_TRUE(DropoutReference(stream, p, x.data(), expected.data(), n).ok());
  const Status status = Dropout(stream, p, x.data(), y.data(), n, pool);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(testing::BitIdentical(y.data(), expected.data(), n))
      << "n " << n << " p " << p << " misalign " << misalign;
}

TEST(DropoutTest, BitIdenticalToTheReferenceOnEveryTarget) {
  ThreadPool pool(3);
  const DropoutStream stream{12345, 3, 9};
  testing::ForEachTarget([&] {
    for (int64_t n : testing::SweepSizes())
      for (int misalign = 0; misalign < 4; ++misalign)
        for (float p : {0.0f, 0.1f, 0.5f, 0.9f, 1.0f})
          ExpectMatchesReference(stream, p, n, nullptr, misalign);
    // Several tasks, threads, and a tail.
    for (int64_t n : {int64_t{16 * 1024}, int64_t{100003}})
      ExpectMatchesReference(stream, 0.25f, n, &pool, 1);
  });
}

TEST(DropoutTest, CountersThatCarryIntoTheHighWordMatchTheReference) {
  // Element indices just below and past 2^34 (block 2^32): the lanes' block counters cross into
  // the counter's high word. Check the kernel's range function through an offset view.
  const DropoutStream stream{99, 1, 2};
  const int64_t n = (int64_t{1} << 34) + 200;
  // Only the last 400 elements exist: DropoutAt works on [n - 400, n) of a virtual tensor.
  std::vector<float> x(400), y(400), expected(400);
  FillRandom(x.data(), 400, -1.0f, 1.0f, 5);
  for (int64_t i = 0; i < 400; ++i)
    expected[i] = DropoutUniform(DropoutDraw(stream, n - 400 + i)) >= 0.5f ? x[i] * 2.0f : 0.0f;
  testing::ForEachTarget([&] {
    std::fill(y.begin(), y.end(), -7.0f);
    ASSERT_TRUE(DropoutAt(stream, 0.5f, x.data(), y.data(), n - 400, 400, nullptr).ok());
    ASSERT_TRUE(testing::BitIdentical(y.data(), expected.data(), 400));
    // An unaligned start (not a multiple of 4) reaches the block boundary in scalar code.
    ASSERT_TRUE(DropoutAt(stream, 0.5f, x.data() + 3, y.data() + 3, n - 397, 397, nullptr).ok());
    ASSERT_TRUE(testing::BitIdentical(y.data(), expected.data(), 400));
  });
}

TEST(DropoutTest, ThreadCountDoesNotChangeTheMask) {
  const int64_t n = 200000;
  Buffer x(n), one(n), many(n);
  FillRandom(x.data(), n, -1.0f, 1.0f, 77);
  ThreadPool pool(4);
  const DropoutStream stream{2024, 11, 5};
  ASSERT_TRUE(Dropout(stream, 0.3f, x.data(), one.data(), n, nullptr).ok());
  ASSERT_TRUE(Dropout(stream, 0.3f, x.data(), many.data(), n, &pool).ok());
  EXPECT_TRUE(testing::BitIdentical(one.data(), many.data(), n));
}

TEST(DropoutTest, InPlaceEqualsOutOfPlace) {
  const int64_t n = 1031;
  Buffer x(n), y(n);
  FillRandom(x.data(), n, -1.0f, 1.0f, 8);
  const DropoutStream stream{1, 2, 3};
  ASSERT_TRUE(Dropout(stream, 0.4f, x.data(), y.data(), n, nullptr).ok());
  ASSERT_TRUE(Dropout(stream, 0.4f, x.data(), x.data(), n, nullptr).ok());
  EXPECT_TRUE(testing::BitIdentical(x.data(), y.data(), n));
}

// The keep rate is 1 - p within 5 standard deviations, kept values are scaled exactly, and the
// backward (the same call on dy) zeroes exactly the dropped positions.
TEST(DropoutTest, KeepRateScaleAndBackwardMask) {
  const int64_t n = 1 << 20;
  std::vector<float> ones(n, 1.0f), y(n), dy(n, 3.0f), dx(n);
  const DropoutStream stream{42, 0, 1};
  for (float p : {0.1f, 0.5f, 0.8f}) {
    ASSERT_TRUE(Dropout(stream, p, ones.data(), y.data(), n, nullptr).ok());
    ASSERT_TRUE(Dropout(stream, p, dy.data(), dx.data(), n, nullptr).ok());
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (y[i] != 0.0f) {
        ++kept;
        ASSERT_EQ(y[i], 1.0f / (1.0f - p));
        ASSERT_EQ(dx[i], 3.0f * (1.0f / (1.0f - p)));
      } else {
        ASSERT_EQ(dx[i], 0.0f) << i;
      }
    }
    const double expected = (1.0 - p) * n;
    const double sigma = std::sqrt(n * p * (1.0 - p));
    EXPECT_NEAR(static_cast<double>(kept), expected, 5 * sigma) << "p " << p;
  }
}

// Different steps, values and seeds give (nearly) independent masks: about half the positions
// agree at p = 0.5, never all of them.
TEST(DropoutTest, StreamsAreIndependent) {
  const int64_t n = 1 << 16;
  std::vector<float> ones(n, 1.0f), a(n), b(n);
  const DropoutStream base{7, 1, 1};
  ASSERT_TRUE(Dropout(base, 0.5f, ones.data(), a.data(), n, nullptr).ok());
  for (DropoutStream other : {DropoutStream{7, 2, 1}, DropoutStream{7, 1, 2},
                              DropoutStream{8, 1, 1}, DropoutStream{7ULL << 32, 1, 1}}) {
    ASSERT_TRUE(Dropout(other, 0.5f, ones.data(), b.data(), n, nullptr).ok());
    int64_t same = 0;
    for (int64_t i = 0; i < n; ++i)
      same += (a[i] != 0.0f) == (b[i] != 0.0f);
    EXPECT_NEAR(static_cast<double>(same), 0.5 * n, 5 * std::sqrt(0.25 * n));
  }
}

TEST(DropoutTest, ErrorsNameTheProblemAndWriteNothing) {
  float x[4] = {1, 2, 3, 4}, y[4] = {9, 9, 9, 9};
  const DropoutStream stream{};
  Status status = Dropout(stream, 1.5f, x, y, 4, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("probability must be in [0, 1], got 1.5"), std::string::npos)
      << status.ToString();
  EXPECT_FALSE(Dropout(stream, NAN, x, y, 4, nullptr).ok());
  EXPECT_FALSE(Dropout(stream, -0.1f, x, y, 4, nullptr).ok());
  EXPECT_FALSE(Dropout(stream, 0.5f, x, y, -1, nullptr).ok());
  EXPECT_FALSE(Dropout(stream, 0.5f, nullptr, y, 4, nullptr).ok());
  for (float v : y)
    EXPECT_EQ(v, 9.0f);
  EXPECT_TRUE(Dropout(stream, 0.5f, nullptr, nullptr, 0, nullptr).ok());
  status = DropoutAt(stream, 0.5f, x, y, INT64_MAX - 2, 4, nullptr);
  EXPECT_NE(status.message().find("out of range"), std::string::npos) << status.ToString();
  EXPECT_FALSE(DropoutAt(stream, 0.5f, x, y, -4, 4, nullptr).ok());
}

} // namespace
} // namespace kernels
} // namespace tidemark
