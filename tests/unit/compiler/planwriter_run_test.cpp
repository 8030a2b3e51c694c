//===- planwriter_run_test.cpp - Written plans load, run and match the interpreter ===//
//
// Each case compiles a model with the passes (autodiff, remat, schedule, assign-arena), writes
// the plan with writePlan, loads it with the runtime API, runs one step on seeded values and
// compares the loss and every updated state tensor with the reference interpreter (double
// precision) evaluating the same planned function on the same values. Tolerance: the runtime
// computes in f32; with these sizes (sums of at most a few hundred terms of O(1) values) the
// relative error of a float sum is below ~1e-5, so 2e-4 relative (+1e-6 absolute for values near
// zero) leaves room without hiding a wrong kernel or a wrong operand, which gives O(1) errors.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideOps.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/planwriter/PlanWriter.h"
#include "passes/Passes.h"
#include "tidemark/builder.h"
#include "tidemark/runtime.h"
#include "tidemark/safetensors.h"

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
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

using namespace mlir;

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class PlanWriterRunTest : public ::testing::Test {
protected:
  PlanWriterRunTest() {
    context.loadDialect<tide::TideDialect, func::FuncDialect, arith::ArithDialect>();
    static bool registered = [] {
      tide::registerTidePasses();
      return true;
    }();
    (void)registered;
  }

  /// Parses `source` and runs `pipeline` (nested on func.func); returns the function.
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

  /// Seeded argument values: labels in [0, classes), everything else uniform in [-0.5, 0.5].
  std::vector<tide::interp::Tensor> arguments(func::FuncOp func, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<tide::interp::Tensor> args;
    for (BlockArgument arg : func.getArguments()) {
      auto type = cast<RankedTensorType>(arg.getType());
      tide::interp::Tensor t(type.getShape());
      bool state = func.getArgAttr(arg.getArgNumber(), "tide.state") != nullptr;
      for (double &x : t.data) {
        if (type.getElementType().isInteger(32))
          x = static_cast<double>(rng() % 7);
        else
          x = state ? 0.0 : static_cast<float>((rng() % 1000) / 1000.0 - 0.5);
      }
      args.push_back(t);
    }
    return args;
  }

  std::unique_ptr<tidemark::Runtime> load(const std::vector<uint8_t> &plan) {
    std::unique_ptr<tidemark::Runtime> runtime;
    tidemark::Status status = tidemark::Runtime::LoadFromMemory(
        plan.data(), plan.size(), tidemark::PlanMemory::kCopy, {}, &runtime);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return runtime;
  }

  /// Binds args to the runtime's inputs (in order) and state (by order of the state tensors).
  void bind(tidemark::Runtime &runtime, func::FuncOp func,
            const std::vector<tide::interp::Tensor> &args) {
    std::vector<tidemark::TensorInfo> inputs = runtime.inputs(), params = runtime.parameters();
    size_t input = 0, param = 0;
    for (BlockArgument arg : func.getArguments()) {
      unsigned i = arg.getArgNumber();
      bool isState = func.getArgAttr(i, "tide.param") || func.getArgAttr(i, "tide.state");
      const tidemark::TensorInfo &info = isState ? params.at(param++) : inputs.at(input++);
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

  static void expectClose(const std::vector<float> &actual, const tide::interp::Tensor &expected,
                          const std::string &what) {
    ASSERT_EQ(actual.size(), expected.data.size()) << what;
    for (size_t i = 0; i < actual.size(); ++i)
      ASSERT_NEAR(actual[i], expected.data[i], 1e-6 + 2e-4 * std::fabs(expected.data[i]))
          << what << " element " << i;
  }

  /// Writer options for a test that writes every state tensor itself (bind) before running: the
  /// plan's initial values are overwritten, so they start at zero (no tide.init needed).
  static tide::PlanWriterOptions boundState() {
    tide::PlanWriterOptions options;
    options.initialValues = tide::InitialValues::Zeros;
    return options;
  }

  /// Runs one step of `func`'s plan and of the interpreter; compares loss and updated state.
  void runAndCompare(func::FuncOp func, uint32_t seed) {
    std::vector<uint8_t> plan;
    tide::PlanSummary summary;
    ASSERT_TRUE(succeeded(tide::writePlan(func, boundState(), &plan, &summary)));
    std::unique_ptr<tidemark::Runtime> runtime = load(plan);
    ASSERT_TRUE(runtime);
    std::vector<tide::interp::Tensor> args = arguments(func, seed);
    bind(*runtime, func, args);
    tidemark::Status status = runtime->Run();
    ASSERT_TRUE(status.ok()) << status.ToString();

    auto expected = tide::interp::interpret(func, args);
    ASSERT_TRUE(succeeded(expected));
    float loss = 0;
    ASSERT_TRUE(runtime->ReadOutput("loss", &loss, sizeof loss).ok());
    expectClose({loss}, (*expected)[0], "loss");
    ASSERT_TRUE(std::isfinite(loss) && loss > 0);

    std::vector<tidemark::TensorInfo> params = runtime->parameters();
    int compared = 0;
    for (unsigned r = 1; r < func.getNumResults(); ++r) {
      auto updates = func.getResultAttrOfType<IntegerAttr>(r, "tide.updates");
      ASSERT_TRUE(updates);
      // The state tensors are the tide.param / tide.state arguments in argument order.
      size_t index = 0;
      for (int64_t a = 0; a < updates.getInt(); ++a)
        index += func.getArgAttr(a, "tide.param") || func.getArgAttr(a, "tide.state");
      const tidemark::TensorInfo &info = params.at(index);
      std::vector<float> values(info.size_bytes / 4);
      ASSERT_TRUE(runtime->ReadParameter(info.name, values.data(), info.size_bytes).ok());
      expectClose(values, (*expected)[r], info.name);
      ++compared;
    }
    EXPECT_GT(compared, 0);
    lastPlan = plan;
    lastSummary = summary;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::vector<uint8_t> lastPlan;
  tide::PlanSummary lastSummary;
};

std::string smallGpt(bool checkpoints) {
  tidemark::builder::GptConfig config;
  config.layers = 2;
  config.dModel = 32;
  config.heads = 2;
  config.dFF = 64;
  config.seq = 12;
  config.batch = 2;
  config.vocab = 7;
  config.attentionChunk = 5; // Does not divide the sequence.
  config.checkpointPerBlock = checkpoints;
  return tidemark::builder::buildGpt(config).toMlir();
}

constexpr const char *kPlan = "tide-remat{policy=none},tide-schedule,tide-assign-arena";

TEST_F(PlanWriterRunTest, MlpSgdStepMatchesInterpreter) {
  func::FuncOp func =
      compile(readFile(TIDEMARK_SOURCE_DIR "/examples/mlp.mlir"),
              std::string("tide-autodiff{optimizer=sgd lr=0.1 momentum=0.9},") + kPlan);
  ASSERT_TRUE(func);
  runAndCompare(func, 1);
  // examples/mlp.mlir: 4 parameters + 4 velocities; inputs x and labels.
  EXPECT_EQ(lastSummary.numStateTensors, 8);
  EXPECT_EQ(lastSummary.numInputs, 2);
  // Bytes of w1, b1, w2, b2 (40 bytes, padded to 64), twice (parameters and velocities).
  EXPECT_EQ(lastSummary.stateBytes, (64 * 128 * 4 + 128 * 4 + 128 * 10 * 4 + 64) * 2);
  // I/O: x (8192 bytes), labels (128) and the loss (4, rounded up to 64 as the runtime does).
  EXPECT_EQ(lastSummary.ioBytes, 8192 + 128 + 64);
  EXPECT_EQ(lastSummary.peakBytes,
            lastSummary.stateBytes + lastSummary.arenaBytes + lastSummary.ioBytes);
}

TEST_F(PlanWriterRunTest, GptAdamStepMatchesInterpreter) {
  // Adam's first update is lr * g / (|g| + epsilon): for |g| near epsilon it turns float
  // rounding of g into a change of up to lr (ill-conditioned, whatever the kernel). epsilon 1e-3
  // keeps every element well-conditioned (sensitivity <= lr / epsilon), so a difference here
  // is a wiring error, not rounding.
  func::FuncOp func = compile(
      smallGpt(false), std::string("tide-autodiff{optimizer=adam lr=0.01 epsilon=1e-3},") + kPlan);
  ASSERT_TRUE(func);
  runAndCompare(func, 2);
  EXPECT_GT(lastSummary.loadBytes, 0);
  EXPECT_GE(lastSummary.arenaBytes, lastSummary.loadBytes);
  EXPECT_FALSE(lastSummary.liveAtPeak.empty());
}

TEST_F(PlanWriterRunTest, GptRematPlansGiveBitIdenticalSteps) {
  // The `regions` plan recomputes each block; a recomputed value is the same kernel on the same
  // inputs, so loss and weights after one step equal the `none` plan's bit for bit.
  std::vector<std::vector<float>> results[2];
  const char *policies[2] = {"none", "regions"};
  for (int p = 0; p < 2; ++p) {
    func::FuncOp func =
        compile(smallGpt(true), std::string("tide-autodiff{optimizer=sgd lr=0.05},tide-remat{"
                                            "policy=") +
                                    policies[p] + "},tide-schedule,tide-assign-arena");
    ASSERT_TRUE(func);
    runAndCompare(func, 3);
    if (p == 1) {
      EXPECT_GT(func->getAttrOfType<DictionaryAttr>("tide.remat")
                    .getAs<IntegerAttr>("ops_recomputed")
                    .getInt(),
                0);
    }
    std::unique_ptr<tidemark::Runtime> runtime = load(lastPlan);
    bind(*runtime, func, arguments(func, 3));
    ASSERT_TRUE(runtime->Run().ok());
    float loss = 0;
    ASSERT_TRUE(runtime->ReadOutput("loss", &loss, sizeof loss).ok());
    results[p].push_back({loss});
    for (const tidemark::TensorInfo &info : runtime->parameters()) {
      std::vector<float> values(info.size_bytes / 4);
      ASSERT_TRUE(runtime->ReadParameter(info.name, values.data(), info.size_bytes).ok());
      results[p].push_back(values);
    }
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t i = 0; i < results[0].size(); ++i)
    EXPECT_EQ(results[0][i], results[1][i]) << "tensor " << i;
}

// Covers the mappings the models above do not use: scale (Mul by a constant), the broadcasts
// autodiff emits for reduce_mean / reduce_sum (ReduceSumGrad, with and without kept dims),
// reduce_to_shape, sub, div, exp, tanh(_grad), softmax(_grad), transpose, reshape views of an
// arena value, mse_loss(_grad).
constexpr const char *kEveryOp = R"mlir(
func.func @ops(%x: tensor<4x6xf32>, %t: tensor<4x3xf32>, %w: tensor<6x3xf32> {tide.param},
               %b: tensor<1x3xf32> {tide.param}, %g: tensor<6xf32> {tide.param}) -> tensor<f32> {
  %xs = tide.scale %x by 0.5 : tensor<4x6xf32>
  %xg = tide.mul %xs, %g : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  %e = tide.tanh %xg : tensor<4x6xf32>
  %m = tide.reduce_mean %e axes = [1] keep_dims : tensor<4x6xf32> -> tensor<4x1xf32>
  %c = tide.sub %e, %m : (tensor<4x6xf32>, tensor<4x1xf32>) -> tensor<4x6xf32>
  %y = tide.matmul %c, %w : (tensor<4x6xf32>, tensor<6x3xf32>) -> tensor<4x3xf32>
  %y2 = tide.add %y, %b : (tensor<4x3xf32>, tensor<1x3xf32>) -> tensor<4x3xf32>
  %s = tide.softmax %y2 axis = -1 : tensor<4x3xf32>
  %ex = tide.exp %s : tensor<4x3xf32>
  %q = tide.div %s, %ex : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %tr = tide.transpose %q permutation = [1, 0] : tensor<4x3xf32> -> tensor<3x4xf32>
  %sum = tide.reduce_sum %tr axes = [0] : tensor<3x4xf32> -> tensor<4xf32>
  %r = tide.reshape %tr : tensor<3x4xf32> -> tensor<4x3xf32>
  %sum2 = tide.reshape %sum : tensor<4xf32> -> tensor<4x1xf32>
  %r2 = tide.mul %r, %sum2 : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32>
  %l = tide.mse_loss %r2, %t : tensor<4x3xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(PlanWriterRunTest, EveryMappedOpMatchesInterpreter) {
  func::FuncOp func =
      compile(kEveryOp, std::string("tide-autodiff{optimizer=sgd lr=0.5},") + kPlan);
  ASSERT_TRUE(func);
  int broadcasts = 0, scales = 0;
  func.walk([&](Operation *op) {
    broadcasts += isa<tide::BroadcastOp>(op);
    scales += isa<tide::ScaleOp>(op);
  });
  EXPECT_GE(broadcasts, 2);
  EXPECT_GE(scales, 2);
  runAndCompare(func, 5);
}

TEST_F(PlanWriterRunTest, InferencePlanMatchesInterpreter) {
  func::FuncOp func = compile(smallGpt(false), std::string("tide-expose-stats,") + kPlan);
  ASSERT_TRUE(func);
  std::vector<uint8_t> plan;
  tide::PlanSummary summary;
  ASSERT_TRUE(succeeded(tide::writePlan(func, {}, &plan, &summary)));
  std::unique_ptr<tidemark::Runtime> runtime = load(plan);
  ASSERT_TRUE(runtime);
  std::vector<tide::interp::Tensor> args = arguments(func, 4);
  bind(*runtime, func, args);
  ASSERT_TRUE(runtime->Run().ok());
  auto expected = tide::interp::interpret(func, args);
  ASSERT_TRUE(succeeded(expected));
  float output = 0;
  ASSERT_TRUE(runtime->ReadOutput(runtime->outputs()[0].name, &output, 4).ok());
  expectClose({output}, (*expected)[0], "output 0");
}

TEST_F(PlanWriterRunTest, WeightsAreEmbeddedAndMismatchesListed) {
  func::FuncOp func = compile(readFile(TIDEMARK_SOURCE_DIR "/examples/mlp.mlir"),
                              std::string("tide-autodiff{optimizer=sgd},") + kPlan);
  ASSERT_TRUE(func);
  tidemark::WeightsFile weights;
  std::vector<float> w1(64 * 128, 0.25f);
  weights.tensors.push_back(tidemark::WeightTensor::FromFloats("param0", {64, 128}, w1));
  weights.tensors.push_back(tidemark::WeightTensor::FromFloats("param1", {127}, {}));
  weights.tensors.back().shape = {127};
  tide::PlanWriterOptions options;
  options.weights = &weights;
  std::vector<uint8_t> plan;
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  EXPECT_TRUE(failed(tide::writePlan(func, options, &plan, nullptr)));
  EXPECT_NE(diagnostics.find("missing: param2, param3"), std::string::npos) << diagnostics;
  EXPECT_NE(diagnostics.find("param1: file has f32[127], the model needs f32[128]"),
            std::string::npos)
      << diagnostics;

  // With exactly the right tensors, the values reach the runtime's state.
  weights.tensors.pop_back();
  weights.tensors.push_back(
      tidemark::WeightTensor::FromFloats("param1", {128}, std::vector<float>(128, -1.0f)));
  weights.tensors.push_back(
      tidemark::WeightTensor::FromFloats("param2", {128, 10}, std::vector<float>(1280, 0.5f)));
  weights.tensors.push_back(
      tidemark::WeightTensor::FromFloats("param3", {10}, std::vector<float>(10, 2.0f)));
  diagnostics.clear();
  ASSERT_TRUE(succeeded(tide::writePlan(func, options, &plan, nullptr))) << diagnostics;
  std::unique_ptr<tidemark::Runtime> runtime = load(plan);
  std::vector<float> values(128);
  ASSERT_TRUE(runtime->ReadParameter("param1", values.data(), 128 * 4).ok());
  EXPECT_EQ(values, std::vector<float>(128, -1.0f));
}

TEST_F(PlanWriterRunTest, InitialStateIsDrawnFromTideInitWithTheBuildersGenerator) {
  // examples/mlp.mlir: weights normal(0, 0.02), biases zeros. Without --weights the plan's state
  // holds exactly what tide-models --weights writes for the same seed (initialValues, keyed by
  // the seed and the parameter's name), the optimizer state zeros.
  func::FuncOp func = compile(readFile(TIDEMARK_SOURCE_DIR "/examples/mlp.mlir"),
                              std::string("tide-autodiff{optimizer=adam},") + kPlan);
  ASSERT_TRUE(func);
  auto stateOf = [&](uint64_t seed, const std::string &name, size_t count) {
    tide::PlanWriterOptions options;
    options.seed = seed;
    std::vector<uint8_t> plan;
    EXPECT_TRUE(succeeded(tide::writePlan(func, options, &plan, nullptr)));
    std::unique_ptr<tidemark::Runtime> runtime = load(plan);
    std::vector<float> values(count, -7.0f);
    EXPECT_TRUE(runtime && runtime->ReadParameter(name, values.data(), count * 4).ok()) << name;
    return values;
  };
  namespace b = tidemark::builder;
  for (uint64_t seed : {uint64_t{0}, uint64_t{5}}) {
    b::Argument w1{"param0", b::ElementType::F32, {64, 128}, true, b::ParamInit::normal(0.02)};
    b::Argument w2{"param2", b::ElementType::F32, {128, 10}, true, b::ParamInit::normal(0.02)};
    std::vector<float> expected1 = b::initialValues(w1, seed);
    std::vector<float> expected2 = b::initialValues(w2, seed);
    std::vector<float> actual1 = stateOf(seed, "param0", 64 * 128);
    std::vector<float> actual2 = stateOf(seed, "param2", 128 * 10);
    ASSERT_EQ(actual1.size(), expected1.size());
    EXPECT_EQ(std::memcmp(actual1.data(), expected1.data(), actual1.size() * 4), 0);
    EXPECT_EQ(std::memcmp(actual2.data(), expected2.data(), actual2.size() * 4), 0);
    EXPECT_NE(actual1, std::vector<float>(64 * 128, 0.0f));
    EXPECT_EQ(stateOf(seed, "param1", 128), std::vector<float>(128, 0.0f));
    EXPECT_EQ(stateOf(seed, "param3", 10), std::vector<float>(10, 0.0f));
    EXPECT_EQ(stateOf(seed, "param0.adam_m", 64 * 128), std::vector<float>(64 * 128, 0.0f));
    EXPECT_EQ(stateOf(seed, "param2.adam_v", 128 * 10), std::vector<float>(128 * 10, 0.0f));
  }
  EXPECT_NE(stateOf(0, "param0", 64 * 128), stateOf(5, "param0", 64 * 128));
}

TEST_F(PlanWriterRunTest, InitialStateBeyondTheInlineLimitGoesToAnExternalImage) {
  func::FuncOp func = compile(readFile(TIDEMARK_SOURCE_DIR "/examples/mlp.mlir"),
                              std::string("tide-autodiff{optimizer=adam},") + kPlan);
  ASSERT_TRUE(func);
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  // w1 (32768 B) and w2 (5120 B) are drawn; the biases are zeros and not stored.
  tide::PlanWriterOptions options;
  options.seed = 3;
  options.maxInlineStateBytes = 37887;
  std::vector<uint8_t> plan;
  EXPECT_TRUE(failed(tide::writePlan(func, options, &plan, nullptr)));
  EXPECT_NE(diagnostics.find("need 37888 bytes, more than a plan holds inline (37887 bytes"),
            std::string::npos)
      << diagnostics;
  options.maxInlineStateBytes = 37888; // Exactly fits: inline, no image.
  std::vector<uint8_t> image;
  options.externalState = &image;
  options.externalStatePath = "mlp.tplan.state";
  ASSERT_TRUE(succeeded(tide::writePlan(func, options, &plan, nullptr))) << diagnostics;
  EXPECT_TRUE(image.empty());
  options.maxInlineStateBytes = 37887;
  std::vector<uint8_t> inlinePlan = plan;
  ASSERT_TRUE(succeeded(tide::writePlan(func, options, &plan, nullptr))) << diagnostics;
  // The image covers the state up to the end of w2 (offsets: w1 0, b1 32768, w2 33280).
  ASSERT_EQ(image.size(), 33280u + 5120u);
  EXPECT_LT(plan.size() + 30000, inlinePlan.size()); // The values left the plan.
  std::string dir = ::testing::TempDir() + "/planwriter-external";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/mlp.tplan", std::ios::binary)
      .write(reinterpret_cast<const char *>(plan.data()), plan.size());
  std::ofstream(dir + "/mlp.tplan.state", std::ios::binary)
      .write(reinterpret_cast<const char *>(image.data()), image.size());
  std::unique_ptr<tidemark::Runtime> runtime;
  tidemark::Status status = tidemark::Runtime::LoadFromFile(dir + "/mlp.tplan", {}, &runtime);
  ASSERT_TRUE(status.ok()) << status.ToString();
  namespace b = tidemark::builder;
  b::Argument w2{"param2", b::ElementType::F32, {128, 10}, true, b::ParamInit::normal(0.02)};
  std::vector<float> expected = b::initialValues(w2, 3), actual(1280, -1.0f);
  ASSERT_TRUE(runtime->ReadParameter("param2", actual.data(), 1280 * 4).ok());
  EXPECT_EQ(std::memcmp(actual.data(), expected.data(), 1280 * 4), 0);
  std::vector<float> velocity(1280, -1.0f);
  ASSERT_TRUE(runtime->ReadParameter("param2.adam_m", velocity.data(), 1280 * 4).ok());
  EXPECT_EQ(velocity, std::vector<float>(1280, 0.0f));
}

TEST_F(PlanWriterRunTest, ParameterWithoutInitialValueIsRefusedUnlessZerosAreAsked) {
  func::FuncOp func = compile(R"mlir(
func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tide.param},
             %g: tensor<8xf32> {tide.param, tide.init = "ones"},
             %u: tensor<8xf32> {tide.param}) -> tensor<f32>
    attributes {tide.input_names = ["x"], tide.param_names = ["w", "g", "u"]} {
  %y = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %z = tide.mul %y, %g : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %v = tide.add %z, %u : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %l = tide.reduce_sum %v axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
})mlir",
                              std::string("tide-autodiff{optimizer=sgd},") + kPlan);
  ASSERT_TRUE(func);
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  std::vector<uint8_t> plan;
  EXPECT_TRUE(failed(tide::writePlan(func, {}, &plan, nullptr)));
  EXPECT_NE(diagnostics.find("2 parameter(s) have no initial value: 'w' (argument #1), 'u' "
                             "(argument #3); give --weights FILE.safetensors"),
            std::string::npos)
      << diagnostics;
  EXPECT_NE(diagnostics.find("add tide.init = \"normal(0, 0.02)\""), std::string::npos);
  // The explicit opt-out: every parameter starts at zero, tide.init included.
  tide::PlanWriterOptions zeros;
  zeros.initialValues = tide::InitialValues::Zeros;
  diagnostics.clear();
  ASSERT_TRUE(succeeded(tide::writePlan(func, zeros, &plan, nullptr))) << diagnostics;
  std::unique_ptr<tidemark::Runtime> runtime = load(plan);
  ASSERT_TRUE(runtime);
  std::vector<float> g(8, -1.0f);
  ASSERT_TRUE(runtime->ReadParameter("g", g.data(), 32).ok());
  EXPECT_EQ(g, std::vector<float>(8, 0.0f));
}

TEST_F(PlanWriterRunTest, UnplannedFunctionIsRejected) {
  func::FuncOp func =
      compile(readFile(TIDEMARK_SOURCE_DIR "/examples/mlp.mlir"), "tide-autodiff{optimizer=sgd}");
  ASSERT_TRUE(func);
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  std::vector<uint8_t> plan;
  EXPECT_TRUE(failed(tide::writePlan(func, {}, &plan, nullptr)));
  EXPECT_NE(diagnostics.find("run -tide-assign-arena"), std::string::npos) << diagnostics;
}

TEST_F(PlanWriterRunTest, ReturnedInputReshapesAndConstantsAreCopiedToOutputs) {
  // Output 0 shares its storage with an input (a reshape), output 1 is a constant and output 2
  // shares storage with an arena value computed in place (tanh over the matmul): the first two
  // need a copy step, the last is written directly into the output.
  func::FuncOp func = compile(R"mlir(
func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tide.param})
    -> (tensor<32xf32>, tensor<2xf32>, tensor<32xf32>) {
  %r = tide.reshape %x : tensor<4x8xf32> -> tensor<32xf32>
  %c = arith.constant dense<[1.5, -2.0]> : tensor<2xf32>
  %y = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %z = tide.tanh %y : tensor<4x8xf32>
  %o = tide.reshape %z : tensor<4x8xf32> -> tensor<32xf32>
  return %r, %c, %o : tensor<32xf32>, tensor<2xf32>, tensor<32xf32>
})mlir",
                              kPlan);
  ASSERT_TRUE(func);
  std::vector<uint8_t> plan;
  tide::PlanSummary summary;
  ASSERT_TRUE(succeeded(tide::writePlan(func, boundState(), &plan, &summary)));
  EXPECT_EQ(summary.numPlanSteps, 4); // Reshape (copy), Copy, MatMul, Tanh.
  std::unique_ptr<tidemark::Runtime> runtime = load(plan);
  ASSERT_TRUE(runtime);
  std::vector<tide::interp::Tensor> args = arguments(func, 6);
  bind(*runtime, func, args);
  ASSERT_TRUE(runtime->Run().ok());
  // The interpreter has no arith.constant, so the expected values are computed here.
  tide::interp::Tensor flat({32}, args[0].data), constant({2}, std::vector<double>{1.5, -2.0}),
      product({32}, 0.0);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) {
      double sum = 0;
      for (int k = 0; k < 8; ++k)
        sum += args[0].data[i * 8 + k] * args[1].data[k * 8 + j];
      product.data[i * 8 + j] = std::tanh(sum);
    }
  const tide::interp::Tensor *expected[3] = {&flat, &constant, &product};
  for (int i = 0; i < 3; ++i) {
    const tidemark::TensorInfo info = runtime->outputs().at(i);
    std::vector<float> values(info.size_bytes / 4);
    ASSERT_TRUE(runtime->ReadOutput(info.name, values.data(), info.size_bytes).ok());
    expectClose(values, *expected[i], info.name);
  }
}

TEST_F(PlanWriterRunTest, PlanTheRuntimeRejectsIsNotReturned) {
  // Every arena value moved to offset 0: values live at the same step now overlap, which the
  // runtime loader's independent overlap check rejects; the writer must fail with its message.
  func::FuncOp func = compile(readFile(TIDEMARK_SOURCE_DIR "/examples/mlp.mlir"),
                              std::string("tide-autodiff{optimizer=sgd},") + kPlan);
  ASSERT_TRUE(func);
  func.walk([&](Operation *op) {
    if (auto offsets = op->getAttrOfType<DenseI64ArrayAttr>("tide.arena_offsets")) {
      SmallVector<int64_t> zeros;
      for (int64_t offset : offsets.asArrayRef())
        zeros.push_back(offset < 0 ? offset : 0);
      op->setAttr("tide.arena_offsets", DenseI64ArrayAttr::get(&context, zeros));
    }
  });
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  std::vector<uint8_t> plan;
  EXPECT_TRUE(failed(tide::writePlan(func, {}, &plan, nullptr)));
  EXPECT_NE(diagnostics.find("the runtime rejects the written plan"), std::string::npos)
      << diagnostics;
  EXPECT_NE(diagnostics.find("arena overlap"), std::string::npos) << diagnostics;
}

} // namespace
