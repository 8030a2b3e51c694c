// Tests of the independent verifier and of LOAD on hand-made plans, good and deliberately broken.
#include "compiler/planning/LowerBound.h"
#include "compiler/planning/Verifier.h"

#include <gtest/gtest.h>

namespace tidemark::planning {
namespace {

// Three buffers, alignment 4:
//   id 1: 8 bytes, steps [0, 2)     id 2: 4 bytes, steps [1, 3)     id 3: 8 bytes, steps [2, 4)
// Live sets: step 0 {1}=8, step 1 {1,2}=12, step 2 {2,3}=12, step 3 {3}=8, so LOAD = 12.
Problem threeBuffers() {
  Problem problem;
  problem.alignment = 4;
  problem.buffers = {{1, 8, 0, 0, 2}, {2, 4, 0, 1, 3}, {3, 8, 0, 2, 4}};
  return problem;
}

TEST(LowerBoundTest, LoadIsTheLargestLiveTotal) { EXPECT_EQ(computeLoad(threeBuffers()), 12); }

TEST(LowerBoundTest, HalfOpenIntervalsDoNotOverlapAtTheBoundary) {
  Problem problem;
  problem.buffers = {{1, 10, 0, 0, 5}, {2, 7, 0, 5, 9}};
  EXPECT_EQ(computeLoad(problem), 10);
  EXPECT_EQ(computeLoad(Problem{}), 0);
}

TEST(VerifierTest, AcceptsAValidPlan) {
  // 1 at [0,8), 2 at [8,12), 3 at [0,8): 1 and 3 do not overlap in time ([0,2) vs [2,4)).
  Solution plan{{0, 8, 0}, 12, false};
  EXPECT_TRUE(verifySolution(threeBuffers(), plan).ok());
}

TEST(VerifierTest, RejectsOverlapAndNamesBothBuffers) {
  // 2 at [4,8) collides with 1 at [0,8) during step 1.
  Solution plan{{0, 4, 8}, 16, false};
  absl::Status status = verifySolution(threeBuffers(), plan);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("buffer 2"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("buffer 1"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("overlaps"), absl::string_view::npos) << status;
}

TEST(VerifierTest, RejectsOverlapWithANonNeighbourInTime) {
  // Buffer 1 lives [0,10) at [0,4); 2 lives [0,1) at [4,8); 3 lives [5,6) at [2,6): when 3 starts,
  // 1 is live below it and overlaps bytes [2,4).
  Problem problem;
  problem.alignment = 1;
  problem.buffers = {{1, 4, 0, 0, 10}, {2, 4, 0, 0, 1}, {3, 4, 0, 5, 6}};
  absl::Status status = verifySolution(problem, Solution{{0, 4, 2}, 8, false});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("buffer 3"), absl::string_view::npos) << status;
}

TEST(VerifierTest, RejectsMisalignment) {
  Solution plan{{0, 10, 0}, 14, false};
  absl::Status status = verifySolution(threeBuffers(), plan);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("misaligned"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("buffer 2"), absl::string_view::npos) << status;
}

TEST(VerifierTest, RejectsBufferOutsideTheArena) {
  Solution plan{{0, 8, 0}, 10, false}; // buffer 2 ends at 12 > 10
  absl::Status status = verifySolution(threeBuffers(), plan);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("outside the arena"), absl::string_view::npos) << status;
}

TEST(VerifierTest, RejectsNegativeOffsetAndWrongArenaSize) {
  EXPECT_FALSE(verifySolution(threeBuffers(), Solution{{-4, 8, 0}, 12, false}).ok());
  absl::Status status = verifySolution(threeBuffers(), Solution{{0, 8, 0}, 16, false});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("end at 12"), absl::string_view::npos) << status;
}

TEST(VerifierTest, RejectsPlanOverCapacity) {
  Problem problem = threeBuffers();
  problem.capacity = 8;
  absl::Status status = verifySolution(problem, Solution{{0, 8, 0}, 12, false});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("capacity of 8"), absl::string_view::npos) << status;
}

TEST(VerifierTest, RejectsWrongNumberOfOffsets) {
  absl::Status status = verifySolution(threeBuffers(), Solution{{0, 8}, 12, false});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("2 offsets for 3 buffers"), absl::string_view::npos) << status;
}

TEST(VerifierTest, ZeroSizeBuffersNeverCollide) {
  Problem problem;
  problem.alignment = 1;
  problem.buffers = {{1, 4, 0, 0, 2}, {2, 0, 0, 0, 2}};
  EXPECT_TRUE(verifySolution(problem, Solution{{0, 2}, 4, false}).ok());
}

} // namespace
} // namespace tidemark::planning
