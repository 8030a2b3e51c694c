// Gather (embedding lookup) and its scatter-add gradient against scalar references on every
// Highway target: repeated ids, bit-identity across thread counts, finite differences and the
// id range check.
#include "runtime/kernels/gather.h"

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

std::vector<int32_t> RandomIds(int64_t count, int64_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(rows - 1));
  std::vector<int32_t> ids(static_cast<size_t>(count));
  for (int32_t &id : ids)
    id = dist(rng);
  return ids;
}

void Check(int64_t rows, int64_t dim, int64_t count, ThreadPool *pool, int misalign) {
  Buffer table(rows * dim, misalign), out(count * dim, 3 - misalign), dy(count * dim, 1),
      d_table(rows * dim, 2);
  FillRandom(table.data(), table.size(), -1.0f, 1.0f, static_cast<uint32_t>(rows + dim));
  FillRandom(dy.data(), dy.size(), -1.0f, 1.0f, static_cast<uint32_t>(count + dim));
  const std::vector<int32_t> ids = RandomIds(count, rows, static_cast<uint32_t>(count * 7 + rows));
  ASSERT_TRUE(Gather(table.data(), rows, dim, ids.data(), count, out.data(), pool).ok());
  std::vector<float> expected(static_cast<size_t>(count * dim));
  GatherReference(table.data(), dim, ids.data(), count, expected.data());
  ASSERT_TRUE(testing::BitIdentical(out.data(), expected.data(), out.size()));

  ASSERT_TRUE(GatherGrad(ids.data(), count, dy.data(), rows, dim, d_table.data(), pool).ok());
  // The same additions in the same order as the float reference: bit-identical.
  std::vector<float> expected_grad(static_cast<size_t>(rows * dim));
  GatherGradReference(ids.data(), count, dy.data(), rows, dim, expected_grad.data());
  ASSERT_TRUE(testing::BitIdentical(d_table.data(), expected_grad.data(), d_table.size()))
      << "rows " << rows << " dim " << dim << " count " << count;
}

TEST(GatherTest, MatchesReferenceOnEveryTarget) {
  ThreadPool pool(3);
  testing::ForEachTarget([&] {
    for (int64_t dim : testing::SweepSizes())
      for (int misalign = 0; misalign < 4; misalign += 3)
        Check(5, dim, 17, nullptr, misalign); // 17 ids into 5 rows: many repeats
    Check(1000, 768, 300, &pool, 1);          // several gather tasks and scatter column chunks
    Check(3, 1031, 2000, &pool, 0);
    Check(7, 0, 4, nullptr, 0);
    Check(7, 4, 0, nullptr, 0); // no ids: the gradient is all zeros
  });
}

TEST(GatherTest, GradientIsBitIdenticalAcrossThreadCounts) {
  const int64_t rows = 64, dim = 1000, count = 4096;
  Buffer dy(count * dim), one(rows * dim), four(rows * dim);
  FillRandom(dy.data(), dy.size(), -1.0f, 1.0f, 9);
  const std::vector<int32_t> ids = RandomIds(count, rows, 10);
  ThreadPool pool(4);
  ASSERT_TRUE(GatherGrad(ids.data(), count, dy.data(), rows, dim, one.data(), nullptr).ok());
  ASSERT_TRUE(GatherGrad(ids.data(), count, dy.data(), rows, dim, four.data(), &pool).ok());
  EXPECT_TRUE(testing::BitIdentical(one.data(), four.data(), one.size()));
}

// L(table) = sum(w * gather(table)); d table against central differences.
TEST(GatherTest, GradientMatchesFiniteDifferences) {
  const int64_t rows = 4, dim = 3, count = 6;
  const std::vector<int32_t> ids = {2, 0, 2, 3, 2, 0};
  Buffer w(count * dim), d_table(rows * dim);
  FillRandom(w.data(), w.size(), -1.0f, 1.0f, 3);
  ASSERT_TRUE(GatherGrad(ids.data(), count, w.data(), rows, dim, d_table.data(), nullptr).ok());
  std::vector<double> table(static_cast<size_t>(rows * dim), 0.5), out(count * dim);
  const auto wd = w.ToDouble();
  const auto fd = testing::FiniteDifferences(table, [&](const std::vector<double> &t) {
    GatherReference(t.data(), dim, ids.data(), count, out.data());
    double sum = 0.0;
    for (size_t i = 0; i < out.size(); ++i)
      sum += wd[i] * out[i];
    return sum;
  });
  EXPECT_LE(testing::GradientError(d_table.data(), fd), 1e-6);
  for (int64_t j = 0; j < dim; ++j) // row 1 is never looked up
    EXPECT_EQ(d_table[1 * dim + j], 0.0f);
}

TEST(GatherTest, OutOfRangeIdsAreRejectedBeforeWriting) {
  float table[6] = {1, 2, 3, 4, 5, 6}, out[6] = {9, 9, 9, 9, 9, 9};
  const int32_t ids[3] = {0, 3, 1};
  Status status = Gather(table, 3, 2, ids, 3, out, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
  EXPECT_NE(status.message().find("id 3 at position 1 is outside the table's 3 rows"),
            std::string::npos)
      << status.ToString();
  for (float v : out)
    EXPECT_EQ(v, 9.0f);
  const int32_t negative[1] = {-1};
  EXPECT_EQ(GatherGrad(negative, 1, table, 3, 2, out, nullptr).code(), StatusCode::kOutOfRange);
  for (float v : out)
    EXPECT_EQ(v, 9.0f);
  EXPECT_EQ(Gather(table, -1, 2, ids, 1, out, nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Gather(table, 3, 2, nullptr, 1, out, nullptr).code(), StatusCode::kInvalidArgument);
}

} // namespace
} // namespace kernels
} // namespace tidemark
