// UnrecomputeBound: on random training steps and random choices, the bound it gives for
// un-recomputing each chosen op never exceeds the LOAD of the schedule measured after doing so,
// and it is tight on a chain.
#include "TestGraphs.h"
#include "compiler/remat/LoadBound.h"

#include "gtest/gtest.h"

namespace tidemark::remat {
namespace {

using testing::chain;
using testing::randomTrainingGraph;

int64_t loadOf(const TrainingGraph &graph, const std::vector<bool> &chosen) {
  auto evaluation = evaluate(graph, recompute(graph, chosen), 64);
  EXPECT_TRUE(evaluation.ok()) << evaluation.status();
  return evaluation.ok() ? evaluation->load : 0;
}

TEST(LoadBoundTest, NeverAboveTheMeasuredLoad) {
  std::mt19937 rng(99);
  int64_t trials = 0, claimed = 0, aboveCurrent = 0;
  for (int graphIndex = 0; graphIndex < 300; ++graphIndex) {
    TrainingGraph g = randomTrainingGraph(rng, 3 + static_cast<int>(rng() % 30));
    std::vector<bool> chosen(g.ops.size(), false);
    int percent = static_cast<int>(rng() % 100);
    for (size_t i = 0; i < g.ops.size(); ++i)
      chosen[i] =
          g.ops[i].forward && g.ops[i].recomputable && static_cast<int>(rng() % 100) < percent;
    Schedule schedule = recompute(g, chosen);
    auto evaluation = evaluate(g, schedule, 64);
    ASSERT_TRUE(evaluation.ok()) << evaluation.status();
    UnrecomputeBound bound(g, schedule, *evaluation);
    for (size_t op = 0; op < g.ops.size(); ++op) {
      if (!chosen[op])
        continue;
      ++trials;
      int64_t claim = bound.lowerBound(static_cast<int64_t>(op));
      chosen[op] = false;
      int64_t load = loadOf(g, chosen);
      chosen[op] = true;
      EXPECT_LE(claim, load) << "graph " << graphIndex << ", op " << op;
      claimed += claim > 0;
      aboveCurrent += claim > evaluation->load;
    }
  }
  // The bound says something in many cases, and often more than the current LOAD (those are
  // the trials the search skips).
  EXPECT_GT(trials, 1000);
  EXPECT_GT(claimed * 4, trials);
  EXPECT_GT(aboveCurrent * 20, trials);
}

// Chain of 6 with f2 and f4 recomputed (0-based ops 1 and 3). Un-recomputing f2 keeps a2 from
// step 1 to its backward use; the bound is the live bytes over the steps between a2's last
// forward read (f3, step 2) and f2's clone, plus a2: exactly the LOAD measured after.
TEST(LoadBoundTest, TightOnAChain) {
  TrainingGraph g = chain(6, 1024, {10, 10, 10, 10, 10, 10});
  std::vector<bool> chosen(g.ops.size(), false);
  chosen[1] = chosen[3] = true;
  Schedule schedule = recompute(g, chosen);
  auto evaluation = evaluate(g, schedule, 64);
  ASSERT_TRUE(evaluation.ok());
  UnrecomputeBound bound(g, schedule, *evaluation);
  for (int op : {1, 3}) {
    std::vector<bool> without = chosen;
    without[op] = false;
    EXPECT_EQ(bound.lowerBound(op), loadOf(g, without)) << "op " << op;
  }
  EXPECT_EQ(bound.lowerBound(0), 0); // Not recomputed: no clone, nothing claimed.
}

} // namespace
} // namespace tidemark::remat
