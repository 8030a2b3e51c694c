// Plan verifier rules of Split, Where, ReduceMax / ReduceMaxGrad and the two casts: a well-formed
// step loads, and each malformed variant (arity, dtype, shape, attribute range) is rejected with
// its own message, so a corrupt plan never reaches a kernel.
#include <cmath>
#include <cstring>
#include <string>

#include "runtime/plan/loaded_plan.h"
#include "tidemark/plan_builder.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

Status load(const std::vector<uint8_t> &bytes) {
  LoadedPlan plan;
  return LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
}

void expectLoads(const PlanBuilder &builder) {
  Status status = load(builder.Finish());
  EXPECT_TRUE(status.ok()) << status.ToString();
}

void expectRejected(const PlanBuilder &builder, const std::string &text) {
  Status status = load(builder.Finish());
  ASSERT_FALSE(status.ok()) << "expected an error mentioning: " << text;
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_NE(status.message().find(text), std::string::npos)
      << "message '" << status.message() << "' lacks '" << text << "'";
}

// A plan of inputs and outputs only, with one step.
struct OneStep {
  PlanBuilder builder;
  std::vector<int> operands, results;

  OneStep &in(std::vector<int64_t> shape, DType dtype = DType::kF32) {
    operands.push_back(builder.AddInput("in" + std::to_string(operands.size()), shape, dtype));
    return *this;
  }
  OneStep &constant(std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    operands.push_back(builder.AddConstant("c" + std::to_string(operands.size()), shape,
                                           std::vector<float>(static_cast<size_t>(n), 0.5f)));
    return *this;
  }
  OneStep &out(std::vector<int64_t> shape) {
    results.push_back(builder.AddOutput("out" + std::to_string(results.size()), shape));
    return *this;
  }
  PlanBuilder &step(KernelId kernel, StepAttributes attrs = {}) {
    builder.SetArena(0);
    builder.AddStep(kernel, operands, results, attrs, "s");
    return builder;
  }
};

TEST(PlanSelectKernelsTest, SplitIsConcatInReverse) {
  expectLoads(OneStep().in({2, 7}).out({2, 3}).out({2, 1}).out({2, 3}).step(KernelId::kSplit,
                                                                            ConcatAttributes{1}));
  expectLoads(OneStep().in({4, 2}).out({4, 2}).step(KernelId::kSplit, ConcatAttributes{0}));
  expectRejected(
      OneStep().in({2, 7}).out({2, 3}).out({2, 3}).step(KernelId::kSplit, ConcatAttributes{1}),
      "split results add up to 6 along axis 1, the operand has 7");
  expectRejected(
      OneStep().in({2, 7}).out({3, 3}).out({2, 4}).step(KernelId::kSplit, ConcatAttributes{1}),
      "does not match the operand [2,7] off axis 1");
  expectRejected(
      OneStep().in({2, 7}).out({2, 0}).out({2, 7}).step(KernelId::kSplit, ConcatAttributes{1}),
      "or is empty along it");
  expectRejected(OneStep().in({2, 7}).out({2, 7}).step(KernelId::kSplit, ConcatAttributes{2}),
                 "split axis 2 is outside [0, 2)");
  expectRejected(OneStep().in({2, 7}).out({2, 7}).step(KernelId::kSplit), "needs its attribute");
  expectRejected(
      OneStep().in({2, 7}, DType::kI32).out({2, 7}).step(KernelId::kSplit, ConcatAttributes{1}),
      "operand 0 is i32, expected f32");
  // 32 results is the most one step writes; the decoder refuses 33.
  OneStep wide;
  wide.in({33});
  for (int i = 0; i < 32; ++i)
    wide.out({1});
  expectRejected(wide.step(KernelId::kSplit, ConcatAttributes{0}), "add up to 32");
  OneStep widest;
  widest.in({33});
  for (int i = 0; i < 33; ++i)
    widest.out({1});
  expectRejected(widest.step(KernelId::kSplit, ConcatAttributes{0}), "result list");
}

TEST(PlanSelectKernelsTest, WhereTakesAnI32MaskAndBroadcasts) {
  expectLoads(
      OneStep().in({3, 1}, DType::kI32).in({3, 4}).in({4}).out({3, 4}).step(KernelId::kWhere));
  expectLoads(OneStep().in({}, DType::kI32).in({2}).in({}).out({2}).step(KernelId::kWhere));
  expectRejected(OneStep().in({3, 4}).in({3, 4}).in({3, 4}).out({3, 4}).step(KernelId::kWhere),
                 "operand 0 is f32, expected i32");
  expectRejected(OneStep()
                     .in({3, 4}, DType::kI32)
                     .in({3, 4}, DType::kI32)
                     .in({3, 4})
                     .out({3, 4})
                     .step(KernelId::kWhere),
                 "operand 1 is i32, expected f32");
  expectRejected(
      OneStep().in({5}, DType::kI32).in({3, 4}).in({4}).out({3, 4}).step(KernelId::kWhere),
      "condition does not broadcast");
  expectRejected(
      OneStep().in({3, 1}, DType::kI32).in({3, 4}).in({4}).out({3, 1}).step(KernelId::kWhere),
      "result has shape [3,1], expected [3,4]");
  expectRejected(OneStep().in({4}, DType::kI32).in({4}).out({4}).step(KernelId::kWhere),
                 "expected 3 operands");
}

TEST(PlanSelectKernelsTest, ReduceMaxTakesOneNonEmptyAxis) {
  expectLoads(
      OneStep().in({3, 5}).out({3}).step(KernelId::kReduceMax, ReduceAttributes{{1}, false}));
  expectLoads(
      OneStep().in({3, 5}).out({1, 5}).step(KernelId::kReduceMax, ReduceAttributes{{0}, true}));
  expectLoads(OneStep().in({3, 5}).in({3, 1}).out({3, 5}).step(KernelId::kReduceMaxGrad,
                                                               ReduceAttributes{{1}, true}));
  expectRejected(
      OneStep().in({3, 5}).out({1}).step(KernelId::kReduceMax, ReduceAttributes{{0, 1}, false}),
      "exactly one axis");
  expectRejected(
      OneStep().in({3, 5}).out({3}).step(KernelId::kReduceMax, ReduceAttributes{{2}, false}),
      "exactly one axis in [0, 2)");
  expectRejected(
      OneStep().in({3, 0}).out({3}).step(KernelId::kReduceMax, ReduceAttributes{{1}, false}),
      "reduce max over an empty axis 1");
  expectRejected(
      OneStep().in({3, 5}).out({3, 1}).step(KernelId::kReduceMax, ReduceAttributes{{1}, false}),
      "result has shape [3,1], expected [3]");
  expectRejected(OneStep().in({3, 5}).in({3}).out({3, 5}).step(KernelId::kReduceMaxGrad,
                                                               ReduceAttributes{{1}, true}),
                 "dy (operand 1) has shape [3], expected [3,1]");
  expectRejected(OneStep().in({3, 5}).out({3}).step(KernelId::kReduceMax), "needs its attribute");
}

TEST(PlanSelectKernelsTest, CastsConvertBetweenF32AndI32Only) {
  PlanBuilder to_int;
  int x = to_int.AddInput("x", {4}, DType::kF32);
  int y = to_int.AddOutput("y", {4}, DType::kI32);
  to_int.SetArena(0);
  to_int.AddStep(KernelId::kCastF32ToI32, {x}, {y}, {}, "s");
  expectLoads(to_int);
  PlanBuilder to_float;
  x = to_float.AddInput("x", {4}, DType::kI32);
  y = to_float.AddOutput("y", {4}, DType::kF32);
  to_float.SetArena(0);
  to_float.AddStep(KernelId::kCastI32ToF32, {x}, {y}, {}, "s");
  expectLoads(to_float);
  // The wrong side i32, or a shape change.
  expectRejected(OneStep().in({4}).out({4}).step(KernelId::kCastF32ToI32),
                 "result 0 is f32, expected i32");
  expectRejected(OneStep().in({4}).out({4}).step(KernelId::kCastI32ToF32),
                 "operand 0 is f32, expected i32");
  PlanBuilder reshaped;
  x = reshaped.AddInput("x", {4}, DType::kI32);
  y = reshaped.AddOutput("y", {2, 2}, DType::kF32);
  reshaped.SetArena(0);
  reshaped.AddStep(KernelId::kCastI32ToF32, {x}, {y}, {}, "s");
  expectRejected(reshaped, "result has shape [2,2], expected [4]");
}

} // namespace
} // namespace tidemark
