//===- tide-interp.cpp - Evaluate a tide function on the reference interpreter ===//
//
// tide-interp MODEL.mlir [--function NAME] [--seed N] [--range R] [--adam-step T]
//             [--print-results]
// Generates seeded random arguments (floats uniform in [-R, R), labels uniform over the valid
// class ids), evaluates the function in double and prints every result's type and a checksum
// (sum, sum of absolute values, min, max), or all its values with --print-results.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/interp/RandomArguments.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.mlir>"), cl::Required);
static cl::opt<std::string> functionName("function",
                                         cl::desc("Function to evaluate (default: the only one)"));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random arguments"), cl::init(1));
static cl::opt<double> range("range", cl::desc("Float arguments are uniform in [-range, range)"),
                             cl::init(1.0));
static cl::opt<int64_t> adamStep("adam-step", cl::desc("1-based step number t of tide.adam_update"),
                                 cl::init(1));
static cl::opt<bool> printResults("print-results", cl::desc("Print every element of every result"));

/// The function named by --function, or the module's only function.
static func::FuncOp selectFunction(ModuleOp module) {
  SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
  if (!functionName.empty()) {
    if (auto found = module.lookupSymbol<func::FuncOp>(functionName))
      return found;
    module.emitError("no function named @") << functionName;
    return nullptr;
  }
  if (functions.size() == 1)
    return functions.front();
  module.emitError("the module has ")
      << functions.size() << " functions; choose one with --function";
  return nullptr;
}

static void printChecksum(const tide::interp::Tensor &tensor) {
  double sum = 0.0, absSum = 0.0;
  double low = tensor.data.front(), high = tensor.data.front();
  for (double value : tensor.data) {
    sum += value;
    absSum += std::fabs(value);
    low = std::min(low, value);
    high = std::max(high, value);
  }
  llvm::outs() << llvm::format("sum = %.12g, sum|x| = %.12g, min = %.12g, max = %.12g\n", sum,
                               absSum, low, high);
}

/// Prints the elements, one line per row of the last dimension.
static void printValues(const tide::interp::Tensor &tensor) {
  int64_t width = tensor.shape.empty() ? 1 : std::max<int64_t>(tensor.shape.back(), 1);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    llvm::outs() << (i % width == 0 ? "  " : " ") << llvm::format("%.12g", tensor[i])
                 << ((i + 1) % width == 0 ? "\n" : "");
}

static void printResult(func::FuncOp function, unsigned index, const tide::interp::Tensor &tensor) {
  llvm::outs() << "result #" << index << " " << function.getResultTypes()[index];
  if (DictionaryAttr attrs = function.getResultAttrDict(index); attrs && !attrs.empty())
    llvm::outs() << " " << attrs;
  llvm::outs() << ": ";
  if (tensor.numElements() == 0) {
    llvm::outs() << "(empty)\n";
    return;
  }
  if (tensor.numElements() == 1 && !printResults) {
    llvm::outs() << llvm::format("%.12g\n", tensor[0]);
    return;
  }
  printChecksum(tensor);
  if (printResults)
    printValues(tensor);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Tidemark reference interpreter\n");

  MLIRContext context;
  context.loadDialect<tide::TideDialect, func::FuncDialect>();
  // Diagnostics point at the source line; a dump of the whole op would bury them.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file) {
    llvm::errs() << "tide-interp: " << error << "\n";
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  func::FuncOp function = selectFunction(*module);
  if (!function)
    return 1;
  if (!(range > 0.0) || !std::isfinite(range)) {
    llvm::errs() << "tide-interp: --range must be positive and finite, got " << range << "\n";
    return 1;
  }
  auto args = tide::interp::makeRandomArguments(function, seed, range);
  if (failed(args))
    return 1;
  tide::interp::InterpreterOptions options;
  options.adamStep = adamStep;
  auto results = tide::interp::interpret(function, *args, options);
  if (failed(results))
    return 1;
  llvm::outs() << "@" << function.getSymName() << ": " << args->size() << " random arguments (seed "
               << seed << ", range " << llvm::format("%g", range.getValue()) << ")\n";
  for (auto [index, tensor] : llvm::enumerate(*results))
    printResult(function, index, tensor);
  return 0;
}
