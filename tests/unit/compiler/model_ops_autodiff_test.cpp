//===- model_ops_autodiff_test.cpp - Gradients of the transformer ops vs finite differences ===//
//
// Runs tide-autodiff (optimizer=none) on small models that use every op added for real models
// (neg, abs, sqrt, rsqrt, log, sigmoid, silu, erf, pow, clamp, minimum, maximum, rms_norm, rope
// in both layouts with partial rotary, an offset and the inverse, gather, slice, concat, pad,
// dropout and the fused LM head loss with and without a bias and with ignored rows), evaluates
// both functions on the reference interpreter and compares every gradient element with central
// finite differences of the original loss (relative error <= 1e-4 in double, measured against
// max(|g|, 1e-5) as in interp_autodiff_test.cpp). Each rule is thereby checked through the
// TideGradientOpInterface it lives in.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/interp/GradientCheck.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/interp/RandomArguments.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <cmath>
#include <functional>
#include <string>

using namespace mlir;
using namespace mlir::tide::interp;

namespace {

// Steps and tolerances as in interp_autodiff_test.cpp: h = 1e-4 for smooth models; the models
// with kinks (abs, clamp, min/max, dropout's mask is fixed so it is smooth) use h = 1e-5, and the
// seeded arguments keep every kink farther than h from the evaluation point (checked below: a
// crossing would show as an error of ~1e-1, far above the bound).
constexpr double kSmoothStep = 1e-4;
constexpr double kKinkStep = 1e-5;
constexpr double kTolerance = 1e-4;
constexpr double kTinyGradient = 1e-5;

class ModelOpsGradientTest : public ::testing::Test {
protected:
  ModelOpsGradientTest() { context.loadDialect<tide::TideDialect, func::FuncDialect>(); }

  OwningOpRef<ModuleOp> parse(const std::string &source) {
    auto module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "cannot parse:\n" << source;
    return module;
  }

  LogicalResult differentiate(ModuleOp module) {
    tide::AutodiffOptions options;
    options.optimizer = "none";
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(tide::createAutodiff(options));
    return pm.run(module);
  }

  /// Differentiates `source` and checks every parameter's gradient against finite differences
  /// on seeded random arguments (then `adjust`ed, e.g. to mark ignored labels).
  void check(const std::string &source, uint64_t seed, double range, double step,
             const std::function<void(SmallVector<Tensor> &)> &adjust = {},
             const InterpreterOptions &options = {});

  MLIRContext context;
};

func::FuncOp onlyFunction(ModuleOp module) { return cast<func::FuncOp>(module.getBody()->front()); }

void ModelOpsGradientTest::check(const std::string &source, uint64_t seed, double range,
                                 double step,
                                 const std::function<void(SmallVector<Tensor> &)> &adjust,
                                 const InterpreterOptions &options) {
  auto originalModule = parse(source), trainingModule = parse(source);
  ASSERT_TRUE(originalModule && trainingModule);
  ASSERT_TRUE(succeeded(differentiate(*trainingModule)));
  func::FuncOp original = onlyFunction(*originalModule);
  func::FuncOp training = onlyFunction(*trainingModule);
  auto args = makeRandomArguments(original, seed, range);
  ASSERT_TRUE(succeeded(args));
  if (adjust)
    adjust(*args);
  auto loss = evaluateLoss(original, *args, options);
  auto results = interpret(training, *args, options);
  ASSERT_TRUE(succeeded(loss) && succeeded(results));
  EXPECT_EQ((*results)[0][0], *loss) << "the training step computes the same loss";

  unsigned params = 0;
  for (unsigned arg = 0; arg < original.getNumArguments(); ++arg)
    params += original.getArgAttr(arg, "tide.param") ? 1 : 0;
  ASSERT_EQ(results->size(), 1 + params) << "one gradient per parameter";
  for (unsigned index = 1; index < results->size(); ++index) {
    auto gradOf = training.getResultAttrOfType<IntegerAttr>(index, "tide.grad_of");
    ASSERT_TRUE(gradOf);
    unsigned argIndex = gradOf.getInt();
    auto numeric = numericGradient(original, *args, argIndex, step, options);
    ASSERT_TRUE(succeeded(numeric));
    GradientComparison worst = compareGradients((*results)[index], *numeric, kTinyGradient);
    EXPECT_LE(worst.maxError, kTolerance)
        << "gradient of argument #" << argIndex << ", element " << worst.worstElement
        << ": autodiff " << worst.analytic << ", finite difference " << worst.numeric;
    double magnitude = 0.0;
    for (double value : numeric->data)
      magnitude = std::max(magnitude, std::fabs(value));
    EXPECT_GT(magnitude, 10 * kTinyGradient) << "argument #" << argIndex << " is vacuous";
  }
}

// Every new elementwise op on a gradient path. sqrt, rsqrt and log read exp(x) > 0; pow reads
// exp(x) too (a non-integral exponent) and x directly (an integral one); min / max broadcast a
// [4] parameter against [3, 4].
constexpr const char *kElementwise = R"mlir(
func.func @elementwise(%x: tensor<3x4xf32> {tide.param}, %y: tensor<4xf32> {tide.param},
                       %t: tensor<3x4xf32>) -> tensor<f32> {
  %e = tide.exp %x : tensor<3x4xf32>
  %a0 = tide.neg %x : tensor<3x4xf32>
  %a1 = tide.abs %x : tensor<3x4xf32>
  %a2 = tide.sqrt %e : tensor<3x4xf32>
  %a3 = tide.rsqrt %e : tensor<3x4xf32>
  %a4 = tide.log %e : tensor<3x4xf32>
  %a5 = tide.sigmoid %x : tensor<3x4xf32>
  %a6 = tide.silu %x : tensor<3x4xf32>
  %a7 = tide.erf %x : tensor<3x4xf32>
  %a8 = tide.pow %e exponent = 1.5 : tensor<3x4xf32>
  %a9 = tide.pow %x exponent = 3.0 : tensor<3x4xf32>
  %a10 = tide.clamp %x min = -0.5 max = 0.25 : tensor<3x4xf32>
  %a11 = tide.minimum %x, %y : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %a12 = tide.maximum %y, %x : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s0 = tide.add %a0, %a1 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s1 = tide.mul %s0, %a2 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s2 = tide.add %s1, %a3 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s3 = tide.mul %s2, %a4 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s4 = tide.add %s3, %a5 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s5 = tide.mul %s4, %a6 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s6 = tide.add %s5, %a7 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s7 = tide.mul %s6, %a8 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s8 = tide.add %s7, %a9 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s9 = tide.mul %s8, %a10 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s10 = tide.add %s9, %a11 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s11 = tide.mul %s10, %a12 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %l = tide.mse_loss %s11, %t : tensor<3x4xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsGradientTest, ElementwiseOps) { check(kElementwise, 21, 1.0, kKinkStep); }

// A Llama-style fragment: token embeddings (gather), rms_norm, rope on [B, T, H, D] with partial
// rotary and an offset and on [B, H, T, D] with the inverse rotation, then slice / concat / pad
// to rebuild a tensor that reaches an mse loss.
constexpr const char *kLlamaFragment = R"mlir(
func.func @llama(%ids: tensor<2x3xi32>, %t: tensor<2x3x2x6xf32>,
                 %wte: tensor<7x8xf32> {tide.param}, %g: tensor<8xf32> {tide.param},
                 %w: tensor<8x12xf32> {tide.param}) -> tensor<f32> {
  %e = tide.gather %wte, %ids : tensor<7x8xf32>, tensor<2x3xi32>
  %n = tide.rms_norm %e, %g axis = -1 epsilon = 1.0e-05 : tensor<2x3x8xf32>, tensor<8xf32>
  %p = tide.matmul %n, %w : (tensor<2x3x8xf32>, tensor<8x12xf32>) -> tensor<2x3x12xf32>
  %q = tide.reshape %p : tensor<2x3x12xf32> -> tensor<2x3x2x6xf32>
  %r1 = tide.rope %q bthd base = 100.0 rot_dim = 4 offset = 2 : tensor<2x3x2x6xf32>
  %qt = tide.transpose %r1 permutation = [0, 2, 1, 3] : tensor<2x3x2x6xf32> -> tensor<2x2x3x6xf32>
  %r2 = tide.rope %qt bhtd base = 10000.0 rot_dim = 6 offset = 0 inverse : tensor<2x2x3x6xf32>
  %back = tide.transpose %r2 permutation = [0, 2, 1, 3] : tensor<2x2x3x6xf32> -> tensor<2x3x2x6xf32>
  %lo = tide.slice %back start = [0, 0, 0, 0] sizes = [2, 3, 2, 2] : tensor<2x3x2x6xf32> -> tensor<2x3x2x2xf32>
  %hi = tide.slice %back start = [0, 0, 0, 3] sizes = [2, 3, 2, 3] : tensor<2x3x2x6xf32> -> tensor<2x3x2x3xf32>
  %padded = tide.pad %lo low = [0, 0, 0, 0] high = [0, 0, 0, 1] value = 0.5 : tensor<2x3x2x2xf32> -> tensor<2x3x2x3xf32>
  %c = tide.concat %padded, %hi axis = -1 : tensor<2x3x2x3xf32>, tensor<2x3x2x3xf32> -> tensor<2x3x2x6xf32>
  %l = tide.mse_loss %c, %t : tensor<2x3x2x6xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsGradientTest, GatherRmsNormRopeSliceConcatPad) {
  check(kLlamaFragment, 5, 1.0, kSmoothStep);
}

// Dropout (two sites, one in front of a repeated use) and the fused LM head loss with a bias.
constexpr const char *kHeadWithDropout = R"mlir(
func.func @head(%x: tensor<6x4xf32>, %labels: tensor<6xi32>, %w1: tensor<4x4xf32> {tide.param},
                %wte: tensor<9x4xf32> {tide.param}, %b: tensor<9xf32> {tide.param})
    -> tensor<f32> {
  %h = tide.matmul %x, %w1 : (tensor<6x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %d = tide.dropout %h p = 0.25 site = 0 : tensor<6x4xf32>
  %s = tide.tanh %d : tensor<6x4xf32>
  %d2 = tide.dropout %s p = 0.5 site = 1 : tensor<6x4xf32>
  %l = tide.lm_head_loss %d2, %wte, %labels bias %b : tensor<9xf32> ignore_index = -100
      chunks = [4, 4] : tensor<6x4xf32>, tensor<9x4xf32>, tensor<6xi32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsGradientTest, DropoutAndLmHeadLossWithBias) {
  InterpreterOptions options;
  options.dropoutSeed = 0x1234abcd5678ULL;
  options.step = 3;
  check(kHeadWithDropout, 9, 1.0, kSmoothStep, {}, options);
}

// The fused head without a bias, with two of six rows ignored (label -100): they add nothing to
// the loss or the gradients, and the mean is over the four valid rows.
constexpr const char *kHeadIgnored = R"mlir(
func.func @head(%h: tensor<6x5xf32> {tide.param}, %labels: tensor<6xi32>,
                %w: tensor<11x5xf32> {tide.param}) -> tensor<f32> {
  %l = tide.lm_head_loss %h, %w, %labels ignore_index = -100 chunks = [4, 3]
      : tensor<6x5xf32>, tensor<11x5xf32>, tensor<6xi32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsGradientTest, LmHeadLossIgnoresRows) {
  check(kHeadIgnored, 17, 1.0, kSmoothStep, [](SmallVector<Tensor> &args) {
    args[1][1] = -100.0;
    args[1][4] = -100.0;
  });
}

} // namespace
