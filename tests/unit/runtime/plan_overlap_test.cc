// Arena overlap checker: hand-checked cases and random buffer sets against brute force.
#include <random>
#include <vector>

#include "runtime/plan/overlap_checker.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

// The definition, pair by pair: O(n^2).
bool bruteForceOverlap(const std::vector<ArenaBuffer> &buffers) {
  for (size_t i = 0; i < buffers.size(); ++i)
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      const ArenaBuffer &a = buffers[i], &b = buffers[j];
      if (a.size == 0 || b.size == 0)
        continue;
      bool time = a.first_step <= b.last_step && b.first_step <= a.last_step;
      bool bytes = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
      if (time && bytes)
        return true;
    }
  return false;
}

TEST(OverlapCheckerTest, HandCheckedCases) {
  // a: steps [0,2] bytes [0,64); b: steps [3,4] bytes [0,64): one after the other, no conflict.
  std::vector<ArenaBuffer> buffers = {{0, 0, 2, 0, 64}, {1, 3, 4, 0, 64}};
  EXPECT_FALSE(FindArenaOverlap(buffers, nullptr));
  // c: steps [2,3] bytes [32,96): shares step 2 with a and bytes [32,64).
  buffers.push_back({2, 2, 3, 32, 64});
  OverlapConflict conflict;
  ASSERT_TRUE(FindArenaOverlap(buffers, &conflict));
  EXPECT_EQ(conflict.first_id, 0);
  EXPECT_EQ(conflict.second_id, 2);
  EXPECT_EQ(conflict.step, 2);
  // Touching byte ranges ([0,64) and [64,128)) never conflict, nor do empty buffers.
  EXPECT_FALSE(FindArenaOverlap({{0, 0, 9, 0, 64}, {1, 0, 9, 64, 64}, {2, 0, 9, 10, 0}}, nullptr));
  // A buffer nested inside another live one.
  EXPECT_TRUE(FindArenaOverlap({{0, 0, 9, 0, 256}, {1, 5, 5, 128, 8}}, nullptr));
}

TEST(OverlapCheckerTest, RandomBuffersAgreeWithBruteForce) {
  std::mt19937 rng(1234);
  int conflicts = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 12);
    std::vector<ArenaBuffer> buffers;
    for (int i = 0; i < n; ++i) {
      int first = static_cast<int>(rng() % 10);
      int last = first + static_cast<int>(rng() % 4);
      uint64_t offset = (rng() % 16) * 16, size = (rng() % 5) * 16;
      buffers.push_back({i, first, last, offset, size});
    }
    OverlapConflict conflict;
    bool found = FindArenaOverlap(buffers, &conflict);
    ASSERT_EQ(found, bruteForceOverlap(buffers)) << "trial " << trial;
    if (found) {
      ++conflicts;
      // The reported pair really conflicts at the reported step.
      const ArenaBuffer &a = buffers[size_t(conflict.first_id)];
      const ArenaBuffer &b = buffers[size_t(conflict.second_id)];
      EXPECT_TRUE(bruteForceOverlap({a, b}));
      EXPECT_TRUE(a.first_step <= conflict.step && conflict.step <= a.last_step);
      EXPECT_TRUE(b.first_step <= conflict.step && conflict.step <= b.last_step);
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(conflicts, 100);
  EXPECT_LT(conflicts, 2900);
}

} // namespace
} // namespace tidemark
