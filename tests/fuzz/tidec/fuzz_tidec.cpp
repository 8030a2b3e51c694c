//===- fuzz_tidec.cpp - libFuzzer target for tidec's front end and pipeline -===//
//
// Each input is the text of a tide model. It goes through what `tidec IN.mlir -o OUT.tplan`
// does in process: parse with the tide/func/arith/tensor dialects (parseSourceString; the
// parser verifies), then, for a module with exactly one function body, tidec::compileModule
// (tools/tidec/Pipeline.cpp, compiled into this target): inference or training preparation,
// remat, schedule, arena assignment, the plan writer and the runtime's own verification of the
// plan. The options (inference / SGD / Adam, remat policy, attention chunk) are chosen from a
// hash of the input. Models with a constant of more than 2^20 elements are parsed only (the plan
// writer would copy the data); models whose tide.init parameters hold more than 2^20 elements
// are compiled with every parameter starting at zero (InitialValues::Zeros) for the same reason.
//
// Findings besides sanitizer reports (each aborts with a message):
//   - the parser or the pipeline fails without emitting an error diagnostic;
//   - the pipeline succeeds, but the runtime's loader rejects the plan it returns.
//
//===----------------------------------------------------------------------===//

#include "Pipeline.h"

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideFrontEnd.h"
#include "runtime/plan/loaded_plan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

namespace {

constexpr int64_t kMaxConstantElements = int64_t{1} << 20;

[[noreturn]] void finding(const char *what, const std::string &detail) {
  std::fprintf(stderr, "fuzz_tidec finding: %s: %s\n", what, detail.c_str());
  std::abort();
}

uint64_t hashOf(const uint8_t *data, size_t size) {
  uint64_t h = 1469598103934665603ull ^ size;
  for (size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

tidec::PipelineOptions optionsFor(uint64_t seed) {
  tidec::PipelineOptions o;
  const char *modes[] = {"", "", "sgd", "adam"};
  o.train = modes[seed % 4];
  switch ((seed >> 2) % 6) {
  case 0:
    o.remat = "regions";
    break;
  case 1:
    o.remat = "segments=2";
    break;
  case 2:
    o.remat = "budget";
    o.budget = "60%";
    break;
  case 3:
    o.budget = "4K";
    break;
  default:
    break; // remat=none, no budget
  }
  o.attentionChunk = (seed >> 5) % 4 == 0 ? 3 : 0;
  o.arenaTimeLimit = 0.01; // The exact packer's search; the fuzzer needs many inputs a second.
  return o;
}

bool hasLargeConstant(ModuleOp module) {
  bool large = false;
  module.walk([&](arith::ConstantOp op) {
    if (auto type = dyn_cast<ShapedType>(op.getType()))
      large |= !type.hasStaticShape() || type.getNumElements() > kMaxConstantElements;
  });
  return large;
}

/// Elements of the parameters a plan would get tide.init values for (the writer draws them all).
int64_t initialisedParameterElements(ModuleOp module) {
  int64_t elements = 0;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (func.getArgAttr(i, tide::TideDialect::kInitAttrName))
        if (auto type = dyn_cast<ShapedType>(func.getArgument(i).getType()))
          elements += type.hasStaticShape() ? type.getNumElements() : 0;
  return elements;
}

bool hasOneFunctionBody(ModuleOp module) {
  int bodies = 0;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    bodies += func.isExternal() ? 0 : 1;
  return bodies == 1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  registry
      .insert<tide::TideDialect, func::FuncDialect, arith::ArithDialect, tensor::TensorDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  int errors = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    errors += d.getSeverity() == DiagnosticSeverity::Error;
    return success(); // Swallowed: the fuzzer's output stays readable.
  });

  // The tools' own path: a NUL-terminated buffer (MLIR's lexer relies on the terminator that
  // MemoryBuffer guarantees; the fuzzer's bytes have none), the nesting pre-scan, the parser and
  // the verifier (compiler/dialect/TideFrontEnd.h).
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz-input.mlir"),
                               llvm::SMLoc());
  OwningOpRef<ModuleOp> module = tide::parseTideModule(sourceMgr, &context);
  if (!module) {
    if (errors == 0)
      finding("the parser failed without an error diagnostic", text.str());
    return 0;
  }
  if (!hasOneFunctionBody(*module) || hasLargeConstant(*module))
    return 0;

  tidec::CompileResult result;
  std::string error;
  tide::PlanWriterOptions writerOptions;
  // tidec's default (initial values from tide.init; a parameter without one is an error) unless
  // drawing them would copy large data, as with constants; then every parameter starts at zero.
  if (initialisedParameterElements(*module) > kMaxConstantElements)
    writerOptions.initialValues = tide::InitialValues::Zeros;
  const tidec::PipelineOptions options = optionsFor(hashOf(data, size));
  if (failed(tidec::compileModule(*module, options, writerOptions, &result, &error))) {
    if (errors == 0)
      finding("the pipeline failed without an error diagnostic", error);
    return 0;
  }
  tidemark::LoadedPlan plan;
  tidemark::Status status =
      tidemark::LoadAndVerifyPlan(result.plan.data(), result.plan.size(), &plan);
  if (!status.ok())
    finding("the runtime rejects the plan tidec wrote", status.ToString());
  return 0;
}
