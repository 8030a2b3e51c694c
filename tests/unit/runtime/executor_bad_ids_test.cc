// Token ids out of range at run time: the step fails with a message naming the ids input and the
// first bad position, before ANY step runs: outputs computed ahead of the gather, the state and
// the optimizer step count are left as they were, and the next step with good ids runs normally.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tidemark/plan_builder.h"
#include "tidemark/runtime.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

// Step 0: early = x * 2 (an output written before the lookup). Step 1: e = gather(table, ids).
// Step 2: y = e + x. Step 3: SGD on the table with dy = y (any gradient will do).
std::vector<uint8_t> lookupPlan() {
  PlanBuilder builder;
  builder.SetArena(64);
  builder.SetState(128);
  int x = builder.AddInput("x", {3, 4});
  int ids = builder.AddInput("tokens", {3}, DType::kI32);
  int two = builder.AddConstant("two", {1}, {2.0f});
  int table = builder.AddStateTensor("table", {5, 4}, 0);
  builder.SetStateTensorValues(table, std::vector<float>(20, 1.0f));
  int early = builder.AddOutput("early", {3, 4});
  int e = builder.AddArenaTensor("e", {3, 4}, 0);
  int y = builder.AddOutput("y", {3, 4});
  int grad = builder.AddOutput("d_table", {5, 4});
  builder.AddStep(KernelId::kMul, {x, two}, {early});
  builder.AddStep(KernelId::kGather, {table, ids}, {e});
  builder.AddStep(KernelId::kAdd, {e, x}, {y});
  builder.AddStep(KernelId::kGatherGrad, {ids, y}, {grad});
  builder.AddStep(KernelId::kSgdUpdate, {table, grad}, {table}, SgdAttributes{0.5f, 0.0f, 0.0f});
  builder.AssignLiveIntervalsFromSteps();
  return builder.Finish();
}

void setInputs(Runtime &runtime, const std::vector<int32_t> &ids) {
  void *x = nullptr, *tokens = nullptr;
  ASSERT_TRUE(runtime.InputBuffer("x", &x).ok());
  ASSERT_TRUE(runtime.InputBuffer("tokens", &tokens).ok());
  std::vector<float> values(12);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.25f * static_cast<float>(i);
  std::memcpy(x, values.data(), 48);
  std::memcpy(tokens, ids.data(), 12);
}

TEST(ExecutorBadIdsTest, ABadTokenIdFailsBeforeAnythingIsWritten) {
  const std::vector<uint8_t> bytes = lookupPlan();
  std::unique_ptr<Runtime> runtime;
  Status loaded =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  // Sentinels in the outputs (bound to our own buffers) and the state's initial values.
  std::vector<float> early(12, -7.0f), y(12, -7.0f), grad(20, -7.0f);
  ASSERT_TRUE(runtime->BindOutput("early", early.data(), 48, DType::kF32, {3, 4}).ok());
  ASSERT_TRUE(runtime->BindOutput("y", y.data(), 48, DType::kF32, {3, 4}).ok());
  ASSERT_TRUE(runtime->BindOutput("d_table", grad.data(), 80, DType::kF32, {5, 4}).ok());

  setInputs(*runtime, {1, 5, 9}); // 5 and 9 are outside the 5 rows; 5 is the first, at 1.
  Status status = runtime->Run();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange) << status.ToString();
  EXPECT_NE(status.message().find("'tokens'"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("id 5 at position 1"), std::string::npos) << status.ToString();
  EXPECT_EQ(early, std::vector<float>(12, -7.0f)) << "an output computed before the gather";
  EXPECT_EQ(y, std::vector<float>(12, -7.0f));
  EXPECT_EQ(grad, std::vector<float>(20, -7.0f));
  std::vector<float> table(20);
  ASSERT_TRUE(runtime->ReadParameter("table", table.data(), 80).ok());
  EXPECT_EQ(table, std::vector<float>(20, 1.0f)) << "the state is untouched";
  EXPECT_EQ(runtime->optimizer_steps(), 0u);
  EXPECT_EQ(runtime->statistics().steps_run, 0u);

  // Negative ids too.
  setInputs(*runtime, {0, 1, -1});
  status = runtime->Run();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("id -1 at position 2"), std::string::npos) << status.ToString();

  // Good ids: the step runs and updates rows 0 and 2 only.
  setInputs(*runtime, {0, 2, 0});
  ASSERT_TRUE(runtime->Run().ok());
  EXPECT_EQ(early[1], 0.5f);
  EXPECT_EQ(y[0], 1.0f); // row 0 of the table (1) + x[0] (0)
  EXPECT_EQ(runtime->optimizer_steps(), 1u);
  ASSERT_TRUE(runtime->ReadParameter("table", table.data(), 80).ok());
  EXPECT_EQ(table[4], 1.0f) << "row 1 got no gradient";
  EXPECT_NE(table[0], 1.0f) << "row 0 was updated";
}

} // namespace
} // namespace tidemark
