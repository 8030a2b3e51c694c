//===- interp_passes_test.cpp - Scheduling and rematerialization change no value ===//
//
// DESIGN.md: "Rematerialization never changes results." Each pipeline below turns a model into
// an Adam training step and then reorders (tide-schedule) or recomputes (tide-remat, every
// policy) parts of it; the reference interpreter evaluates the step before and after on the same
// seeded arguments, and every element of every result must be bit-identical (a recomputed value
// is the same op on the same inputs). Each case also checks that the pass did change the IR, so
// the comparison is not vacuous.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/interp/RandomArguments.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdio>
#include <string>

using namespace mlir;
using namespace mlir::tide::interp;

namespace {

class PassesPreserveValuesTest : public ::testing::Test {
protected:
  PassesPreserveValuesTest() {
    context.loadDialect<tide::TideDialect, func::FuncDialect>();
    static bool registered = [] {
      tide::registerTidePasses();
      return true;
    }();
    (void)registered;
  }

  OwningOpRef<ModuleOp> parse(const std::string &source) {
    auto module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "cannot parse:\n" << source;
    return module;
  }

  /// Runs a textual pipeline nested on every func.func of `module`.
  LogicalResult runPipeline(ModuleOp module, const std::string &pipeline) {
    PassManager pm(&context);
    if (failed(parsePassPipeline("func.func(" + pipeline + ")", pm)))
      return failure();
    return pm.run(module);
  }

  /// Differentiates `source`'s function into an Adam step, applies `pipeline` to a copy, and
  /// expects both to give bit-identical results. Returns how many ops the pipeline tagged
  /// `tide.recomputed`.
  int64_t expectSameValues(const std::string &source, const std::string &pipeline);

  MLIRContext context;
};

func::FuncOp onlyFunction(ModuleOp module) { return cast<func::FuncOp>(module.getBody()->front()); }

/// Operation names in block order, to tell whether a pipeline changed anything.
std::vector<std::string> opSequence(func::FuncOp function) {
  std::vector<std::string> names;
  function.walk([&](Operation *op) { names.push_back(op->getName().getStringRef().str()); });
  return names;
}

int64_t PassesPreserveValuesTest::expectSameValues(const std::string &source,
                                                   const std::string &pipeline) {
  const std::string step = "tide-autodiff{optimizer=adam lr=0.001}";
  auto reference = parse(source), transformed = parse(source);
  if (!reference || !transformed)
    return -1;
  EXPECT_TRUE(succeeded(runPipeline(*reference, step)));
  EXPECT_TRUE(succeeded(runPipeline(*transformed, step + "," + pipeline)));
  func::FuncOp before = onlyFunction(*reference), after = onlyFunction(*transformed);
  EXPECT_NE(opSequence(before), opSequence(after)) << pipeline << " left the IR unchanged";

  auto args = makeRandomArguments(before, /*seed=*/21, /*range=*/0.5);
  EXPECT_TRUE(succeeded(args));
  InterpreterOptions options;
  options.step = 2;
  auto expected = interpret(before, *args, options);
  auto actual = interpret(after, *args, options);
  EXPECT_TRUE(succeeded(expected) && succeeded(actual));
  if (failed(expected) || failed(actual))
    return -1;
  EXPECT_EQ(actual->size(), expected->size());
  for (size_t i = 0; i < std::min(actual->size(), expected->size()); ++i)
    EXPECT_EQ((*actual)[i].data, (*expected)[i].data) << "result #" << i << " after " << pipeline;
  int64_t recomputed = 0;
  after.walk([&](Operation *op) { recomputed += op->hasAttr("tide.recomputed"); });
  return recomputed;
}

std::string readExample(const std::string &name) {
  std::string path = std::string(TIDEMARK_SOURCE_DIR) + "/examples/" + name;
  std::string text;
  if (FILE *file = std::fopen(path.c_str(), "rb")) {
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;)
      text.append(buffer, n);
    std::fclose(file);
  }
  EXPECT_FALSE(text.empty()) << "cannot read " << path;
  return text;
}

TEST_F(PassesPreserveValuesTest, ScheduleGptBlock) {
  expectSameValues(readExample("gpt_block.mlir"), "tide-schedule");
}

TEST_F(PassesPreserveValuesTest, RematSegmentsGptBlock) {
  for (int segments : {2, 4}) {
    std::string pipeline = "tide-remat{policy=segments=" + std::to_string(segments) + "}";
    SCOPED_TRACE(pipeline);
    EXPECT_GT(expectSameValues(readExample("gpt_block.mlir"), pipeline), 0);
  }
}

TEST_F(PassesPreserveValuesTest, ScheduleThenRematBudgetGptBlock) {
  // 60 KiB is below the gpt_block step's unrematerialized arena, so some values are recomputed.
  EXPECT_GT(expectSameValues(readExample("gpt_block.mlir"),
                             "tide-schedule,tide-remat{policy=budget=60K}"),
            0);
}

TEST_F(PassesPreserveValuesTest, RematRegionsOfACheckpointedMlp) {
  // The example MLP with its hidden layer inside a tide.checkpoint region.
  const std::string source = R"mlir(
func.func @mlp(%x: tensor<32x64xf32>, %labels: tensor<32xi32>,
               %w1: tensor<64x128xf32> {tide.param}, %b1: tensor<128xf32> {tide.param},
               %w2: tensor<128x10xf32> {tide.param}, %b2: tensor<10xf32> {tide.param})
    -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<32x128xf32>) {
    %h0 = tide.matmul %x, %w1 : (tensor<32x64xf32>, tensor<64x128xf32>) -> tensor<32x128xf32>
    %h1 = tide.add %h0, %b1 : (tensor<32x128xf32>, tensor<128xf32>) -> tensor<32x128xf32>
    %h2 = tide.gelu %h1 tanh : tensor<32x128xf32>
    tide.yield %h2 : tensor<32x128xf32>
  }
  %l0 = tide.matmul %h, %w2 : (tensor<32x128xf32>, tensor<128x10xf32>) -> tensor<32x10xf32>
  %logits = tide.add %l0, %b2 : (tensor<32x10xf32>, tensor<10xf32>) -> tensor<32x10xf32>
  %loss = tide.softmax_cross_entropy %logits, %labels : tensor<32x10xf32>, tensor<32xi32>
  return %loss : tensor<f32>
})mlir";
  EXPECT_GT(expectSameValues(source, "tide-remat{policy=regions}"), 0);
}

} // namespace
