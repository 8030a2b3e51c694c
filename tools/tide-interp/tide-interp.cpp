//===- tide-interp.cpp - Evaluate a tide function on the reference interpreter ===//
//
// tide-interp MODEL.mlir [--function NAME] [--seed N] [--range R] [--adam-step T]
//             [--dropout-seed S] [--print-results]
// Generates seeded random arguments (floats uniform in [-R, R), labels uniform over the valid
// class ids), evaluates the function in double and prints every result's type and a checksum
// (sum, sum of absolute values, min, max), or all its values with --print-results.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideFrontEnd.h"
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
static cl::opt<int64_t> adamStep("adam-step",
                                 cl::desc("1-based training step t (tide.adam_update's bias "
                                          "corrections, tide.dropout's stream)"),
                                 cl::init(1));
static cl::opt<uint64_t>
    dropoutSeed("dropout-seed", cl::desc("The plan seed that keys tide.dropout's Philox stream"),
                cl::init(0));
static cl::opt<bool> printResults("print-results", cl::desc("Print every element of every result"));

/// Where a whole-module error points: the module's location, or file:1:1 for the parser's
/// implicit module (at line 0).
static Location moduleLocation(ModuleOp module) {
  if (auto loc = dyn_cast<FileLineColLoc>(module.getLoc()); loc && loc.getLine() == 0)
    return FileLineColLoc::get(loc.getFilename(), 1, 1);
  return module.getLoc();
}

/// The function named by --function, or the module's only function with a body.
static func::FuncOp selectFunction(ModuleOp module) {
  SmallVector<func::FuncOp> functions;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    if (!func.isExternal())
      functions.push_back(func);
  if (!functionName.empty()) {
    auto found = module.lookupSymbol<func::FuncOp>(functionName);
    if (found && !found.isExternal())
      return found;
    if (found)
      found.emitError("@") << functionName << " is only a declaration; it has no body to evaluate";
    else
      emitError(moduleLocation(module), "no function named @") << functionName;
    return nullptr;
  }
  if (functions.size() == 1)
    return functions.front();
  if (functions.empty())
    emitError(moduleLocation(module), "the module has no function with a body to evaluate");
  else
    functions[1].emitError("the module has ")
        << functions.size() << " functions with a body (@" << functions[0].getSymName() << ", @"
        << functions[1].getSymName() << (functions.size() > 2 ? ", ..." : "")
        << "); choose one with --function";
  return nullptr;
}

/// The interpreter holds every argument and every op result as doubles at once; refuse what would
/// take more than kMaxInterpreterBytes instead of running out of memory.
constexpr int64_t kMaxInterpreterBytes = int64_t{4} << 30;

static LogicalResult checkInterpreterMemory(func::FuncOp function) {
  int64_t total = 0;
  auto add = [&](Type type) {
    if (auto tensor = dyn_cast<RankedTensorType>(type); tensor && tensor.hasStaticShape())
      total = std::min<int64_t>(total + tensor.getNumElements() * 8, kMaxInterpreterBytes + 1);
  };
  for (Type type : function.getArgumentTypes())
    add(type);
  function.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      add(type);
  });
  if (total <= kMaxInterpreterBytes)
    return success();
  return function.emitError("@")
         << function.getSymName() << " needs more than " << kMaxInterpreterBytes
         << " bytes of interpreter values (every tensor held as doubles); the reference "
            "interpreter is for small models";
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
  auto file = tide::readInputFile(inputFile, &error);
  if (!file) {
    llvm::errs() << "tide-interp: error: cannot read '" << inputFile << "': " << error << "\n";
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = tide::parseTideModule(sourceMgr, &context);
  if (!module)
    return 1;
  func::FuncOp function = selectFunction(*module);
  if (!function || failed(checkInterpreterMemory(function)))
    return 1;
  if (!(range > 0.0) || !std::isfinite(range)) {
    llvm::errs() << "tide-interp: --range must be positive and finite, got " << range << "\n";
    return 1;
  }
  auto args = tide::interp::makeRandomArguments(function, seed, range);
  if (failed(args))
    return 1;
  tide::interp::InterpreterOptions options;
  options.step = adamStep;
  options.dropoutSeed = dropoutSeed;
  auto results = tide::interp::interpret(function, *args, options);
  if (failed(results))
    return 1;
  llvm::outs() << "@" << function.getSymName() << ": " << args->size() << " random arguments (seed "
               << seed << ", range " << llvm::format("%g", range.getValue()) << ")\n";
  for (auto [index, tensor] : llvm::enumerate(*results))
    printResult(function, index, tensor);
  return 0;
}
