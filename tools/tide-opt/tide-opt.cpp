//===- tide-opt.cpp - The tide pass driver --------------------------------===//
//
// mlir-opt with the tide dialect, the func/arith/tensor dialects, the upstream transforms
// (canonicalize, cse, ...) and every Tidemark pass. The lit suite's driver.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

#ifdef TIDEMARK_HAVE_PASSES
#include "passes/Passes.h"
#endif

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::tide::TideDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect>();
  mlir::registerTransformsPasses();
#ifdef TIDEMARK_HAVE_PASSES
  mlir::tide::registerTidePasses();
#endif
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tidemark pass driver (tide dialect)\n", registry));
}
