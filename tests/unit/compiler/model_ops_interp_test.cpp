//===- model_ops_interp_test.cpp - Interpreter semantics of the transformer ops, by hand ===//
//
// Each op added for real models on inputs small enough to work out by hand (the expected
// values are derived in the comments), dropout's mask against Philox4x32-10 words computed from
// the documented counter layout, and the located errors for bad ids and labels.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/interp/Interpreter.h"
#include "runtime/kernels/dropout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>

using namespace mlir;
using namespace mlir::tide::interp;

namespace {

class ModelOpsInterpTest : public ::testing::Test {
protected:
  ModelOpsInterpTest() { context.loadDialect<tide::TideDialect, func::FuncDialect>(); }

  /// Evaluates the only function of `source` and returns its results (failing the test on any
  /// diagnostic).
  SmallVector<Tensor> run(const std::string &source, ArrayRef<Tensor> args,
                          const InterpreterOptions &options = {}) {
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << source;
    if (!module)
      return {};
    ScopedDiagnosticHandler handler(&context, [](Diagnostic &diagnostic) {
      ADD_FAILURE() << "unexpected diagnostic: " << diagnostic.str();
      return success();
    });
    auto results = interpret(cast<func::FuncOp>(module->getBody()->front()), args, options);
    return succeeded(results) ? *results : SmallVector<Tensor>{};
  }

  /// Evaluates expecting failure; returns the diagnostics.
  std::string runExpectingError(const std::string &source, ArrayRef<Tensor> args) {
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << source;
    std::string messages;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
      if (auto loc = dyn_cast<FileLineColLoc>(diagnostic.getLocation()))
        messages += "line " + std::to_string(loc.getLine()) + ": ";
      messages += diagnostic.str() + "\n";
      return success();
    });
    EXPECT_TRUE(failed(interpret(cast<func::FuncOp>(module->getBody()->front()), args)));
    return messages;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

void expectTensor(const Tensor &actual, ArrayRef<int64_t> shape, ArrayRef<double> expected,
                  double tolerance = 1e-12) {
  ASSERT_EQ(ArrayRef<int64_t>(actual.shape), shape);
  ASSERT_EQ(actual.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual.data[i], expected[i], tolerance) << "element " << i;
}

TEST_F(ModelOpsInterpTest, ElementwiseByHand) {
  auto results = run(R"mlir(
func.func @f(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>,
    tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = tide.clamp %x min = -1.0 max = 2.0 : tensor<4xf32>
  %1 = tide.pow %y exponent = 0.5 : tensor<4xf32>
  %2 = tide.minimum %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = tide.maximum %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = tide.maximum_grad %x, %y, %y operand = 0 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  %5 = tide.silu %x : tensor<4xf32>
  %6 = tide.clamp_grad %x, %y min = -1.0 max = 2.0 : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
      tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
)mlir",
                     {Tensor({4}, {-3.0, 2.0, 4.0, NAN}), Tensor({4}, {4.0, 2.0, 9.0, 1.0})});
  ASSERT_EQ(results.size(), 7u);
  // clamp keeps NaN; the bound 2 is inside [min, max].
  EXPECT_EQ(results[0][0], -1.0);
  EXPECT_EQ(results[0][1], 2.0);
  EXPECT_EQ(results[0][2], 2.0);
  EXPECT_TRUE(std::isnan(results[0][3]));
  expectTensor(results[1], {4}, {2.0, std::sqrt(2.0), 3.0, 1.0});
  // min / max propagate NaN.
  EXPECT_EQ(results[2][0], -3.0);
  EXPECT_EQ(results[2][1], 2.0);
  EXPECT_EQ(results[2][2], 4.0);
  EXPECT_TRUE(std::isnan(results[2][3]) && std::isnan(results[3][3]));
  EXPECT_EQ(results[3][2], 9.0);
  // d max / d x with grad = y: 0 where y wins, y / 2 = 1 on the tie at element 1.
  EXPECT_EQ(results[4][0], 0.0);
  EXPECT_EQ(results[4][1], 1.0);
  EXPECT_EQ(results[4][2], 0.0);
  // silu(-3) = -3 / (1 + e^3), silu(2) = 2 / (1 + e^-2).
  EXPECT_NEAR(results[5][0], -3.0 / (1.0 + std::exp(3.0)), 1e-15);
  EXPECT_NEAR(results[5][1], 2.0 / (1.0 + std::exp(-2.0)), 1e-15);
  // clamp' with grad = y: x = -3 outside (0), x = 2 on the bound (passes: 2), 4 outside (0).
  EXPECT_EQ(results[6][0], 0.0);
  EXPECT_EQ(results[6][1], 2.0);
  EXPECT_EQ(results[6][2], 0.0);
}

TEST_F(ModelOpsInterpTest, RmsNormByHand) {
  // Row [3, 4]: mean of squares 12.5, rstd = 1 / sqrt(12.5 + 1e-5); scale [1, 2].
  auto results = run(R"mlir(
func.func @f(%x: tensor<1x2xf32>, %g: tensor<2xf32>) -> (tensor<1x2xf32>, tensor<1xf32>) {
  %y, %r = tide.rms_norm %x, %g axis = -1 epsilon = 1.0e-05 with_rstd : tensor<1x2xf32>, tensor<2xf32>
  return %y, %r : tensor<1x2xf32>, tensor<1xf32>
}
)mlir",
                     {Tensor({1, 2}, {3.0, 4.0}), Tensor({2}, {1.0, 2.0})});
  ASSERT_EQ(results.size(), 2u);
  double rstd = 1.0 / std::sqrt(12.5 + 1e-5);
  expectTensor(results[0], {1, 2}, {3.0 * rstd, 8.0 * rstd});
  expectTensor(results[1], {1}, {rstd});
}

TEST_F(ModelOpsInterpTest, RopeRotatesByThePositionAngle) {
  // rot_dim 2 of head_dim 3: frequency base^0 = 1, so at position p the pair (x0, x1) turns by
  // p radians and x2 passes through. [B=1, T=2, H=1, D=3] with offset 1: positions 1 and 2.
  auto results = run(R"mlir(
func.func @f(%x: tensor<1x2x1x3xf32>) -> (tensor<1x2x1x3xf32>, tensor<1x2x1x3xf32>) {
  %y = tide.rope %x bthd base = 10000.0 rot_dim = 2 offset = 1 : tensor<1x2x1x3xf32>
  %back = tide.rope %y bthd base = 10000.0 rot_dim = 2 offset = 1 inverse : tensor<1x2x1x3xf32>
  return %y, %back : tensor<1x2x1x3xf32>, tensor<1x2x1x3xf32>
}
)mlir",
                     {Tensor({1, 2, 1, 3}, {1.0, 0.0, 5.0, 0.0, 1.0, 7.0})});
  ASSERT_EQ(results.size(), 2u);
  // (1, 0) by 1 rad: (cos 1, sin 1); (0, 1) by 2 rad: (-sin 2, cos 2).
  expectTensor(results[0], {1, 2, 1, 3},
               {std::cos(1.0), std::sin(1.0), 5.0, -std::sin(2.0), std::cos(2.0), 7.0}, 1e-15);
  // The inverse rotation undoes it.
  expectTensor(results[1], {1, 2, 1, 3}, {1.0, 0.0, 5.0, 0.0, 1.0, 7.0}, 1e-15);
}

TEST_F(ModelOpsInterpTest, RopeLayoutsReadThePositionFromTheirAxis) {
  // The same values as [B, H, T, D] (H = 1): identical rotation.
  auto results = run(R"mlir(
func.func @f(%x: tensor<1x1x2x3xf32>) -> tensor<1x1x2x3xf32> {
  %y = tide.rope %x bhtd base = 10000.0 rot_dim = 2 offset = 1 : tensor<1x1x2x3xf32>
  return %y : tensor<1x1x2x3xf32>
}
)mlir",
                     {Tensor({1, 1, 2, 3}, {1.0, 0.0, 5.0, 0.0, 1.0, 7.0})});
  ASSERT_EQ(results.size(), 1u);
  expectTensor(results[0], {1, 1, 2, 3},
               {std::cos(1.0), std::sin(1.0), 5.0, -std::sin(2.0), std::cos(2.0), 7.0}, 1e-15);
}

TEST_F(ModelOpsInterpTest, SlicePadConcatGather) {
  auto results = run(R"mlir(
func.func @f(%x: tensor<2x3xf32>, %t: tensor<3x2xf32>, %ids: tensor<4xi32>, %dy: tensor<4x2xf32>)
    -> (tensor<1x2xf32>, tensor<3x4xf32>, tensor<2x6xf32>, tensor<4x2xf32>, tensor<3x2xf32>) {
  %s = tide.slice %x start = [1, 1] sizes = [1, 2] : tensor<2x3xf32> -> tensor<1x2xf32>
  %p = tide.pad %x low = [0, 1] high = [1, 0] value = -1.0 : tensor<2x3xf32> -> tensor<3x4xf32>
  %c = tide.concat %x, %x axis = 1 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x6xf32>
  %g = tide.gather %t, %ids : tensor<3x2xf32>, tensor<4xi32>
  %gg = tide.gather_grad %ids, %dy : tensor<4xi32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %s, %p, %c, %g, %gg : tensor<1x2xf32>, tensor<3x4xf32>, tensor<2x6xf32>, tensor<4x2xf32>,
      tensor<3x2xf32>
}
)mlir",
                     {Tensor({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor({3, 2}, {10, 11, 20, 21, 30, 31}),
                      Tensor({4}, {2, 0, 2, 1}), Tensor({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8})});
  ASSERT_EQ(results.size(), 5u);
  expectTensor(results[0], {1, 2}, {5, 6});
  expectTensor(results[1], {3, 4}, {-1, 1, 2, 3, -1, 4, 5, 6, -1, -1, -1, -1});
  expectTensor(results[2], {2, 6}, {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  expectTensor(results[3], {4, 2}, {30, 31, 10, 11, 30, 31, 20, 21});
  // Row 2 receives dy rows 0 and 2 (1 + 5, 2 + 6); row 0 dy row 1; row 1 dy row 3.
  expectTensor(results[4], {3, 2}, {3, 4, 7, 8, 6, 8});
}

TEST_F(ModelOpsInterpTest, GatherIdOutOfRangeIsALocatedError) {
  std::string errors =
      runExpectingError(R"mlir(
func.func @f(%t: tensor<3x2xf32>, %ids: tensor<4xi32>) -> tensor<4x2xf32> {
  %g = tide.gather %t, %ids : tensor<3x2xf32>, tensor<4xi32>
  return %g : tensor<4x2xf32>
}
)mlir",
                        {Tensor(ArrayRef<int64_t>{3, 2}), Tensor({4}, {0, 1, 3, -1})});
  EXPECT_NE(errors.find("line 3: id 3 at position 2 of the ids is out of range [0, 3)"),
            std::string::npos)
      << errors;
}

TEST_F(ModelOpsInterpTest, DropoutMaskIsPhiloxByTheDocumentedCounter) {
  // Element i keeps iff (word >> 8) * 2^-24 >= p, the word being w[i % 4] of
  // Philox4x32-10({i / 4, 0, step, site}, {lo(seed), hi(seed)}).
  const uint64_t seed = 0x0123456789abcdefULL;
  const uint32_t step = 5, site = 9;
  const float p = 0.3f;
  InterpreterOptions options;
  options.dropoutSeed = seed;
  options.step = step;
  auto results = run(R"mlir(
func.func @f(%x: tensor<10xf32>) -> (tensor<10xf32>, tensor<10xf32>) {
  %d = tide.dropout %x p = 0.3 site = 9 : tensor<10xf32>
  %g = tide.dropout_grad %x p = 0.3 site = 9 : tensor<10xf32>
  return %d, %g : tensor<10xf32>, tensor<10xf32>
}
)mlir",
                     {Tensor({10}, 1.0)}, options);
  ASSERT_EQ(results.size(), 2u);
  int kept = 0;
  for (uint32_t i = 0; i < 10; ++i) {
    auto words = tidemark::kernels::Philox4x32_10(
        {i / 4, 0u, step, site}, {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
    float uniform = static_cast<float>(words[i % 4] >> 8) * (1.0f / 16777216.0f);
    double expected = uniform >= p ? 1.0 / (1.0 - static_cast<double>(p)) : 0.0;
    EXPECT_EQ(results[0][i], expected) << "element " << i;
    EXPECT_EQ(results[1][i], expected) << "the backward applies the same mask, element " << i;
    kept += expected != 0.0;
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 10);
}

TEST_F(ModelOpsInterpTest, LmHeadLossByHand) {
  // h row 0 = (1, 0), row 1 = (0, 1); w = I (2 classes), bias (0, 1): logits row 0 (1, 1), row
  // 1 (0, 2). Labels 0 and -100 (ignored): the loss is row 0's log(2e) - 1 = log 2 over 1 row.
  auto results = run(R"mlir(
func.func @f(%h: tensor<2x2xf32>, %w: tensor<2x2xf32>, %b: tensor<2xf32>, %l: tensor<2xi32>,
             %g: tensor<f32>) -> (tensor<f32>, tensor<2xf32>, tensor<2x2xf32>, tensor<2x2xf32>,
             tensor<2xf32>) {
  %loss, %lse = tide.lm_head_loss %h, %w, %l bias %b : tensor<2xf32> ignore_index = -100
      chunks = [1, 1] with_lse : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2xi32>
  %dh, %dw, %db = tide.lm_head_loss_grad %h, %w, %l, %lse, %g bias %b : tensor<2xf32>
      ignore_index = -100 chunks = [1, 1] : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2xi32>,
      tensor<2xf32>, tensor<f32>
  return %loss, %lse, %dh, %dw, %db : tensor<f32>, tensor<2xf32>, tensor<2x2xf32>,
      tensor<2x2xf32>, tensor<2xf32>
}
)mlir",
                     {Tensor({2, 2}, {1, 0, 0, 1}), Tensor({2, 2}, {1, 0, 0, 1}),
                      Tensor({2}, {0, 1}), Tensor({2}, {0, -100}), Tensor::scalar(1.0)});
  ASSERT_EQ(results.size(), 5u);
  expectTensor(results[0], {}, {std::log(2.0)});
  expectTensor(results[1], {2}, {1.0 + std::log(2.0), std::log(1.0 + std::exp(2.0))});
  // Row 0: G = softmax (1/2, 1/2) - onehot(0) = (-1/2, 1/2); row 1 ignored (0).
  // dh row 0 = G W = (-1/2, 1/2); dW = G^T h: column h row 0 = (1, 0); d_bias = G.
  expectTensor(results[2], {2, 2}, {-0.5, 0.5, 0.0, 0.0});
  expectTensor(results[3], {2, 2}, {-0.5, 0.0, 0.5, 0.0});
  expectTensor(results[4], {2}, {-0.5, 0.5});
}

TEST_F(ModelOpsInterpTest, LmHeadLossOfOnlyIgnoredRowsIsNaNAndBadLabelsFail) {
  auto results = run(R"mlir(
func.func @f(%h: tensor<1x2xf32>, %w: tensor<3x2xf32>, %l: tensor<1xi32>) -> tensor<f32> {
  %loss = tide.lm_head_loss %h, %w, %l ignore_index = 7 chunks = [1, 1]
      : tensor<1x2xf32>, tensor<3x2xf32>, tensor<1xi32>
  return %loss : tensor<f32>
}
)mlir",
                     {Tensor({1, 2}, 1.0), Tensor({3, 2}, 1.0), Tensor({1}, {7})});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(std::isnan(results[0][0]));

  std::string errors =
      runExpectingError(R"mlir(
func.func @f(%h: tensor<1x2xf32>, %w: tensor<3x2xf32>, %l: tensor<1xi32>) -> tensor<f32> {
  %loss = tide.lm_head_loss %h, %w, %l ignore_index = -100 chunks = [1, 1]
      : tensor<1x2xf32>, tensor<3x2xf32>, tensor<1xi32>
  return %loss : tensor<f32>
}
)mlir",
                        {Tensor({1, 2}, 1.0), Tensor({3, 2}, 1.0), Tensor({1}, {3})});
  EXPECT_NE(errors.find("line 3: label 3 at row 0 is out of range [0, 3) and is not the "
                        "ignore_index -100"),
            std::string::npos)
      << errors;
}

} // namespace
