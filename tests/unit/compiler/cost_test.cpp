//===- cost_test.cpp - TideCostOpInterface numbers, checked by hand -------===//
//
// Every op's FLOP count and bytes read/written, on small shapes whose numbers are worked out in
// the comments (conventions: TideInterfaces.td, docs/dialect-costs.md).
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
};

/// Parses `body` inside a function with the given arguments and returns the cost of the first op
/// (the op that defines %r).
class CostTest : public ::testing::Test {
protected:
  CostTest() { context.loadDialect<tide::TideDialect, func::FuncDialect>(); }

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

void expectCost(Cost actual, int64_t flops, int64_t bytesRead, int64_t bytesWritten) {
  EXPECT_EQ(actual.flops, flops);
  EXPECT_EQ(actual.bytesRead, bytesRead);
  EXPECT_EQ(actual.bytesWritten, bytesWritten);
}

TEST_F(CostTest, Matmul) {
  // [2, 3, 4] x [4, 5] -> [2, 3, 5]: 2 * (2*3*5) * 4 = 240 FLOPs.
  // Reads 24 + 20 floats = 176 bytes; writes 30 floats = 120 bytes.
  expectCost(costOf("%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>",
                    "%r = tide.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> "
                    "tensor<2x3x5xf32>"),
             240, 176, 120);
  // Transposed lhs [4, 3] read as [3, 4]: K = 4, result [3, 5]: 2 * 15 * 4 = 120 FLOPs.
  expectCost(costOf("%a: tensor<4x3xf32>, %b: tensor<4x5xf32>",
                    "%r = tide.matmul %a, %b transpose_lhs : (tensor<4x3xf32>, tensor<4x5xf32>) -> "
                    "tensor<3x5xf32>"),
             120, 128, 60);
}

TEST_F(CostTest, BinaryBroadcast) {
  // [8, 16] + [16] -> [8, 16]: 128 adds; reads 128 + 16 floats = 576 bytes; writes 512 bytes.
  for (const char *op : {"add", "sub", "mul", "div"}) {
    SCOPED_TRACE(op);
    expectCost(costOf("%a: tensor<8x16xf32>, %b: tensor<16xf32>",
                      std::string("%r = tide.") + op +
                          " %a, %b : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>"),
               128, 576, 512);
  }
}

TEST_F(CostTest, Unary) {
  // 6 elements of f32 = 24 bytes each way; one FLOP per element.
  for (const char *op : {"relu", "tanh", "exp"}) {
    SCOPED_TRACE(op);
    expectCost(
        costOf("%a: tensor<2x3xf32>", std::string("%r = tide.") + op + " %a : tensor<2x3xf32>"), 6,
        24, 24);
  }
  // gelu tanh: 9 FLOPs per element -> 54; exact: 5 per element -> 30.
  expectCost(costOf("%a: tensor<2x3xf32>", "%r = tide.gelu %a tanh : tensor<2x3xf32>"), 54, 24, 24);
  expectCost(costOf("%a: tensor<2x3xf32>", "%r = tide.gelu %a exact : tensor<2x3xf32>"), 30, 24,
             24);
  // f16 halves the bytes: 6 elements * 2 bytes = 12.
  expectCost(costOf("%a: tensor<2x3xf16>", "%r = tide.relu %a : tensor<2x3xf16>"), 6, 12, 12);
}

TEST_F(CostTest, SoftmaxAndLayerNorm) {
  // softmax over [4, 10]: 5 FLOPs per element = 200; 160 bytes each way.
  expectCost(costOf("%a: tensor<4x10xf32>", "%r = tide.softmax %a axis = -1 : tensor<4x10xf32>"),
             200, 160, 160);
  // layer_norm [4, 10] over the last axis: 7 * 40 + 4 * 4 rows = 296 FLOPs.
  // Reads x (160) + scale (40) + bias (40) = 240 bytes; writes 160.
  expectCost(costOf("%a: tensor<4x10xf32>, %g: tensor<10xf32>",
                    "%r = tide.layer_norm %a, %g, %g axis = -1 epsilon = 1.0e-05 : "
                    "tensor<4x10xf32>, tensor<10xf32>, tensor<10xf32>"),
             296, 240, 160);
  // Normalizing [2, 3, 4] over axis 1 leaves 2 rows: 7 * 24 + 4 * 2 = 176 FLOPs.
  // Reads 96 + 48 + 48 = 192 bytes; writes 96.
  expectCost(costOf("%a: tensor<2x3x4xf32>, %g: tensor<3x4xf32>",
                    "%r = tide.layer_norm %a, %g, %g axis = 1 epsilon = 1.0e-05 : "
                    "tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>"),
             176, 192, 96);
}

TEST_F(CostTest, Reductions) {
  // reduce_sum [4, 10] over axis 1 -> [4]: 40 - 4 = 36 adds; reads 160, writes 16 bytes.
  expectCost(costOf("%a: tensor<4x10xf32>",
                    "%r = tide.reduce_sum %a axes = [1] : tensor<4x10xf32> -> tensor<4xf32>"),
             36, 160, 16);
  // reduce_mean adds one divide per output: 36 + 4 = 40.
  expectCost(costOf("%a: tensor<4x10xf32>", "%r = tide.reduce_mean %a axes = [1] keep_dims : "
                                            "tensor<4x10xf32> -> tensor<4x1xf32>"),
             40, 160, 16);
}

TEST_F(CostTest, MovementAndViews) {
  // transpose moves 24 floats: 0 FLOPs, 96 bytes each way.
  expectCost(costOf("%a: tensor<2x3x4xf32>", "%r = tide.transpose %a permutation = [2, 0, 1] : "
                                             "tensor<2x3x4xf32> -> tensor<4x2x3xf32>"),
             0, 96, 96);
  // reshape is a view: nothing computed, nothing moved.
  expectCost(costOf("%a: tensor<2x3x4xf32>",
                    "%r = tide.reshape %a : tensor<2x3x4xf32> -> tensor<6x4xf32>"),
             0, 0, 0);
}

TEST_F(CostTest, Attention) {
  // B=1, H=2, T=4, D=8, not causal: P = 16 pairs per head.
  // Per head: 4*16*8 + 5*16 + 4*8 = 512 + 80 + 32 = 624; two heads: 1248.
  // Reads q, k, v: 3 * 64 floats = 768 bytes; writes 256 bytes.
  const char *args = "%q: tensor<1x2x4x8xf32>";
  const char *types = " : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>";
  expectCost(
      costOf(args,
             std::string("%r = tide.attention %q, %q, %q scale = 0.25 chunks = [2, 2]") + types),
      1248, 768, 256);
  // Causal: P = 1 + 2 + 3 + 4 = 10 per head: 4*10*8 + 5*10 + 32 = 402; two heads: 804.
  expectCost(costOf(args, std::string("%r = tide.attention %q, %q, %q causal scale = 0.25 "
                                      "chunks = [2, 2]") +
                              types),
             804, 768, 256);
  // Causal cross attention with Tq = 2, Tk = 4: query i sees keys j <= i + 2: P = 3 + 4 = 7.
  EXPECT_EQ(tide::AttentionOp::countAttendedPairs(2, 4, true), 7);
  // Tq = 4 over Tk = 2: rows 0 and 1 see nothing, row 2 sees 1, row 3 sees 2: P = 3.
  EXPECT_EQ(tide::AttentionOp::countAttendedPairs(4, 2, true), 3);
  EXPECT_EQ(tide::AttentionOp::countAttendedPairs(4, 2, false), 8);
}

TEST_F(CostTest, Losses) {
  // mse over [8, 4]: 3 * 32 + 1 = 97 FLOPs; reads 2 * 128 bytes; writes one float.
  expectCost(costOf("%a: tensor<8x4xf32>", "%r = tide.mse_loss %a, %a : tensor<8x4xf32>"), 97, 256,
             4);
  // cross-entropy over [6, 10] logits: 4 * 60 + 3 * 6 + 1 = 259 FLOPs.
  // Reads 240 bytes of logits + 6 i32 labels (24 bytes) = 264; writes 4.
  expectCost(costOf("%l: tensor<6x10xf32>, %y: tensor<6xi32>",
                    "%r = tide.softmax_cross_entropy %l, %y : tensor<6x10xf32>, tensor<6xi32>"),
             259, 264, 4);
}

TEST_F(CostTest, CheckpointSumsItsBody) {
  // Body: matmul [2, 4] x [4, 4] = 2 * 8 * 4 = 64 FLOPs, then relu 8 FLOPs: 72.
  // It reads %x (32 bytes) and %w (64 bytes) from above, each once; writes the [2, 4] result.
  expectCost(
      costOf("%x: tensor<2x4xf32>, %w: tensor<4x4xf32>",
             "%r = tide.checkpoint -> (tensor<2x4xf32>) {\n"
             "  %a = tide.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> "
             "tensor<2x4xf32>\n"
             "  %b = tide.relu %a : tensor<2x4xf32>\n"
             "  %c = tide.add %b, %x : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>\n"
             "  tide.yield %c : tensor<2x4xf32>\n"
             "}"),
      64 + 8 + 8, 96, 32);
}

} // namespace
