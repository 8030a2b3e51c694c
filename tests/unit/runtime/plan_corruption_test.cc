// Randomized corruption: flipped bytes and truncations of valid plans never crash the loader; a
// corrupted plan that still verifies also loads and runs.
#include <cstdio>
#include <random>
#include <vector>

#include "plan_test_plans.h"
#include "runtime/plan/loaded_plan.h"
#include "tidemark/runtime.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

// A plan that exercises views, constants, attributes and every location.
std::vector<uint8_t> richPlan() {
  testing_plans::PerceptronIds ids;
  PlanBuilder builder = testing_plans::PerceptronBuilder(&ids);
  int scale = builder.AddConstant("scale", {5}, {1.0f, 2.0f, 3.0f, 4.0f, 5.0f});
  int flat = builder.AddView("y_flat", {20}, ids.y);
  int sum = builder.AddOutput("sum", {});
  int scaled = builder.AddArenaTensor("scaled", {4, 5}, 0, 3, 4);
  builder.AddStep(KernelId::kMul, {ids.y, scale}, {scaled}, {}, "scale");
  builder.AddStep(KernelId::kReduceSum, {scaled}, {sum}, ReduceAttributes{{0, 1}, false});
  builder.AddStep(KernelId::kFill, {}, {flat}, FillAttributes{0.5f});
  return builder.Finish();
}

// Loads (decode + verify) and, when that succeeds and the regions are small, runs the plan.
int tryLoad(const std::vector<uint8_t> &bytes) {
  LoadedPlan plan;
  Status status = LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
  if (!status.ok()) {
    EXPECT_FALSE(status.message().empty());
    return 0;
  }
  if (plan.arena_bytes > (1u << 20) || plan.state_bytes > (1u << 20))
    return 1;
  std::unique_ptr<Runtime> runtime;
  Status load =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  if (load.ok())
    EXPECT_TRUE(runtime->Run().ok());
  return 1;
}

TEST(PlanCorruptionTest, FlippedAndTruncatedPlansNeverCrash) {
  const std::vector<uint8_t> valid = richPlan();
  LoadedPlan plan;
  Status status = LoadAndVerifyPlan(valid.data(), valid.size(), &plan);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(tryLoad(valid), 1);
  std::mt19937 rng(20261127);
  int accepted = 0;
  for (int trial = 0; trial < 10000; ++trial) {
    std::vector<uint8_t> bytes = valid;
    switch (trial % 4) {
    case 0: // One random byte replaced.
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      break;
    case 1: // A few single-bit flips.
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
        bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      break;
    case 2: // Truncated.
      bytes.resize(rng() % bytes.size());
      break;
    default: // Truncated and flipped.
      bytes.resize(1 + rng() % bytes.size());
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      break;
    }
    accepted += tryLoad(bytes);
  }
  std::printf("corrupted plans still accepted (and run): %d of 10000\n", accepted);
  // Most corruptions are caught; some land in bytes that do not matter (padding, names, values).
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 9000);
}

} // namespace
} // namespace tidemark
