// GraphBuilder: shape inference of every op, the error message of every rule (the tide
// dialect's own, reported at the call that broke it), sticky errors, checkpoint regions and their
// visibility rules, and the exact MLIR text of small graphs (MLIR's printer).
#include "tidemark/builder.h"

#include "builder_test_util.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tidemark::builder {
namespace {

using Shape = std::vector<int64_t>;

// Expects the builder's first error to contain `fragment`.
void expectError(const GraphBuilder &b, const std::string &fragment) {
  Status status = b.status();
  ASSERT_FALSE(status.ok()) << "expected an error containing: " << fragment;
  EXPECT_NE(status.message().find(fragment), std::string::npos)
      << "message: " << status.message() << "\nexpected to contain: " << fragment;
  EXPECT_EQ(b.toMlir(), "");
}

TEST(GraphBuilderTest, InfersShapesOfEveryOp) {
  GraphBuilder b("f");
  Value x = b.input("x", {4, 8, 16});
  Value w = b.param("w", {16, 32}, ParamInit::normal(0.02));
  Value bias = b.param("bias", {32}, ParamInit::zeros());
  Value y = b.matmul(x, w);
  EXPECT_EQ(b.shape(y), (Shape{4, 8, 32}));
  EXPECT_EQ(b.shape(b.add(y, bias)), (Shape{4, 8, 32}));
  EXPECT_EQ(b.shape(b.mul(b.input("col", {4, 1, 1}), y)), (Shape{4, 8, 32}));
  EXPECT_EQ(b.shape(b.matmul(x, x, /*transposeLhs=*/true)), (Shape{4, 16, 16}));
  EXPECT_EQ(b.shape(b.matmul(x, x, false, /*transposeRhs=*/true)), (Shape{4, 8, 8}));
  EXPECT_EQ(b.shape(b.matmul(b.input("a", {2, 1, 3, 5}), b.input("c", {6, 5, 7}))),
            (Shape{2, 6, 3, 7}));
  EXPECT_EQ(b.shape(b.reduceSum(y, {0, -1})), (Shape{8}));
  EXPECT_EQ(b.shape(b.reduceMean(y, {1}, /*keepDims=*/true)), (Shape{4, 1, 32}));
  EXPECT_EQ(b.shape(b.reduceSum(y, {0, 1, 2})), (Shape{}));
  EXPECT_EQ(b.shape(b.transpose(y, {2, 0, 1})), (Shape{32, 4, 8}));
  Value heads = b.reshape(y, {4, 8, 4, 8});
  EXPECT_EQ(b.shape(heads), (Shape{4, 8, 4, 8}));
  Value attended = b.attention(heads, heads, heads, {true, 0.125, 3, 5});
  EXPECT_EQ(b.shape(attended), (Shape{4, 8, 4, 8}));
  EXPECT_EQ(b.shape(b.gelu(y)), (Shape{4, 8, 32}));
  EXPECT_EQ(b.shape(b.softmax(y, 1)), (Shape{4, 8, 32}));
  Value g = b.param("g", {8, 32}, ParamInit::ones());
  EXPECT_EQ(b.shape(b.layerNorm(y, g, g, 1)), (Shape{4, 8, 32}));
  Value labels = b.input("labels", {4, 8}, ElementType::I32);
  Value loss = b.softmaxCrossEntropy(y, labels);
  EXPECT_EQ(b.shape(loss), (Shape{}));
  EXPECT_EQ(b.elementType(labels), ElementType::I32);
  b.setOutputs({loss});
  EXPECT_TRUE(b.status().ok()) << b.status().message();
}

TEST(GraphBuilderTest, ReportsEachShapeRuleWithTheShapes) {
  struct Case {
    const char *fragment;
    Value (*build)(GraphBuilder &);
  };
  const Case cases[] = {
      {"tide.matmul: inner dimensions do not match: lhs [4, 8] has K = 8 but rhs [4, 8] has K = 4",
       [](GraphBuilder &b) {
         return b.matmul(b.input("a", {4, 8}), b.input("c", {4, 8}));
       }},
      {"tide.matmul: operands must have rank >= 2, got lhs rank 1 and rhs rank 2",
       [](GraphBuilder &b) {
         return b.matmul(b.input("a", {4}), b.input("c", {4, 8}));
       }},
      {"tide.matmul: batch dimensions [2] and [3] are not broadcast-compatible (trailing "
       "dimensions must be equal or 1)",
       [](GraphBuilder &b) {
         return b.matmul(b.input("a", {2, 4, 4}), b.input("c", {3, 4, 4}));
       }},
      {"tide.add: operand shapes [4, 8] and [4] are not broadcast-compatible",
       [](GraphBuilder &b) {
         return b.add(b.input("a", {4, 8}), b.input("c", {4}));
       }},
      {"tide.softmax: axis 2 is out of range for a tensor of rank 2 (expected an axis in [-2, 2))",
       [](GraphBuilder &b) {
         return b.softmax(b.input("a", {4, 8}), 2);
       }},
      {"tide.layer_norm: scale shape [4] must equal the normalized shape [8]",
       [](GraphBuilder &b) {
         Value s = b.param("s", {4}, ParamInit::ones());
         return b.layerNorm(b.input("a", {4, 8}), s, s);
       }},
      {"tide.layer_norm: epsilon must be positive and finite (as a 32-bit float), got "
       "0.000000e+00",
       [](GraphBuilder &b) {
         Value s = b.param("s", {8}, ParamInit::ones());
         return b.layerNorm(b.input("a", {4, 8}), s, s, -1, 0.0);
       }},
      {"tide.reduce_sum: reduction axis -2 is listed more than once",
       [](GraphBuilder &b) {
         return b.reduceSum(b.input("a", {4, 8}), {0, -2});
       }},
      {"tide.reduce_mean: axes must not be empty",
       [](GraphBuilder &b) {
         return b.reduceMean(b.input("a", {4, 8}), {});
       }},
      {"tide.transpose: permutation [0, 0] lists dimension 0 more than once",
       [](GraphBuilder &b) {
         return b.transpose(b.input("a", {4, 8}), {0, 0});
       }},
      {"tide.transpose: permutation [0] has 1 entries but the input has rank 2",
       [](GraphBuilder &b) {
         return b.transpose(b.input("a", {4, 8}), {0});
       }},
      {"tide.reshape: cannot reshape 'tensor<4x8xf32>' (32 elements) to 'tensor<5x8xf32>' (40 "
       "elements)",
       [](GraphBuilder &b) {
         return b.reshape(b.input("a", {4, 8}), {5, 8});
       }},
      {"tide.attention: query must have rank 4 [batch, heads, seq, head_dim], got "
       "'tensor<4x8xf32>'",
       [](GraphBuilder &b) {
         Value a = b.input("a", {4, 8});
         return b.attention(a, a, a, {});
       }},
      {"tide.attention: chunk sizes must be positive, got [0, 4]",
       [](GraphBuilder &b) {
         Value a = b.input("a", {1, 2, 4, 8});
         return b.attention(a, a, a, {true, 1.0, 0, 4});
       }},
      {"tide.attention: query head_dim 8 does not match key head_dim 4",
       [](GraphBuilder &b) {
         Value k = b.input("k", {1, 2, 4, 4});
         return b.attention(b.input("q", {1, 2, 4, 8}), k, k, {});
       }},
      {"tide.mse_loss: prediction 'tensor<4x8xf32>' and target 'tensor<8x4xf32>' must have the "
       "same type",
       [](GraphBuilder &b) {
         return b.mseLoss(b.input("a", {4, 8}), b.input("c", {8, 4}));
       }},
      {"tide.softmax_cross_entropy: labels shape [8] must equal the logits' row shape [4] (logits "
       "[4, 8] without the class dimension)",
       [](GraphBuilder &b) {
         return b.softmaxCrossEntropy(b.input("a", {4, 8}), b.input("l", {8}, ElementType::I32));
       }},
      {"tide.softmax_cross_entropy: labels must be i32 or i64, got 'f32'",
       [](GraphBuilder &b) {
         return b.softmaxCrossEntropy(b.input("a", {4, 8}), b.input("l", {4}));
       }},
      {"tide.relu: operand #0 must be ranked tensor of floating-point values, but got "
       "'tensor<4xi32>'; operand #0 is input 'l'",
       [](GraphBuilder &b) { return b.relu(b.input("l", {4}, ElementType::I32)); }},
  };
  for (const Case &c : cases) {
    GraphBuilder b("f");
    Value result = c.build(b);
    EXPECT_FALSE(result.valid()) << c.fragment;
    expectError(b, c.fragment);
  }
}

TEST(GraphBuilderTest, RulesOnlyTheVerifierChecksAreReportedAtTheCall) {
  // These rules are not part of any op's shape inference: the ODS operand type constraints and
  // tide.reshape's element count are checked by mlir::verify alone. Each failing call returns an
  // invalid value and records the error before the next call.
  {
    GraphBuilder b("f");
    Value r = b.relu(b.input("l", {4}, ElementType::I32));
    EXPECT_FALSE(r.valid());
    EXPECT_NE(b.status().message().find("tide.relu: operand #0 must be ranked tensor of "
                                        "floating-point values, but got 'tensor<4xi32>'"),
              std::string::npos)
        << b.status().message();
  }
  {
    GraphBuilder b("f");
    Value x = b.input("x", {4, 8});
    Value r = b.reshape(x, {3, 8});
    EXPECT_FALSE(r.valid());
    EXPECT_NE(b.status().message().find("tide.reshape: cannot reshape 'tensor<4x8xf32>' (32 "
                                        "elements) to 'tensor<3x8xf32>' (24 elements)"),
              std::string::npos)
        << b.status().message();
    EXPECT_FALSE(b.reshape(x, {8, 4}).valid()) << "errors are sticky";
  }
  {
    GraphBuilder b("f");
    Value x = b.input("x", {4, 8});
    EXPECT_FALSE(b.reshape(x, {-1, 8}).valid());
    expectError(b, "tide.reshape: target shape [-1, 8] has a dimension -1; every dimension must "
                   "be >= 1");
  }
  {
    GraphBuilder b("f");
    Value x = b.input("x", {4, 8});
    Value y = b.reshape(x, {1, 1, 1, 1, 1, 1, 32});
    EXPECT_FALSE(y.valid());
    expectError(b, "tide.reshape: result has rank 7; at most 6 is supported");
  }
  {
    // A valid op right before and after: only the broken call fails.
    GraphBuilder b("f");
    Value x = b.input("x", {2, 2, 4, 8});
    Value ok = b.attention(x, x, x, {true, 0.5, 2, 2});
    EXPECT_TRUE(ok.valid()) << b.status().message();
    EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition) << "only the missing outputs";
    EXPECT_FALSE(b.attention(x, x, x, {true, -1.0, 2, 2}).valid());
    expectError(b, "tide.attention: scale must be positive and finite");
  }
}

TEST(GraphBuilderTest, RejectsBadArguments) {
  GraphBuilder a("f");
  a.input("1x", {2});
  expectError(a, "input '1x': name must match [A-Za-z_][A-Za-z0-9_.-]*");
  GraphBuilder b("f");
  b.input("x", {2});
  b.param("x", {2}, ParamInit::zeros());
  expectError(b, "parameter 'x': an argument with this name already exists");
  GraphBuilder c("f");
  c.input("x", {2, 0});
  expectError(c, "input 'x': shape [2, 0] has a dimension 0; every dimension must be >= 1");
  GraphBuilder d("f");
  d.input("x", {1, 1, 1, 1, 1, 1, 1});
  expectError(d, "input 'x' has rank 7; at most 6 is supported, got 'tensor<1x1x1x1x1x1x1xf32>'");
  GraphBuilder d2("f");
  d2.input("x", {int64_t(1) << 41});
  expectError(d2, "input 'x' has a dimension of 2199023255552 (more than 2^40), got "
                  "'tensor<2199023255552xf32>'");
  GraphBuilder d3("f");
  d3.param("w", {int64_t(1) << 20, int64_t(1) << 19}, ParamInit::zeros());
  expectError(d3, "parameter 'w' 'tensor<1048576x524288xf32>' is larger than the "
                  "1099511627776-byte (1 TiB) limit of one tensor");
  GraphBuilder e("bad name");
  expectError(e, "function name 'bad name' must match");
  GraphBuilder f("f");
  f.param("w", {2}, ParamInit::normal(-1.0));
  expectError(f, "parameter 'w': normal initialisation needs a finite std >= 0");
}

TEST(GraphBuilderTest, KeepsTheFirstErrorAndPropagatesInvalidValues) {
  GraphBuilder b("f");
  Value x = b.input("x", {4, 8});
  Value bad = b.matmul(x, x); // K mismatch: the first error.
  Value worse = b.relu(bad);
  EXPECT_FALSE(worse.valid());
  b.softmax(x, 7); // A second error is not recorded over the first.
  b.setOutputs({worse});
  expectError(b, "tide.matmul: inner dimensions do not match");
  EXPECT_EQ(b.status().message().find("softmax"), std::string::npos);
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
}

TEST(GraphBuilderTest, ScopesPrefixParameterNamesAndErrors) {
  GraphBuilder b("f");
  Value x = b.input("x", {2, 4});
  {
    ScopeGuard outer(b, "blocks");
    ScopeGuard inner(b, "0");
    EXPECT_EQ(b.scope(), "blocks.0");
    b.param("w", {4, 4}, ParamInit::zeros());
    b.matmul(x, b.param("v", {3, 4}, ParamInit::zeros()));
  }
  EXPECT_EQ(b.scope(), "");
  ASSERT_EQ(b.parameters().size(), 2u);
  EXPECT_EQ(b.parameters()[0].name, "blocks.0.w");
  expectError(b, "tide.matmul (in blocks.0): inner dimensions");
}

TEST(GraphBuilderTest, CheckpointRulesAreEnforced) {
  {
    GraphBuilder b("f");
    b.beginCheckpoint();
    b.beginCheckpoint();
    expectError(b, "checkpoint region 1 is still open; checkpoint regions do not nest");
  }
  {
    GraphBuilder b("f");
    b.endCheckpoint({});
    expectError(b, "endCheckpoint() without a matching beginCheckpoint()");
  }
  {
    GraphBuilder b("f");
    Value x = b.input("x", {2});
    b.beginCheckpoint();
    b.endCheckpoint({x});
    expectError(b, "endCheckpoint() of region 1: the region has no ops");
  }
  {
    GraphBuilder b("f");
    Value x = b.input("x", {2});
    b.beginCheckpoint();
    Value inner = b.relu(x);
    b.endCheckpoint({b.tanh(x)});
    b.exp(inner);
    expectError(b, "tide.exp: operand #0 was defined inside checkpoint region 1 and is not "
                   "visible here; yield it from endCheckpoint() and use the result");
  }
  {
    GraphBuilder b("f");
    Value x = b.input("x", {2});
    b.setOutputs({x});
    b.beginCheckpoint();
    b.relu(x);
    EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(b.status().message().find("checkpoint region 1 is still open"), std::string::npos);
  }
  {
    GraphBuilder b("f");
    Value x = b.input("x", {2});
    b.beginCheckpoint();
    b.setOutputs({b.relu(x)});
    expectError(b, "setOutputs(): a value defined inside checkpoint region 1 cannot be returned");
  }
  {
    GraphBuilder b("f");
    b.input("x", {2});
    EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(b.status().message().find("call setOutputs()"), std::string::npos);
  }
}

TEST(GraphBuilderTest, EmitsExactTextWithACheckpointRegion) {
  GraphBuilder b("tiny");
  Value x = b.input("x", {2, 3});
  Value w = b.param("w", {3, 3}, ParamInit::normal(0.02));
  b.beginCheckpoint();
  Value h = b.gelu(b.matmul(x, w, false, true), GeluApproximation::Exact);
  Value s = b.softmax(h, 0);
  std::vector<Value> results = b.endCheckpoint({h, s});
  ASSERT_EQ(results.size(), 2u);
  Value sum = b.reduceSum(b.sub(results[0], results[1]), {1}, true);
  b.setOutputs({b.mseLoss(sum, b.input("t", {2, 1}))});
  ASSERT_TRUE(b.status().ok()) << b.status().message();
  EXPECT_EQ(b.numCheckpoints(), 1);
  // MLIR's printer, exactly as tide-opt prints the module: arguments %arg0..., results numbered
  // outside the region first.
  const char *expected = R"mlir(module {
  func.func @tiny(%arg0: tensor<2x3xf32>, %arg1: tensor<2x1xf32>, %arg2: tensor<3x3xf32> {tide.init = "normal(0, 0.02)", tide.param}) -> tensor<f32> attributes {tide.input_names = ["x", "t"], tide.param_names = ["w"]} {
    %0:2 = tide.checkpoint -> (tensor<2x3xf32>, tensor<2x3xf32>) {
      %4 = tide.matmul %arg0, %arg2 transpose_rhs : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
      %5 = tide.gelu %4 exact : tensor<2x3xf32>
      %6 = tide.softmax %5 axis = 0 : tensor<2x3xf32>
      tide.yield %5, %6 : tensor<2x3xf32>, tensor<2x3xf32>
    }
    %1 = tide.sub %0#0, %0#1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    %2 = tide.reduce_sum %1 axes = [1] keep_dims : tensor<2x3xf32> -> tensor<2x1xf32>
    %3 = tide.mse_loss %2, %arg1 : tensor<2x1xf32>
    return %3 : tensor<f32>
  }
}

)mlir";
  EXPECT_EQ(b.toMlir(), expected);
}

TEST(GraphBuilderTest, PrintsFloatAttributesAsTheExactDoubles) {
  // MLIR prints an F64 attribute in the shortest form that reads back as the same double.
  GraphBuilder b("f");
  Value x = b.input("x", {1, 1, 2, 4});
  Value g = b.param("g", {4}, ParamInit::ones());
  Value n1 = b.layerNorm(x, g, g, -1, 1e-5);
  Value n2 = b.layerNorm(n1, g, g, -1, 1.0);
  Value a = b.attention(n2, n2, n2, {false, 0.1, 2, 2});
  b.setOutputs({b.reduceSum(a, {0, 1, 2, 3})});
  std::string text = namedMlir(b);
  EXPECT_NE(text.find("epsilon = 1.000000e-05 :"), std::string::npos) << text;
  EXPECT_NE(text.find("epsilon = 1.000000e+00 :"), std::string::npos) << text;
  EXPECT_NE(text.find("%result_1 = tide.attention %result_0, %result_0, %result_0 scale = "
                      "1.000000e-01 chunks = [2, 2] :"),
            std::string::npos)
      << text;
  // A double without a short exact form prints all its digits.
  GraphBuilder c("f");
  Value y = c.input("y", {2, 4});
  c.setOutputs({c.rmsNorm(y, c.param("g", {4}, ParamInit::ones()), -1, 1e-6)});
  EXPECT_NE(namedMlir(c).find("epsilon = 9.9999999999999995E-7 :"), std::string::npos)
      << namedMlir(c);
}

} // namespace
} // namespace tidemark::builder

namespace tidemark::builder {
namespace {

TEST(GraphBuilderTest, TransformerOpsInferShapesAndPrintTheDialectSyntax) {
  GraphBuilder b("t");
  Value tokens = b.input("tokens", {2, 3}, ElementType::I32);
  Value labels = b.input("labels", {6}, ElementType::I32);
  Value table = b.param("wte", {10, 8}, ParamInit::normal(0.02));
  Value g = b.param("g", {8}, ParamInit::ones());
  Value e = b.gather(table, tokens);
  EXPECT_EQ(b.shape(e), (Shape{2, 3, 8}));
  Value n = b.rmsNorm(e, g, -1, 1e-5);
  Value q = b.reshape(n, {2, 3, 2, 4});
  RopeOptions rope;
  rope.layout = RopeLayout::BTHD;
  Value r = b.rope(q, rope);
  EXPECT_EQ(b.shape(r), (Shape{2, 3, 2, 4}));
  Value flat = b.reshape(r, {6, 8});
  Value d0 = b.dropout(flat, 0.1);
  Value d1 = b.dropout(b.silu(d0), 0.25);
  EXPECT_EQ(b.numDropouts(), 2);
  // One op per statement: argument evaluation order is unspecified.
  Value low = b.minimum(d1, g);
  Value absG = b.abs(g);
  Value m = b.maximum(low, b.neg(absG));
  Value gate = b.sigmoid(m);
  Value root = b.sqrt(b.abs(m));
  Value u = b.mul(gate, b.erf(b.rsqrt(root)));
  LmHeadLossOptions head;
  head.rowChunk = 4;
  head.vocabChunk = 4;
  head.bias = b.param("bias", {10}, ParamInit::zeros());
  Value loss = b.lmHeadLoss(u, table, labels, head);
  EXPECT_EQ(b.shape(loss), (Shape{}));
  b.setOutputs({loss});
  ASSERT_TRUE(b.status().ok()) << b.status().message();
  std::string text = namedMlir(b);
  // Ops with optional results (rms_norm, lm_head_loss) print their results by name.
  for (const char *line :
       {"%0 = tide.gather %wte, %tokens : tensor<10x8xf32>, tensor<2x3xi32>",
        "%result = tide.rms_norm %0, %g axis = -1 epsilon = 1.000000e-05 : tensor<2x3x8xf32>, "
        "tensor<8xf32>",
        "%1 = tide.reshape %result : tensor<2x3x8xf32> -> tensor<2x3x2x4xf32>",
        "%2 = tide.rope %1 bthd base = 1.000000e+04 rot_dim = 4 offset = 0 : tensor<2x3x2x4xf32>",
        "%4 = tide.dropout %3 p = 1.000000e-01 site = 0 : tensor<6x8xf32>",
        "%5 = tide.silu %4 : tensor<6x8xf32>",
        "%6 = tide.dropout %5 p = 2.500000e-01 site = 1 : tensor<6x8xf32>",
        "%7 = tide.minimum %6, %g : (tensor<6x8xf32>, tensor<8xf32>) -> tensor<6x8xf32>",
        "%8 = tide.abs %g : tensor<8xf32>", "%9 = tide.neg %8 : tensor<8xf32>",
        "%10 = tide.maximum %7, %9 : (tensor<6x8xf32>, tensor<8xf32>) -> tensor<6x8xf32>",
        "%11 = tide.sigmoid %10 : tensor<6x8xf32>", "%12 = tide.abs %10", "%13 = tide.sqrt %12",
        "%14 = tide.rsqrt %13", "%15 = tide.erf %14", "%16 = tide.mul %11, %15",
        "%loss = tide.lm_head_loss %16, %wte, %labels bias %bias : tensor<10xf32> ignore_index = "
        "-100 chunks = [4, 4] : tensor<6x8xf32>, tensor<10x8xf32>, tensor<6xi32>",
        "return %loss : tensor<f32>"})
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << text;
}

TEST(GraphBuilderTest, AttentionTakesGroupedKeyValueHeadsAndKeyLengths) {
  GraphBuilder b("a");
  Value q = b.input("q", {2, 8, 5, 4});
  Value kv = b.input("kv", {2, 2, 7, 4});
  Value lengths = b.input("lengths", {2}, ElementType::I32);
  AttentionOptions options;
  options.causal = false;
  options.scale = 0.5;
  options.queryChunk = 3;
  options.keyChunk = 3;
  options.keyLengths = lengths;
  Value a = b.attention(q, kv, kv, options);
  EXPECT_EQ(b.shape(a), (Shape{2, 8, 5, 4}));
  b.setOutputs({a});
  ASSERT_TRUE(b.status().ok()) << b.status().message();
  EXPECT_NE(namedMlir(b).find("%result = tide.attention %q, %kv, %kv key_lengths %lengths : "
                              "tensor<2xi32> scale = 5.000000e-01 chunks = [3, 3] : "
                              "tensor<2x8x5x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>"),
            std::string::npos)
      << namedMlir(b);
}

TEST(GraphBuilderTest, TransformerOpRulesAreReported) {
  struct Case {
    const char *fragment;
    Value (*build)(GraphBuilder &);
  };
  const Case cases[] = {
      {"tide.gather: table must have rank 2 [rows, dim], got 'tensor<10xf32>'",
       [](GraphBuilder &b) {
         return b.gather(b.param("t", {10}, ParamInit::zeros()),
                         b.input("i", {2}, ElementType::I32));
       }},
      {"tide.gather: operand #1 must be ranked tensor of 32-bit signless integer values, but "
       "got 'tensor<2xf32>'; operand #1 is input 'i'",
       [](GraphBuilder &b) {
         return b.gather(b.param("t", {10, 4}, ParamInit::zeros()), b.input("i", {2}));
       }},
      {"tide.gather: result #0 has rank 7; at most 6 is supported, got "
       "'tensor<1x1x1x1x1x1x4xf32>'",
       [](GraphBuilder &b) {
         return b.gather(b.param("t", {10, 4}, ParamInit::zeros()),
                         b.input("i", {1, 1, 1, 1, 1, 1}, ElementType::I32));
       }},
      {"tide.rms_norm: scale shape [4] must equal the normalized shape [3, 8]",
       [](GraphBuilder &b) {
         return b.rmsNorm(b.input("x", {2, 3, 8}), b.param("g", {4}, ParamInit::ones()), 1);
       }},
      {"tide.rms_norm: epsilon must be positive and finite (as a 32-bit float), got 1.000000e-50",
       [](GraphBuilder &b) {
         return b.rmsNorm(b.input("x", {2, 8}), b.param("g", {8}, ParamInit::ones()), -1, 1e-50);
       }},
      {"tide.rope: input must have rank 4",
       [](GraphBuilder &b) {
         return b.rope(b.input("x", {2, 3, 8}), RopeOptions{});
       }},
      {"tide.rope: rot_dim must be even and in [2, head_dim = 8], got 3",
       [](GraphBuilder &b) {
         RopeOptions options;
         options.rotDim = 3;
         return b.rope(b.input("x", {1, 2, 3, 8}), options);
       }},
      {"tide.rope: base must be positive and finite",
       [](GraphBuilder &b) {
         RopeOptions options;
         options.base = -1.0;
         return b.rope(b.input("x", {1, 2, 3, 8}), options);
       }},
      {"tide.rope: offset must be in [0, 2147483647], got -1",
       [](GraphBuilder &b) {
         RopeOptions options;
         options.offset = -1;
         return b.rope(b.input("x", {1, 2, 3, 8}), options);
       }},
      {"tide.dropout: p must be in [0, 1) (as a 32-bit float), got 1",
       [](GraphBuilder &b) { return b.dropout(b.input("x", {4}), 1.0); }},
      {"tide.dropout: p must be in [0, 1)",
       [](GraphBuilder &b) { return b.dropout(b.input("x", {4}), -0.1); }},
      {"tide.lm_head_loss: weight [10, 4] must have the hidden dim 8 ([vocab, dim])",
       [](GraphBuilder &b) {
         return b.lmHeadLoss(b.input("h", {6, 8}), b.param("w", {10, 4}, ParamInit::zeros()),
                             b.input("l", {6}, ElementType::I32), LmHeadLossOptions{});
       }},
      {"tide.lm_head_loss: labels [2, 3] must be [rows] = [6]",
       [](GraphBuilder &b) {
         return b.lmHeadLoss(b.input("h", {6, 8}), b.param("w", {10, 8}, ParamInit::zeros()),
                             b.input("l", {2, 3}, ElementType::I32), LmHeadLossOptions{});
       }},
      {"tide.lm_head_loss: operand #2 must be ranked tensor of 32-bit signless integer values, "
       "but got 'tensor<6xf32>'; operand #2 is input 'l'",
       [](GraphBuilder &b) {
         return b.lmHeadLoss(b.input("h", {6, 8}), b.param("w", {10, 8}, ParamInit::zeros()),
                             b.input("l", {6}), LmHeadLossOptions{});
       }},
      {"tide.lm_head_loss: hidden must be [rows, dim] and weight [vocab, dim], got "
       "'tensor<2x3x8xf32>' and 'tensor<10x8xf32>'",
       [](GraphBuilder &b) {
         return b.lmHeadLoss(b.input("h", {2, 3, 8}), b.param("w", {10, 8}, ParamInit::zeros()),
                             b.input("l", {6}, ElementType::I32), LmHeadLossOptions{});
       }},
      {"tide.lm_head_loss: bias [8] must be [vocab] = [10]",
       [](GraphBuilder &b) {
         LmHeadLossOptions options;
         options.bias = b.param("bias", {8}, ParamInit::zeros());
         return b.lmHeadLoss(b.input("h", {6, 8}), b.param("w", {10, 8}, ParamInit::zeros()),
                             b.input("l", {6}, ElementType::I32), options);
       }},
      {"tide.lm_head_loss: chunks must be in [1, 2147483647], got [0, 4]",
       [](GraphBuilder &b) {
         LmHeadLossOptions options;
         options.rowChunk = 0;
         options.vocabChunk = 4;
         return b.lmHeadLoss(b.input("h", {6, 8}), b.param("w", {10, 8}, ParamInit::zeros()),
                             b.input("l", {6}, ElementType::I32), options);
       }},
      {"tide.lm_head_loss: ignore_index must be a 32-bit integer",
       [](GraphBuilder &b) {
         LmHeadLossOptions options;
         options.ignoreIndex = int64_t(1) << 40;
         return b.lmHeadLoss(b.input("h", {6, 8}), b.param("w", {10, 8}, ParamInit::zeros()),
                             b.input("l", {6}, ElementType::I32), options);
       }},
      {"tide.attention: query heads 4 are not a multiple of key/value heads 3",
       [](GraphBuilder &b) {
         Value q = b.input("q", {1, 4, 2, 8});
         Value kv = b.input("kv", {1, 3, 2, 8});
         return b.attention(q, kv, kv, AttentionOptions{});
       }},
      {"tide.attention: key_lengths [3] must be [batch] = [2]",
       [](GraphBuilder &b) {
         Value q = b.input("q", {2, 4, 2, 8});
         AttentionOptions options;
         options.keyLengths = b.input("l", {3}, ElementType::I32);
         return b.attention(q, q, q, options);
       }},
      {"tide.attention: operand #3 must be ranked tensor of 32-bit signless integer values, but "
       "got 'tensor<2xf32>'; operand #3 is input 'l'",
       [](GraphBuilder &b) {
         Value q = b.input("q", {2, 4, 2, 8});
         AttentionOptions options;
         options.keyLengths = b.input("l", {2});
         return b.attention(q, q, q, options);
       }},
      {"tide.minimum: operand shapes [3] and [4] are not broadcast-compatible",
       [](GraphBuilder &b) { return b.minimum(b.input("x", {3}), b.input("y", {4})); }},
      {"tide.silu: operand #0 must be ranked tensor of floating-point values, but got "
       "'tensor<3xi32>'; operand #0 is input 'i'",
       [](GraphBuilder &b) { return b.silu(b.input("i", {3}, ElementType::I32)); }},
  };
  for (const Case &c : cases) {
    GraphBuilder b("f");
    Value v = c.build(b);
    EXPECT_FALSE(v.valid()) << c.fragment;
    b.setOutputs({v});
    expectError(b, c.fragment);
  }
}

} // namespace
} // namespace tidemark::builder
