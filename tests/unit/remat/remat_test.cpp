// The remat library: schedule rewriting stays a valid schedule, policies pick what they promise,
// the budget search meets its budget (checked by an independent packing of the result) and
// fails with the smallest arena it reached.
#include "TestGraphs.h"
#include "compiler/remat/Remat.h"
#include "compiler/remat/Scheduler.h"

#include <random>

#include "compiler/planning/Packing.h"
#include "gtest/gtest.h"

namespace tidemark::remat {
namespace {

using testing::chain;

/// Every operand of every instance is defined by an earlier instance or is an argument.
void expectValidSchedule(const Schedule &schedule) {
  std::vector<bool> defined(schedule.values.size(), false);
  for (size_t v = 0; v < schedule.values.size(); ++v)
    defined[v] = schedule.values[v].def < 0;
  for (const Instance &instance : schedule.instances) {
    for (int64_t operand : instance.operands)
      EXPECT_TRUE(defined[operand]) << "value " << operand << " read before it is defined";
    for (int64_t result : instance.results)
      defined[result] = true;
  }
}

int64_t independentArena(const TrainingGraph &graph, const Schedule &schedule) {
  auto evaluation = evaluate(graph, schedule, 64);
  EXPECT_TRUE(evaluation.ok());
  auto packed = planning::packProblem(evaluation->problem, "default", {});
  EXPECT_TRUE(packed.ok());
  return packed->solution.arenaSize;
}

// Without recomputation, the 4 activations of 1 KiB are all live when the backward starts:
// LOAD = 4 activations + the first gradient = 5 KiB (at b4). Recomputing f2 alone: its output
// dies at f3, so b4 sees a1, a3, a4 and g4 (4 KiB); the clone of f2 (reading the kept a1) comes
// right before b2, where a1, the clone, g3 and g2 are live: 4 KiB. LOAD drops to 4 KiB.
// Recomputing f2 and f3 together would not help: both clones and two gradients meet at b3.
TEST(RematTest, RecomputeClonesBeforeFirstBackwardUse) {
  TrainingGraph g = chain(4, 1024, {10, 10, 10, 10});
  Schedule none = identitySchedule(g);
  auto base = evaluate(g, none, 64);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(base->load, 5 * 1024);
  std::vector<bool> chosen(g.ops.size(), false);
  chosen[1] = true;
  Schedule s = recompute(g, chosen);
  expectValidSchedule(s);
  EXPECT_EQ(s.clones, 1);
  EXPECT_EQ(s.extraFlops, 10);
  auto after = evaluate(g, s, 64);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->load, 4 * 1024);
  chosen[2] = true;
  auto both = evaluate(g, recompute(g, chosen), 64);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->load, 5 * 1024);
}

// Segments: forward FLOPs are 4 x 100 + 1 (the loss) = 401; an op's segment is
// floor(2 * FLOPs before it / 401): f1 (0 -> 0), f2 (200 / 401 -> 0), f3 (400 / 401 -> 0),
// f4 (600 / 401 -> 1). Segment 0 = f1, f2, f3: f1 and f2 are interior
// (recomputed), f3's output crosses into the last segment (kept).
TEST(RematTest, SegmentsRecomputeInteriorsExceptTheLast) {
  TrainingGraph g = chain(4, 1024, {100, 100, 100, 100});
  auto options = parsePolicy("segments=2");
  ASSERT_TRUE(options.ok());
  auto result = rematerialize(g, *options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->chosen[0]);
  EXPECT_TRUE(result->chosen[1]);
  EXPECT_FALSE(result->chosen[2]);
  EXPECT_FALSE(result->chosen[3]);
  EXPECT_EQ(result->stats.opsRecomputed, 2);
  EXPECT_EQ(result->stats.extraFlops, 200);
  expectValidSchedule(result->schedule);
}

// Regions: only ops of a region whose results stay inside it.
TEST(RematTest, RegionsRecomputeTheirInterior) {
  TrainingGraph g = chain(4, 1024, {10, 10, 10, 10});
  g.ops[1].region = g.ops[2].region = 0; // f2 feeds f3 (inside), f3 feeds f4 (outside).
  auto result = rematerialize(g, RematOptions{Policy::Regions});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->chosen[1]);
  EXPECT_FALSE(result->chosen[2]);
  EXPECT_EQ(result->stats.opsRecomputed, 1);
}

// The budget search meets every budget between the smallest reachable arena and the full one,
// the independent packer agrees, and cheap ops are preferred over expensive ones.
TEST(RematTest, BudgetMeetsTheBudgetCheaply) {
  TrainingGraph g = chain(8, 4096, {1000, 1, 1000, 1, 1000, 1, 1000, 1});
  auto full = rematerialize(g, RematOptions{Policy::None});
  ASSERT_TRUE(full.ok());
  int64_t before = full->stats.arenaBefore;
  for (int64_t budget = before; budget > 0; budget -= 4096) {
    RematOptions options{Policy::Budget};
    options.budgetBytes = budget;
    auto result = rematerialize(g, options);
    if (!result.ok()) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
      EXPECT_NE(result.status().message().find("the smallest arena tide-remat reaches is"),
                std::string::npos);
      EXPECT_LT(budget, before);
      break;
    }
    expectValidSchedule(result->schedule);
    EXPECT_LE(result->stats.arenaAfter, budget);
    EXPECT_LE(independentArena(g, result->schedule), budget);
    if (budget == before - 4096) {
      // One activation less: recomputing one of the 1-FLOP ops suffices.
      EXPECT_EQ(result->stats.extraFlops, 1);
    }
  }
}

// Random chains and random choices: every rewritten schedule is valid and recomputing never
// changes which original op a clone copies.
TEST(RematTest, RandomChoicesGiveValidSchedules) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    int n = 1 + static_cast<int>(rng() % 12);
    std::vector<int64_t> flops(n);
    for (int64_t &f : flops)
      f = 1 + rng() % 100;
    TrainingGraph g = chain(n, 64 * (1 + rng() % 8), flops);
    std::vector<bool> chosen(g.ops.size(), false);
    for (int i = 0; i < n; ++i)
      chosen[i] = rng() % 2;
    Schedule s = recompute(g, chosen);
    expectValidSchedule(s);
    int64_t expectedFlops = 0, expectedClones = 0;
    for (int i = 0; i < n; ++i)
      if (chosen[i]) {
        expectedFlops += flops[i];
        ++expectedClones;
      }
    EXPECT_EQ(s.extraFlops, expectedFlops);
    EXPECT_EQ(s.clones, expectedClones);
  }
}

TEST(RematTest, ParsePolicy) {
  EXPECT_EQ(parsePolicy("budget=2M")->budgetBytes, 2 * 1024 * 1024);
  EXPECT_EQ(parsePolicy("budget=3k")->budgetBytes, 3 * 1024);
  EXPECT_EQ(parsePolicy("segments=4")->segments, 4);
  EXPECT_EQ(parsePolicy("regions")->policy, Policy::Regions);
  EXPECT_FALSE(parsePolicy("budget=0").ok());
  EXPECT_FALSE(parsePolicy("budget=-5").ok());
  EXPECT_FALSE(parsePolicy("segments=x").ok());
  EXPECT_EQ(parsePolicy("sometimes").status().message(),
            "unknown rematerialization policy 'sometimes'; expected none, regions, segments=N or "
            "budget=BYTES");
}

// The scheduler keeps a chain (already best) and respects `after` constraints.
TEST(SchedulerTest, KeepsBestOrderAndConstraints) {
  TrainingGraph g = chain(3, 256, {1, 1, 1});
  auto result = scheduleForMemory(g, 64);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->changed);
  EXPECT_EQ(result->loadAfter, result->loadBefore);
  // A cycle through `after` is reported.
  g.ops[0].after.push_back(static_cast<int64_t>(g.ops.size() - 1));
  auto cyclic = scheduleForMemory(g, 64);
  EXPECT_FALSE(cyclic.ok());
}

} // namespace
} // namespace tidemark::remat
