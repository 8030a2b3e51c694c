// Tests of every packer: hand-checked placements, tiny random instances against brute force,
// the verifier on every result, and the capacity error message.
#include "compiler/planning/ExactPacker.h"
#include "compiler/planning/Heuristics.h"
#include "compiler/planning/LowerBound.h"
#include "compiler/planning/Packing.h"
#include "compiler/planning/Verifier.h"

#include <random>

#include <gtest/gtest.h>

namespace tidemark::planning {
namespace {

// MiniMalloc's example: five 4-byte buffers, LOAD 12 (steps 3..8 hold b2, b3, b5).
//   b1 [0,3)  b2 [3,9)  b3 [0,9)  b4 [9,21)  b5 [0,21)
Problem miniMallocExample() {
  Problem problem;
  problem.alignment = 1;
  problem.buffers = {
      {1, 4, 0, 0, 3}, {2, 4, 0, 3, 9}, {3, 4, 0, 0, 9}, {4, 4, 0, 9, 21}, {5, 4, 0, 0, 21}};
  return problem;
}

TEST(HeuristicsTest, NaiveStacksAlignedPrefixSums) {
  // Alignment 8: 4 bytes at 0, next at alignUp(4) = 8, 16, 24, 32; arena 36.
  Problem problem = miniMallocExample();
  problem.alignment = 8;
  Solution solution = packNaive(problem);
  EXPECT_EQ(solution.offsets, (std::vector<int64_t>{0, 8, 16, 24, 32}));
  EXPECT_EQ(solution.arenaSize, 36);
}

TEST(HeuristicsTest, GreedyBySizeOnTheMiniMallocExample) {
  // All sizes equal, so the order is by start then input: b1, b3, b5, b2, b4.
  // b1 -> 0; b3 overlaps b1 -> 4; b5 overlaps both -> 8; b2 [3,9) overlaps b3 [4,8) and
  // b5 [8,12) but not b1 (ended at 3) -> 0; b4 [9,21) overlaps only b5 -> 0. Arena 12 = LOAD.
  Solution solution = packGreedyBySize(miniMallocExample());
  EXPECT_EQ(solution.offsets, (std::vector<int64_t>{0, 0, 4, 0, 8}));
  EXPECT_EQ(solution.arenaSize, 12);
}

TEST(HeuristicsTest, BestFitOnTheMiniMallocExample) {
  // By start: b1 -> 0, b3 -> 4 (on top), b5 -> 8; at step 3 b1 retires and b2 takes the 4-byte
  // gap [0,4); at step 9 b2 and b3 retire and b4 takes [0,4) of the gap [0,8). Arena 12.
  Solution solution = packBestFit(miniMallocExample());
  EXPECT_EQ(solution.offsets, (std::vector<int64_t>{0, 0, 4, 0, 8}));
  EXPECT_EQ(solution.arenaSize, 12);
}

// Alignment 64: A 100 bytes [0,2), B 50 bytes [1,3), C 200 bytes [2,4); LOAD = 250 (step 2).
// Greedy by size: C -> 0, A -> 0 (no overlap with C), B overlaps A [0,100) and C [0,200) -> 256;
// arena 306. Optimum 264: B at 0, then A and C both at alignUp(50) = 64 (A and C never overlap);
// C needs 200 aligned bytes next to B at step 2, so B below C costs 64 + 200 = 264 and C below B
// costs alignUp(200) + 50 = 306.
Problem alignedTriple() {
  Problem problem;
  problem.alignment = 64;
  problem.buffers = {{1, 100, 0, 0, 2}, {2, 50, 0, 1, 3}, {3, 200, 0, 2, 4}};
  return problem;
}

TEST(HeuristicsTest, GreedyBySizeRespectsAlignment) {
  Solution solution = packGreedyBySize(alignedTriple());
  EXPECT_EQ(solution.offsets, (std::vector<int64_t>{0, 256, 0}));
  EXPECT_EQ(solution.arenaSize, 306);
}

TEST(ExactTest, MinimisesWithAlignmentAndProvesOptimality) {
  ExactResult result = solveExact(alignedTriple(), ExactOptions{});
  EXPECT_EQ(result.solution.arenaSize, 264);
  EXPECT_TRUE(result.solution.provenOptimal);
  EXPECT_TRUE(verifySolution(alignedTriple(), result.solution).ok());
}

TEST(ExactTest, FeasibilityWithCapacity) {
  Problem problem = alignedTriple();
  problem.capacity = 264;
  ExactResult fits = solveExact(problem, ExactOptions{});
  EXPECT_TRUE(fits.fitsCapacity);
  EXPECT_LE(fits.solution.arenaSize, 264);
  problem.capacity = 263;
  ExactResult tooSmall = solveExact(problem, ExactOptions{});
  EXPECT_FALSE(tooSmall.fitsCapacity);
  EXPECT_FALSE(tooSmall.timedOut); // infeasibility was proven, not guessed
}

TEST(PackingTest, CapacityTooSmallStatesMinimumAndLoad) {
  Problem problem = alignedTriple();
  problem.capacity = 260;
  absl::StatusOr<PackReport> report = packProblem(problem, "exact", PackOptions{});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kResourceExhausted);
  std::string message(report.status().message());
  EXPECT_NE(message.find("capacity of 260"), std::string::npos) << message;
  EXPECT_NE(message.find("smallest arena found by 'exact' is 306"), std::string::npos) << message;
  EXPECT_NE(message.find("LOAD, the lower bound, is 250"), std::string::npos) << message;
}

TEST(PackingTest, UnknownAlgorithmListsTheNames) {
  absl::StatusOr<PackReport> report = packProblem(alignedTriple(), "magic", PackOptions{});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("greedy-size"), absl::string_view::npos);
}

TEST(PackingTest, InvalidProblemIsRejected) {
  Problem problem = alignedTriple();
  problem.buffers[1].end = problem.buffers[1].start;
  absl::StatusOr<PackReport> report = packProblem(problem, "naive", PackOptions{});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("buffer 2"), absl::string_view::npos);
}

TEST(PackingTest, SizesThatCouldOverflowAreRejected) {
  Problem problem;
  problem.alignment = 1;
  problem.buffers = {
      {1, int64_t{1} << 59, 0, 0, 2}, {2, int64_t{1} << 59, 0, 0, 2}, {3, 1, 0, 0, 2}};
  absl::StatusOr<PackReport> report = packProblem(problem, "naive", PackOptions{});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("buffer 3: the sizes add up to more than"),
            absl::string_view::npos)
      << report.status();
  problem.buffers = {{1, 8, int64_t{1} << 40, 0, 2}};
  report = packProblem(problem, "naive", PackOptions{});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("alignment"), absl::string_view::npos);
}

TEST(PackingTest, DefaultIsNeverWorseThanGreedyBySize) {
  for (const Problem &problem : {miniMallocExample(), alignedTriple()}) {
    absl::StatusOr<PackReport> report = packProblem(problem, "default", PackOptions{});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_LE(report->solution.arenaSize, packGreedyBySize(problem).arenaSize);
  }
}

// Brute force, sharing nothing with the packers: for arena A = LOAD, LOAD + 1, ... try every
// aligned offset of every buffer in input order, checking conflicts pairwise.
bool fitsByBruteForce(const Problem &problem, int64_t arena, std::vector<int64_t> &offsets,
                      size_t next) {
  if (next == problem.buffers.size())
    return true;
  const Buffer &buffer = problem.buffers[next];
  int64_t step = buffer.alignment > 0 ? buffer.alignment : problem.alignment;
  for (int64_t offset = 0; offset + buffer.size <= arena; offset += step) {
    bool clash = false;
    for (size_t other = 0; other < next && !clash; ++other) {
      const Buffer &placed = problem.buffers[other];
      clash = placed.start < buffer.end && buffer.start < placed.end &&
              offsets[other] < offset + buffer.size && offset < offsets[other] + placed.size;
    }
    if (clash)
      continue;
    offsets[next] = offset;
    if (fitsByBruteForce(problem, arena, offsets, next + 1))
      return true;
  }
  return false;
}

int64_t bruteForceOptimum(const Problem &problem) {
  std::vector<int64_t> offsets(problem.buffers.size());
  for (int64_t arena = 0;; ++arena)
    if (fitsByBruteForce(problem, arena, offsets, 0))
      return arena;
}

Problem randomTinyProblem(std::mt19937 &rng) {
  std::uniform_int_distribution<int> count(1, 8), step(0, 5), size(1, 6), alignPick(0, 2);
  Problem problem;
  problem.alignment = 1;
  int n = count(rng);
  for (int i = 0; i < n; ++i) {
    int a = step(rng), b = step(rng);
    if (a == b)
      ++b;
    Buffer buffer{i, size(rng), int64_t{1} << alignPick(rng), std::min(a, b), std::max(a, b)};
    problem.buffers.push_back(buffer);
  }
  return problem;
}

TEST(PackingTest, RandomTinyInstancesAgainstBruteForce) {
  std::mt19937 rng(20261127);
  for (int trial = 0; trial < 300; ++trial) {
    Problem problem = randomTinyProblem(rng);
    int64_t optimum = bruteForceOptimum(problem);
    SCOPED_TRACE(testing::Message() << "trial " << trial << " optimum " << optimum);
    for (const std::string &name : packerNames()) {
      absl::StatusOr<PackReport> report = packProblem(problem, name, PackOptions{});
      ASSERT_TRUE(report.ok()) << name << ": " << report.status();
      EXPECT_GE(report->solution.arenaSize, optimum) << name;
      EXPECT_GE(report->solution.arenaSize, computeLoad(problem)) << name;
      if (name == "exact" || name == "default") {
        EXPECT_EQ(report->solution.arenaSize, optimum) << name;
        EXPECT_TRUE(report->solution.provenOptimal) << name;
      }
    }
    // Feasibility: the optimum fits, one byte less is proven impossible.
    problem.capacity = optimum;
    EXPECT_TRUE(solveExact(problem, ExactOptions{}).fitsCapacity);
    if (optimum > 0) {
      problem.capacity = optimum - 1;
      ExactResult result = solveExact(problem, ExactOptions{});
      EXPECT_FALSE(result.fitsCapacity);
      EXPECT_FALSE(result.timedOut);
    }
  }
}

TEST(PackingTest, HeuristicsScaleAndStayValid) {
  // 3000 buffers of sizes 64 B .. 64 KiB over 4000 steps: every heuristic plan verifies.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> start(0, 4000), length(1, 200), exponent(6, 16);
  Problem problem;
  for (int i = 0; i < 3000; ++i) {
    int64_t s = start(rng);
    problem.buffers.push_back({i, int64_t{1} << exponent(rng), 0, s, s + length(rng)});
  }
  for (const char *name : {"naive", "greedy-size", "best-fit"}) {
    absl::StatusOr<PackReport> report = packProblem(problem, name, PackOptions{});
    ASSERT_TRUE(report.ok()) << name << ": " << report.status();
    EXPECT_GE(report->solution.arenaSize, report->load);
  }
}

// Found by the tide-pack CSV fuzzer (tests/fuzz): a lifetime reaching 2^63 - 1 made the exact
// packer's sort key lifetime x size overflow (undefined behaviour under UBSan). Lifetimes are now
// bounded by kMaxTimeStep and the key saturates.
TEST(PackingLimitsTest, HugeLifetimesArePackedOrRejectedWithoutOverflow) {
  Problem problem;
  problem.alignment = 1;
  problem.buffers = {{0, 5, 0, 0, kMaxTimeStep}, {1, 2, 0, 9, 23}};
  for (const char *algorithm : {"naive", "greedy-size", "best-fit", "exact", "default"}) {
    absl::StatusOr<PackReport> report = packProblem(problem, algorithm, PackOptions{});
    ASSERT_TRUE(report.ok()) << algorithm << ": " << report.status();
    EXPECT_EQ(report->solution.arenaSize, 7) << algorithm;
  }
  problem.buffers[0].end = INT64_MAX; // the fuzzer's input
  absl::StatusOr<PackReport> report = packProblem(problem, "exact", PackOptions{});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find(
                "interval [0, 9223372036854775807) reaches outside [-2^61, 2^61]"),
            absl::string_view::npos)
      << report.status();
  problem.buffers[0] = {0, 5, 0, INT64_MIN, 3};
  EXPECT_FALSE(packProblem(problem, "default", PackOptions{}).ok());
}

} // namespace
} // namespace tidemark::planning
