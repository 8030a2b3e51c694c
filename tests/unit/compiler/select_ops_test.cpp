//===- select_ops_test.cpp - split, where, reduce_max and cast in the compiler ===//
//
// For each op: its interpreter semantics on values worked out by hand, its cost, and its
// gradient rule (tide-autodiff with optimizer=none) against central finite differences of the
// original loss on the reference interpreter (relative error <= 1e-4 in double, measured
// against max(|g|, 1e-5), as model_ops_autodiff_test.cpp).
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/interp/GradientCheck.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/interp/RandomArguments.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
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

constexpr double kStep = 1e-5;
constexpr double kTolerance = 1e-4;
constexpr double kTinyGradient = 1e-5;

class SelectOpsTest : public ::testing::Test {
protected:
  SelectOpsTest() { context.loadDialect<tide::TideDialect, func::FuncDialect>(); }

  OwningOpRef<ModuleOp> parse(const std::string &source) {
    auto module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "cannot parse:\n" << source;
    return module;
  }

  static func::FuncOp onlyFunction(ModuleOp module) {
    return cast<func::FuncOp>(module.getBody()->front());
  }

  /// The results of the only function of `source` on `args`.
  SmallVector<Tensor> run(const std::string &source, ArrayRef<Tensor> args) {
    auto module = parse(source);
    if (!module)
      return {};
    auto results = interpret(onlyFunction(*module), args);
    EXPECT_TRUE(succeeded(results));
    return succeeded(results) ? *results : SmallVector<Tensor>{};
  }

  /// Differentiates `source` (optimizer=none) and checks every parameter's gradient against
  /// finite differences on `args` (seeded random arguments, then `adjust`ed). Returns the
  /// gradients.
  SmallVector<Tensor> check(const std::string &source, uint64_t seed,
                            const std::function<void(SmallVector<Tensor> &)> &adjust = {});

  MLIRContext context;
};

SmallVector<Tensor> SelectOpsTest::check(const std::string &source, uint64_t seed,
                                         const std::function<void(SmallVector<Tensor> &)> &adjust) {
  auto originalModule = parse(source), trainingModule = parse(source);
  if (!originalModule || !trainingModule)
    return {};
  tide::AutodiffOptions options;
  options.optimizer = "none";
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(tide::createAutodiff(options));
  EXPECT_TRUE(succeeded(pm.run(*trainingModule)));
  func::FuncOp original = onlyFunction(*originalModule);
  func::FuncOp training = onlyFunction(*trainingModule);
  auto args = makeRandomArguments(original, seed, 1.0);
  EXPECT_TRUE(succeeded(args));
  if (failed(args))
    return {};
  if (adjust)
    adjust(*args);
  auto loss = evaluateLoss(original, *args);
  auto results = interpret(training, *args);
  EXPECT_TRUE(succeeded(loss) && succeeded(results));
  if (failed(loss) || failed(results))
    return {};
  EXPECT_EQ((*results)[0][0], *loss) << "the training step computes the same loss";
  SmallVector<Tensor> gradients;
  for (unsigned index = 1; index < results->size(); ++index) {
    auto gradOf = training.getResultAttrOfType<IntegerAttr>(index, "tide.grad_of");
    EXPECT_TRUE(gradOf);
    if (!gradOf)
      continue;
    unsigned argIndex = gradOf.getInt();
    auto numeric = numericGradient(original, *args, argIndex, kStep);
    EXPECT_TRUE(succeeded(numeric));
    if (failed(numeric))
      continue;
    GradientComparison worst = compareGradients((*results)[index], *numeric, kTinyGradient);
    EXPECT_LE(worst.maxError, kTolerance)
        << "gradient of argument #" << argIndex << ", element " << worst.worstElement
        << ": autodiff " << worst.analytic << ", finite difference " << worst.numeric;
    gradients.push_back((*results)[index]);
  }
  return gradients;
}

//===----------------------------------------------------------------------===//
// split
//===----------------------------------------------------------------------===//

constexpr const char *kSplitValues = R"mlir(
func.func @split(%x: tensor<2x5xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>, tensor<1x5xf32>) {
  %a, %b = tide.split %x axis = -1 sizes = [2, 3] : tensor<2x5xf32> -> tensor<2x2xf32>, tensor<2x3xf32>
  %r0, %r1 = tide.split %x axis = 0 sizes = [1, 1] : tensor<2x5xf32> -> tensor<1x5xf32>, tensor<1x5xf32>
  return %a, %b, %r1 : tensor<2x2xf32>, tensor<2x3xf32>, tensor<1x5xf32>
}
)mlir";

TEST_F(SelectOpsTest, SplitSemantics) {
  // x[i][j] = 10 i + j.
  SmallVector<Tensor> results =
      run(kSplitValues, {Tensor({2, 5}, {0, 1, 2, 3, 4, 10, 11, 12, 13, 14})});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].data, (std::vector<double>{0, 1, 10, 11}));
  EXPECT_EQ(results[1].data, (std::vector<double>{2, 3, 4, 12, 13, 14}));
  EXPECT_EQ(results[2].data, (std::vector<double>{10, 11, 12, 13, 14}));
}

TEST_F(SelectOpsTest, SplitCostsNoFlops) {
  auto module = parse(kSplitValues);
  ASSERT_TRUE(module);
  auto split = *onlyFunction(*module).getOps<tide::SplitOp>().begin();
  auto cost = cast<tide::TideCostOpInterface>(split.getOperation());
  EXPECT_EQ(cost.getFlops(), 0);
  EXPECT_EQ(cost.getBytesRead(), 40);    // 10 floats in
  EXPECT_EQ(cost.getBytesWritten(), 40); // and 4 + 6 out
}

// Three pieces: the first used twice, the second not at all (its gradient slab must be 0), the
// third through a nonlinearity. The split of %x along axis 0 reaches the loss only through
// its second result, so the driver must differentiate it from that result alone.
constexpr const char *kSplitGradient = R"mlir(
func.func @split(%x: tensor<3x7xf32> {tide.param}, %t: tensor<3x2xf32>) -> tensor<f32> {
  %a, %unused, %c = tide.split %x axis = 1 sizes = [2, 1, 4]
      : tensor<3x7xf32> -> tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x4xf32>
  %sq = tide.mul %a, %a : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  %th = tide.tanh %c : tensor<3x4xf32>
  %s = tide.reduce_sum %th axes = [1] keep_dims : tensor<3x4xf32> -> tensor<3x1xf32>
  %y = tide.mul %sq, %s : (tensor<3x2xf32>, tensor<3x1xf32>) -> tensor<3x2xf32>
  %r0, %r1 = tide.split %x axis = 0 sizes = [1, 2] : tensor<3x7xf32> -> tensor<1x7xf32>, tensor<2x7xf32>
  %e = tide.exp %r1 : tensor<2x7xf32>
  %m = tide.reduce_mean %e axes = [0, 1] : tensor<2x7xf32> -> tensor<f32>
  %l0 = tide.mse_loss %y, %t : tensor<3x2xf32>
  %l = tide.add %l0, %m : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsTest, SplitGradientMatchesFiniteDifferences) {
  SmallVector<Tensor> gradients = check(kSplitGradient, 31);
  ASSERT_EQ(gradients.size(), 1u);
  // Column 2 of row 0 reaches the loss through neither split: exactly zero.
  EXPECT_EQ(gradients[0][2], 0.0);
  EXPECT_NE(gradients[0][0], 0.0);
  EXPECT_NE(gradients[0][7 + 2], 0.0); // Row 1 reaches it through %r1.
}

//===----------------------------------------------------------------------===//
// where
//===----------------------------------------------------------------------===//

constexpr const char *kWhereValues = R"mlir(
func.func @where(%m: tensor<2x1xi32>, %x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<2x3xf32> {
  %w = tide.where %m, %x, %y : (tensor<2x1xi32>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %w : tensor<2x3xf32>
}
)mlir";

TEST_F(SelectOpsTest, WhereSemantics) {
  // Row 0's mask is -3 (nonzero: true), row 1's is 0: row 0 from x, row 1 from y broadcast.
  SmallVector<Tensor> results =
      run(kWhereValues,
          {Tensor({2, 1}, {-3, 0}), Tensor({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor({3}, {7, 8, 9})});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].data, (std::vector<double>{1, 2, 3, 7, 8, 9}));
  auto module = parse(kWhereValues);
  ASSERT_TRUE(module);
  auto where = *onlyFunction(*module).getOps<tide::WhereOp>().begin();
  auto cost = cast<tide::TideCostOpInterface>(where.getOperation());
  EXPECT_EQ(cost.getFlops(), 6);                   // one select per output
  EXPECT_EQ(cost.getBytesRead(), (2 + 6 + 3) * 4); // mask, x, y
  EXPECT_EQ(cost.getBytesWritten(), 6 * 4);
}

// Both value operands are parameters and broadcast ([4] against [3, 4], and a [3, 1] column);
// the mask is an input (no gradient) broadcast along the rows. Each gradient is dY where its side
// was selected, summed to its shape.
constexpr const char *kWhereGradient = R"mlir(
func.func @where(%m: tensor<3x4xi32>, %a: tensor<4xf32> {tide.param}, %b: tensor<3x1xf32> {tide.param},
                 %t: tensor<3x4xf32>) -> tensor<f32> {
  %e = tide.exp %a : tensor<4xf32>
  %w = tide.where %m, %e, %b : (tensor<3x4xi32>, tensor<4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %y = tide.mul %w, %w : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %l = tide.mse_loss %y, %t : tensor<3x4xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsTest, WhereGradientMatchesFiniteDifferences) {
  bool mixed = false;
  SmallVector<Tensor> gradients = check(kWhereGradient, 41, [&](SmallVector<Tensor> &args) {
    // A mask with both values in every row and column, and column 3 never selected from a.
    args[0] = Tensor({3, 4}, {1, 0, 5, 0, 0, 1, 1, 0, 1, 1, 0, 0});
    mixed = true;
  });
  ASSERT_TRUE(mixed);
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_EQ(gradients[0][3], 0.0) << "a[3] is never selected";
  EXPECT_NE(gradients[0][0], 0.0);
  EXPECT_NE(gradients[1][0], 0.0);
}

//===----------------------------------------------------------------------===//
// reduce_max
//===----------------------------------------------------------------------===//

constexpr const char *kReduceMaxValues = R"mlir(
func.func @max(%x: tensor<2x3xf32>, %d: tensor<2xf32>) -> (tensor<2xf32>, tensor<1x3xf32>, tensor<2x3xf32>) {
  %rows = tide.reduce_max %x axis = 1 : tensor<2x3xf32> -> tensor<2xf32>
  %cols = tide.reduce_max %x axis = -2 keep_dims : tensor<2x3xf32> -> tensor<1x3xf32>
  %g = tide.reduce_max_grad %x, %d axis = 1 : tensor<2x3xf32>, tensor<2xf32>
  return %rows, %cols, %g : tensor<2xf32>, tensor<1x3xf32>, tensor<2x3xf32>
}
)mlir";

TEST_F(SelectOpsTest, ReduceMaxSemantics) {
  // Row 0 ties at columns 1 and 2 (the first takes the gradient); row 1 has a NaN at column 2,
  // which propagates and takes row 1's gradient; column 2's maximum is NaN too.
  SmallVector<Tensor> results =
      run(kReduceMaxValues, {Tensor({2, 3}, {1, 5, 5, -1, -4, NAN}), Tensor({2}, {10, 20})});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0][0], 5.0);
  EXPECT_TRUE(std::isnan(results[0][1]));
  EXPECT_EQ(results[1][0], 1.0);
  EXPECT_EQ(results[1][1], 5.0);
  EXPECT_TRUE(std::isnan(results[1][2]));
  EXPECT_EQ(results[2].data, (std::vector<double>{0, 10, 0, 0, 0, 20}));
  auto module = parse(kReduceMaxValues);
  ASSERT_TRUE(module);
  auto max = *onlyFunction(*module).getOps<tide::ReduceMaxOp>().begin();
  EXPECT_EQ(cast<tide::TideCostOpInterface>(max.getOperation()).getFlops(), 6 - 2);
  auto grad = *onlyFunction(*module).getOps<tide::ReduceMaxGradOp>().begin();
  EXPECT_EQ(cast<tide::TideCostOpInterface>(grad.getOperation()).getFlops(), 6);
}

// reduce_max over the last axis (keep_dims) and over the first (dropped), both on the gradient
// path. The seeded values have no ties and every maximum leads its runner-up by far more than
// the finite-difference step, so the derivative is defined and FD measures it.
constexpr const char *kReduceMaxGradient = R"mlir(
func.func @max(%x: tensor<3x5xf32> {tide.param}, %t: tensor<3x5xf32>) -> tensor<f32> {
  %m = tide.reduce_max %x axis = -1 keep_dims : tensor<3x5xf32> -> tensor<3x1xf32>
  %c = tide.sub %x, %m : (tensor<3x5xf32>, tensor<3x1xf32>) -> tensor<3x5xf32>
  %e = tide.exp %c : tensor<3x5xf32>
  %col = tide.reduce_max %e axis = 0 : tensor<3x5xf32> -> tensor<5xf32>
  %y = tide.mul %e, %col : (tensor<3x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  %l = tide.mse_loss %y, %t : tensor<3x5xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsTest, ReduceMaxGradientMatchesFiniteDifferences) {
  SmallVector<Tensor> gradients = check(kReduceMaxGradient, 51, [](SmallVector<Tensor> &args) {
    // No near ties: x = 0.9 sin(1.7 i + 0.3) puts each row's maximum at least 0.16 above its
    // runner-up, and each column maximum of exp(x - row max) at least 0.13 above its runner-up
    // (worked out in double), far beyond the step of 1e-5.
    for (int i = 0; i < 15; ++i)
      args[0][i] = 0.9 * std::sin(1.7 * i + 0.3);
  });
  ASSERT_EQ(gradients.size(), 1u);
}

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

constexpr const char *kCastValues = R"mlir(
func.func @cast(%x: tensor<8xf32>, %i: tensor<3xi32>) -> (tensor<8xi32>, tensor<3xf32>) {
  %a = tide.cast %x : tensor<8xf32> -> tensor<8xi32>
  %b = tide.cast %i : tensor<3xi32> -> tensor<3xf32>
  return %a, %b : tensor<8xi32>, tensor<3xf32>
}
)mlir";

TEST_F(SelectOpsTest, CastTruncatesSaturatesAndRounds) {
  SmallVector<Tensor> results =
      run(kCastValues, {Tensor({8}, {2.7, -2.7, 0.5, 3e9, -3e9, INFINITY, NAN, -2147483648.0}),
                        Tensor({3}, {16777217, -5, 2147483647})});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].data, (std::vector<double>{2, -2, 0, 2147483647, -2147483648.0, 2147483647,
                                                  0, -2147483648.0}));
  // i32 -> f32 rounds to f32: 2^24 + 1 -> 2^24 (ties to even), 2^31 - 1 -> 2^31.
  EXPECT_EQ(results[1].data, (std::vector<double>{16777216, -5, 2147483648.0}));
  auto module = parse(kCastValues);
  ASSERT_TRUE(module);
  auto castOp = *onlyFunction(*module).getOps<tide::CastOp>().begin();
  EXPECT_EQ(cast<tide::TideCostOpInterface>(castOp.getOperation()).getFlops(), 8);
}

// A parameter that reaches the loss both directly and through a round trip to i32 (a
// quantization-like step) and through a cast mask of a where: autodiff passes the casts cleanly
// and the gradient is the direct path's alone, which the finite differences confirm (the cast
// path is piecewise constant: 3 x stays more than the step away from every integer here).
constexpr const char *kCastGradient = R"mlir(
func.func @cast(%x: tensor<6xf32> {tide.param}, %m: tensor<6xf32>, %t: tensor<6xf32>)
    -> tensor<f32> {
  %three = tide.fill 3.0 : tensor<f32>
  %s = tide.mul %x, %three : (tensor<6xf32>, tensor<f32>) -> tensor<6xf32>
  %q = tide.cast %s : tensor<6xf32> -> tensor<6xi32>
  %back = tide.cast %q : tensor<6xi32> -> tensor<6xf32>
  %mask = tide.cast %m : tensor<6xf32> -> tensor<6xi32>
  %w = tide.where %mask, %x, %back : (tensor<6xi32>, tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
  %y = tide.mul %w, %back : (tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
  %l = tide.mse_loss %y, %t : tensor<6xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsTest, CastCarriesNoGradient) {
  SmallVector<Tensor> gradients = check(kCastGradient, 61, [](SmallVector<Tensor> &args) {
    args[0] = Tensor({6}, {0.9, -0.55, 0.4, 1.2, -1.1, 0.71}); // 3x: 2.7, -1.65, 1.2, 3.6, ...
    args[1] = Tensor({6}, {1, 0, 1, 1, 0, 1});
  });
  ASSERT_EQ(gradients.size(), 1u);
  // Where the mask is 0, y = back * back: x reaches the loss only through the casts.
  EXPECT_EQ(gradients[0][1], 0.0);
  EXPECT_EQ(gradients[0][4], 0.0);
  EXPECT_NE(gradients[0][0], 0.0);
}

// A parameter reached ONLY through casts: nothing differentiable connects it to the loss, so
// tide-autodiff refuses the function with a located message that names the reason (as PyTorch's
// backward refuses a loss that does not require grad), instead of a useless zero update.
constexpr const char *kOnlyThroughCast = R"mlir(
func.func @cast(%x: tensor<4xf32> {tide.param}, %t: tensor<4xf32>) -> tensor<f32> {
  %q = tide.cast %x : tensor<4xf32> -> tensor<4xi32>
  %back = tide.cast %q : tensor<4xi32> -> tensor<4xf32>
  %l = tide.mse_loss %back, %t : tensor<4xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsTest, ALossReachedOnlyThroughACastIsRefused) {
  auto module = parse(kOnlyThroughCast);
  ASSERT_TRUE(module);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
    message = diagnostic.str();
    return success();
  });
  tide::AutodiffOptions options;
  options.optimizer = "none";
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(tide::createAutodiff(options));
  EXPECT_TRUE(failed(pm.run(*module)));
  EXPECT_NE(message.find("a tide.cast carries no gradient"), std::string::npos) << message;
  // The forward itself evaluates: trunc 0.5, 1.5, -2.5, 3.0 -> 0, 1, -2, 3.
  auto fresh = parse(kOnlyThroughCast);
  ASSERT_TRUE(fresh);
  auto results = interpret(onlyFunction(*fresh),
                           {Tensor({4}, {0.5, 1.5, -2.5, 3.0}), Tensor({4}, {0, 0, 0, 0})});
  ASSERT_TRUE(succeeded(results));
  EXPECT_EQ((*results)[0][0], (0 + 1 + 4 + 9) / 4.0);
}

} // namespace
