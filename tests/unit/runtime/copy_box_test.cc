// CopyBox (slice, concat, split, pad and their backward) against the scalar reference on every
// Highway target, random boxes of ranks 1-6, the compositions the ops use, and box checks.
#include "runtime/kernels/copy_box.h"

#include <cstdint>
#include <random>
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

TEST(CopyBoxTest, RandomBoxesMatchTheReference) {
  ThreadPool pool(2);
  std::mt19937 rng(17);
  testing::ForEachTarget([&] {
    for (int trial = 0; trial < 300; ++trial) {
      const int rank = 1 + trial % kMaxRank;
      Shape src, dst;
      src.rank = dst.rank = rank;
      int64_t src_start[kMaxRank], dst_start[kMaxRank], extent[kMaxRank];
      for (int a = 0; a < rank; ++a) {
        const int64_t limit = rank <= 2 ? 40 : 6;
        src.dims[a] = 1 + static_cast<int64_t>(rng() % limit);
        dst.dims[a] = 1 + static_cast<int64_t>(rng() % limit);
        // Often the full axis (so runs merge), otherwise a random fitting box.
        const int64_t most = std::min(src.dims[a], dst.dims[a]);
        extent[a] = (rng() % 3 == 0) ? most : static_cast<int64_t>(rng() % (most + 1));
        src_start[a] = static_cast<int64_t>(rng() % (src.dims[a] - extent[a] + 1));
        dst_start[a] = static_cast<int64_t>(rng() % (dst.dims[a] - extent[a] + 1));
      }
      Buffer in(src.NumElements(), trial % 4), out(dst.NumElements(), 3 - trial % 4);
      FillRandom(in.data(), in.size(), -1.0f, 1.0f, static_cast<uint32_t>(trial));
      for (int64_t i = 0; i < out.size(); ++i)
        out[i] = -5.0f;
      std::vector<float> expected = out.ToVector();
      CopyBoxReference(src, in.data(), src_start, dst, expected.data(), dst_start, extent);
      ASSERT_TRUE(CopyBox(src, in.data(), src_start, dst, out.data(), dst_start, extent,
                          trial % 2 ? &pool : nullptr)
                      .ok());
      ASSERT_TRUE(testing::BitIdentical(out.data(), expected.data(), out.size()))
          << "trial " << trial;
    }
  });
}

// concat along axis 1 of [2, 3, 5] and [2, 4, 5], then split back; pad by (1, 2) and slice back.
TEST(CopyBoxTest, ConcatSplitPadSliceCompositions) {
  const Shape a{2, 3, 5}, b{2, 4, 5}, cat{2, 7, 5};
  Buffer xa(a.NumElements()), xb(b.NumElements()), out(cat.NumElements());
  FillRandom(xa.data(), xa.size(), -1.0f, 1.0f, 1);
  FillRandom(xb.data(), xb.size(), -1.0f, 1.0f, 2);
  const int64_t zero[3] = {0, 0, 0}, at3[3] = {0, 3, 0};
  const int64_t ea[3] = {2, 3, 5}, eb[3] = {2, 4, 5};
  ASSERT_TRUE(CopyBox(a, xa.data(), zero, cat, out.data(), zero, ea, nullptr).ok());
  ASSERT_TRUE(CopyBox(b, xb.data(), zero, cat, out.data(), at3, eb, nullptr).ok());
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 7; ++j)
      for (int64_t k = 0; k < 5; ++k)
        ASSERT_EQ(out[(i * 7 + j) * 5 + k],
                  j < 3 ? xa[(i * 3 + j) * 5 + k] : xb[(i * 4 + j - 3) * 5 + k]);
  Buffer back(b.NumElements());
  ASSERT_TRUE(CopyBox(cat, out.data(), at3, b, back.data(), zero, eb, nullptr).ok());
  EXPECT_TRUE(testing::BitIdentical(back.data(), xb.data(), xb.size()));

  const Shape x{3, 4}, padded{6, 4};
  Buffer px(x.NumElements()), pout(padded.NumElements()), pback(x.NumElements());
  FillRandom(px.data(), px.size(), -1.0f, 1.0f, 3);
  Fill(pout.data(), pout.size(), 0.0f, nullptr);
  const int64_t low[2] = {1, 0}, z2[2] = {0, 0}, ex[2] = {3, 4};
  ASSERT_TRUE(CopyBox(x, px.data(), z2, padded, pout.data(), low, ex, nullptr).ok());
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_EQ(pout[j], 0.0f);
    EXPECT_EQ(pout[4 * 4 + j], 0.0f);
    EXPECT_EQ(pout[5 * 4 + j], 0.0f);
  }
  ASSERT_TRUE(CopyBox(padded, pout.data(), low, x, pback.data(), z2, ex, nullptr).ok());
  EXPECT_TRUE(testing::BitIdentical(pback.data(), px.data(), px.size()));
}

TEST(CopyBoxTest, FillSizesAroundTheVectorWidth) {
  testing::ForEachTarget([] {
    for (int64_t n : testing::SweepSizes()) {
      Buffer x(n + 1, 1);
      x[n] = 7.0f;
      Fill(x.data(), n, -2.5f, nullptr);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(x[i], -2.5f);
      ASSERT_EQ(x[n], 7.0f) << "wrote past the end";
    }
  });
}

TEST(CopyBoxTest, BoxesThatDoNotFitAreRejected) {
  float src[12] = {}, dst[12];
  for (float &v : dst)
    v = 9.0f;
  const Shape s{3, 4};
  const int64_t zero[2] = {0, 0}, start[2] = {2, 0}, extent[2] = {2, 4};
  Status status = CopyBox(s, src, start, s, dst, zero, extent, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("axis 0: the box [2, +2) -> [0, +2) does not fit sizes 3 -> 3"),
            std::string::npos)
      << status.ToString();
  const int64_t negative[2] = {-1, 0};
  EXPECT_FALSE(CopyBox(s, src, negative, s, dst, zero, extent, nullptr).ok());
  EXPECT_FALSE(CopyBox(s, src, zero, Shape{3, 4, 1}, dst, zero, extent, nullptr).ok());
  for (float v : dst)
    EXPECT_EQ(v, 9.0f);
}

} // namespace
} // namespace kernels
} // namespace tidemark
