// ValueLiveness: intervals, alias groups, pinning and in-place decisions on hand-checked schedules.
#include "compiler/planning/ValueLiveness.h"

#include "gtest/gtest.h"

namespace tidemark::planning {
namespace {

LiveValue value(int64_t id, int64_t size, int64_t def, std::vector<int64_t> uses,
                bool pinned = false, int64_t aliasOf = -1) {
  LiveValue v;
  v.id = id;
  v.sizeBytes = size;
  v.defStep = def;
  v.useSteps = std::move(uses);
  v.pinned = pinned;
  v.aliasOf = aliasOf;
  return v;
}

const StorageGroup &groupOf(const Liveness &live, const std::vector<LiveValue> &values,
                            int64_t id) {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].id == id)
      return live.groups[live.groupOfValue[i]];
  ADD_FAILURE() << "no value " << id;
  return live.groups.front();
}

// Schedule: step 0: a = f(x); step 1: b = g(a); step 2: c = h(a, b); return c.
//   x (argument, pinned), a live [0, 3), b live [1, 3), c pinned (output).
TEST(ValueLivenessTest, IntervalsAndPinning) {
  std::vector<LiveValue> values = {value(0, 64, -1, {0}, /*pinned=*/true), value(1, 128, 0, {1, 2}),
                                   value(2, 256, 1, {2}), value(3, 32, 2, {}, /*pinned=*/true)};
  auto live = analyzeLiveness(values, {}, {});
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(groupOf(*live, values, 1).start, 0);
  EXPECT_EQ(groupOf(*live, values, 1).end, 3);
  EXPECT_EQ(groupOf(*live, values, 2).start, 1);
  EXPECT_EQ(groupOf(*live, values, 2).end, 3);
  Problem problem = live->toProblem(64);
  ASSERT_EQ(problem.buffers.size(), 2u); // x and c are pinned.
  EXPECT_EQ(problem.buffers[0].size, 128);
  EXPECT_EQ(problem.buffers[1].size, 256);
}

// A value nobody reads lives for its own step only: [2, 3).
TEST(ValueLivenessTest, UnusedValueLivesOneStep) {
  std::vector<LiveValue> values = {value(7, 16, 2, {})};
  auto live = analyzeLiveness(values, {}, {});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->groups[0].start, 2);
  EXPECT_EQ(live->groups[0].end, 3);
}

// Views share storage: r = reshape(a) at step 1 is read at step 4, so a's storage lives [0, 5).
// A view of a pinned value is pinned too.
TEST(ValueLivenessTest, AliasGroups) {
  std::vector<LiveValue> values = {value(0, 64, 0, {1}), value(1, 64, 1, {4}, false, /*aliasOf=*/0),
                                   value(2, 64, -1, {2}, true), value(3, 64, 2, {3}, false, 2)};
  auto live = analyzeLiveness(values, {}, {});
  ASSERT_TRUE(live.ok());
  const StorageGroup &a = groupOf(*live, values, 0);
  EXPECT_EQ(&a, &groupOf(*live, values, 1));
  EXPECT_EQ(a.start, 0);
  EXPECT_EQ(a.end, 5);
  EXPECT_EQ(a.members.size(), 2u);
  EXPECT_TRUE(groupOf(*live, values, 3).pinned);
  EXPECT_EQ(live->toProblem(64).buffers.size(), 1u);
}

// Elementwise chain: a (step 0) -> b = relu(a) (step 1) -> c = tanh(b) (step 2) -> used at 3.
// a's last use is step 1, so b takes a's storage; b's last use is 2, so c takes it too: one group
// [0, 4) of 512 bytes instead of three buffers.
TEST(ValueLivenessTest, InPlaceChain) {
  std::vector<LiveValue> values = {value(0, 512, 0, {1}), value(1, 512, 1, {2}),
                                   value(2, 512, 2, {3})};
  std::vector<LiveOp> ops = {{1, {1}, {0}}, {2, {2}, {1}}};
  auto live = analyzeLiveness(values, ops, {});
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->inPlace.size(), 2u);
  EXPECT_EQ(live->inPlace[0], (std::pair<int64_t, int64_t>(1, 0)));
  EXPECT_EQ(live->inPlace[1], (std::pair<int64_t, int64_t>(2, 1)));
  Problem problem = live->toProblem(64);
  ASSERT_EQ(problem.buffers.size(), 1u);
  EXPECT_EQ(problem.buffers[0].start, 0);
  EXPECT_EQ(problem.buffers[0].end, 4);
  // Without in-place, three buffers.
  auto plain = analyzeLiveness(values, ops, {/*allowInPlace=*/false});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->inPlace.empty());
  EXPECT_EQ(plain->toProblem(64).buffers.size(), 3u);
}

// In-place is refused when the operand lives on (used later), has another size, is pinned, or
// the result is an output.
TEST(ValueLivenessTest, InPlaceRefusals) {
  // a used at 1 and 3: still alive after step 1.
  std::vector<LiveValue> livesOn = {value(0, 64, 0, {1, 3}), value(1, 64, 1, {2})};
  auto live = analyzeLiveness(livesOn, {{1, {1}, {0}}}, {});
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->inPlace.empty());
  // Broadcast add: the [16] operand is smaller than the [8, 16] result.
  std::vector<LiveValue> sizes = {value(0, 64, 0, {1}), value(1, 512, 1, {2})};
  live = analyzeLiveness(sizes, {{1, {1}, {0}}}, {});
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->inPlace.empty());
  // Pinned operand (a parameter) and pinned result (an output).
  std::vector<LiveValue> pinned = {value(0, 64, -1, {1}, true), value(1, 64, 1, {2}),
                                   value(2, 64, 0, {3}), value(3, 64, 3, {}, true)};
  live = analyzeLiveness(pinned, {{1, {1}, {0}}, {3, {3}, {2}}}, {});
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->inPlace.empty());
}

// Two results of one op cannot both take over the same operand: the first merge moves the
// group's last use past the step.
TEST(ValueLivenessTest, OneTakeOverPerOperand) {
  std::vector<LiveValue> values = {value(0, 64, 0, {1}), value(1, 64, 1, {2}),
                                   value(2, 64, 1, {2})};
  auto live = analyzeLiveness(values, {{1, {1, 2}, {0}}}, {});
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->inPlace.size(), 1u);
  EXPECT_EQ(live->inPlace[0].first, 1);
  EXPECT_EQ(live->toProblem(64).buffers.size(), 2u);
}

TEST(ValueLivenessTest, MalformedInput) {
  auto duplicate = analyzeLiveness({value(1, 8, 0, {}), value(1, 8, 1, {})}, {}, {});
  EXPECT_EQ(duplicate.status().message(), "duplicate value id 1");
  auto early = analyzeLiveness({value(1, 8, 3, {2})}, {}, {});
  EXPECT_EQ(early.status().message(), "value 1 is used at step 2 but defined at step 3");
  auto unknownAlias = analyzeLiveness({value(1, 8, 0, {}, false, 9)}, {}, {});
  EXPECT_EQ(unknownAlias.status().message(), "value 1 is a view of unknown value 9");
  auto cycle =
      analyzeLiveness({value(1, 8, 0, {}, false, 2), value(2, 8, 0, {}, false, 1)}, {}, {});
  EXPECT_EQ(cycle.status().message(), "value 1 is part of an alias cycle");
  auto negative = analyzeLiveness({value(1, -8, 0, {})}, {}, {});
  EXPECT_EQ(negative.status().message(), "value 1 has a negative size -8");
}

} // namespace
} // namespace tidemark::planning
