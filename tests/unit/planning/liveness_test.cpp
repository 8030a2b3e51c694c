// Tests of the IR-free liveness model: alias groups, intervals, in-place reuse, pinned values.
#include "compiler/planning/Liveness.h"

#include <gtest/gtest.h>

namespace tidemark::planning {
namespace {

const StorageGroup &groupOf(const LivenessResult &result, const std::vector<LiveValue> &values,
                            int64_t id) {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].id == id)
      return result.groups[result.groupOfValue[i]];
  ADD_FAILURE() << "no value " << id;
  return result.groups.front();
}

// x (arg, pinned) -> step 0: a = matmul(x) 256 B -> step 1: v = reshape(a) (view of a)
// -> step 2: b = relu(v) 256 B, in-place candidate -> step 3: y = sum(b) (output, pinned).
// a's group {a, v} lives [0, 3): a defined at 0, v used at 2. b reuses that storage at step 2
// because v's group dies there, has the same size and is not pinned. b lives [2, 4). One slot:
// buffer [0, 4) of 256 bytes.
TEST(LivenessTest, AliasGroupAndInPlaceChain) {
  std::vector<LiveValue> values = {
      {10, 64, -1, {0}, true, -1}, // x: argument
      {1, 256, 0, {1}, false, -1}, // a
      {2, 256, 1, {2}, false, 1},  // v = view of a
      {3, 256, 2, {3}, false, -1}, // b
      {4, 4, 3, {}, true, -1},     // y: output
  };
  std::vector<LiveOp> ops = {
      {0, {10}, {1}, false}, {1, {1}, {2}, false}, {2, {2}, {3}, true}, {3, {3}, {4}, false}};
  absl::StatusOr<LivenessResult> result = analyzeLiveness(values, ops);
  ASSERT_TRUE(result.ok()) << result.status();
  const StorageGroup &a = groupOf(*result, values, 1);
  EXPECT_EQ(a.root, 1);
  EXPECT_EQ(a.members, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(a.start, 0);
  EXPECT_EQ(a.end, 3);
  ASSERT_EQ(result->inPlace.size(), 1u);
  EXPECT_EQ(result->inPlace[0].result, 3);
  EXPECT_EQ(result->inPlace[0].operand, 2);
  EXPECT_EQ(result->inPlace[0].step, 2);
  // Pinned x and y get no buffer; a and b share one.
  EXPECT_EQ(groupOf(*result, values, 10).buffer, -1);
  EXPECT_EQ(groupOf(*result, values, 4).buffer, -1);
  EXPECT_EQ(groupOf(*result, values, 3).buffer, a.buffer);
  ASSERT_EQ(result->problem.buffers.size(), 1u);
  EXPECT_EQ(result->problem.buffers[0].start, 0);
  EXPECT_EQ(result->problem.buffers[0].end, 4);
  EXPECT_EQ(result->problem.buffers[0].size, 256);
  EXPECT_EQ(result->problem.alignment, 64);
}

// a (step 0) is used at steps 1 and 2; c = add(a, b) at step 1 may not overwrite a (still needed
// at step 2) and takes b instead (b dies at 1, same size). d = exp(a) at step 2 overwrites a.
TEST(LivenessTest, InPlaceNeedsTheOperandToDieAtThisStep) {
  std::vector<LiveValue> values = {
      {1, 128, 0, {1, 2}, false, -1}, // a
      {2, 128, 0, {1}, false, -1},    // b
      {3, 128, 1, {3}, false, -1},    // c
      {4, 128, 2, {3}, false, -1},    // d
  };
  std::vector<LiveOp> ops = {{0, {}, {1, 2}, false}, {1, {1, 2}, {3}, true}, {2, {1}, {4}, true}};
  absl::StatusOr<LivenessResult> result = analyzeLiveness(values, ops);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->inPlace.size(), 2u);
  EXPECT_EQ(result->inPlace[0].result, 3);
  EXPECT_EQ(result->inPlace[0].operand, 2);
  EXPECT_EQ(result->inPlace[1].result, 4);
  EXPECT_EQ(result->inPlace[1].operand, 1);
  // Slots: {a, d} over [0, 4) and {b, c} over [0, 4).
  ASSERT_EQ(result->problem.buffers.size(), 2u);
  for (const Buffer &buffer : result->problem.buffers) {
    EXPECT_EQ(buffer.start, 0);
    EXPECT_EQ(buffer.end, 4);
  }
}

TEST(LivenessTest, NoInPlaceForDifferentSizePinnedOrAlreadyReusedStorage) {
  std::vector<LiveValue> values = {
      {1, 128, 0, {1}, false, -1}, // a: 128 B
      {2, 64, 1, {2}, false, -1},  // r1 = relu(a): 64 B, size differs -> no reuse
      {3, 64, 0, {2}, true, -1},   // p: pinned parameter
      {4, 64, 2, {}, false, -1},   // r2 = relu(r1, p): takes r1 (dies at 2), never p
      {5, 64, 2, {}, false, -1},   // r3, same op: r1 already given, p pinned -> none
  };
  std::vector<LiveOp> ops = {
      {0, {}, {1, 3}, false}, {1, {1}, {2}, true}, {2, {3, 2}, {4, 5}, true}};
  absl::StatusOr<LivenessResult> result = analyzeLiveness(values, ops);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->inPlace.size(), 1u);
  EXPECT_EQ(result->inPlace[0].result, 4);
  EXPECT_EQ(result->inPlace[0].operand, 2);
}

TEST(LivenessTest, UnusedValueLivesOneStep) {
  std::vector<LiveValue> values = {{7, 32, 5, {}, false, -1}};
  absl::StatusOr<LivenessResult> result = analyzeLiveness(values, {});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->problem.buffers.size(), 1u);
  EXPECT_EQ(result->problem.buffers[0].start, 5);
  EXPECT_EQ(result->problem.buffers[0].end, 6);
}

TEST(LivenessTest, ViewOfPinnedValueIsPinned) {
  std::vector<LiveValue> values = {{1, 64, -1, {0}, true, -1}, {2, 64, 0, {1}, false, 1}};
  absl::StatusOr<LivenessResult> result = analyzeLiveness(values, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->problem.buffers.empty());
  EXPECT_TRUE(groupOf(*result, values, 2).pinned);
}

TEST(LivenessTest, MalformedModelsGiveClearErrors) {
  auto messageOf = [](std::vector<LiveValue> values, std::vector<LiveOp> ops) {
    absl::StatusOr<LivenessResult> result = analyzeLiveness(values, ops);
    return result.ok() ? std::string("ok") : std::string(result.status().message());
  };
  EXPECT_EQ(messageOf({{1, 8, 0, {}, false, -1}, {1, 8, 0, {}, false, -1}}, {}),
            "duplicate value id 1");
  EXPECT_EQ(messageOf({{1, 8, 0, {}, false, 9}}, {}), "value 1: aliasOf names unknown value 9");
  EXPECT_NE(messageOf({{1, 8, 0, {}, false, 2}, {2, 8, 0, {}, false, 1}}, {}).find("alias cycle"),
            std::string::npos);
  EXPECT_NE(messageOf({{1, 8, 0, {}, false, -1}, {2, 16, 1, {}, false, 1}}, {})
                .find("view larger than its root"),
            std::string::npos);
  EXPECT_EQ(messageOf({{1, 8, 3, {3}, false, -1}}, {}),
            "value 1: used at step 3, not after its definition at step 3");
  EXPECT_EQ(messageOf({{1, -8, 0, {}, false, -1}}, {}), "value 1: negative size -8");
  EXPECT_EQ(messageOf({{1, 8, 0, {}, false, -1}}, {{1, {}, {1}, false}}),
            "op at step 1: result 1 has defStep 0");
  EXPECT_EQ(messageOf({{1, 8, 0, {}, false, -1}}, {{0, {5}, {1}, false}}),
            "op at step 0: unknown operand value 5");
}

} // namespace
} // namespace tidemark::planning
