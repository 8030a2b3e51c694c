// GraphBuilderAccess: compiler code gets the builder's module itself (no printing and reparsing):
// real tide ops with the types their shape inference gave, a module that verifies, and the same
// IR as parsing toMlir() gives; a builder with an error has no module.
#include "compiler/builder/GraphBuilderAccess.h"
#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

namespace {

namespace b = tidemark::builder;
using b::GraphBuilderAccess;

std::string print(mlir::ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  os << "\n";
  return os.str();
}

TEST(BuilderModuleTest, TheModuleHoldsVerifiedTideOpsWithInferredTypes) {
  b::GraphBuilder g("f");
  b::Value x = g.input("x", {4, 8});
  b::Value w = g.param("w", {8, 3}, b::ParamInit::normal(0.02));
  b::Value y = g.matmul(x, w);
  g.setOutputs({g.reduceSum(g.relu(y), {0, 1})});
  ASSERT_TRUE(g.status().ok()) << g.status().message();
  mlir::ModuleOp module = GraphBuilderAccess::module(g);
  ASSERT_TRUE(module);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(module)));
  auto func = *module.getOps<mlir::func::FuncOp>().begin();
  EXPECT_EQ(func.getName(), "f");
  EXPECT_EQ(func.getNumArguments(), 2u);
  EXPECT_TRUE(func.getArgAttr(1, mlir::tide::TideDialect::kParamAttrName));
  int matmuls = 0;
  func.walk([&](mlir::tide::MatmulOp op) {
    ++matmuls;
    auto type = mlir::cast<mlir::RankedTensorType>(op.getResult().getType());
    EXPECT_EQ(type.getShape(), llvm::ArrayRef<int64_t>({4, 3}));
    EXPECT_TRUE(type.getElementType().isF32());
  });
  EXPECT_EQ(matmuls, 1);
  EXPECT_EQ(func.getFunctionType().getNumResults(), 1u);
}

TEST(BuilderModuleTest, ParsingToMlirGivesTheSameIr) {
  b::GptConfig config;
  config.layers = 2;
  config.dModel = 16;
  config.heads = 2;
  config.seq = 8;
  config.vocab = 13;
  config.dropout = 0.1;
  config.tieWeights = true;
  config.checkpointPerBlock = true;
  b::GraphBuilder gpt = b::buildGpt(config);
  ASSERT_TRUE(gpt.status().ok()) << gpt.status().message();
  mlir::ModuleOp module = GraphBuilderAccess::module(gpt);
  ASSERT_TRUE(module);
  mlir::MLIRContext context;
  context.loadDialect<mlir::tide::TideDialect, mlir::func::FuncDialect>();
  std::string text = gpt.toMlir();
  mlir::OwningOpRef<mlir::ModuleOp> parsed =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(print(*parsed), print(module));
  EXPECT_EQ(print(module), text);
  int dropouts = 0;
  module.walk([&](mlir::tide::DropoutOp) { ++dropouts; });
  EXPECT_EQ(dropouts, 5) << "embeddings + 2 per block";
}

TEST(BuilderModuleTest, ABuilderWithAnErrorHasNoModule) {
  b::GraphBuilder g("f");
  b::Value x = g.input("x", {4, 8});
  g.setOutputs({g.matmul(x, x)});
  EXPECT_FALSE(g.status().ok());
  EXPECT_FALSE(GraphBuilderAccess::module(g));
  b::GraphBuilder open("f");
  open.input("x", {2});
  EXPECT_FALSE(GraphBuilderAccess::module(open)) << "no outputs yet";
}

} // namespace
