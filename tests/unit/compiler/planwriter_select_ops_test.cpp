//===- planwriter_select_ops_test.cpp - split, where, reduce_max, cast through plan and runtime
//===//
//
// One case per op: compile a small graph with the passes (autodiff with SGD, remat, schedule,
// assign-arena), write the plan, run one step with the runtime and compare the loss and every
// updated parameter with the reference interpreter evaluating the same planned function on the
// same values (tolerance as planwriter_model_ops_test.cpp: the runtime computes in f32, the
// interpreter in double; 2e-4 relative + 1e-6 absolute).
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

class SelectOpsPlanTest : public ::testing::Test {
protected:
  SelectOpsPlanTest() {
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
    // The test binds every state tensor before a step, so the plan's initial values are zeros
    // (its model has no tide.init).
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

// split into three (one piece unused, so its gradient slab is a Fill), with a remat policy
// that recomputes inside a region.
constexpr const char *kSplit = R"mlir(
func.func @split(%x: tensor<3x8xf32>, %t: tensor<3x5xf32>, %w: tensor<8x14xf32> {tide.param})
    -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<3x5xf32>) {
    %p = tide.matmul %x, %w : (tensor<3x8xf32>, tensor<8x14xf32>) -> tensor<3x14xf32>
    %a, %unused, %c = tide.split %p axis = -1 sizes = [5, 4, 5]
        : tensor<3x14xf32> -> tensor<3x5xf32>, tensor<3x4xf32>, tensor<3x5xf32>
    %m = tide.mul %a, %c : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
    %g = tide.tanh %m : tensor<3x5xf32>
    tide.yield %g : tensor<3x5xf32>
  }
  %l = tide.mse_loss %h, %t : tensor<3x5xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsPlanTest, SplitMatchesInterpreter) {
  std::vector<std::vector<float>> none = runAndCompare(kSplit, 11, "none", 0.1);
  std::vector<std::vector<float>> regions = runAndCompare(kSplit, 11, "regions", 0.1);
  int64_t recomputedSplits = 0;
  (*module)->walk([&](tide::SplitOp op) { recomputedSplits += op->hasAttr("tide.recomputed"); });
  EXPECT_EQ(recomputedSplits, 1) << "the regions plan recomputes the split";
  EXPECT_EQ(none, regions) << "rematerialization changes no value";
}

// where with a broadcast mask input (random 0 / 1 values, as tide-run draws them) and both value
// operands parameters of other shapes: the forward select and the two masked, reduced gradients.
constexpr const char *kWhere = R"mlir(
func.func @where(%m: tensor<3x1x6xi32>, %x: tensor<3x4x6xf32>, %t: tensor<3x4x6xf32>,
                 %a: tensor<6xf32> {tide.param}, %b: tensor<4x1xf32> {tide.param}) -> tensor<f32> {
  %s = tide.mul %x, %a : (tensor<3x4x6xf32>, tensor<6xf32>) -> tensor<3x4x6xf32>
  %w = tide.where %m, %s, %b : (tensor<3x1x6xi32>, tensor<3x4x6xf32>, tensor<4x1xf32>) -> tensor<3x4x6xf32>
  %g = tide.tanh %w : tensor<3x4x6xf32>
  %l = tide.mse_loss %g, %t : tensor<3x4x6xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsPlanTest, WhereMatchesInterpreter) { runAndCompare(kWhere, 12, "none", 0.5); }

// reduce_max as a max-subtraction (the stable softmax pattern) and over the leading axis: the
// runtime's ReduceMax / ReduceMaxGrad against the interpreter. The seeded values have no ties.
constexpr const char *kReduceMax = R"mlir(
func.func @max(%x: tensor<4x7xf32>, %t: tensor<4x7xf32>, %w: tensor<7x7xf32> {tide.param})
    -> tensor<f32> {
  %p = tide.matmul %x, %w : (tensor<4x7xf32>, tensor<7x7xf32>) -> tensor<4x7xf32>
  %m = tide.reduce_max %p axis = 1 keep_dims : tensor<4x7xf32> -> tensor<4x1xf32>
  %c = tide.sub %p, %m : (tensor<4x7xf32>, tensor<4x1xf32>) -> tensor<4x7xf32>
  %col = tide.reduce_max %p axis = 0 : tensor<4x7xf32> -> tensor<7xf32>
  %y = tide.add %c, %col : (tensor<4x7xf32>, tensor<7xf32>) -> tensor<4x7xf32>
  %l = tide.mse_loss %y, %t : tensor<4x7xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsPlanTest, ReduceMaxMatchesInterpreter) {
  runAndCompare(kReduceMax, 13, "none", 0.5);
}

// Casts both ways on the plan: an f32 mask input (times 2: values in [-2, 2), so the truncated
// mask mixes -1, 0 and 1) cast to i32 for a where, and a parameter
// quantized through i32 (its cast path carries no gradient; the direct path does).
constexpr const char *kCast = R"mlir(
func.func @cast(%m: tensor<5x6xf32>, %x: tensor<5x6xf32>, %t: tensor<5x6xf32>,
                %a: tensor<6xf32> {tide.param}) -> tensor<f32> {
  %two = tide.fill 2.0 : tensor<f32>
  %m2 = tide.mul %m, %two : (tensor<5x6xf32>, tensor<f32>) -> tensor<5x6xf32>
  %mask = tide.cast %m2 : tensor<5x6xf32> -> tensor<5x6xi32>
  %ten = tide.fill 10.0 : tensor<f32>
  %s = tide.mul %a, %ten : (tensor<6xf32>, tensor<f32>) -> tensor<6xf32>
  %q = tide.cast %s : tensor<6xf32> -> tensor<6xi32>
  %back = tide.cast %q : tensor<6xi32> -> tensor<6xf32>
  %p = tide.mul %x, %a : (tensor<5x6xf32>, tensor<6xf32>) -> tensor<5x6xf32>
  %w = tide.where %mask, %p, %back : (tensor<5x6xi32>, tensor<5x6xf32>, tensor<6xf32>) -> tensor<5x6xf32>
  %l = tide.mse_loss %w, %t : tensor<5x6xf32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(SelectOpsPlanTest, CastMatchesInterpreter) { runAndCompare(kCast, 14, "none", 0.5); }

} // namespace
