// Transpose against the scalar reference on every Highway target: every permutation of ranks
// 2-4, rank 6, sizes around the tile and vector widths, misaligned buffers, the inverse
// permutation as backward, errors and determinism.
#include "runtime/kernels/transpose.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "tests/unit/runtime/kernels_test_util.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace {

using testing::Buffer;
using testing::FillRandom;

void CheckTranspose(const Shape &shape, const int *perm, ThreadPool *pool, int misalign) {
  const int64_t n = shape.NumElements();
  Buffer in(n, misalign), out(n, 3 - misalign), back(n, 1);
  FillRandom(in.data(), n, -1.0f, 1.0f, static_cast<uint32_t>(n));
  std::vector<float> expected(static_cast<size_t>(n));
  ASSERT_TRUE(TransposeReference(shape, in.data(), perm, expected.data()).ok());
  ASSERT_TRUE(Transpose(shape, in.data(), perm, out.data(), pool).ok());
  EXPECT_TRUE(testing::BitIdentical(out.data(), expected.data(), n)) << "n " << n;
  // Backward: the inverse permutation restores the input exactly.
  int inverse[kMaxRank];
  InversePermutation(shape.rank, perm, inverse);
  ASSERT_TRUE(Transpose(TransposedShape(shape, perm), out.data(), inverse, back.data(), pool).ok());
  EXPECT_TRUE(testing::BitIdentical(back.data(), in.data(), n));
}

TEST(TransposeTest, EveryPermutationOfSmallRanks) {
  ThreadPool pool(2);
  const std::vector<Shape> shapes = {Shape{5, 7}, Shape{3, 1, 9}, Shape{4, 6, 5}, Shape{2, 3, 5, 7},
                                     Shape{1, 17, 1, 33}};
  testing::ForEachTarget([&] {
    for (const Shape &shape : shapes) {
      std::vector<int> perm(static_cast<size_t>(shape.rank));
      std::iota(perm.begin(), perm.end(), 0);
      do {
        CheckTranspose(shape, perm.data(), &pool, 1);
      } while (std::next_permutation(perm.begin(), perm.end()));
    }
  });
}

TEST(TransposeTest, TwoDimensionalSweep) {
  const int perm[2] = {1, 0};
  testing::ForEachTarget([&] {
    for (int64_t rows : {1, 3, 4, 5, 31, 32, 33, 67})
      for (int64_t cols : testing::SweepSizes())
        CheckTranspose(Shape{rows, cols}, perm, nullptr, static_cast<int>((rows + cols) % 4));
  });
}

TEST(TransposeTest, RankSixAndLargePlanes) {
  ThreadPool pool(2);
  const int perm6[6] = {5, 2, 0, 4, 1, 3};
  const int perm3[3] = {0, 2, 1};    // batched matrix transpose
  const int heads[4] = {0, 2, 1, 3}; // [batch, seq, heads, dim] -> [batch, heads, seq, dim]
  testing::ForEachTarget([&] {
    CheckTranspose(Shape{2, 3, 4, 5, 3, 2}, perm6, &pool, 0);
    CheckTranspose(Shape{3, 129, 257}, perm3, &pool, 2);
    CheckTranspose(Shape{2, 65, 8, 64}, heads, &pool, 3);
  });
}

TEST(TransposeTest, BadPermutations) {
  float buffer[6] = {};
  const int repeated[2] = {0, 0}, out_of_range[2] = {0, 2};
  Status status = Transpose(Shape{2, 3}, buffer, repeated, buffer, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("appears twice"), std::string::npos) << status.message();
  status = Transpose(Shape{2, 3}, buffer, out_of_range, buffer, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("outside"), std::string::npos) << status.message();
  const int identity[2] = {0, 1};
  EXPECT_EQ(Transpose(Shape{2, -3}, buffer, identity, buffer, nullptr).code(),
            StatusCode::kInvalidArgument);
}

TEST(TransposeTest, DeterministicWithTwoThreads) {
  ThreadPool pool(2);
  const Shape shape{6, 300, 200};
  const int perm[3] = {2, 0, 1};
  Buffer in(shape.NumElements()), first(in.size()), second(in.size());
  FillRandom(in.data(), in.size(), -1.0f, 1.0f, 3);
  ASSERT_TRUE(Transpose(shape, in.data(), perm, first.data(), &pool).ok());
  ASSERT_TRUE(Transpose(shape, in.data(), perm, second.data(), &pool).ok());
  EXPECT_TRUE(testing::BitIdentical(first.data(), second.data(), in.size()));
}

TEST(TransposeTest, RankZeroAndOne) {
  float scalar = 4.0f, out = 0.0f;
  ASSERT_TRUE(Transpose(Shape{}, &scalar, nullptr, &out, nullptr).ok());
  EXPECT_EQ(out, 4.0f);
  float in[5] = {1, 2, 3, 4, 5}, copy[5] = {};
  const int identity[1] = {0};
  ASSERT_TRUE(Transpose(Shape{5}, in, identity, copy, nullptr).ok());
  EXPECT_TRUE(testing::BitIdentical(in, copy, 5));
}

} // namespace
} // namespace kernels
} // namespace tidemark
