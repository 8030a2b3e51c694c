//===- tide-opt.cpp - The tide pass driver --------------------------------===//
//
// mlir-opt with the tide dialect, the func/arith/tensor dialects, the upstream transforms
// (canonicalize, cse, ...) and every Tidemark pass. The lit suite's driver.
//
// Around MlirOptMain it adds the shared front end's guards (compiler/dialect/TideFrontEnd.h): the
// input is read with the bounded reader (no directories, devices or files over 1 GiB) and
// pre-scanned for bracket nesting deeper than kMaxNestingDepth (MLIR's parser is recursive and
// would overflow the stack); the function check (tide::verifyFunctionTypes) runs as the first
// pass of every pipeline; the output is collected and written atomically, so a failed run leaves
// no partial or truncated output file.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideFrontEnd.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#ifdef TIDEMARK_HAVE_PASSES
#include "passes/Passes.h"
#endif

namespace {

/// tide::verifyFunctionTypes as a module pass: the checks no op verifier can make (unused
/// arguments, function result types).
struct VerifyFunctionTypesPass
    : public mlir::PassWrapper<VerifyFunctionTypesPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(VerifyFunctionTypesPass)
  llvm::StringRef getArgument() const override { return "tide-verify-function-types"; }
  void runOnOperation() override {
    if (mlir::failed(mlir::tide::verifyFunctionTypes(getOperation())))
      signalPassFailure();
  }
};

int fail(const std::string &message) {
  llvm::errs() << "tide-opt: error: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::DialectRegistry registry;
  registry.insert<mlir::tide::TideDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect>();
  mlir::registerTransformsPasses();
#ifdef TIDEMARK_HAVE_PASSES
  mlir::tide::registerTidePasses();
#endif
  auto [inputFile, outputFile] = mlir::registerAndParseCLIOptions(
      argc, argv, "Tidemark pass driver (tide dialect)\n", registry);
  mlir::MlirOptMainConfig base = mlir::MlirOptMainConfig::createFromCLOptions();
  if (base.shouldShowDialects()) {
    llvm::outs() << "Available Dialects: ";
    llvm::interleave(registry.getDialectNames(), llvm::outs(), ",");
    llvm::outs() << "\n";
    return 0;
  }

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input = mlir::tide::readInputFile(inputFile, &error);
  if (!input)
    return fail("cannot read '" + inputFile + "': " + error);
  {
    llvm::SourceMgr sourceMgr; // Only for the pre-scan's located message.
    sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(input->getMemBufferRef()),
                                 llvm::SMLoc());
    if (mlir::failed(mlir::tide::checkNestingDepth(sourceMgr, /*context=*/nullptr)))
      return 1;
  }

  mlir::MlirOptMainConfig config = base;
  config.setPassPipelineSetupFn([base](mlir::PassManager &pm) {
    pm.addPass(std::make_unique<VerifyFunctionTypesPass>());
    return base.setupPassPipeline(pm);
  });
  std::string output;
  llvm::raw_string_ostream os(output);
  if (mlir::failed(mlir::MlirOptMain(os, std::move(input), registry, config))) {
    // -verify-diagnostics prints nothing useful to the output; other failures keep whatever was
    // printed for the chunks that succeeded out of the output file (nothing is written).
    return 1;
  }
  os.flush();
  if (std::string writeError = mlir::tide::writeFileAtomically(outputFile, output);
      !writeError.empty())
    return fail(writeError);
  return 0;
}
