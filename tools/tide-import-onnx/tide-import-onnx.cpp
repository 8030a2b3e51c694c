//===- tide-import-onnx.cpp - ONNX model -> tide dialect ------------------===//
//
// tide-import-onnx MODEL.onnx [-o OUT.mlir] [--input-shape NAME=D0xD1...]... [--weights-out
// W.safetensors]: imports the model (compiler/onnx, docs/onnx.md) and prints the tide function
// (stdout by default), optionally writing its initializers, under their ONNX names, as the
// safetensors file `tidec --weights` reads. Outputs are written atomically. Exit 0 on success,
// 1 with `tide-import-onnx: error: ...` on stderr.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideFrontEnd.h"
#include "compiler/onnx/OnnxImporter.h"
#include "tidemark/safetensors.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tide-import-onnx options");
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"), cl::init(""),
                               cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output .mlir file ('-': stdout, the default)"),
                                cl::value_desc("file"), cl::init("-"), cl::cat(category));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("Fix a graph input's shape: NAME=D0xD1x... (repeat "
                                           "for each input with symbolic dimensions)"),
                                  cl::value_desc("NAME=D0xD1..."), cl::cat(category));
cl::opt<std::string> weightsOut("weights-out",
                                cl::desc("Also write the initializers (the parameters) as "
                                         "safetensors, under their ONNX names"),
                                cl::value_desc("file"), cl::init(""), cl::cat(category));

int fail(const std::string &message) {
  llvm::errs() << "tide-import-onnx: error: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "tide-import-onnx: import an ONNX model into the tide dialect\n");
  if (inputFile.empty())
    return fail("no input model (usage: tide-import-onnx MODEL.onnx [-o OUT.mlir])");
  tide::OnnxImportOptions options;
  for (const std::string &shape : inputShapes)
    if (std::string error = tidemark::onnximport::parseInputShape(shape, &options.inputShapes);
        !error.empty())
      return fail(error);
  MLIRContext context;
  tide::OnnxImportResult result;
  if (std::string error = tide::importOnnxModel(inputFile, options, &context, &result);
      !error.empty())
    return fail(error);
  std::string text;
  llvm::raw_string_ostream os(text);
  result.module->print(os);
  if (!weightsOut.empty()) {
    result.weights.metadata["generator"] = "tide-import-onnx";
    result.weights.metadata["source"] = inputFile;
    tidemark::Status status = tidemark::WriteSafetensors(weightsOut, result.weights);
    if (!status.ok())
      return fail("cannot write the weights '" + weightsOut + "': " + status.ToString());
  }
  if (std::string error = tide::writeFileAtomically(outputFile, text); !error.empty())
    return fail(error);
  return 0;
}
