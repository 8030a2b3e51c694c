//===- model_ops_cost_test.cpp - Costs of the transformer ops, checked by hand ===//
//
// The FLOPs and bytes of every op added for real models (docs/dialect-costs.md), on small shapes
// worked out in the comments. Bytes are whole operand / result tensors.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <string>

using namespace mlir;

namespace {

struct Cost {
  int64_t flops, bytesRead, bytesWritten;
  bool operator==(const Cost &o) const {
    return flops == o.flops && bytesRead == o.bytesRead && bytesWritten == o.bytesWritten;
  }
};

std::ostream &operator<<(std::ostream &os, const Cost &c) {
  return os << "{" << c.flops << " FLOPs, " << c.bytesRead << " B read, " << c.bytesWritten
            << " B written}";
}

class ModelOpsCostTest : public ::testing::Test {
protected:
  ModelOpsCostTest() { context.loadDialect<tide::TideDialect, func::FuncDialect>(); }

  /// The cost of the first op of `body` in a function with arguments `args`.
  Cost costOf(const std::string &args, const std::string &body) {
    std::string source = "func.func @f(" + args + ") {\n" + body + "\n  return\n}\n";
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "failed to parse:\n" << source;
    if (!module)
      return {-1, -1, -1};
    auto func = cast<func::FuncOp>(module->getBody()->front());
    auto op = cast<tide::TideCostOpInterface>(func.getBody().front().front());
    return {op.getFlops(), op.getBytesRead(), op.getBytesWritten()};
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

constexpr const char *kX = "%x: tensor<6x8xf32>, %dy: tensor<6x8xf32>"; // 48 floats = 192 B

TEST_F(ModelOpsCostTest, UnaryOpsAndGradients) {
  // Per element: neg, abs, sqrt, rsqrt, log, erf 1; sigmoid 4; silu 5; pow 3; clamp 2.
  struct Case {
    const char *op;
    int64_t perElement;
  } cases[] = {{"neg", 1}, {"abs", 1},     {"sqrt", 1}, {"rsqrt", 1},
               {"log", 1}, {"sigmoid", 4}, {"silu", 5}, {"erf", 1}};
  for (const Case &c : cases)
    EXPECT_EQ(costOf(kX, std::string("%r = tide.") + c.op + " %x : tensor<6x8xf32>"),
              (Cost{48 * c.perElement, 192, 192}))
        << c.op;
  EXPECT_EQ(costOf(kX, "%r = tide.pow %x exponent = 2.0 : tensor<6x8xf32>"), (Cost{144, 192, 192}));
  EXPECT_EQ(costOf(kX, "%r = tide.clamp %x min = 0.0 max = 1.0 : tensor<6x8xf32>"),
            (Cost{96, 192, 192}));
  // Gradients read x and dy (384 B): abs 2, sqrt 3, rsqrt 4, log 2, sigmoid 7, silu 9, erf 5,
  // pow 5, clamp 3 per element.
  Case grads[] = {{"abs_grad", 2},     {"sqrt_grad", 3}, {"rsqrt_grad", 4}, {"log_grad", 2},
                  {"sigmoid_grad", 7}, {"silu_grad", 9}, {"erf_grad", 5}};
  for (const Case &c : grads)
    EXPECT_EQ(costOf(kX, std::string("%r = tide.") + c.op + " %x, %dy : tensor<6x8xf32>"),
              (Cost{48 * c.perElement, 384, 192}))
        << c.op;
  EXPECT_EQ(costOf(kX, "%r = tide.pow_grad %x, %dy exponent = 2.0 : tensor<6x8xf32>"),
            (Cost{240, 384, 192}));
  EXPECT_EQ(costOf(kX, "%r = tide.clamp_grad %x, %dy min = 0.0 max = 1.0 : tensor<6x8xf32>"),
            (Cost{144, 384, 192}));
}

TEST_F(ModelOpsCostTest, MinMaxAndTheirGradients) {
  // [6, 8] with [8]: 48 compares; reads 192 + 32 B.
  EXPECT_EQ(costOf("%x: tensor<6x8xf32>, %b: tensor<8xf32>",
                   "%r = tide.maximum %x, %b : (tensor<6x8xf32>, tensor<8xf32>) -> "
                   "tensor<6x8xf32>"),
            (Cost{48, 224, 192}));
  // The [8] operand's gradient: 3 * 48 per result element, then 48 - 8 = 40 additions; reads
  // 192 + 32 + 192 B, writes 32 B.
  EXPECT_EQ(costOf("%x: tensor<6x8xf32>, %b: tensor<8xf32>, %dy: tensor<6x8xf32>",
                   "%r = tide.minimum_grad %x, %b, %dy operand = 1 : tensor<6x8xf32>, "
                   "tensor<8xf32>, tensor<6x8xf32>"),
            (Cost{184, 416, 32}));
}

TEST_F(ModelOpsCostTest, RmsNormAndGradient) {
  // 4 * 48 + 3 * 6 rows = 210; reads x and scale (224 B); writes y and rstd (192 + 24 B).
  EXPECT_EQ(costOf("%x: tensor<6x8xf32>, %g: tensor<8xf32>",
                   "%r, %s = tide.rms_norm %x, %g axis = -1 epsilon = 1.0e-05 with_rstd : "
                   "tensor<6x8xf32>, tensor<8xf32>"),
            (Cost{210, 224, 216}));
  // 9 * 48 + 6 = 438; reads x, scale, rstd, dy (192 + 32 + 24 + 192); writes dx, dscale.
  EXPECT_EQ(costOf("%x: tensor<6x8xf32>, %g: tensor<8xf32>, %s: tensor<6xf32>, "
                   "%dy: tensor<6x8xf32>",
                   "%r:2 = tide.rms_norm_grad %x, %g, %s, %dy axis = -1 : tensor<6x8xf32>, "
                   "tensor<8xf32>, tensor<6xf32>"),
            (Cost{438, 440, 224}));
}

TEST_F(ModelOpsCostTest, DataMovementIsFree) {
  EXPECT_EQ(costOf(kX, "%r = tide.slice %x start = [1, 0] sizes = [2, 8] : tensor<6x8xf32> -> "
                       "tensor<2x8xf32>"),
            (Cost{0, 192, 64}));
  EXPECT_EQ(costOf(kX, "%r = tide.pad %x low = [1, 0] high = [1, 0] value = 0.0 : "
                       "tensor<6x8xf32> -> tensor<8x8xf32>"),
            (Cost{0, 192, 256}));
  EXPECT_EQ(costOf(kX, "%r = tide.concat %x, %dy axis = 0 : tensor<6x8xf32>, tensor<6x8xf32> -> "
                       "tensor<12x8xf32>"),
            (Cost{0, 384, 384}));
  // Gather of 6 ids from a [10, 8] table: reads 320 + 24 B, writes 6 rows (192 B).
  EXPECT_EQ(costOf("%t: tensor<10x8xf32>, %ids: tensor<6xi32>",
                   "%r = tide.gather %t, %ids : tensor<10x8xf32>, tensor<6xi32>"),
            (Cost{0, 344, 192}));
  // Its gradient adds 48 gradient elements into the table.
  EXPECT_EQ(costOf("%ids: tensor<6xi32>, %dy: tensor<6x8xf32>",
                   "%r = tide.gather_grad %ids, %dy : tensor<6xi32>, tensor<6x8xf32> -> "
                   "tensor<10x8xf32>"),
            (Cost{48, 216, 320}));
}

TEST_F(ModelOpsCostTest, RopeAndDropout) {
  // [2, 3, 2, 8] with rot_dim 4: 12 head vectors x 4 rotated features x 3 = 144.
  EXPECT_EQ(costOf("%x: tensor<2x3x2x8xf32>",
                   "%r = tide.rope %x bthd base = 10000.0 rot_dim = 4 offset = 0 : "
                   "tensor<2x3x2x8xf32>"),
            (Cost{144, 384, 384}));
  EXPECT_EQ(costOf(kX, "%r = tide.dropout %x p = 0.1 site = 0 : tensor<6x8xf32>"),
            (Cost{96, 192, 192}));
  EXPECT_EQ(costOf(kX, "%r = tide.dropout_grad %dy p = 0.1 site = 0 : tensor<6x8xf32>"),
            (Cost{96, 192, 192}));
}

TEST_F(ModelOpsCostTest, LmHeadLossAndGradient) {
  // N = 6 rows, E = 8, V = 10: 2 N V E = 960, the bias 60, online lse 4 N V = 240, per row 24,
  // one divide: 1285. Reads h 192, w 320, labels 24, bias 40 B; writes the loss and lse (4 + 24).
  const char *args = "%h: tensor<6x8xf32>, %w: tensor<10x8xf32>, %l: tensor<6xi32>, "
                     "%b: tensor<10xf32>, %lse: tensor<6xf32>, %g: tensor<f32>";
  EXPECT_EQ(costOf(args, "%r, %s = tide.lm_head_loss %h, %w, %l bias %b : tensor<10xf32> "
                         "ignore_index = -100 chunks = [4, 4] with_lse : tensor<6x8xf32>, "
                         "tensor<10x8xf32>, tensor<6xi32>"),
            (Cost{1285, 576, 28}));
  // Without a bias: 960 + 240 + 24 + 1 = 1225.
  EXPECT_EQ(costOf(args, "%r = tide.lm_head_loss %h, %w, %l ignore_index = -100 chunks = [4, 4] "
                         ": tensor<6x8xf32>, tensor<10x8xf32>, tensor<6xi32>"),
            (Cost{1225, 536, 4}));
  // Backward: 6 N V E = 2880, 3 N V = 180, with a bias 2 N V = 120, 2 N = 12, 1: 3193. Reads
  // h, w, labels, lse, the loss gradient and the bias (192 + 320 + 24 + 24 + 4 + 40); writes
  // dh, dw, d_bias (192 + 320 + 40).
  EXPECT_EQ(costOf(args, "%r:3 = tide.lm_head_loss_grad %h, %w, %l, %lse, %g bias %b : "
                         "tensor<10xf32> ignore_index = -100 chunks = [4, 4] : tensor<6x8xf32>, "
                         "tensor<10x8xf32>, tensor<6xi32>, tensor<6xf32>, tensor<f32>"),
            (Cost{3193, 604, 552}));
}

} // namespace
