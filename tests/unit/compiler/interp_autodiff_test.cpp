//===- interp_autodiff_test.cpp - tide-autodiff gradients vs finite differences ===//
//
// Runs tide-autodiff (optimizer=none: the loss, then the gradient of every tide.param argument
// with `tide.grad_of = <argument index>`) on examples/mlp.mlir, examples/gpt_block.mlir and a
// small model that uses every differentiable forward op (with a tide.checkpoint region), then
// evaluates both functions on the reference interpreter with seeded random arguments and
// compares EVERY gradient element against central finite differences of the ORIGINAL
// function's loss (relative error <= 1e-4 in double).
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

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

using namespace mlir;
using namespace mlir::tide::interp;

namespace {

// Central differences in double with step h have a truncation error of about h^2/6 |L'''| and
// a rounding error of about (the loss's own rounding, ~1e-15 |L|) / h. Smooth models use
// h = 1e-4 (measured worst relative error ~4e-6 on gpt_block; at h = 1e-5 rounding noise of
// ~5e-10 absolute dominates). The MLP has ReLU kinks: a step must not carry a pre-activation
// across 0, so it uses h = 1e-5 (at 1e-4 one b1 element crosses a kink and is off by 2e-3).
//
// A purely relative bound would fail on gradient elements that are themselves ~1e-7 (weights
// feeding rarely active ReLU units, entries that nearly cancel): their finite difference is
// dominated by that noise. So the error is measured relative to max(|g|, 1e-5): elements above
// 1e-5 get the full 1e-4 relative bound, smaller ones an absolute 1e-9 (above the noise, and
// still 1e4x below the gradients' typical size).
constexpr double kSmoothStep = 1e-4;
constexpr double kReluStep = 1e-5;
constexpr double kTolerance = 1e-4;
constexpr double kTinyGradient = 1e-5;

class AutodiffGradientTest : public ::testing::Test {
protected:
  AutodiffGradientTest() { context.loadDialect<tide::TideDialect, func::FuncDialect>(); }

  OwningOpRef<ModuleOp> parseFile(const std::string &relativePath) {
    std::string path = std::string(TIDEMARK_SOURCE_DIR) + "/" + relativePath;
    auto module = parseSourceFile<ModuleOp>(path, &context);
    EXPECT_TRUE(module) << "cannot parse " << path;
    return module;
  }

  OwningOpRef<ModuleOp> parseText(const std::string &source) {
    auto module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "cannot parse:\n" << source;
    return module;
  }

  /// Runs tide-autodiff on every function of `module` (optimizer=none by default).
  LogicalResult differentiate(ModuleOp module, tide::AutodiffOptions options = noOptimizer()) {
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(tide::createAutodiff(options));
    return pm.run(module);
  }

  static tide::AutodiffOptions noOptimizer() {
    tide::AutodiffOptions options;
    options.optimizer = "none";
    return options;
  }

  /// The whole check on the function of `original` and of its differentiated copy `training`.
  /// The arguments in `zeroGradients` must have a zero gradient (by a symmetry of the model);
  /// every other parameter must have a gradient of a checkable size.
  /// `setArguments`, when given, edits the random arguments first (e.g. fixes key lengths).
  void checkGradients(ModuleOp original, ModuleOp training, uint64_t seed, double range,
                      double step, ArrayRef<int64_t> zeroGradients = {},
                      llvm::function_ref<void(SmallVectorImpl<Tensor> &)> setArguments = {});

  MLIRContext context;
};

func::FuncOp onlyFunction(ModuleOp module) { return cast<func::FuncOp>(module.getBody()->front()); }

/// The argument index that result `index` is the gradient of, or -1.
int64_t gradientOf(func::FuncOp function, unsigned index) {
  auto attr = function.getResultAttrOfType<IntegerAttr>(index, "tide.grad_of");
  return attr ? attr.getInt() : -1;
}

void AutodiffGradientTest::checkGradients(
    ModuleOp originalModule, ModuleOp trainingModule, uint64_t seed, double range, double step,
    ArrayRef<int64_t> zeroGradients,
    llvm::function_ref<void(SmallVectorImpl<Tensor> &)> setArguments) {
  func::FuncOp original = onlyFunction(originalModule), training = onlyFunction(trainingModule);
  auto args = makeRandomArguments(original, seed, range);
  ASSERT_TRUE(succeeded(args));
  if (setArguments)
    setArguments(*args);
  auto loss = evaluateLoss(original, *args);
  auto results = interpret(training, *args);
  ASSERT_TRUE(succeeded(loss) && succeeded(results));
  // The training step computes the same loss with the same ops in the same order.
  EXPECT_EQ((*results)[0][0], *loss);

  // Every tide.param argument gets exactly one gradient.
  llvm::SmallBitVector seen(original.getNumArguments());
  for (unsigned index = 1; index < results->size(); ++index) {
    int64_t argIndex = gradientOf(training, index);
    ASSERT_GE(argIndex, 0) << "result #" << index << " has no tide.grad_of";
    ASSERT_LT(argIndex, original.getNumArguments());
    EXPECT_TRUE(original.getArgAttr(argIndex, "tide.param")) << "argument #" << argIndex;
    EXPECT_FALSE(seen.test(argIndex)) << "two gradients of argument #" << argIndex;
    seen.set(argIndex);

    auto numeric = numericGradient(original, *args, argIndex, step);
    ASSERT_TRUE(succeeded(numeric));
    GradientComparison worst = compareGradients((*results)[index], *numeric, kTinyGradient);
    EXPECT_LE(worst.maxError, kTolerance)
        << "gradient of argument #" << argIndex << ", element " << worst.worstElement
        << ": autodiff " << worst.analytic << ", finite difference " << worst.numeric;
    double magnitude = 0.0;
    for (auto [analytic, numericValue] : llvm::zip_equal((*results)[index].data, numeric->data))
      magnitude = std::max({magnitude, std::fabs(analytic), std::fabs(numericValue)});
    if (llvm::is_contained(zeroGradients, argIndex))
      EXPECT_LT(magnitude, 1e-9) << "argument #" << argIndex << " should have a zero gradient";
    else
      EXPECT_GT(magnitude, 10 * kTinyGradient)
          << "argument #" << argIndex << " has a vacuous gradient";
  }
  for (unsigned argIndex = 0; argIndex < original.getNumArguments(); ++argIndex)
    if (original.getArgAttr(argIndex, "tide.param"))
      EXPECT_TRUE(seen.test(argIndex)) << "no gradient for parameter #" << argIndex;
}

TEST_F(AutodiffGradientTest, Mlp) {
  auto original = parseFile("examples/mlp.mlir");
  auto training = parseFile("examples/mlp.mlir");
  ASSERT_TRUE(original && training);
  ASSERT_TRUE(succeeded(differentiate(*training)));
  // Uniform [-0.25, 0.25) weights keep the 64-input pre-activations O(1) and the softmax away
  // from saturation, so every parameter has a sizable gradient.
  checkGradients(*original, *training, /*seed=*/5, /*range=*/0.25, kReluStep);
}

TEST_F(AutodiffGradientTest, GptBlock) {
  auto original = parseFile("examples/gpt_block.mlir");
  auto training = parseFile("examples/gpt_block.mlir");
  ASSERT_TRUE(original && training);
  ASSERT_TRUE(succeeded(differentiate(*training)));
  // The key bias %bk (argument #7) adds q . bk to every score of a query row, which the softmax
  // cancels: its gradient is exactly zero (up to rounding), and both sides must agree on that.
  checkGradients(*original, *training, /*seed=*/7, /*range=*/0.5, kSmoothStep,
                 /*zeroGradients=*/{7});
}

// Every differentiable forward op not already covered above: sub, div, mul with broadcasting,
// tanh, exp, exact GELU, softmax along a leading axis, layer norm over two dimensions,
// reduce_sum / reduce_mean with and without keep_dims, transposed and batch-broadcast matmuls,
// non-causal attention with seq_q != seq_k, cross-entropy over [rows..., classes], and a
// tide.checkpoint region.
constexpr const char *kEveryOp = R"mlir(
func.func @every_op(%x: tensor<2x3x4xf32>, %t: tensor<2x4x3xf32>, %labels: tensor<2x3xi32>,
                    %w: tensor<4x4xf32> {tide.param}, %s: tensor<3x4xf32> {tide.param},
                    %b: tensor<3x4xf32> {tide.param}, %d: tensor<4xf32> {tide.param},
                    %kv: tensor<2x1x5x4xf32> {tide.param}) -> tensor<f32> {
  %c = tide.checkpoint -> (tensor<2x3x4xf32>) {
    %m = tide.matmul %x, %w : (tensor<2x3x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>
    %g = tide.gelu %m exact : tensor<2x3x4xf32>
    tide.yield %g : tensor<2x3x4xf32>
  }
  %n = tide.layer_norm %c, %s, %b axis = 1 epsilon = 1.0e-05
      : tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
  %ed = tide.exp %d : tensor<4xf32>
  %r = tide.div %n, %ed : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %th = tide.tanh %r : tensor<2x3x4xf32>
  %diff = tide.sub %th, %c : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %sm = tide.softmax %diff axis = 1 : tensor<2x3x4xf32>
  %tr = tide.transpose %sm permutation = [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %mse = tide.mse_loss %tr, %t : tensor<2x4x3xf32>
  %rm = tide.reduce_mean %n axes = [2] keep_dims : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %mul = tide.mul %n, %rm : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %logits = tide.matmul %mul, %w transpose_rhs
      : (tensor<2x3x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>
  %ce = tide.softmax_cross_entropy %logits, %labels : tensor<2x3x4xf32>, tensor<2x3xi32>
  %q = tide.reshape %th : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %a = tide.attention %q, %kv, %kv scale = 0.5 chunks = [2, 2]
      : tensor<2x1x3x4xf32>, tensor<2x1x5x4xf32>, tensor<2x1x5x4xf32>
  %as = tide.reduce_sum %a axes = [1, 2, 3] : tensor<2x1x3x4xf32> -> tensor<2xf32>
  %asq = tide.mul %as, %as : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %am = tide.reduce_mean %asq axes = [0] : tensor<2xf32> -> tensor<f32>
  %l1 = tide.add %mse, %ce : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %l = tide.add %l1, %am : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

// Grouped-query attention with key padding: 4 query heads over 2 kv heads (group 2), 5 queries
// over 6 keys, batch item 0 padded to 3 keys and item 1 unpadded, once causal (query i sees
// j <= min(i + 1, len - 1): item 0's queries 2..4 see keys 0..2) and once not, plus a
// multi-query attention (1 kv head) whose item 0 has no visible key at all (length 0: output 0,
// zero gradients). The padded keys 3..5 of item 0 and every key of the length-0 item get a zero
// gradient in k and v; both sides must agree element by element.
constexpr const char *kGroupedPaddedAttention = R"mlir(
func.func @gqa(%lengths: tensor<2xi32>, %lengths0: tensor<2xi32>,
               %q: tensor<2x4x5x4xf32> {tide.param}, %k: tensor<2x2x6x4xf32> {tide.param},
               %v: tensor<2x2x6x4xf32> {tide.param}, %k1: tensor<2x1x6x4xf32> {tide.param})
    -> tensor<f32> {
  %a = tide.attention %q, %k, %v key_lengths %lengths : tensor<2xi32> causal scale = 0.5
      chunks = [2, 4] : tensor<2x4x5x4xf32>, tensor<2x2x6x4xf32>, tensor<2x2x6x4xf32>
  %b = tide.attention %q, %k, %v key_lengths %lengths : tensor<2xi32> scale = 0.5
      chunks = [3, 2] : tensor<2x4x5x4xf32>, tensor<2x2x6x4xf32>, tensor<2x2x6x4xf32>
  %c = tide.attention %q, %k1, %k1 key_lengths %lengths0 : tensor<2xi32> causal scale = 0.5
      chunks = [4, 4] : tensor<2x4x5x4xf32>, tensor<2x1x6x4xf32>, tensor<2x1x6x4xf32>
  %ab = tide.mul %a, %b : (tensor<2x4x5x4xf32>, tensor<2x4x5x4xf32>) -> tensor<2x4x5x4xf32>
  %abc = tide.add %ab, %c : (tensor<2x4x5x4xf32>, tensor<2x4x5x4xf32>) -> tensor<2x4x5x4xf32>
  %t = tide.tanh %abc : tensor<2x4x5x4xf32>
  %s = tide.reduce_sum %t axes = [0, 1, 2, 3] : tensor<2x4x5x4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
)mlir";

TEST_F(AutodiffGradientTest, GroupedQueryAttentionWithKeyPadding) {
  auto original = parseText(kGroupedPaddedAttention);
  auto training = parseText(kGroupedPaddedAttention);
  ASSERT_TRUE(original && training);
  ASSERT_TRUE(succeeded(differentiate(*training)));
  auto setLengths = [](SmallVectorImpl<Tensor> &args) {
    args[0] = Tensor({2}, {3.0, 6.0});
    args[1] = Tensor({2}, {0.0, 4.0});
  };
  checkGradients(*original, *training, /*seed=*/11, /*range=*/1.0, kSmoothStep, {}, setLengths);

  // The padded keys and values get exactly zero gradient, and the interpreter rejects a length
  // outside [0, seq_k] instead of reading past the keys.
  func::FuncOp function = onlyFunction(*training);
  auto args = makeRandomArguments(function, 11, 1.0);
  ASSERT_TRUE(succeeded(args));
  setLengths(*args);
  auto results = interpret(function, *args);
  ASSERT_TRUE(succeeded(results));
  for (unsigned index = 1; index < results->size(); ++index) {
    int64_t arg = gradientOf(function, index);
    if (arg != 3 && arg != 4)
      continue;
    const Tensor &grad = (*results)[index];
    double padded = 0.0, kept = 0.0;
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t j = 0; j < 6; ++j)
        for (int64_t d = 0; d < 4; ++d) {
          double g = std::fabs(grad[((0 * 2 + h) * 6 + j) * 4 + d]);
          (j >= 3 ? padded : kept) = std::max(j >= 3 ? padded : kept, g);
        }
    EXPECT_EQ(padded, 0.0) << "argument #" << arg;
    EXPECT_GT(kept, 1e-3) << "argument #" << arg;
  }
  (*args)[0] = Tensor({2}, {3.0, 7.0});
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  EXPECT_TRUE(failed(interpret(function, *args)));
}

TEST_F(AutodiffGradientTest, EveryDifferentiableOp) {
  auto original = parseText(kEveryOp);
  auto training = parseText(kEveryOp);
  ASSERT_TRUE(original && training);
  ASSERT_TRUE(succeeded(differentiate(*training)));
  checkGradients(*original, *training, /*seed=*/3, /*range=*/1.0, kSmoothStep);
}

// A 2-layer GPT with an LM head and one tide.checkpoint region per block, produced by
//   tide-models gpt --layers 2 --d-model 16 --heads 2 --d-ff 32 --seq 6 --batch 2 --vocab 11
//       --checkpoint per-block --attention-chunk 4
// (chunks of 4 do not divide the sequence of 6; the model's loss is cross-entropy over
// [batch, seq] rows of 11 classes). 4,656 parameters, each checked.
constexpr const char *kTwoLayerGpt = R"mlir(
func.func @gpt(
    %x: tensor<2x6x16xf32>,
    %labels: tensor<2x6xi32>,
    %blocks.0.ln1.weight: tensor<16xf32> {tide.param},
    %blocks.0.ln1.bias: tensor<16xf32> {tide.param},
    %blocks.0.attn.q.weight: tensor<16x16xf32> {tide.param},
    %blocks.0.attn.q.bias: tensor<16xf32> {tide.param},
    %blocks.0.attn.k.weight: tensor<16x16xf32> {tide.param},
    %blocks.0.attn.k.bias: tensor<16xf32> {tide.param},
    %blocks.0.attn.v.weight: tensor<16x16xf32> {tide.param},
    %blocks.0.attn.v.bias: tensor<16xf32> {tide.param},
    %blocks.0.attn.out.weight: tensor<16x16xf32> {tide.param},
    %blocks.0.attn.out.bias: tensor<16xf32> {tide.param},
    %blocks.0.ln2.weight: tensor<16xf32> {tide.param},
    %blocks.0.ln2.bias: tensor<16xf32> {tide.param},
    %blocks.0.mlp.fc1.weight: tensor<16x32xf32> {tide.param},
    %blocks.0.mlp.fc1.bias: tensor<32xf32> {tide.param},
    %blocks.0.mlp.fc2.weight: tensor<32x16xf32> {tide.param},
    %blocks.0.mlp.fc2.bias: tensor<16xf32> {tide.param},
    %blocks.1.ln1.weight: tensor<16xf32> {tide.param},
    %blocks.1.ln1.bias: tensor<16xf32> {tide.param},
    %blocks.1.attn.q.weight: tensor<16x16xf32> {tide.param},
    %blocks.1.attn.q.bias: tensor<16xf32> {tide.param},
    %blocks.1.attn.k.weight: tensor<16x16xf32> {tide.param},
    %blocks.1.attn.k.bias: tensor<16xf32> {tide.param},
    %blocks.1.attn.v.weight: tensor<16x16xf32> {tide.param},
    %blocks.1.attn.v.bias: tensor<16xf32> {tide.param},
    %blocks.1.attn.out.weight: tensor<16x16xf32> {tide.param},
    %blocks.1.attn.out.bias: tensor<16xf32> {tide.param},
    %blocks.1.ln2.weight: tensor<16xf32> {tide.param},
    %blocks.1.ln2.bias: tensor<16xf32> {tide.param},
    %blocks.1.mlp.fc1.weight: tensor<16x32xf32> {tide.param},
    %blocks.1.mlp.fc1.bias: tensor<32xf32> {tide.param},
    %blocks.1.mlp.fc2.weight: tensor<32x16xf32> {tide.param},
    %blocks.1.mlp.fc2.bias: tensor<16xf32> {tide.param},
    %ln_f.weight: tensor<16xf32> {tide.param},
    %ln_f.bias: tensor<16xf32> {tide.param},
    %head.weight: tensor<16x11xf32> {tide.param})
    -> tensor<f32> attributes {tide.input_names = ["x", "labels"], tide.param_names = ["blocks.0.ln1.weight", "blocks.0.ln1.bias", "blocks.0.attn.q.weight", "blocks.0.attn.q.bias", "blocks.0.attn.k.weight", "blocks.0.attn.k.bias", "blocks.0.attn.v.weight", "blocks.0.attn.v.bias", "blocks.0.attn.out.weight", "blocks.0.attn.out.bias", "blocks.0.ln2.weight", "blocks.0.ln2.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias", "blocks.1.ln1.weight", "blocks.1.ln1.bias", "blocks.1.attn.q.weight", "blocks.1.attn.q.bias", "blocks.1.attn.k.weight", "blocks.1.attn.k.bias", "blocks.1.attn.v.weight", "blocks.1.attn.v.bias", "blocks.1.attn.out.weight", "blocks.1.attn.out.bias", "blocks.1.ln2.weight", "blocks.1.ln2.bias", "blocks.1.mlp.fc1.weight", "blocks.1.mlp.fc1.bias", "blocks.1.mlp.fc2.weight", "blocks.1.mlp.fc2.bias", "ln_f.weight", "ln_f.bias", "head.weight"]} {
  %0 = tide.checkpoint -> (tensor<2x6x16xf32>) {
    %1 = tide.layer_norm %x, %blocks.0.ln1.weight, %blocks.0.ln1.bias axis = -1 epsilon = 1.0e-05 : tensor<2x6x16xf32>, tensor<16xf32>, tensor<16xf32>
    %2 = tide.matmul %1, %blocks.0.attn.q.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %3 = tide.add %2, %blocks.0.attn.q.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %4 = tide.matmul %1, %blocks.0.attn.k.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %5 = tide.add %4, %blocks.0.attn.k.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %6 = tide.matmul %1, %blocks.0.attn.v.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %7 = tide.add %6, %blocks.0.attn.v.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %8 = tide.reshape %3 : tensor<2x6x16xf32> -> tensor<2x6x2x8xf32>
    %9 = tide.transpose %8 permutation = [0, 2, 1, 3] : tensor<2x6x2x8xf32> -> tensor<2x2x6x8xf32>
    %10 = tide.reshape %5 : tensor<2x6x16xf32> -> tensor<2x6x2x8xf32>
    %11 = tide.transpose %10 permutation = [0, 2, 1, 3] : tensor<2x6x2x8xf32> -> tensor<2x2x6x8xf32>
    %12 = tide.reshape %7 : tensor<2x6x16xf32> -> tensor<2x6x2x8xf32>
    %13 = tide.transpose %12 permutation = [0, 2, 1, 3] : tensor<2x6x2x8xf32> -> tensor<2x2x6x8xf32>
    %14 = tide.attention %9, %11, %13 causal scale = 0.35355339059327373 chunks = [4, 4] : tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>
    %15 = tide.transpose %14 permutation = [0, 2, 1, 3] : tensor<2x2x6x8xf32> -> tensor<2x6x2x8xf32>
    %16 = tide.reshape %15 : tensor<2x6x2x8xf32> -> tensor<2x6x16xf32>
    %17 = tide.matmul %16, %blocks.0.attn.out.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %18 = tide.add %17, %blocks.0.attn.out.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %19 = tide.add %x, %18 : (tensor<2x6x16xf32>, tensor<2x6x16xf32>) -> tensor<2x6x16xf32>
    %20 = tide.layer_norm %19, %blocks.0.ln2.weight, %blocks.0.ln2.bias axis = -1 epsilon = 1.0e-05 : tensor<2x6x16xf32>, tensor<16xf32>, tensor<16xf32>
    %21 = tide.matmul %20, %blocks.0.mlp.fc1.weight : (tensor<2x6x16xf32>, tensor<16x32xf32>) -> tensor<2x6x32xf32>
    %22 = tide.add %21, %blocks.0.mlp.fc1.bias : (tensor<2x6x32xf32>, tensor<32xf32>) -> tensor<2x6x32xf32>
    %23 = tide.gelu %22 tanh : tensor<2x6x32xf32>
    %24 = tide.matmul %23, %blocks.0.mlp.fc2.weight : (tensor<2x6x32xf32>, tensor<32x16xf32>) -> tensor<2x6x16xf32>
    %25 = tide.add %24, %blocks.0.mlp.fc2.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %26 = tide.add %19, %25 : (tensor<2x6x16xf32>, tensor<2x6x16xf32>) -> tensor<2x6x16xf32>
    tide.yield %26 : tensor<2x6x16xf32>
  }
  %27 = tide.checkpoint -> (tensor<2x6x16xf32>) {
    %28 = tide.layer_norm %0, %blocks.1.ln1.weight, %blocks.1.ln1.bias axis = -1 epsilon = 1.0e-05 : tensor<2x6x16xf32>, tensor<16xf32>, tensor<16xf32>
    %29 = tide.matmul %28, %blocks.1.attn.q.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %30 = tide.add %29, %blocks.1.attn.q.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %31 = tide.matmul %28, %blocks.1.attn.k.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %32 = tide.add %31, %blocks.1.attn.k.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %33 = tide.matmul %28, %blocks.1.attn.v.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %34 = tide.add %33, %blocks.1.attn.v.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %35 = tide.reshape %30 : tensor<2x6x16xf32> -> tensor<2x6x2x8xf32>
    %36 = tide.transpose %35 permutation = [0, 2, 1, 3] : tensor<2x6x2x8xf32> -> tensor<2x2x6x8xf32>
    %37 = tide.reshape %32 : tensor<2x6x16xf32> -> tensor<2x6x2x8xf32>
    %38 = tide.transpose %37 permutation = [0, 2, 1, 3] : tensor<2x6x2x8xf32> -> tensor<2x2x6x8xf32>
    %39 = tide.reshape %34 : tensor<2x6x16xf32> -> tensor<2x6x2x8xf32>
    %40 = tide.transpose %39 permutation = [0, 2, 1, 3] : tensor<2x6x2x8xf32> -> tensor<2x2x6x8xf32>
    %41 = tide.attention %36, %38, %40 causal scale = 0.35355339059327373 chunks = [4, 4] : tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>
    %42 = tide.transpose %41 permutation = [0, 2, 1, 3] : tensor<2x2x6x8xf32> -> tensor<2x6x2x8xf32>
    %43 = tide.reshape %42 : tensor<2x6x2x8xf32> -> tensor<2x6x16xf32>
    %44 = tide.matmul %43, %blocks.1.attn.out.weight : (tensor<2x6x16xf32>, tensor<16x16xf32>) -> tensor<2x6x16xf32>
    %45 = tide.add %44, %blocks.1.attn.out.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %46 = tide.add %0, %45 : (tensor<2x6x16xf32>, tensor<2x6x16xf32>) -> tensor<2x6x16xf32>
    %47 = tide.layer_norm %46, %blocks.1.ln2.weight, %blocks.1.ln2.bias axis = -1 epsilon = 1.0e-05 : tensor<2x6x16xf32>, tensor<16xf32>, tensor<16xf32>
    %48 = tide.matmul %47, %blocks.1.mlp.fc1.weight : (tensor<2x6x16xf32>, tensor<16x32xf32>) -> tensor<2x6x32xf32>
    %49 = tide.add %48, %blocks.1.mlp.fc1.bias : (tensor<2x6x32xf32>, tensor<32xf32>) -> tensor<2x6x32xf32>
    %50 = tide.gelu %49 tanh : tensor<2x6x32xf32>
    %51 = tide.matmul %50, %blocks.1.mlp.fc2.weight : (tensor<2x6x32xf32>, tensor<32x16xf32>) -> tensor<2x6x16xf32>
    %52 = tide.add %51, %blocks.1.mlp.fc2.bias : (tensor<2x6x16xf32>, tensor<16xf32>) -> tensor<2x6x16xf32>
    %53 = tide.add %46, %52 : (tensor<2x6x16xf32>, tensor<2x6x16xf32>) -> tensor<2x6x16xf32>
    tide.yield %53 : tensor<2x6x16xf32>
  }
  %54 = tide.layer_norm %27, %ln_f.weight, %ln_f.bias axis = -1 epsilon = 1.0e-05 : tensor<2x6x16xf32>, tensor<16xf32>, tensor<16xf32>
  %55 = tide.matmul %54, %head.weight : (tensor<2x6x16xf32>, tensor<16x11xf32>) -> tensor<2x6x11xf32>
  %56 = tide.softmax_cross_entropy %55, %labels : tensor<2x6x11xf32>, tensor<2x6xi32>
  return %56 : tensor<f32>
}
)mlir";

TEST_F(AutodiffGradientTest, TwoLayerGptWithCheckpoints) {
  auto original = parseText(kTwoLayerGpt);
  auto training = parseText(kTwoLayerGpt);
  ASSERT_TRUE(original && training);
  ASSERT_TRUE(succeeded(differentiate(*training)));
  // Both blocks' key biases (arguments #7 and #23) have zero gradients, as in gpt_block.
  checkGradients(*original, *training, /*seed=*/13, /*range=*/0.5, kSmoothStep,
                 /*zeroGradients=*/{7, 23});
}

//===----------------------------------------------------------------------===//
// The optimizer step applies the checked gradients to the right parameters and states
//===----------------------------------------------------------------------===//

/// New parameter and states of one element after one step, written from the ODS formulas
/// (PyTorch conventions). `first`/`second` are the velocity, or Adam's m and v.
struct ElementUpdate {
  double param, first, second;
};

ElementUpdate expectedUpdate(const tide::AutodiffOptions &o, double param, double grad,
                             double first, double second, int64_t step) {
  double g = grad + o.weightDecay * param;
  if (o.optimizer == "sgd" && o.momentum == 0.0)
    return {param - o.learningRate * g, 0.0, 0.0};
  if (o.optimizer == "sgd") {
    double velocity = o.momentum * first + g;
    return {param - o.learningRate * velocity, velocity, 0.0};
  }
  double m = o.beta1 * first + (1 - o.beta1) * g;
  double v = o.beta2 * second + (1 - o.beta2) * g * g;
  double mHat = m / (1 - std::pow(o.beta1, step)), vHat = v / (1 - std::pow(o.beta2, step));
  return {param - o.learningRate * mHat / (std::sqrt(vHat) + o.epsilon), m, v};
}

TEST_F(AutodiffGradientTest, OptimizerStepsApplyTheGradients) {
  tide::AutodiffOptions sgd, momentum, adam;
  sgd.optimizer = "sgd";
  sgd.learningRate = 0.1;
  momentum = sgd;
  momentum.momentum = 0.9;
  momentum.weightDecay = 0.01;
  adam.optimizer = "adam";
  adam.learningRate = 1e-3;
  adam.weightDecay = 0.01;
  for (const tide::AutodiffOptions &options : {sgd, momentum, adam}) {
    SCOPED_TRACE(options.optimizer + " momentum " + std::to_string(options.momentum));
    auto gradModule = parseFile("examples/mlp.mlir");
    auto stepModule = parseFile("examples/mlp.mlir");
    ASSERT_TRUE(gradModule && stepModule);
    ASSERT_TRUE(succeeded(differentiate(*gradModule)) &&
                succeeded(differentiate(*stepModule, options)));
    func::FuncOp gradients = onlyFunction(*gradModule), step = onlyFunction(*stepModule);
    auto args = makeRandomArguments(step, /*seed=*/11, /*range=*/0.25);
    ASSERT_TRUE(succeeded(args));
    auto grads =
        interpret(gradients, ArrayRef<Tensor>(*args).take_front(gradients.getNumArguments()));
    InterpreterOptions interpreterOptions;
    interpreterOptions.step = 3;
    auto results = interpret(step, *args, interpreterOptions);
    ASSERT_TRUE(succeeded(grads) && succeeded(results));
    EXPECT_EQ((*results)[0][0], (*grads)[0][0]); // the same loss

    // Where each parameter's gradient and states are.
    DenseMap<int64_t, const Tensor *> gradientOfParam;
    for (unsigned index = 1; index < grads->size(); ++index)
      gradientOfParam[gradientOf(gradients, index)] = &(*grads)[index];
    // The state arguments of each parameter by kind: slot 1 is the velocity or Adam's m, slot 2
    // Adam's v (-1: none).
    DenseMap<int64_t, std::array<int64_t, 3>> slotsOfParam;
    unsigned stateCount = 0;
    for (unsigned arg = 0; arg < step.getNumArguments(); ++arg) {
      auto owner = step.getArgAttrOfType<IntegerAttr>(arg, "tide.state_of");
      auto kind = step.getArgAttrOfType<StringAttr>(arg, "tide.state");
      if (!owner || !kind)
        continue;
      auto &slots = slotsOfParam.try_emplace(owner.getInt(), std::array<int64_t, 3>{-1, -1, -1})
                        .first->second;
      slots[kind.getValue() == "adam_v" ? 2 : 1] = arg;
      ++stateCount;
    }

    unsigned checked = 0;
    for (unsigned index = 1; index < results->size(); ++index) {
      auto updates = step.getResultAttrOfType<IntegerAttr>(index, "tide.updates");
      ASSERT_TRUE(updates) << "result #" << index;
      int64_t target = updates.getInt();
      auto owner = step.getArgAttrOfType<IntegerAttr>(target, "tide.state_of");
      int64_t param = owner ? owner.getInt() : target;
      ASSERT_TRUE(gradientOfParam.count(param)) << "result #" << index;
      std::array<int64_t, 3> slots = {-1, -1, -1};
      if (auto found = slotsOfParam.find(param); found != slotsOfParam.end())
        slots = found->second;
      int64_t slot = !owner ? 0 : target == slots[1] ? 1 : 2;
      for (int64_t i = 0; i < (*results)[index].numElements(); ++i) {
        double first = slots[1] >= 0 ? (*args)[slots[1]][i] : 0.0;
        double second = slots[2] >= 0 ? (*args)[slots[2]][i] : 0.0;
        ElementUpdate expected = expectedUpdate(options, (*args)[param][i],
                                                (*gradientOfParam[param])[i], first, second, 3);
        double want = slot == 0 ? expected.param : slot == 1 ? expected.first : expected.second;
        ASSERT_NEAR((*results)[index][i], want, 1e-12 * std::max(1.0, std::fabs(want)))
            << "result #" << index << " element " << i;
      }
      ++checked;
    }
    // Every parameter, and each of its states, is updated once.
    EXPECT_EQ(checked, 4 + stateCount);
  }
}

} // namespace
