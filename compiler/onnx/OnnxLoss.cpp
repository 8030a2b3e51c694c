//===- OnnxLoss.cpp - A loss appended to an imported ONNX model ------------===//
//
// tidec MODEL.onnx --loss=cross-entropy:OUTPUT,LABELS | mse:OUTPUT,TARGET (docs/onnx.md
// "Training"): the imported function gets one more input (the labels or the target, after the
// graph inputs) and returns the scalar loss of one of its outputs, so `--train` can
// differentiate it. Parameters keep their ONNX initializer names.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideOps.h"
#include "compiler/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

namespace mlir::tide {

namespace {

std::string describeType(RankedTensorType type) {
  std::string text;
  for (int64_t d : type.getShape())
    text += (text.empty() ? "" : "x") + std::to_string(d);
  return text.empty() ? "a scalar" : "of shape " + text;
}

std::vector<std::string> namesOf(func::FuncOp function, StringRef attribute) {
  std::vector<std::string> names;
  if (auto array = function->getAttrOfType<ArrayAttr>(attribute))
    for (Attribute a : array)
      if (auto s = dyn_cast<StringAttr>(a))
        names.push_back(s.str());
  return names;
}

} // namespace

std::string appendOnnxLoss(StringRef spec, OnnxImportResult *result) {
  const std::string usage = "--loss=cross-entropy:OUTPUT,LABELS or --loss=mse:OUTPUT,TARGET";
  auto [kind, rest] = spec.split(':');
  auto [outputName, newName] = rest.split(',');
  if (kind != "cross-entropy" && kind != "mse")
    return "--loss '" + spec.str() + "': the kind must be cross-entropy or mse (" + usage + ")";
  if (outputName.empty() || newName.empty() || newName.contains(','))
    return "--loss '" + spec.str() + "' is not " + kind.str() + ":OUTPUT," +
           (kind == "mse" ? "TARGET" : "LABELS") + " (" + usage + ")";
  auto functions = result->module->getOps<func::FuncOp>();
  if (functions.empty())
    return "--loss: the imported module has no function";
  func::FuncOp function = *functions.begin();
  const std::vector<std::string> &outputs = result->outputNames;
  auto found = std::find(outputs.begin(), outputs.end(), outputName.str());
  if (found == outputs.end()) {
    std::string list;
    for (const std::string &name : outputs)
      list += (list.empty() ? "'" : ", '") + name + "'";
    return "--loss names the output '" + outputName.str() +
           "', which the model does not have (its outputs: " + list + ")";
  }
  const unsigned outputIndex = static_cast<unsigned>(found - outputs.begin());
  std::vector<std::string> inputNames = namesOf(function, "tide.input_names");
  std::vector<std::string> paramNames = namesOf(function, "tide.param_names");
  if (std::count(inputNames.begin(), inputNames.end(), newName.str()) ||
      std::count(paramNames.begin(), paramNames.end(), newName.str()) ||
      std::count(outputs.begin(), outputs.end(), newName.str()))
    return "--loss: the new input '" + newName.str() +
           "' has the name of a graph input, initializer or output; choose another";
  bool nameOk =
      newName.size() <= 256 && llvm::all_of(newName, [](char c) {
        return llvm::isAlnum(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == ':';
      });
  if (!nameOk)
    return "--loss: the new input's name '" + newName.str() +
           "' is not 1 to 256 of A-Z a-z 0-9 _ . - / :";

  auto returnOp = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  Value output = returnOp.getOperand(outputIndex);
  auto outputType = dyn_cast<RankedTensorType>(output.getType());
  if (!outputType || !outputType.getElementType().isF32())
    return "--loss: the output '" + outputName.str() + "' is not a float tensor";
  Type newType;
  if (kind == "cross-entropy") {
    if (outputType.getRank() < 2)
      return "--loss=cross-entropy: the output '" + outputName.str() + "' is " +
             describeType(outputType) +
             "; cross-entropy needs logits of shape [rows..., classes] (rank 2 or more)";
    newType = RankedTensorType::get(outputType.getShape().drop_back(),
                                    IntegerType::get(function.getContext(), 32));
  } else {
    newType = outputType;
  }

  // The new input goes after the graph inputs, before the parameters.
  const unsigned position = static_cast<unsigned>(inputNames.size());
  Location location = returnOp.getLoc();
  function.insertArgument(position, newType, DictionaryAttr(), location);
  Value added = function.getArgument(position);
  OpBuilder builder(returnOp);
  Value loss;
  if (kind == "cross-entropy")
    loss = builder.create<SoftmaxCrossEntropyOp>(location, output, added);
  else
    loss = builder.create<MseLossOp>(location, output, added);
  builder.create<func::ReturnOp>(location, loss);
  returnOp.erase();
  function.setFunctionType(builder.getFunctionType(function.getBody().front().getArgumentTypes(),
                                                   TypeRange{loss.getType()}));
  SmallVector<Attribute> names;
  for (const std::string &name : inputNames)
    names.push_back(builder.getStringAttr(name));
  names.push_back(builder.getStringAttr(newName));
  function->setAttr("tide.input_names", builder.getArrayAttr(names));
  result->outputNames = {"loss"};
  if (failed(verify(*result->module)))
    return "--loss: the function with the loss does not verify (see the diagnostics above)";
  return "";
}

} // namespace mlir::tide
