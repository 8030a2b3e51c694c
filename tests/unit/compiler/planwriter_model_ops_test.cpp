//===- planwriter_model_ops_test.cpp - The transformer ops through plan and runtime ===//
//
// One case per op family added for real models: compile a small graph with the passes (autodiff
// with SGD, remat, schedule, assign-arena), write the plan, run one step with the runtime and
// compare the loss and every updated parameter with the reference interpreter evaluating the
// same planned function on the same values (tolerance as planwriter_run_test.cpp: the runtime
// computes in f32, the interpreter in double; 2e-4 relative + 1e-6 absolute). Dropout is
// compared through the same seed and step, so its masks must agree bit for bit (a single
// element kept on one side and dropped on the other is an O(1) error). Also: remat plans with
// dropout are bit-identical to the plan without remat, and bad ids / labels at run time fail with
// a message naming the tensor and the first bad position.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideOps.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/interp/RandomArguments.h"
#include "compiler/planwriter/PlanWriter.h"
#include "passes/Passes.h"
#include "tidemark/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <string>

using namespace mlir;
using tide::interp::Tensor;

namespace {

constexpr uint64_t kSeed = 0x5eed0fd20b0ULL;

class ModelOpsPlanTest : public ::testing::Test {
protected:
  ModelOpsPlanTest() {
    context.loadDialect<tide::TideDialect, func::FuncDialect, arith::ArithDialect>();
    static bool registered = [] {
      tide::registerTidePasses();
      return true;
    }();
    (void)registered;
  }

  func::FuncOp compile(const std::string &source, const std::string &pipeline) {
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module);
    if (!module)
      return nullptr;
    PassManager pm(&context);
    EXPECT_TRUE(succeeded(parsePassPipeline("func.func(" + pipeline + ")", pm)));
    EXPECT_TRUE(succeeded(pm.run(*module)));
    return *module->getOps<func::FuncOp>().begin();
  }

  std::unique_ptr<tidemark::Runtime> writeAndLoad(func::FuncOp func) {
    std::vector<uint8_t> plan;
    tide::PlanSummary summary;
    tide::PlanWriterOptions options;
    options.seed = kSeed;
    // bind() writes every state tensor before a step, so the plan's initial values are zeros.
    options.initialValues = tide::InitialValues::Zeros;
    EXPECT_TRUE(succeeded(tide::writePlan(func, options, &plan, &summary)));
    std::unique_ptr<tidemark::Runtime> runtime;
    tidemark::Status status = tidemark::Runtime::LoadFromMemory(
        plan.data(), plan.size(), tidemark::PlanMemory::kCopy, {}, &runtime);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return runtime;
  }

  /// Binds args to the runtime's inputs and state tensors (both in argument order).
  static void bind(tidemark::Runtime &runtime, func::FuncOp func, const std::vector<Tensor> &args) {
    size_t input = 0, param = 0;
    for (BlockArgument arg : func.getArguments()) {
      unsigned i = arg.getArgNumber();
      bool isState = func.getArgAttr(i, "tide.param") || func.getArgAttr(i, "tide.state");
      const tidemark::TensorInfo &info =
          isState ? runtime.parameters().at(param++) : runtime.inputs().at(input++);
      std::vector<uint8_t> bytes(info.size_bytes);
      for (size_t e = 0; e < args[i].data.size(); ++e) {
        if (info.dtype == tidemark::DType::kI32) {
          int32_t v = static_cast<int32_t>(args[i].data[e]);
          std::memcpy(bytes.data() + 4 * e, &v, 4);
        } else {
          float v = static_cast<float>(args[i].data[e]);
          std::memcpy(bytes.data() + 4 * e, &v, 4);
        }
      }
      if (isState) {
        ASSERT_TRUE(runtime.WriteParameter(info.name, bytes.data(), bytes.size()).ok());
      } else {
        void *buffer = nullptr;
        ASSERT_TRUE(runtime.InputBuffer(info.name, &buffer).ok());
        std::memcpy(buffer, bytes.data(), bytes.size());
      }
    }
  }

  /// Seeded arguments (ids and labels in range), rounded to f32 as the runtime will see them.
  static std::vector<Tensor> arguments(func::FuncOp func, uint64_t seed) {
    auto args = tide::interp::makeRandomArguments(func, seed, 1.0);
    EXPECT_TRUE(succeeded(args));
    std::vector<Tensor> rounded(args->begin(), args->end());
    for (Tensor &t : rounded)
      for (double &x : t.data)
        x = static_cast<float>(x);
    return rounded;
  }

  static tide::interp::InterpreterOptions interpreterOptions() {
    tide::interp::InterpreterOptions options;
    options.dropoutSeed = kSeed;
    options.step = 1; // The runtime's first step.
    return options;
  }

  /// The loss and every updated parameter after one step, from the runtime.
  static std::vector<std::vector<float>> runOnce(tidemark::Runtime &runtime) {
    tidemark::Status status = runtime.Run();
    EXPECT_TRUE(status.ok()) << status.ToString();
    std::vector<std::vector<float>> values(1, std::vector<float>(1));
    EXPECT_TRUE(runtime.ReadOutput("loss", values[0].data(), 4).ok());
    for (const tidemark::TensorInfo &info : runtime.parameters()) {
      values.emplace_back(info.size_bytes / 4);
      EXPECT_TRUE(runtime.ReadParameter(info.name, values.back().data(), info.size_bytes).ok());
    }
    return values;
  }

  /// Compiles `source` into an SGD step with `remat`, runs it on the runtime and on the
  /// interpreter, and compares the loss and the updated parameters. Returns the runtime's values.
  std::vector<std::vector<float>> runAndCompare(const std::string &source, uint64_t seed,
                                                const std::string &remat = "none",
                                                double lr = 0.5) {
    func::FuncOp func =
        compile(source, "tide-autodiff{optimizer=sgd lr=" + std::to_string(lr) +
                            "},tide-remat{policy=" + remat + "},tide-schedule,tide-assign-arena");
    if (!func)
      return {};
    std::unique_ptr<tidemark::Runtime> runtime = writeAndLoad(func);
    if (!runtime)
      return {};
    std::vector<Tensor> args = arguments(func, seed);
    bind(*runtime, func, args);
    std::vector<std::vector<float>> actual = runOnce(*runtime);
    auto expected = tide::interp::interpret(func, args, interpreterOptions());
    EXPECT_TRUE(succeeded(expected));
    if (failed(expected) || actual.size() != func.getNumResults())
      return actual;
    // Result r > 0 updates the r-th state tensor (SGD without momentum: one per parameter, in
    // argument order, as the runtime lists them).
    for (unsigned r = 0; r < func.getNumResults(); ++r) {
      const Tensor &want = (*expected)[r];
      EXPECT_EQ(actual[r].size(), want.data.size()) << "result " << r;
      for (size_t i = 0; i < std::min(actual[r].size(), want.data.size()); ++i)
        EXPECT_NEAR(actual[r][i], want.data[i], 1e-6 + 2e-4 * std::fabs(want.data[i]))
            << "result " << r << " element " << i;
    }
    EXPECT_TRUE(std::isfinite(actual[0][0]));
    return actual;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

// Every new elementwise op and its gradient kernel (neg's is a Mul by -1).
constexpr const char *kElementwise = R"mlir(
func.func @elementwise(%x: tensor<4x9xf32> {tide.param}, %y: tensor<9xf32> {tide.param},
                       %t: tensor<4x9xf32>) -> tensor<f32> {
  %e = tide.exp %x : tensor<4x9xf32>
  %a0 = tide.neg %x : tensor<4x9xf32>
  %a1 = tide.abs %x : tensor<4x9xf32>
  %a2 = tide.sqrt %e : tensor<4x9xf32>
  %a3 = tide.rsqrt %e : tensor<4x9xf32>
  %a4 = tide.log %e : tensor<4x9xf32>
  %a5 = tide.sigmoid %x : tensor<4x9xf32>
  %a6 = tide.silu %x : tensor<4x9xf32>
  %a7 = tide.erf %x : tensor<4x9xf32>
  %a8 = tide.pow %e exponent = 1.5 : tensor<4x9xf32>
  %a9 = tide.clamp %x min = -0.5 max = 0.25 : tensor<4x9xf32>
  %a10 = tide.minimum %x, %y : (tensor<4x9xf32>, tensor<9xf32>) -> tensor<4x9xf32>
  %a11 = tide.maximum %y, %x : (tensor<9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s0 = tide.add %a0, %a1 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s1 = tide.mul %s0, %a2 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s2 = tide.add %s1, %a3 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s3 = tide.mul %s2, %a4 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s4 = tide.add %s3, %a5 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s5 = tide.mul %s4, %a6 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s6 = tide.add %s5, %a7 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s7 = tide.mul %s6, %a8 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s8 = tide.add %s7, %a9 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s9 = tide.mul %s8, %a10 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %s10 = tide.add %s9, %a11 : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %l = tide.mse_loss %s10, %t : tensor<4x9xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsPlanTest, ElementwiseOpsMatchInterpreter) {
  runAndCompare(kElementwise, 1, "none", 0.1);
}

// Token embeddings, rms_norm, rope in both layouts (partial rotary, an offset, the inverse
// rotation), slice, pad and concat; 11 rows of [2, 5, 2, 6].
constexpr const char *kLlamaFragment = R"mlir(
func.func @llama(%ids: tensor<2x5xi32>, %t: tensor<2x5x2x6xf32>,
                 %wte: tensor<11x8xf32> {tide.param}, %g: tensor<8xf32> {tide.param},
                 %w: tensor<8x12xf32> {tide.param}) -> tensor<f32> {
  %e = tide.gather %wte, %ids : tensor<11x8xf32>, tensor<2x5xi32>
  %n = tide.rms_norm %e, %g axis = -1 epsilon = 1.0e-05 : tensor<2x5x8xf32>, tensor<8xf32>
  %p = tide.matmul %n, %w : (tensor<2x5x8xf32>, tensor<8x12xf32>) -> tensor<2x5x12xf32>
  %q = tide.reshape %p : tensor<2x5x12xf32> -> tensor<2x5x2x6xf32>
  %r1 = tide.rope %q bthd base = 100.0 rot_dim = 4 offset = 3 : tensor<2x5x2x6xf32>
  %qt = tide.transpose %r1 permutation = [0, 2, 1, 3] : tensor<2x5x2x6xf32> -> tensor<2x2x5x6xf32>
  %r2 = tide.rope %qt bhtd base = 10000.0 rot_dim = 6 offset = 0 inverse : tensor<2x2x5x6xf32>
  %back = tide.transpose %r2 permutation = [0, 2, 1, 3] : tensor<2x2x5x6xf32> -> tensor<2x5x2x6xf32>
  %lo = tide.slice %back start = [0, 0, 0, 0] sizes = [2, 5, 2, 2] : tensor<2x5x2x6xf32> -> tensor<2x5x2x2xf32>
  %hi = tide.slice %back start = [0, 0, 0, 3] sizes = [2, 5, 2, 3] : tensor<2x5x2x6xf32> -> tensor<2x5x2x3xf32>
  %padded = tide.pad %lo low = [0, 0, 0, 0] high = [0, 0, 0, 1] value = 0.5 : tensor<2x5x2x2xf32> -> tensor<2x5x2x3xf32>
  %c = tide.concat %padded, %hi axis = -1 : tensor<2x5x2x3xf32>, tensor<2x5x2x3xf32> -> tensor<2x5x2x6xf32>
  %l = tide.mse_loss %c, %t : tensor<2x5x2x6xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsPlanTest, GatherRmsNormRopeBoxesMatchInterpreter) {
  runAndCompare(kLlamaFragment, 2);
}

// Dropout at two sites inside a checkpoint region and the fused LM head loss with a bias, the
// embedding table tied to the head's weight.
constexpr const char *kHead = R"mlir(
func.func @head(%ids: tensor<3x4xi32>, %labels: tensor<12xi32>,
                %wte: tensor<13x8xf32> {tide.param}, %w1: tensor<8x8xf32> {tide.param},
                %b: tensor<13xf32> {tide.param}) -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<12x8xf32>) {
    %e = tide.gather %wte, %ids : tensor<13x8xf32>, tensor<3x4xi32>
    %d0 = tide.dropout %e p = 0.25 site = 0 : tensor<3x4x8xf32>
    %r = tide.reshape %d0 : tensor<3x4x8xf32> -> tensor<12x8xf32>
    %m = tide.matmul %r, %w1 : (tensor<12x8xf32>, tensor<8x8xf32>) -> tensor<12x8xf32>
    %s = tide.tanh %m : tensor<12x8xf32>
    %d1 = tide.dropout %s p = 0.5 site = 1 : tensor<12x8xf32>
    tide.yield %d1 : tensor<12x8xf32>
  }
  %l = tide.lm_head_loss %h, %wte, %labels bias %b : tensor<13xf32> ignore_index = -100
      chunks = [5, 4] : tensor<12x8xf32>, tensor<13x8xf32>, tensor<12xi32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsPlanTest, DropoutAndLmHeadLossMatchInterpreter) { runAndCompare(kHead, 3); }

// DESIGN.md: rematerialization never changes results. The `regions`, `segments=2` and
// `budget` plans recompute parts of the forward for the backward, dropouts included (their masks
// regenerated from the seed, the step and the site): their loss and weights equal the `none`
// plan's bit for bit. (budget=1900: the none plan's arena is 2116 B, the smallest tide-remat
// reaches 1856 B.)
TEST_F(ModelOpsPlanTest, RematWithDropoutIsBitIdentical) {
  std::vector<std::vector<float>> none = runAndCompare(kHead, 4, "none");
  for (const char *policy : {"regions", "segments=2", "budget=1900"}) {
    SCOPED_TRACE(policy);
    std::vector<std::vector<float>> remat = runAndCompare(kHead, 4, policy);
    int64_t recomputed = 0, dropouts = 0;
    (*module)->walk([&](Operation *op) {
      recomputed += op->hasAttr("tide.recomputed");
      dropouts += isa<tide::DropoutOp>(op) && op->hasAttr("tide.recomputed");
    });
    EXPECT_GE(recomputed, 1) << "the plan must recompute something";
    EXPECT_GE(dropouts, 1) << "the plan must recompute a dropout";
    ASSERT_EQ(none.size(), remat.size());
    for (size_t i = 0; i < none.size(); ++i)
      EXPECT_EQ(none[i], remat[i]) << "tensor " << i;
  }
}

// Another step, another mask: the second step's dropout differs from the first on the same
// inputs, and the interpreter at step 2 agrees with it.
constexpr const char *kDropoutOnly = R"mlir(
func.func @drop(%x: tensor<64xf32>, %w: tensor<64xf32> {tide.param}) -> tensor<f32> {
  %m = tide.mul %x, %w : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
  %d = tide.dropout %m p = 0.5 site = 7 : tensor<64xf32>
  %l = tide.reduce_sum %d axes = [0] : tensor<64xf32> -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsPlanTest, DropoutMaskFollowsTheStep) {
  func::FuncOp func = compile(kDropoutOnly, "tide-autodiff{optimizer=sgd lr=0.0001},tide-remat{"
                                            "policy=none},tide-schedule,tide-assign-arena");
  ASSERT_TRUE(func);
  std::unique_ptr<tidemark::Runtime> runtime = writeAndLoad(func);
  ASSERT_TRUE(runtime);
  std::vector<Tensor> args(2, Tensor({64}, 1.0));
  for (int64_t step = 1; step <= 2; ++step) {
    bind(*runtime, func, args); // Same x and w every step.
    std::vector<std::vector<float>> actual = runOnce(*runtime);
    tide::interp::InterpreterOptions options = interpreterOptions();
    options.step = step;
    auto expected = tide::interp::interpret(func, args, options);
    ASSERT_TRUE(succeeded(expected));
    // sum of the kept elements * 2: an exact small integer in both.
    EXPECT_EQ(actual[0][0], (*expected)[0][0]) << "step " << step;
    // The weight update reveals the mask: w' = w - lr * 2 [kept] x.
    for (int64_t i = 0; i < 64; ++i)
      EXPECT_NEAR(actual[1][i], (*expected)[1][i], 1e-7) << "step " << step << " element " << i;
    if (step == 2) {
      auto first = tide::interp::interpret(func, args, interpreterOptions());
      ASSERT_TRUE(succeeded(first));
      EXPECT_NE((*first)[1].data, (*expected)[1].data) << "steps 1 and 2 drew the same mask";
    }
  }
}

// Ids and labels are data: out of range, the step fails naming the tensor and the position, and
// nothing is read out of bounds.
TEST_F(ModelOpsPlanTest, BadIdsAndLabelsAreReportedAtRunTime) {
  func::FuncOp func = compile(kHead, "tide-autodiff{optimizer=sgd lr=0.1},tide-remat{"
                                     "policy=none},tide-schedule,tide-assign-arena");
  ASSERT_TRUE(func);
  std::unique_ptr<tidemark::Runtime> runtime = writeAndLoad(func);
  ASSERT_TRUE(runtime);
  std::vector<Tensor> args = arguments(func, 5);
  args[0][7] = 13; // The table has 13 rows.
  bind(*runtime, func, args);
  tidemark::Status status = runtime->Run();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("ids tensor"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("id 13 at position 7"), std::string::npos) << status.ToString();

  args = arguments(func, 5);
  args[1][2] = 13; // 13 classes: [0, 13) or the ignore index.
  bind(*runtime, func, args);
  status = runtime->Run();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("labels tensor"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("13"), std::string::npos) << status.ToString();
}

} // namespace

namespace {

// Grouped-query attention (4 query heads over 2 kv heads, then multi-query over 1) with key
// padding, causal and not, inside a checkpoint region so `regions` recomputes the attentions
// (and their key_lengths operand stays live until the recomputation reads it).
constexpr const char *kGroupedAttention = R"mlir(
func.func @gqa(%x: tensor<2x4x6x8xf32>, %lengths: tensor<2xi32>, %t: tensor<2x4x6x8xf32>,
               %wq: tensor<8x8xf32> {tide.param}, %k: tensor<2x2x12x8xf32> {tide.param},
               %v: tensor<2x2x12x8xf32> {tide.param}, %k1: tensor<2x1x7x8xf32> {tide.param})
    -> tensor<f32> {
  %c = tide.checkpoint -> (tensor<2x4x6x8xf32>) {
    %q = tide.matmul %x, %wq : (tensor<2x4x6x8xf32>, tensor<8x8xf32>) -> tensor<2x4x6x8xf32>
    %a = tide.attention %q, %k, %v key_lengths %lengths : tensor<2xi32> causal
        scale = 0.35 chunks = [4, 5] : tensor<2x4x6x8xf32>, tensor<2x2x12x8xf32>, tensor<2x2x12x8xf32>
    %b = tide.attention %a, %k1, %k1 key_lengths %lengths : tensor<2xi32>
        scale = 0.35 chunks = [3, 3] : tensor<2x4x6x8xf32>, tensor<2x1x7x8xf32>, tensor<2x1x7x8xf32>
    tide.yield %b : tensor<2x4x6x8xf32>
  }
  %l = tide.mse_loss %c, %t : tensor<2x4x6x8xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(ModelOpsPlanTest, GroupedQueryPaddedAttentionMatchesInterpreter) {
  std::vector<std::vector<float>> none = runAndCompare(kGroupedAttention, 9);
  std::vector<std::vector<float>> regions = runAndCompare(kGroupedAttention, 9, "regions");
  // Recomputation never changes results.
  EXPECT_EQ(none, regions);
}

// A key length outside [0, seq_k] fails the step naming the tensor, before the kernel reads.
TEST_F(ModelOpsPlanTest, BadKeyLengthIsReportedAtRunTime) {
  func::FuncOp func = compile(kGroupedAttention, "tide-autodiff{optimizer=sgd lr=0.1},tide-remat{"
                                                 "policy=none},tide-schedule,tide-assign-arena");
  ASSERT_TRUE(func);
  std::unique_ptr<tidemark::Runtime> runtime = writeAndLoad(func);
  ASSERT_TRUE(runtime);
  for (double bad : {13.0, -1.0}) {
    std::vector<Tensor> args = arguments(func, 5);
    args[1][1] = bad; // seq_k is 12 for the first attention.
    bind(*runtime, func, args);
    tidemark::Status status = runtime->Run();
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.message().find("key_lengths tensor"), std::string::npos) << status.ToString();
    EXPECT_NE(
        status.message().find("key length of batch 1 is " + std::to_string(static_cast<int>(bad))),
        std::string::npos)
        << status.ToString();
  }
}

} // namespace
