// Plan verifier rules of the kernels real models need (elementwise extras, min/max, RMS norm,
// slice / pad / concat, gather, rope, dropout, the fused LM head loss): a well-formed step loads,
// and each malformed variant (arity, dtype, shape, attribute range) is rejected with its own
// message, so a corrupt plan never reaches a kernel.
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

TEST(PlanModelKernelsTest, UnaryKernelsAndTheirConstants) {
  for (KernelId kernel : {KernelId::kNeg, KernelId::kAbs, KernelId::kSqrt, KernelId::kRsqrt,
                          KernelId::kLog, KernelId::kSigmoid, KernelId::kSilu, KernelId::kErf}) {
    SCOPED_TRACE(KernelIdName(kernel));
    expectLoads(OneStep().in({3, 5}).out({3, 5}).step(kernel));
    expectRejected(OneStep().in({3, 5}).out({3, 4}).step(kernel), "differs from operand 0");
  }
  expectLoads(OneStep().in({4}).in({4}).out({4}).step(KernelId::kSiluGrad));
  expectRejected(OneStep().in({4}).out({4}).step(KernelId::kSiluGrad), "expected 2 operands");
  expectLoads(OneStep().in({4}).out({4}).step(KernelId::kPow, UnaryAttributes{2.0f, 0.0f}));
  expectRejected(OneStep().in({4}).out({4}).step(KernelId::kPow), "needs its attribute table");
  expectRejected(OneStep().in({4}).out({4}).step(KernelId::kPow, UnaryAttributes{INFINITY, 0.0f}),
                 "exponent must be finite");
  expectLoads(
      OneStep().in({4}).in({4}).out({4}).step(KernelId::kClampGrad, UnaryAttributes{-1.0f, 1.0f}));
  expectRejected(OneStep().in({4}).out({4}).step(KernelId::kClamp, UnaryAttributes{1.0f, -1.0f}),
                 "min <= max");
  expectRejected(OneStep().in({4}).out({4}).step(KernelId::kClamp, UnaryAttributes{NAN, 1.0f}),
                 "min <= max");
}

TEST(PlanModelKernelsTest, MinMaxAndTheirGradients) {
  expectLoads(OneStep().in({3, 4}).in({4}).out({3, 4}).step(KernelId::kMax));
  expectRejected(OneStep().in({3, 4}).in({3}).out({3, 4}).step(KernelId::kMin), "do not broadcast");
  expectLoads(OneStep().in({3, 4}).in({4}).in({3, 4}).out({4}).step(KernelId::kMaxGrad,
                                                                    BinaryGradAttributes{1}));
  expectRejected(OneStep().in({3, 4}).in({4}).in({3, 4}).out({4}).step(KernelId::kMinGrad,
                                                                       BinaryGradAttributes{2}),
                 "gradient operand must be 0 or 1");
  expectRejected(OneStep().in({3, 4}).in({4}).in({3, 4}).out({3, 4}).step(KernelId::kMinGrad,
                                                                          BinaryGradAttributes{1}),
                 "result has shape [3,4], expected [4]");
}

TEST(PlanModelKernelsTest, RmsNorm) {
  expectLoads(OneStep().in({2, 3, 8}).in({8}).out({2, 3, 8}).out({2, 3}).step(
      KernelId::kRmsNorm, LayerNormAttributes{1e-6f}));
  expectLoads(OneStep().in({2, 3, 8}).in({8}).out({2, 3, 8}).step(KernelId::kRmsNorm));
  expectRejected(OneStep().in({2, 3, 8}).in({3, 8}).out({2, 3, 8}).step(KernelId::kRmsNorm),
                 "scale has shape [3,8], expected [8]");
  expectRejected(OneStep().in({2, 3, 8}).in({8}).out({2, 3, 8}).out({2}).step(KernelId::kRmsNorm),
                 "rstd has shape [2], expected [2,3]");
  expectRejected(
      OneStep().in({2, 8}).in({8}).out({2, 8}).step(KernelId::kRmsNorm, LayerNormAttributes{-1.0f}),
      "epsilon must be finite and >= 0");
  expectLoads(OneStep().in({2, 8}).in({8}).in({2}).in({2, 8}).out({2, 8}).out({8}).step(
      KernelId::kRmsNormGrad));
  expectRejected(OneStep().in({2, 8}).in({8}).in({2}).in({2, 7}).out({2, 8}).out({8}).step(
                     KernelId::kRmsNormGrad),
                 "dy has shape [2,7], expected [2,8]");
}

TEST(PlanModelKernelsTest, SlicePadConcat) {
  expectLoads(OneStep().in({4, 6}).out({2, 3}).step(KernelId::kSlice, SliceAttributes{{1, 3}}));
  expectRejected(OneStep().in({4, 6}).out({2, 3}).step(KernelId::kSlice, SliceAttributes{{1, 4}}),
                 "axis 1");
  expectRejected(OneStep().in({4, 6}).out({2, 3}).step(KernelId::kSlice, SliceAttributes{{1}}),
                 "slice start needs one entry per axis");
  expectRejected(OneStep().in({4, 6}).out({2, 3}).step(KernelId::kSlice, SliceAttributes{{-1, 0}}),
                 "negative size or start");
  expectLoads(OneStep().in({2, 3}).out({4, 6}).step(KernelId::kPad, PadAttributes{{1, 2}, 0.0f}));
  expectRejected(OneStep().in({2, 3}).out({4, 6}).step(KernelId::kPad, PadAttributes{{3, 0}, 0.0f}),
                 "axis 0");
  expectRejected(OneStep().in({2, 3}).out({4, 6}).step(KernelId::kPad, PadAttributes{{0, 0}, NAN}),
                 "pad value must be finite");
  expectLoads(OneStep().in({2, 3}).in({2, 1}).in({2, 3}).out({2, 7}).step(KernelId::kConcat,
                                                                          ConcatAttributes{1}));
  expectRejected(
      OneStep().in({2, 3}).in({2, 1}).out({2, 5}).step(KernelId::kConcat, ConcatAttributes{1}),
      "concat operands add up to 4 along axis 1, the result has 5");
  expectRejected(
      OneStep().in({2, 3}).in({3, 1}).out({2, 4}).step(KernelId::kConcat, ConcatAttributes{1}),
      "concat operand 1 [3,1] does not match the result [2,4]");
  expectRejected(OneStep().in({2, 3}).out({2, 3}).step(KernelId::kConcat, ConcatAttributes{2}),
                 "concat axis 2 is outside [0, 2)");
}

TEST(PlanModelKernelsTest, GatherTakesI32IdsAndShapedRows) {
  expectLoads(OneStep().in({10, 4}).in({2, 3}, DType::kI32).out({2, 3, 4}).step(KernelId::kGather));
  expectRejected(OneStep().in({10, 4}).in({2, 3}).out({2, 3, 4}).step(KernelId::kGather),
                 "operand 1 is f32, expected i32");
  expectRejected(
      OneStep().in({10, 4}).in({2, 3}, DType::kI32).out({2, 3, 5}).step(KernelId::kGather),
      "result has shape [2,3,5], expected [2,3,4]");
  expectRejected(OneStep().in({40}).in({2, 3}, DType::kI32).out({2, 3, 4}).step(KernelId::kGather),
                 "the table must be [rows, dim]");
  expectLoads(
      OneStep().in({2, 3}, DType::kI32).in({2, 3, 4}).out({10, 4}).step(KernelId::kGatherGrad));
  expectRejected(
      OneStep().in({2, 3}, DType::kI32).in({2, 3, 4}).out({10, 5}).step(KernelId::kGatherGrad),
      "dy has shape [2,3,4], expected [2,3,5]");
}

TEST(PlanModelKernelsTest, RopeNeedsItsTableAndAnEvenRotation) {
  RopeAttributes bthd{0, 4, false}, bhtd{1, 8, true};
  expectLoads(
      OneStep().in({2, 5, 3, 8}).constant({5, 4}).out({2, 5, 3, 8}).step(KernelId::kRope, bthd));
  expectLoads(
      OneStep().in({2, 3, 5, 8}).constant({5, 8}).out({2, 3, 5, 8}).step(KernelId::kRope, bhtd));
  expectRejected(
      OneStep().in({2, 5, 3, 8}).constant({3, 4}).out({2, 5, 3, 8}).step(KernelId::kRope, bthd),
      "table (operand 1) has shape [3,4], expected [5,4]");
  expectRejected(OneStep()
                     .in({2, 5, 3, 8})
                     .constant({5, 5})
                     .out({2, 5, 3, 8})
                     .step(KernelId::kRope, RopeAttributes{0, 5, false}),
                 "must be even");
  expectRejected(OneStep()
                     .in({2, 5, 3, 8})
                     .constant({5, 10})
                     .out({2, 5, 3, 8})
                     .step(KernelId::kRope, RopeAttributes{0, 10, false}),
                 "must be even and in (0, head_dim = 8]");
  expectRejected(OneStep()
                     .in({2, 5, 3, 8})
                     .constant({5, 4})
                     .out({2, 5, 3, 8})
                     .step(KernelId::kRope, RopeAttributes{2, 4, false}),
                 "rope layout must be 0");
  expectRejected(OneStep().in({10, 8}).constant({5, 4}).out({10, 8}).step(KernelId::kRope, bthd),
                 "rope input must have rank 4");
  expectRejected(OneStep().in({2, 5, 3, 8}).out({2, 5, 3, 8}).step(KernelId::kRope, bthd),
                 "expected 2 operands");
}

TEST(PlanModelKernelsTest, DropoutProbabilityIsBelowOne) {
  expectLoads(OneStep().in({16}).out({16}).step(KernelId::kDropout, DropoutAttributes{0.1f, 3}));
  expectLoads(OneStep().in({16}).out({16}).step(KernelId::kDropout, DropoutAttributes{0.0f, 0}));
  for (float p : {1.0f, -0.25f, NAN}) {
    SCOPED_TRACE(p);
    expectRejected(OneStep().in({16}).out({16}).step(KernelId::kDropout, DropoutAttributes{p, 0}),
                   "dropout p must be in [0, 1)");
  }
  expectRejected(OneStep().in({16}).out({16}).step(KernelId::kDropout),
                 "needs its attribute table");
  expectRejected(OneStep().in({16}).out({8}).step(KernelId::kDropout, DropoutAttributes{0.5f, 0}),
                 "result has shape [8], expected [16]");
}

TEST(PlanModelKernelsTest, LmHeadLossShapesChunksAndBias) {
  LmHeadLossAttributes attrs{-100, 4, 8};
  auto forward = [](bool bias) {
    OneStep s;
    s.in({6, 5}).in({11, 5}).in({6}, DType::kI32);
    if (bias)
      s.in({11});
    return s.out({1}).out({6});
  };
  expectLoads(forward(false).step(KernelId::kLmHeadLoss, attrs));
  expectLoads(forward(true).step(KernelId::kLmHeadLoss, attrs));
  expectRejected(forward(false).step(KernelId::kLmHeadLoss, LmHeadLossAttributes{-100, 0, 8}),
                 "the chunks must be >= 1");
  expectRejected(OneStep()
                     .in({6, 5})
                     .in({11, 4})
                     .in({6}, DType::kI32)
                     .out({1})
                     .out({6})
                     .step(KernelId::kLmHeadLoss, attrs),
                 "hidden must be [rows, dim] and weight [vocab, dim]");
  expectRejected(
      OneStep().in({6, 5}).in({11, 5}).in({6}).out({1}).out({6}).step(KernelId::kLmHeadLoss, attrs),
      "operand 2 is f32, expected i32");
  expectRejected(OneStep()
                     .in({6, 5})
                     .in({11, 5})
                     .in({6}, DType::kI32)
                     .in({10})
                     .out({1})
                     .out({6})
                     .step(KernelId::kLmHeadLoss, attrs),
                 "bias has shape [10], expected [11]");
  expectRejected(OneStep()
                     .in({6, 5})
                     .in({11, 5})
                     .in({6}, DType::kI32)
                     .out({1})
                     .out({5})
                     .step(KernelId::kLmHeadLoss, attrs),
                 "lse (result 1) has shape [5], expected [6]");

  auto backward = [](bool bias, int results) {
    OneStep s;
    s.in({6, 5}).in({11, 5}).in({6}, DType::kI32).in({6}).in({1});
    if (bias)
      s.in({11});
    s.out({6, 5}).out({11, 5});
    if (results == 3)
      s.out({11});
    return s;
  };
  expectLoads(backward(false, 2).step(KernelId::kLmHeadLossGrad, attrs));
  expectLoads(backward(true, 3).step(KernelId::kLmHeadLossGrad, attrs));
  expectRejected(backward(false, 3).step(KernelId::kLmHeadLossGrad, attrs),
                 "the bias gradient (result 2) is written exactly when a bias");
  expectRejected(backward(true, 2).step(KernelId::kLmHeadLossGrad, attrs),
                 "the bias gradient (result 2) is written exactly when a bias");
}

TEST(PlanModelKernelsTest, InPlaceIsAllowedForElementwiseRopeAndDropoutOnly) {
  // An arena tensor x and a view of it as the result: in place.
  for (KernelId kernel : {KernelId::kDropout, KernelId::kSlice}) {
    SCOPED_TRACE(KernelIdName(kernel));
    PlanBuilder b;
    b.SetArena(64);
    int in = b.AddInput("in", {8});
    int x = b.AddArenaTensor("x", {8}, 0);
    int y = b.AddView("y", {8}, x);
    int out = b.AddOutput("out", {8});
    b.AddStep(KernelId::kCopy, {in}, {x});
    if (kernel == KernelId::kDropout)
      b.AddStep(kernel, {x}, {y}, DropoutAttributes{0.5f, 0});
    else
      b.AddStep(kernel, {x}, {y}, SliceAttributes{{0}});
    b.AddStep(KernelId::kCopy, {y}, {out});
    b.AssignLiveIntervalsFromSteps();
    if (kernel == KernelId::kDropout)
      expectLoads(b);
    else
      expectRejected(b, "this kernel cannot work in place");
  }
}

TEST(PlanModelKernelsTest, SeedRoundTrips) {
  PlanBuilder builder = OneStep().in({4}).out({4}).step(KernelId::kDropout, DropoutAttributes{});
  builder.SetSeed(0xfedcba9876543210ULL);
  std::vector<uint8_t> bytes = builder.Finish();
  LoadedPlan plan;
  ASSERT_TRUE(LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan).ok());
  EXPECT_EQ(plan.seed, 0xfedcba9876543210ULL);
  const auto &attrs = std::get<DropoutAttributes>(plan.steps[0].attrs);
  EXPECT_EQ(attrs.p, 0.0f);
  EXPECT_EQ(attrs.site, 0u);
}

} // namespace
} // namespace tidemark
