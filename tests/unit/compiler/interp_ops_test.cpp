//===- interp_ops_test.cpp - The tide reference interpreter, op by op -----===//
//
// Every forward op on tiny inputs worked by hand (the arithmetic is in the comments), every
// gradient op against central finite differences of its forward op through the interpreter
// (relative error <= 1e-6 in double), the optimizer updates against hand-computed single steps,
// and the interpreter's error messages.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/interp/GradientCheck.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/interp/RandomArguments.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <string>

using namespace mlir;
using namespace mlir::tide::interp;

namespace {

constexpr double kExact = 1e-12;

class InterpTest : public ::testing::Test {
protected:
  InterpTest() { context.loadDialect<tide::TideDialect, func::FuncDialect>(); }

  /// Parses a module; the test fails if it does not parse and verify.
  void parse(const std::string &source) {
    module = parseSourceString<ModuleOp>(source, &context);
    ASSERT_TRUE(module) << "failed to parse:\n" << source;
  }

  func::FuncOp function(StringRef name) { return module->lookupSymbol<func::FuncOp>(name); }

  /// Interprets @name and returns its results; records a test failure on error.
  SmallVector<Tensor> run(StringRef name, ArrayRef<Tensor> args,
                          const InterpreterOptions &options = {}) {
    ScopedDiagnosticHandler handler(&context, [](Diagnostic &diagnostic) {
      ADD_FAILURE() << "unexpected diagnostic: " << diagnostic.str();
      return success();
    });
    auto results = interpret(function(name), args, options);
    if (failed(results))
      return {};
    return *results;
  }

  /// Interprets @name expecting failure; returns the diagnostics and their line numbers.
  std::string runExpectingError(StringRef name, ArrayRef<Tensor> args,
                                const InterpreterOptions &options = {}) {
    std::string messages;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
      if (auto fileLoc = dyn_cast<FileLineColLoc>(diagnostic.getLocation()))
        messages += "line " + std::to_string(fileLoc.getLine()) + ": ";
      messages += diagnostic.str() + "\n";
      return success();
    });
    EXPECT_TRUE(failed(interpret(function(name), args, options)));
    return messages;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

void expectTensor(const Tensor &actual, ArrayRef<int64_t> shape, ArrayRef<double> expected,
                  double tolerance = kExact) {
  ASSERT_EQ(ArrayRef<int64_t>(actual.shape), shape);
  ASSERT_EQ(actual.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual.data[i], expected[i], tolerance) << "element " << i;
}

/// A tensor of `shape` with elements uniform in [low, high), from `seed`.
Tensor randomTensor(ArrayRef<int64_t> shape, uint64_t seed, double low = -1.0, double high = 1.0) {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  Tensor tensor(shape);
  for (double &value : tensor.data)
    value = uniform(generator);
  return tensor;
}

//===----------------------------------------------------------------------===//
// Forward ops, worked by hand
//===----------------------------------------------------------------------===//

TEST_F(InterpTest, MatmulPlainAndTransposed) {
  parse(R"mlir(
    func.func @plain(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
      %r = tide.matmul %a, %b : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
      return %r : tensor<2x2xf32>
    }
    func.func @transposed(%a: tensor<3x2xf32>, %b: tensor<2x3xf32>) -> tensor<2x2xf32> {
      %r = tide.matmul %a, %b transpose_lhs transpose_rhs
          : (tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<2x2xf32>
      return %r : tensor<2x2xf32>
    })mlir");
  // A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]:
  // AB = [[1+0+3, 0+2+3], [4+0+6, 0+5+6]] = [[4,5],[10,11]].
  Tensor a({2, 3}, {1, 2, 3, 4, 5, 6}), b({3, 2}, {1, 0, 0, 1, 1, 1});
  expectTensor(run("plain", {a, b})[0], {2, 2}, {4, 5, 10, 11});
  // The same product from A^T (stored [3, 2]) and B^T (stored [2, 3]).
  Tensor aT({3, 2}, {1, 4, 2, 5, 3, 6}), bT({2, 3}, {1, 0, 1, 0, 1, 1});
  expectTensor(run("transposed", {aT, bT})[0], {2, 2}, {4, 5, 10, 11});
}

TEST_F(InterpTest, MatmulBatchBroadcast) {
  parse(R"mlir(
    func.func @f(%a: tensor<2x1x2x2xf32>, %b: tensor<3x2x2xf32>) -> tensor<2x3x2x2xf32> {
      %r = tide.matmul %a, %b : (tensor<2x1x2x2xf32>, tensor<3x2x2xf32>) -> tensor<2x3x2x2xf32>
      return %r : tensor<2x3x2x2xf32>
    })mlir");
  // lhs batches: I and 2I; rhs batches R0 = [[1,2],[3,4]], R1 = [[0,1],[1,0]], R2 = all ones.
  // result[i][j] = (i + 1) * Rj.
  Tensor a({2, 1, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});
  Tensor b({3, 2, 2}, {1, 2, 3, 4, 0, 1, 1, 0, 1, 1, 1, 1});
  expectTensor(run("f", {a, b})[0], {2, 3, 2, 2},
               {1, 2, 3, 4, 0, 1, 1, 0, 1, 1, 1, 1, 2, 4, 6, 8, 0, 2, 2, 0, 2, 2, 2, 2});
}

TEST_F(InterpTest, BinaryBroadcasting) {
  parse(R"mlir(
    func.func @f(%x: tensor<2x3xf32>, %row: tensor<3xf32>, %col: tensor<2x1xf32>,
                 %s: tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
                                      tensor<2x3xf32>) {
      %a = tide.add %x, %row : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
      %b = tide.sub %x, %col : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
      %c = tide.mul %s, %x : (tensor<f32>, tensor<2x3xf32>) -> tensor<2x3xf32>
      %d = tide.div %x, %row : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
      return %a, %b, %c, %d : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
    })mlir");
  Tensor x({2, 3}, {1, 2, 3, 4, 5, 6});
  auto results = run("f", {x, Tensor({3}, {1, 2, 4}), Tensor({2, 1}, {1, 2}), Tensor::scalar(2)});
  ASSERT_EQ(results.size(), 4u);
  // x + [1,2,4] = [[2,4,7],[5,7,10]]
  expectTensor(results[0], {2, 3}, {2, 4, 7, 5, 7, 10});
  // x - [[1],[2]] = [[0,1,2],[2,3,4]]
  expectTensor(results[1], {2, 3}, {0, 1, 2, 2, 3, 4});
  // 2 * x
  expectTensor(results[2], {2, 3}, {2, 4, 6, 8, 10, 12});
  // x / [1,2,4] = [[1,1,0.75],[4,2.5,1.5]]
  expectTensor(results[3], {2, 3}, {1, 1, 0.75, 4, 2.5, 1.5});
}

TEST_F(InterpTest, UnaryActivations) {
  parse(R"mlir(
    func.func @f(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
                                        tensor<3xf32>, tensor<3xf32>) {
      %r = tide.relu %x : tensor<3xf32>
      %t = tide.tanh %x : tensor<3xf32>
      %e = tide.exp %x : tensor<3xf32>
      %g = tide.gelu %x exact : tensor<3xf32>
      %h = tide.gelu %x tanh : tensor<3xf32>
      return %r, %t, %e, %g, %h : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
                                  tensor<3xf32>
    })mlir");
  auto results = run("f", {Tensor({3}, {-0.5, 0.5, 1.0})});
  ASSERT_EQ(results.size(), 5u);
  expectTensor(results[0], {3}, {0, 0.5, 1});
  // tanh(0.5) = 0.46211715726000974, tanh(1) = 0.7615941559557649.
  expectTensor(results[1], {3}, {-0.46211715726000974, 0.46211715726000974, 0.7615941559557649});
  expectTensor(results[2], {3}, {std::exp(-0.5), std::exp(0.5), 2.718281828459045});
  // Exact: 0.5 x (1 + erf(x / sqrt 2)); at 1: 0.8413447460685429, at -0.5: -0.15426876936299344,
  // at 0.5: 0.5 - 0.15426876936299344 (gelu(x) - gelu(-x) = x).
  expectTensor(results[3], {3}, {-0.15426876936299344, 0.34573123063700656, 0.8413447460685429});
  // Tanh form at 1: 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.8411919906082768.
  EXPECT_NEAR(results[4][2], 0.8411919906082768, kExact);
  EXPECT_NEAR(results[4][1] - results[4][0], 0.5, kExact); // gelu(x) - gelu(-x) = x here too.
}

TEST_F(InterpTest, SoftmaxLastAndFirstAxis) {
  parse(R"mlir(
    func.func @last(%x: tensor<3xf32>) -> tensor<3xf32> {
      %y = tide.softmax %x axis = -1 : tensor<3xf32>
      return %y : tensor<3xf32>
    }
    func.func @first(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %y = tide.softmax %x axis = 0 : tensor<2x3xf32>
      return %y : tensor<2x3xf32>
    })mlir");
  // softmax([1,2,3]) = [e^-2, e^-1, 1] / (e^-2 + e^-1 + 1)
  //                  = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219].
  expectTensor(run("last", {Tensor({3}, {1, 2, 3})})[0], {3},
               {0.09003057317038046, 0.24472847105479767, 0.6652409557748219});
  // Along axis 0 each column [a, b] gives [1/(1+e^(b-a)), ...]: columns [0,1] -> [1/(1+e), e/(1+e)]
  // = [0.2689414213699951, 0.7310585786300049]; column [5,5] -> [0.5, 0.5].
  expectTensor(
      run("first", {Tensor({2, 3}, {0, 5, 1, 1, 5, 0})})[0], {2, 3},
      {0.2689414213699951, 0.5, 0.7310585786300049, 0.7310585786300049, 0.5, 0.2689414213699951});
}

TEST_F(InterpTest, LayerNormWithStats) {
  parse(R"mlir(
    func.func @f(%x: tensor<2x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>)
        -> (tensor<2x3xf32>, tensor<2xf32>, tensor<2xf32>) {
      %y, %s:2 = tide.layer_norm %x, %g, %b axis = -1 epsilon = 0.33333333333333331 with_stats
          : tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>
      return %y, %s#0, %s#1 : tensor<2x3xf32>, tensor<2xf32>, tensor<2xf32>
    })mlir");
  // Row [1,2,3]: mean 2, biased var 2/3, + eps 1/3 = 1, rstd 1, xhat [-1, 0, 1].
  // Row [2,4,6]: mean 4, var 8/3, + 1/3 = 3, rstd 1/sqrt(3), xhat [-2, 0, 2]/sqrt(3).
  // y = xhat * [1,2,3] + [0.5, 0, -0.5]:
  //   row 0: [-0.5, 0, 2.5]; row 1: [0.5 - 1.1547005383792517, 0, 3.4641016151377553 - 0.5].
  auto results = run("f", {Tensor({2, 3}, {1, 2, 3, 2, 4, 6}), Tensor({3}, {1, 2, 3}),
                           Tensor({3}, {0.5, 0, -0.5})});
  ASSERT_EQ(results.size(), 3u);
  expectTensor(results[0], {2, 3}, {-0.5, 0, 2.5, -0.6547005383792517, 0, 2.964101615137755});
  expectTensor(results[1], {2}, {2, 4});
  expectTensor(results[2], {2}, {1, 0.5773502691896258});
}

TEST_F(InterpTest, Reductions) {
  parse(R"mlir(
    func.func @f(%x: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<3xf32>, tensor<f32>,
                                          tensor<2xf32>) {
      %a = tide.reduce_sum %x axes = [1] keep_dims : tensor<2x3xf32> -> tensor<2x1xf32>
      %b = tide.reduce_mean %x axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
      %c = tide.reduce_sum %x axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
      %d = tide.reduce_mean %x axes = [-1] : tensor<2x3xf32> -> tensor<2xf32>
      return %a, %b, %c, %d : tensor<2x1xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf32>
    })mlir");
  // x = [[1,2,3],[4,5,6]]: row sums [6, 15], column means [2.5, 3.5, 4.5], total 21,
  // row means [2, 5].
  auto results = run("f", {Tensor({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(results.size(), 4u);
  expectTensor(results[0], {2, 1}, {6, 15});
  expectTensor(results[1], {3}, {2.5, 3.5, 4.5});
  expectTensor(results[2], {}, {21});
  expectTensor(results[3], {2}, {2, 5});
}

TEST_F(InterpTest, TransposeAndReshape) {
  parse(R"mlir(
    func.func @f(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<6x4xf32>) {
      %t = tide.transpose %x permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
      %r = tide.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
      return %t, %r : tensor<4x2x3xf32>, tensor<6x4xf32>
    })mlir");
  // x[i][j][k] = 12 i + 4 j + k, so result[k][i][j] must equal 12 i + 4 j + k.
  Tensor x({2, 3, 4});
  for (int64_t i = 0; i < 24; ++i)
    x[i] = static_cast<double>(i);
  auto results = run("f", {x});
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(ArrayRef<int64_t>(results[0].shape), ArrayRef<int64_t>({4, 2, 3}));
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_EQ(results[0][k * 6 + i * 3 + j], 12 * i + 4 * j + k);
  // A reshape keeps the row-major element order.
  expectTensor(results[1], {6, 4}, x.data);
}

TEST_F(InterpTest, CausalAttentionByHand) {
  parse(R"mlir(
    func.func @f(%q: tensor<1x1x3x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>)
        -> (tensor<1x1x3x2xf32>, tensor<1x1x3xf32>) {
      %o, %lse = tide.attention %q, %k, %v causal scale = 1.0 chunks = [2, 2] with_lse
          : tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>
      return %o, %lse : tensor<1x1x3x2xf32>, tensor<1x1x3xf32>
    })mlir");
  // q = k = [[1,0],[0,1],[1,1]], v = [[1,2],[3,4],[5,6]], scale 1, causal (Tq = Tk).
  // Row 0 sees key 0: score 1 -> o = v0 = [1, 2], lse = 1.
  // Row 1 sees keys 0, 1: scores [0, 1], p = [1, e] / (1 + e) -> o = v0 + 2 e/(1+e) [1, 1]
  //   = [2.4621171572600096, 3.4621171572600096], lse = log(1 + e) = 1.3132616875182228.
  // Row 2 sees all: scores [1, 1, 2], p = [1, 1, e] / (2 + e)
  //   -> o = ([4, 6] + e [5, 6]) / (2 + e) = [3.728350654297488, 4.728350654297488],
  //   lse = 1 + log(2 + e) = 2.551444713932051.
  Tensor qk({1, 1, 3, 2}, {1, 0, 0, 1, 1, 1});
  auto results = run("f", {qk, qk, Tensor({1, 1, 3, 2}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(results.size(), 2u);
  expectTensor(
      results[0], {1, 1, 3, 2},
      {1, 2, 2.4621171572600096, 3.4621171572600096, 3.728350654297488, 4.728350654297488});
  expectTensor(results[1], {1, 1, 3}, {1, 1.3132616875182228, 2.551444713932051});
}

TEST_F(InterpTest, CausalAttentionBottomRightAndMaskedRows) {
  parse(R"mlir(
    func.func @f(%q: tensor<1x1x3x1xf32>, %k: tensor<1x1x1x1xf32>, %v: tensor<1x1x1x1xf32>)
        -> (tensor<1x1x3x1xf32>, tensor<1x1x3xf32>) {
      %o, %lse = tide.attention %q, %k, %v causal scale = 0.5 chunks = [1, 1] with_lse
          : tensor<1x1x3x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>
      return %o, %lse : tensor<1x1x3x1xf32>, tensor<1x1x3xf32>
    })mlir");
  // Tq = 3, Tk = 1: query i sees key j <= i + (1 - 3), so rows 0 and 1 see nothing (output 0,
  // lse -inf) and row 2 sees key 0: o = v0 = 7, lse = 0.5 * q2 * k0 = 0.5 * 3 * 2 = 3.
  auto results = run(
      "f", {Tensor({1, 1, 3, 1}, {1, 2, 3}), Tensor({1, 1, 1, 1}, {2}), Tensor({1, 1, 1, 1}, {7})});
  ASSERT_EQ(results.size(), 2u);
  expectTensor(results[0], {1, 1, 3, 1}, {0, 0, 7});
  EXPECT_EQ(results[1][0], -INFINITY);
  EXPECT_EQ(results[1][1], -INFINITY);
  EXPECT_NEAR(results[1][2], 3.0, kExact);
}

TEST_F(InterpTest, Losses) {
  parse(R"mlir(
    func.func @mse(%p: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<f32> {
      %l = tide.mse_loss %p, %t : tensor<3xf32>
      return %l : tensor<f32>
    }
    func.func @ce32(%x: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f32> {
      %l = tide.softmax_cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xi32>
      return %l : tensor<f32>
    }
    func.func @ce64(%x: tensor<2x3xf32>, %y: tensor<2xi64>) -> tensor<f32> {
      %l = tide.softmax_cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xi64>
      return %l : tensor<f32>
    })mlir");
  // mse([1,2,3], [1,0,0]) = (0 + 4 + 9) / 3.
  expectTensor(run("mse", {Tensor({3}, {1, 2, 3}), Tensor({3}, {1, 0, 0})})[0], {}, {13.0 / 3});
  // Row [1,2,3] with label 2: logsumexp - 3 = log(1 + e^-1 + e^-2) = 0.40760596444438013.
  // Row [1,1,1] with label 0: log 3 = 1.0986122886681098. Mean: 0.753109126556245.
  Tensor logits({2, 3}, {1, 2, 3, 1, 1, 1}), labels({2}, {2, 0});
  expectTensor(run("ce32", {logits, labels})[0], {}, {0.753109126556245});
  expectTensor(run("ce64", {logits, labels})[0], {}, {0.753109126556245});
}

TEST_F(InterpTest, CheckpointEvaluatesItsBody) {
  parse(R"mlir(
    func.func @f(%x: tensor<2xf32>, %w: tensor<2xf32>) -> tensor<2xf32> {
      %h = tide.checkpoint -> (tensor<2xf32>) {
        %a = tide.mul %x, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
        %b = tide.relu %a : tensor<2xf32>
        tide.yield %b : tensor<2xf32>
      }
      %y = tide.add %h, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir");
  // relu([1*3, -2*2]) + [1, -2] = [3, 0] + [1, -2] = [4, -2].
  expectTensor(run("f", {Tensor({2}, {1, -2}), Tensor({2}, {3, 2})})[0], {2}, {4, -2});
}

TEST_F(InterpTest, BroadcastHelpersScaleAndFill) {
  parse(R"mlir(
    func.func @f(%x: tensor<2x3xf32>, %r: tensor<3xf32>) -> (tensor<3xf32>, tensor<2x1xf32>,
        tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xf32>) {
      %a = tide.reduce_to_shape %x : tensor<2x3xf32> -> tensor<3xf32>
      %b = tide.reduce_to_shape %x : tensor<2x3xf32> -> tensor<2x1xf32>
      %c = tide.broadcast %r : tensor<3xf32> -> tensor<2x3xf32>
      %d = tide.scale %x by -1.5 : tensor<2x3xf32>
      %e = tide.fill 2.5 : tensor<2x2xf32>
      return %a, %b, %c, %d, %e : tensor<3xf32>, tensor<2x1xf32>, tensor<2x3xf32>,
                                  tensor<2x3xf32>, tensor<2x2xf32>
    })mlir");
  auto results = run("f", {Tensor({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor({3}, {7, 8, 9})});
  ASSERT_EQ(results.size(), 5u);
  expectTensor(results[0], {3}, {5, 7, 9});  // column sums
  expectTensor(results[1], {2, 1}, {6, 15}); // row sums
  expectTensor(results[2], {2, 3}, {7, 8, 9, 7, 8, 9});
  expectTensor(results[3], {2, 3}, {-1.5, -3, -4.5, -6, -7.5, -9});
  expectTensor(results[4], {2, 2}, {2.5, 2.5, 2.5, 2.5});
}

//===----------------------------------------------------------------------===//
// Gradient ops against central finite differences of their forward ops
//===----------------------------------------------------------------------===//

// Central differences in double with h = 1e-5 carry a truncation error of about h^2/6 |L'''|
// (~1e-11 here) and a rounding error of about 1e-16 |L| / h (~1e-11), far below the 1e-6
// relative bound for gradients of order 1e-3 and more. Gradients that are exactly zero (masked
// attention rows, relu's flat side) come out exactly zero both ways.
constexpr double kStep = 1e-5;
constexpr double kGradientTolerance = 1e-6;

class GradientOpTest : public InterpTest {
protected:
  /// Result `resultIndex` of @backward(args) must equal the central-difference gradient of
  /// @forward(args)'s loss with respect to argument `argIndex`, for every given pair.
  void expectGradients(ArrayRef<Tensor> args,
                       ArrayRef<std::pair<unsigned, unsigned>> argumentToResult) {
    SmallVector<Tensor> analytic = run("backward", args);
    ASSERT_FALSE(analytic.empty());
    for (auto [argIndex, resultIndex] : argumentToResult) {
      SCOPED_TRACE("argument #" + std::to_string(argIndex));
      auto numeric = numericGradient(function("forward"), args, argIndex, kStep);
      ASSERT_TRUE(succeeded(numeric));
      GradientComparison worst = compareGradients(analytic[resultIndex], *numeric);
      EXPECT_LE(worst.maxError, kGradientTolerance)
          << "element " << worst.worstElement << ": analytic " << worst.analytic << ", numeric "
          << worst.numeric;
      // Guard against a vacuous pass: the gradient must not be all zeros.
      double magnitude = 0.0;
      for (double value : numeric->data)
        magnitude += std::fabs(value);
      EXPECT_GT(magnitude, 1e-3);
    }
  }
};

/// forward(x, w) = sum(activation(x) * w); backward(x, w) = the gradient op applied to (x, w).
std::string activationModule(const std::string &forward, const std::string &backward) {
  return R"mlir(
    func.func @forward(%x: tensor<3x4xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
      %y = )mlir" +
         forward + R"mlir( : tensor<3x4xf32>
      %p = tide.mul %y, %w : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
      %l = tide.reduce_sum %p axes = [0, 1] : tensor<3x4xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @backward(%x: tensor<3x4xf32>, %w: tensor<3x4xf32>) -> tensor<3x4xf32> {
      %d = )mlir" +
         backward + R"mlir( : tensor<3x4xf32>
      return %d : tensor<3x4xf32>
    })mlir";
}

TEST_F(GradientOpTest, ActivationGradients) {
  // Inputs kept at least 0.1 away from relu's kink at 0.
  Tensor x = randomTensor({3, 4}, 11, -2.0, 2.0);
  for (double &value : x.data)
    value += value < 0 ? -0.1 : 0.1;
  Tensor w = randomTensor({3, 4}, 12);
  for (auto [forward, backward] :
       {std::pair<std::string, std::string>{"tide.relu %x", "tide.relu_grad %x, %w"},
        {"tide.tanh %x", "tide.tanh_grad %x, %w"},
        {"tide.gelu %x tanh", "tide.gelu_grad %x, %w tanh"},
        {"tide.gelu %x exact", "tide.gelu_grad %x, %w exact"}}) {
    SCOPED_TRACE(backward);
    parse(activationModule(forward, backward));
    expectGradients({x, w}, {{0, 0}});
  }
}

TEST_F(GradientOpTest, SoftmaxGradientAlongEachAxis) {
  for (std::string axis : {"0", "-1"}) {
    SCOPED_TRACE("axis " + axis);
    parse(R"mlir(
      func.func @forward(%x: tensor<3x4xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
        %y = tide.softmax %x axis = )mlir" +
          axis + R"mlir( : tensor<3x4xf32>
        %p = tide.mul %y, %w : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
        %l = tide.reduce_sum %p axes = [0, 1] : tensor<3x4xf32> -> tensor<f32>
        return %l : tensor<f32>
      }
      func.func @backward(%x: tensor<3x4xf32>, %w: tensor<3x4xf32>) -> tensor<3x4xf32> {
        %y = tide.softmax %x axis = )mlir" +
          axis + R"mlir( : tensor<3x4xf32>
        %d = tide.softmax_grad %y, %w axis = )mlir" +
          axis + R"mlir( : tensor<3x4xf32>
        return %d : tensor<3x4xf32>
      })mlir");
    expectGradients({randomTensor({3, 4}, 21, -2, 2), randomTensor({3, 4}, 22)}, {{0, 0}});
  }
}

TEST_F(GradientOpTest, LayerNormGradientOverTwoTrailingDims) {
  parse(R"mlir(
    func.func @forward(%x: tensor<2x3x4xf32>, %g: tensor<3x4xf32>, %b: tensor<3x4xf32>,
                       %w: tensor<2x3x4xf32>) -> tensor<f32> {
      %y = tide.layer_norm %x, %g, %b axis = 1 epsilon = 1.0e-05
          : tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
      %p = tide.mul %y, %w : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
      %l = tide.reduce_sum %p axes = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @backward(%x: tensor<2x3x4xf32>, %g: tensor<3x4xf32>, %b: tensor<3x4xf32>,
                        %w: tensor<2x3x4xf32>)
        -> (tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
      %y, %s:2 = tide.layer_norm %x, %g, %b axis = 1 epsilon = 1.0e-05 with_stats
          : tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
      %dx, %dg, %db = tide.layer_norm_grad %x, %g, %s#0, %s#1, %w axis = 1
          : tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<2xf32>
      return %dx, %dg, %db : tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
    })mlir");
  expectGradients({randomTensor({2, 3, 4}, 31, -2, 2), randomTensor({3, 4}, 32),
                   randomTensor({3, 4}, 33), randomTensor({2, 3, 4}, 34)},
                  {{0, 0}, {1, 1}, {2, 2}});
}

/// forward = sum(attention(q, k, v) * w); backward = attention_grad with the saved lse.
std::string attentionModule(int64_t seqQ, int64_t seqK, bool causal) {
  std::string q = "tensor<1x2x" + std::to_string(seqQ) + "x4xf32>";
  std::string k = "tensor<1x2x" + std::to_string(seqK) + "x4xf32>";
  std::string lse = "tensor<1x2x" + std::to_string(seqQ) + "xf32>";
  std::string attrs = std::string(causal ? "causal " : "") + "scale = 0.5 chunks = [2, 3]";
  return "func.func @forward(%q: " + q + ", %k: " + k + ", %v: " + k + ", %w: " + q +
         ") -> tensor<f32> {\n"
         "  %o = tide.attention %q, %k, %v " +
         attrs + " : " + q + ", " + k + ", " + k +
         "\n"
         "  %p = tide.mul %o, %w : (" +
         q + ", " + q + ") -> " + q +
         "\n"
         "  %l = tide.reduce_sum %p axes = [0, 1, 2, 3] : " +
         q +
         " -> tensor<f32>\n"
         "  return %l : tensor<f32>\n}\n"
         "func.func @backward(%q: " +
         q + ", %k: " + k + ", %v: " + k + ", %w: " + q + ") -> (" + q + ", " + k + ", " + k +
         ") {\n"
         "  %o, %lse = tide.attention %q, %k, %v " +
         attrs + " with_lse : " + q + ", " + k + ", " + k +
         "\n"
         "  %dq, %dk, %dv = tide.attention_grad %q, %k, %v, %o, %lse, %w " +
         attrs + " : " + q + ", " + k + ", " + lse +
         "\n"
         "  return %dq, %dk, %dv : " +
         q + ", " + k + ", " + k + "\n}\n";
}

TEST_F(GradientOpTest, AttentionGradient) {
  // Causal with more keys than queries (bottom-right aligned), causal with more queries than
  // keys (the first two query rows see no key), and unmasked.
  for (auto [seqQ, seqK, causal] :
       {std::tuple<int64_t, int64_t, bool>{3, 5, true}, {4, 2, true}, {3, 5, false}}) {
    SCOPED_TRACE(std::to_string(seqQ) + "x" + std::to_string(seqK) + (causal ? " causal" : ""));
    parse(attentionModule(seqQ, seqK, causal));
    expectGradients({randomTensor({1, 2, seqQ, 4}, 41, -2, 2),
                     randomTensor({1, 2, seqK, 4}, 42, -2, 2), randomTensor({1, 2, seqK, 4}, 43),
                     randomTensor({1, 2, seqQ, 4}, 44)},
                    {{0, 0}, {1, 1}, {2, 2}});
  }
}

TEST_F(GradientOpTest, MseLossGradient) {
  parse(R"mlir(
    func.func @forward(%p: tensor<2x3xf32>, %t: tensor<2x3xf32>, %g: tensor<f32>) -> tensor<f32> {
      %l = tide.mse_loss %p, %t : tensor<2x3xf32>
      %s = tide.mul %l, %g : (tensor<f32>, tensor<f32>) -> tensor<f32>
      return %s : tensor<f32>
    }
    func.func @backward(%p: tensor<2x3xf32>, %t: tensor<2x3xf32>, %g: tensor<f32>)
        -> tensor<2x3xf32> {
      %d = tide.mse_loss_grad %p, %t, %g : tensor<2x3xf32>, tensor<f32>
      return %d : tensor<2x3xf32>
    })mlir");
  expectGradients({randomTensor({2, 3}, 51), randomTensor({2, 3}, 52), Tensor::scalar(2.5)},
                  {{0, 0}});
}

TEST_F(GradientOpTest, SoftmaxCrossEntropyGradient) {
  parse(R"mlir(
    func.func @forward(%x: tensor<2x3x4xf32>, %y: tensor<2x3xi64>, %g: tensor<f32>)
        -> tensor<f32> {
      %l = tide.softmax_cross_entropy %x, %y : tensor<2x3x4xf32>, tensor<2x3xi64>
      %s = tide.mul %l, %g : (tensor<f32>, tensor<f32>) -> tensor<f32>
      return %s : tensor<f32>
    }
    func.func @backward(%x: tensor<2x3x4xf32>, %y: tensor<2x3xi64>, %g: tensor<f32>)
        -> tensor<2x3x4xf32> {
      %d = tide.softmax_cross_entropy_grad %x, %y, %g
          : tensor<2x3x4xf32>, tensor<2x3xi64>, tensor<f32>
      return %d : tensor<2x3x4xf32>
    })mlir");
  expectGradients({randomTensor({2, 3, 4}, 61, -2, 2), Tensor({2, 3}, {0, 3, 1, 2, 2, 0}),
                   Tensor::scalar(0.75)},
                  {{0, 0}});
}

TEST_F(GradientOpTest, ReduceToShapeIsTheAdjointOfBroadcast) {
  parse(R"mlir(
    func.func @forward(%x: tensor<3x1xf32>, %w: tensor<2x3x4xf32>) -> tensor<f32> {
      %b = tide.broadcast %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
      %p = tide.mul %b, %w : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
      %l = tide.reduce_sum %p axes = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @backward(%x: tensor<3x1xf32>, %w: tensor<2x3x4xf32>) -> tensor<3x1xf32> {
      %d = tide.reduce_to_shape %w : tensor<2x3x4xf32> -> tensor<3x1xf32>
      return %d : tensor<3x1xf32>
    })mlir");
  expectGradients({randomTensor({3, 1}, 71), randomTensor({2, 3, 4}, 72)}, {{0, 0}});
}

TEST_F(GradientOpTest, BroadcastIsTheAdjointOfReduceMean) {
  parse(R"mlir(
    func.func @forward(%x: tensor<2x3x4xf32>, %w: tensor<2x1x4xf32>) -> tensor<f32> {
      %m = tide.reduce_mean %x axes = [1] keep_dims : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
      %p = tide.mul %m, %w : (tensor<2x1x4xf32>, tensor<2x1x4xf32>) -> tensor<2x1x4xf32>
      %l = tide.reduce_sum %p axes = [0, 1, 2] : tensor<2x1x4xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @backward(%x: tensor<2x3x4xf32>, %w: tensor<2x1x4xf32>) -> tensor<2x3x4xf32> {
      %b = tide.broadcast %w : tensor<2x1x4xf32> -> tensor<2x3x4xf32>
      %d = tide.scale %b by 0.33333333333333331 : tensor<2x3x4xf32>
      return %d : tensor<2x3x4xf32>
    })mlir");
  expectGradients({randomTensor({2, 3, 4}, 81), randomTensor({2, 1, 4}, 82)}, {{0, 0}});
}

TEST_F(GradientOpTest, TransposedMatmulsAreTheMatmulGradients) {
  parse(R"mlir(
    func.func @forward(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %w: tensor<2x3x5xf32>)
        -> tensor<f32> {
      %y = tide.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
      %p = tide.mul %y, %w : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
      %l = tide.reduce_sum %p axes = [0, 1, 2] : tensor<2x3x5xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @backward(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %w: tensor<2x3x5xf32>)
        -> (tensor<2x3x4xf32>, tensor<4x5xf32>) {
      // dA = W B^T; dB = sum over the batch of A^T W.
      %da = tide.matmul %w, %b transpose_rhs
          : (tensor<2x3x5xf32>, tensor<4x5xf32>) -> tensor<2x3x4xf32>
      %db2 = tide.matmul %a, %w transpose_lhs
          : (tensor<2x3x4xf32>, tensor<2x3x5xf32>) -> tensor<2x4x5xf32>
      %db = tide.reduce_sum %db2 axes = [0] : tensor<2x4x5xf32> -> tensor<4x5xf32>
      return %da, %db : tensor<2x3x4xf32>, tensor<4x5xf32>
    })mlir");
  expectGradients(
      {randomTensor({2, 3, 4}, 91), randomTensor({4, 5}, 92), randomTensor({2, 3, 5}, 93)},
      {{0, 0}, {1, 1}});
}

//===----------------------------------------------------------------------===//
// Optimizer updates, one step by hand (PyTorch conventions)
//===----------------------------------------------------------------------===//

TEST_F(InterpTest, SgdWithAndWithoutVelocity) {
  parse(R"mlir(
    func.func @plain(%p: tensor<2xf32>, %g: tensor<2xf32>) -> tensor<2xf32> {
      %n = tide.sgd_update %p, %g lr = 0.1 momentum = 0.0 weight_decay = 0.01 : tensor<2xf32>
      return %n : tensor<2xf32>
    }
    func.func @momentum(%p: tensor<2xf32>, %g: tensor<2xf32>, %v: tensor<2xf32>)
        -> (tensor<2xf32>, tensor<2xf32>) {
      %n, %nv = tide.sgd_update %p, %g velocity %v : tensor<2xf32> lr = 0.1 momentum = 0.9
          weight_decay = 0.01 : tensor<2xf32>
      return %n, %nv : tensor<2xf32>, tensor<2xf32>
    })mlir");
  // p = [1, -2], grad = [0.5, 0.5]: g = grad + 0.01 p = [0.51, 0.48].
  // Plain: p - 0.1 g = [0.949, -2.048].
  Tensor p({2}, {1, -2}), g({2}, {0.5, 0.5});
  expectTensor(run("plain", {p, g})[0], {2}, {0.949, -2.048});
  // Momentum 0.9, v = [1, 0]: v' = 0.9 v + g = [1.41, 0.48]; p' = p - 0.1 v' = [0.859, -2.048].
  auto results = run("momentum", {p, g, Tensor({2}, {1, 0})});
  ASSERT_EQ(results.size(), 2u);
  expectTensor(results[0], {2}, {0.859, -2.048});
  expectTensor(results[1], {2}, {1.41, 0.48});
}

TEST_F(InterpTest, AdamStepsOneAndTwo) {
  parse(R"mlir(
    func.func @f(%p: tensor<1xf32>, %g: tensor<1xf32>, %m: tensor<1xf32>, %v: tensor<1xf32>)
        -> (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) {
      %np, %nm, %nv = tide.adam_update %p, %g, %m, %v lr = 1.0e-03 betas = [0.9, 0.999]
          epsilon = 1.0e-08 weight_decay = 0.0 : tensor<1xf32>
      return %np, %nm, %nv : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
    })mlir");
  // p = 1, grad = 0.5, m = 0.1, v = 0.04:
  // m' = 0.9 * 0.1 + 0.1 * 0.5 = 0.14; v' = 0.999 * 0.04 + 0.001 * 0.25 = 0.04021.
  // t = 1: p' = 1 - 1e-3 * (0.14 / 0.1) / (sqrt(0.04021 / 0.001) + 1e-8) = 0.9997792193546632.
  // t = 2: p' = 1 - 1e-3 * (0.14 / 0.19) / (sqrt(0.04021 / 0.001999) + 1e-8)
  //           = 0.9998357089919813.
  SmallVector<Tensor> args = {Tensor({1}, {1}), Tensor({1}, {0.5}), Tensor({1}, {0.1}),
                              Tensor({1}, {0.04})};
  auto first = run("f", args);
  ASSERT_EQ(first.size(), 3u);
  expectTensor(first[0], {1}, {0.9997792193546632});
  expectTensor(first[1], {1}, {0.14});
  expectTensor(first[2], {1}, {0.04021});
  InterpreterOptions second;
  second.step = 2;
  expectTensor(run("f", args, second)[0], {1}, {0.9998357089919813});
  InterpreterOptions zero;
  zero.step = 0;
  EXPECT_NE(runExpectingError("f", args, zero).find("adam step must be >= 1"), std::string::npos);
}

TEST_F(InterpTest, AdamWeightDecayIsAddedToTheGradient) {
  parse(R"mlir(
    func.func @f(%p: tensor<1xf32>, %g: tensor<1xf32>, %m: tensor<1xf32>, %v: tensor<1xf32>)
        -> (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) {
      %np, %nm, %nv = tide.adam_update %p, %g, %m, %v lr = 0.5 betas = [0.5, 0.75]
          epsilon = 0.25 weight_decay = 0.5 : tensor<1xf32>
      return %np, %nm, %nv : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
    })mlir");
  // p = 2, grad = 1, m = v = 0: g = 1 + 0.5 * 2 = 2; m' = 0.5 * 2 = 1; v' = 0.25 * 4 = 1.
  // t = 1: m^ = 1 / 0.5 = 2, v^ = 1 / 0.25 = 4; p' = 2 - 0.5 * 2 / (2 + 0.25) = 1.5555...
  auto results = run("f", {Tensor({1}, {2}), Tensor({1}, {1}), Tensor({1}, {0}), Tensor({1}, {0})});
  ASSERT_EQ(results.size(), 3u);
  expectTensor(results[0], {1}, {2.0 - 1.0 / 2.25});
  expectTensor(results[1], {1}, {1});
  expectTensor(results[2], {1}, {1});
}

//===----------------------------------------------------------------------===//
// Errors: located, never a crash
//===----------------------------------------------------------------------===//

TEST_F(InterpTest, LabelOutOfRangeIsALocatedError) {
  parse(R"mlir(func.func @f(%x: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f32> {
  %l = tide.softmax_cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xi32>
  return %l : tensor<f32>
})mlir");
  Tensor logits({2, 3}, {1, 2, 3, 4, 5, 6});
  std::string message = runExpectingError("f", {logits, Tensor({2}, {0, 3})});
  EXPECT_NE(message.find("line 2: label 3 at row 1 is out of range [0, 3)"), std::string::npos)
      << message;
  message = runExpectingError("f", {logits, Tensor({2}, {-1, 0})});
  EXPECT_NE(message.find("label -1 at row 0 is out of range"), std::string::npos) << message;
  message = runExpectingError("f", {logits, Tensor({2}, {0.5, 0})});
  EXPECT_NE(message.find("argument #1 of integer type"), std::string::npos) << message;
}

TEST_F(InterpTest, UnknownOpIsALocatedError) {
  context.allowUnregisteredDialects();
  parse(R"mlir(func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = tide.relu %x : tensor<2xf32>
  %z = "other.op"(%y) : (tensor<2xf32>) -> tensor<2xf32>
  return %z : tensor<2xf32>
})mlir");
  std::string message = runExpectingError("f", {Tensor({2}, {1, 2})});
  EXPECT_NE(message.find("line 3: the tide interpreter has no semantics for 'other.op'"),
            std::string::npos)
      << message;
}

TEST_F(InterpTest, WrongArgumentsAreErrors) {
  parse(R"mlir(func.func @f(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<2x3xf32> {
  %z = tide.add %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
})mlir");
  Tensor x({2, 3}, 1.0), y({3}, 2.0);
  EXPECT_NE(runExpectingError("f", {x}).find("expected 2 arguments, got 1"), std::string::npos);
  EXPECT_NE(runExpectingError("f", {x, Tensor(ArrayRef<int64_t>{2, 3})})
                .find("argument #1 has shape [2, 3] but the function expects [3]"),
            std::string::npos);
  EXPECT_NE(runExpectingError("f", {x, Tensor({3}, std::vector<double>{1, 2})})
                .find("argument #1 holds 2 elements but its shape [3] has 3"),
            std::string::npos);
  // The same function evaluates once the arguments are right.
  expectTensor(run("f", {x, y})[0], {2, 3}, {3, 3, 3, 3, 3, 3});
}

TEST_F(InterpTest, ExternalFunctionIsAnError) {
  parse("func.func private @f(%x: tensor<2xf32>) -> tensor<2xf32>");
  EXPECT_NE(runExpectingError("f", {Tensor(ArrayRef<int64_t>{2})}).find("without a body"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Helpers: gradient checks and random arguments
//===----------------------------------------------------------------------===//

TEST_F(InterpTest, CentralDifferenceOfAQuadratic) {
  parse(R"mlir(
    func.func @f(%x: tensor<2xf32>) -> tensor<f32> {
      %s = tide.mul %x, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
      %l = tide.reduce_sum %s axes = [0] : tensor<2xf32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir");
  // L = x0^2 + x1^2: the central difference of a quadratic is exact up to rounding, 2 x_i.
  SmallVector<Tensor> args = {Tensor({2}, {1.5, -3})};
  auto d1 = centralDifference(function("f"), args, 0, 1, 1e-3);
  ASSERT_TRUE(succeeded(d1));
  EXPECT_NEAR(*d1, -6.0, 1e-9);
  auto gradient = numericGradient(function("f"), args, 0, 1e-3);
  ASSERT_TRUE(succeeded(gradient));
  expectTensor(*gradient, {2}, {3, -6}, 1e-9);
  // Bad requests are errors, not crashes.
  std::string messages;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
    messages += diagnostic.str() + "\n";
    return success();
  });
  EXPECT_TRUE(failed(centralDifference(function("f"), args, 1, 0, 1e-3)));
  EXPECT_TRUE(failed(centralDifference(function("f"), args, 0, 2, 1e-3)));
  EXPECT_TRUE(failed(centralDifference(function("f"), args, 0, 0, 0.0)));
  EXPECT_NE(messages.find("only 1 arguments are given"), std::string::npos) << messages;
  EXPECT_NE(messages.find("element 2 of argument #0, which has 2 elements"), std::string::npos);
  EXPECT_NE(messages.find("step must be positive"), std::string::npos);
}

TEST_F(InterpTest, RelativeErrorAndComparison) {
  EXPECT_NEAR(relativeError(1.0, 1.1), 0.1 / 1.1, 1e-15);
  EXPECT_DOUBLE_EQ(relativeError(0.0, 0.0), 0.0);
  // The floor turns the bound into an absolute one for tiny values.
  EXPECT_NEAR(relativeError(1e-12, 2e-12, 1e-6), 1e-6, 1e-18);
  GradientComparison worst = compareGradients(Tensor({3}, {1, 2, 3}), Tensor({3}, {1, 2.5, NAN}));
  EXPECT_TRUE(std::isnan(worst.maxError));
  EXPECT_EQ(worst.worstElement, 2);
  worst = compareGradients(Tensor({3}, {1, 2, 3}), Tensor({3}, {1, 2.5, 3}));
  EXPECT_NEAR(worst.maxError, 0.2, 1e-15);
  EXPECT_EQ(worst.worstElement, 1);
}

TEST_F(InterpTest, RandomArgumentsRespectLabelsAndAdamState) {
  parse(R"mlir(
    func.func @f(%x: tensor<8x5xf32>, %y: tensor<8xi32>, %p: tensor<3xf32>, %m: tensor<3xf32>,
                 %v: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>, tensor<3xf32>,
                                        tensor<3xf32>) {
      %l = tide.softmax_cross_entropy %x, %y : tensor<8x5xf32>, tensor<8xi32>
      %np, %nm, %nv = tide.adam_update %p, %p, %m, %v lr = 1.0e-03 betas = [0.9, 0.999]
          epsilon = 1.0e-08 weight_decay = 0.0 : tensor<3xf32>
      return %l, %np, %nm, %nv : tensor<f32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
    })mlir");
  auto args = makeRandomArguments(function("f"), 7, 0.5);
  ASSERT_TRUE(succeeded(args));
  ASSERT_EQ(args->size(), 5u);
  bool sawNegative = false;
  for (double value : (*args)[0].data) {
    EXPECT_TRUE(value >= -0.5 && value < 0.5);
    sawNegative |= value < 0;
  }
  EXPECT_TRUE(sawNegative);
  for (double label : (*args)[1].data)
    EXPECT_TRUE(label >= 0 && label < 5 && label == std::floor(label)) << label;
  for (double value : (*args)[4].data)
    EXPECT_TRUE(value >= 0 && value < 0.5) << value; // Adam's v is never negative.
  // The same seed gives the same arguments; another seed does not.
  auto again = makeRandomArguments(function("f"), 7, 0.5);
  auto other = makeRandomArguments(function("f"), 8, 0.5);
  EXPECT_EQ((*args)[0].data, (*again)[0].data);
  EXPECT_NE((*args)[0].data, (*other)[0].data);
  auto results = run("f", *args);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(std::isfinite(results[0][0]));
}

} // namespace
