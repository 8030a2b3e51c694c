// Where against its scalar reference on every Highway target: sizes swept around the vector
// width, misaligned starts, broadcasts of each operand (the mask included), NaN and signed-zero
// copies, many-task shapes and shapes that do not broadcast.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/where.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

std::vector<int32_t> RandomMask(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(-2, 2); // nonzero values other than 1 are true
  std::vector<int32_t> mask(static_cast<size_t>(n) + 8);
  for (int32_t &m : mask)
    m = dist(rng) == 0 ? 0 : dist(rng);
  return mask;
}

// ---- Where ----

void CheckWhere(const Shape &c, const Shape &a, const Shape &b, ThreadPool *pool, int misalign) {
  Shape out;
  ASSERT_TRUE(WhereShape(c, a, b, &out).ok());
  Buffer va(a.NumElements(), misalign), vb(b.NumElements(), 3 - misalign),
      got(out.NumElements(), 1);
  FillRandom(va.data(), va.size(), -1.0f, 1.0f, static_cast<uint32_t>(a.NumElements()));
  FillRandom(vb.data(), vb.size(), 2.0f, 3.0f, static_cast<uint32_t>(b.NumElements() + 1));
  // An offset start in the mask too (int32 lanes, unaligned).
  std::vector<int32_t> mask = RandomMask(c.NumElements() + misalign, 7);
  const int32_t *cond = mask.data() + misalign;
  ASSERT_TRUE(Where(c, cond, a, va.data(), b, vb.data(), out, got.data(), pool).ok());
  std::vector<float> want(static_cast<size_t>(out.NumElements()));
  ASSERT_TRUE(WhereReference(c, cond, a, va.data(), b, vb.data(), out, want.data()).ok());
  EXPECT_TRUE(testing::BitIdentical(got.data(), want.data(), got.size()))
      << "out rank " << out.rank << " elements " << out.NumElements();
}

TEST(WhereTest, MatchesReferenceOnEveryTarget) {
  ThreadPool pool(3);
  testing::ForEachTarget([&] {
    for (int64_t n : testing::SweepSizes())
      for (int misalign = 0; misalign < 4; misalign += 3) {
        CheckWhere(Shape{n}, Shape{n}, Shape{n}, nullptr, misalign);       // flat
        CheckWhere(Shape{3, n}, Shape{n}, Shape{3, n}, nullptr, misalign); // a row broadcast
        CheckWhere(Shape{n}, Shape{3, n}, Shape{1}, nullptr, misalign);    // mask row, scalar b
        CheckWhere(Shape{3, 1}, Shape{3, n}, Shape{n}, nullptr, misalign); // mask column
        CheckWhere(Shape{}, Shape{2, n}, Shape{2, 1}, nullptr, misalign);  // 0-d mask
      }
    CheckWhere(Shape{4, 1, 3000}, Shape{4, 70, 3000}, Shape{70, 1}, &pool, 1); // many tasks
    CheckWhere(Shape{40000}, Shape{40000}, Shape{}, &pool, 0);  // rows split in column chunks
    CheckWhere(Shape{2, 0}, Shape{2, 0}, Shape{0}, nullptr, 0); // empty
  });
}

TEST(WhereTest, CopiesNaNAndSignedZerosExactly) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float a[4] = {nan, -0.0f, 1.0f, nan};
  const float b[4] = {5.0f, 0.0f, -0.0f, 7.0f};
  const int32_t cond[4] = {1, 1, 0, 0};
  float out[4];
  testing::ForEachTarget([&] {
    ASSERT_TRUE(Where(Shape{4}, cond, Shape{4}, a, Shape{4}, b, Shape{4}, out, nullptr).ok());
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_TRUE(std::signbit(out[1]) && out[1] == 0.0f);
    EXPECT_TRUE(std::signbit(out[2]) && out[2] == 0.0f);
    EXPECT_EQ(out[3], 7.0f); // a NaN not selected does not leak
  });
}

TEST(WhereTest, RejectsShapesThatDoNotBroadcast) {
  float x[6] = {}, out[6] = {1, 1, 1, 1, 1, 1};
  const int32_t cond[6] = {};
  Status status = Where(Shape{4}, cond, Shape{2, 3}, x, Shape{3}, x, Shape{2, 3}, out, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("condition does not broadcast"), std::string::npos)
      << status.ToString();
  EXPECT_FALSE(Where(Shape{3}, cond, Shape{2, 3}, x, Shape{3}, x, Shape{3, 3}, out, nullptr).ok());
  EXPECT_EQ(out[0], 1.0f) << "nothing written";
}

} // namespace
} // namespace kernels
} // namespace tidemark
