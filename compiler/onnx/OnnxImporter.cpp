//===- OnnxImporter.cpp - ONNX model -> tide dialect function -------------===//
//
// See OnnxImporter.h. The Importer walks the (topologically sorted) nodes once; every ONNX value
// is an Entry: a tide SSA value, a HostTensor known at import time, or both. Node handlers are
// in OnnxOps.cpp; this file holds the driver: arguments, the op check, constants, the result.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporterImpl.h"

#include "compiler/dialect/TideDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

#include "onnx/onnx_pb.h"

namespace mlir::tide::onnx_detail {

using tidemark::onnximport::describeShape;
using tidemark::onnximport::elementKindOf;
using tidemark::onnximport::onnxTypeName;

namespace {

/// tide.input_names / tide.param_names accept 1 to 256 of these characters (docs/dialect.md).
bool isTideName(const std::string &name) {
  if (name.empty() || name.size() > 256)
    return false;
  for (char c : name)
    if (!llvm::isAlnum(c) && c != '_' && c != '.' && c != '-' && c != '/' && c != ':')
      return false;
  return true;
}

/// The static shape of an ONNX tensor type, or false if a dimension is not a fixed value.
bool staticShape(const onnx::TypeProto &type, std::vector<int64_t> *shape) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return false;
  shape->clear();
  for (const auto &dim : type.tensor_type().shape().dim()) {
    if (!dim.has_dim_value() || dim.dim_value() < 0)
      return false;
    shape->push_back(dim.dim_value());
  }
  return true;
}

} // namespace

Importer::Importer(const onnx::ModelProto &model, MLIRContext *context, StringRef fileName)
    : model(model), graph(model.graph()), context(context), builder(context),
      fileName(fileName.str()) {
  opset = tidemark::onnximport::defaultOpset(model);
}

Location Importer::locationOf(int nodeIndex) {
  return FileLineColLoc::get(context, fileName, static_cast<unsigned>(nodeIndex + 1), 1);
}

std::string Importer::describeNode(const onnx::NodeProto &node) const {
  return node.op_type() + " node '" + (node.name().empty() ? node.output(0) : node.name()) + "'";
}

LogicalResult Importer::fail(const std::string &message) {
  if (error.empty())
    error = message;
  return failure();
}

LogicalResult Importer::failNode(const std::string &message) {
  if (!currentNode)
    return fail(message);
  return fail(describeNode(*currentNode) + ": " + message);
}

Type Importer::elementType(ElementKind kind) {
  return kind == ElementKind::F32 ? Type(builder.getF32Type()) : Type(builder.getI32Type());
}

RankedTensorType Importer::tensorType(const std::vector<int64_t> &shape, ElementKind kind) {
  return RankedTensorType::get(shape, elementType(kind));
}

/// Lists every node whose op the importer does not map, and every non-default domain.
LogicalResult Importer::checkOps() {
  std::vector<std::string> unsupported;
  for (const auto &node : graph.node()) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    if (defaultDomain && isSupportedOp(node.op_type()))
      continue;
    unsupported.push_back(
        node.op_type() + " (node '" + node.name() + "', " +
        (defaultDomain ? "opset " + std::to_string(opset) : "domain '" + node.domain() + "'") +
        ")");
  }
  if (unsupported.empty())
    return success();
  std::string message = std::to_string(unsupported.size()) +
                        " node(s) use ops the ONNX importer does not support (docs/onnx.md lists "
                        "the supported ones):";
  for (const std::string &line : unsupported)
    message += "\n  " + line;
  return fail(message);
}

/// Every graph input, initializer, output and inferred value must be FLOAT, INT32 or INT64.
LogicalResult Importer::checkTypes() {
  std::vector<std::string> bad;
  auto check = [&](const onnx::ValueInfoProto &info, const char *what) {
    ElementKind kind;
    if (!info.type().has_tensor_type())
      bad.push_back(std::string(what) + " '" + info.name() + "' is not a tensor");
    else if (!elementKindOf(info.type().tensor_type().elem_type(), &kind))
      bad.push_back(std::string(what) + " '" + info.name() + "' is " +
                    onnxTypeName(info.type().tensor_type().elem_type()));
  };
  for (const auto &input : graph.input())
    check(input, "input");
  for (const auto &tensor : graph.initializer()) {
    ElementKind kind;
    if (!elementKindOf(tensor.data_type(), &kind))
      bad.push_back("initializer '" + tensor.name() + "' is " + onnxTypeName(tensor.data_type()));
  }
  for (const auto &info : graph.value_info())
    check(info, "value");
  for (const auto &output : graph.output())
    check(output, "output");
  if (bad.empty())
    return success();
  std::string message = std::to_string(bad.size()) +
                        " tensor(s) have element types the importer does not read (FLOAT, "
                        "INT32, INT64 and BOOL only):";
  for (const std::string &line : bad)
    message += "\n  " + line;
  return fail(message);
}

/// Whether input `index` of `node` can carry a gradient to its outputs. Shape operands (Reshape's
/// shape, axes, Slice bounds, split sizes, Expand's shape), indices, comparisons, Where's
/// condition, Shape, Dropout's ratio, Pow's exponent, Clip's bounds and casts to integers carry
/// none.
static bool carriesGradient(const onnx::NodeProto &node, int index) {
  const std::string &op = node.op_type();
  if (op == "Equal" || op == "Shape" || op == "ConstantOfShape")
    return false;
  if (op == "Cast") {
    for (const auto &attribute : node.attribute())
      if (attribute.name() == "to")
        return attribute.i() == onnx::TensorProto::FLOAT;
    return false;
  }
  static const std::set<std::string> firstOnly = {"Reshape", "Unsqueeze", "Squeeze", "ReduceSum",
                                                  "Slice",   "Split",     "Expand",  "Dropout",
                                                  "Pow",     "Gather"};
  if (firstOnly.count(op))
    return index == 0;
  if (op == "Where")
    return index != 0;
  if (op == "Clip") // The bounds are attribute-like numbers.
    return index == 0;
  return true;
}

/// The values some graph output depends on through a gradient-carrying path (reverse pass over
/// the topologically sorted nodes, O(nodes + edges)).
static std::set<std::string> differentiablyUsed(const onnx::GraphProto &graph) {
  std::set<std::string> needed;
  for (const auto &output : graph.output())
    needed.insert(output.name());
  for (int n = graph.node_size() - 1; n >= 0; --n) {
    const onnx::NodeProto &node = graph.node(n);
    bool reaches = false;
    for (const std::string &output : node.output())
      reaches = reaches || needed.count(output);
    if (!reaches)
      continue;
    for (int i = 0; i < node.input_size(); ++i)
      if (carriesGradient(node, i))
        needed.insert(node.input(i));
  }
  return needed;
}

LogicalResult Importer::collectArguments() {
  std::set<std::string> parameters = differentiablyUsed(graph);
  std::set<std::string> initializerNames;
  for (const auto &tensor : graph.initializer()) {
    initializerNames.insert(tensor.name());
    HostTensor value;
    if (std::string message = tidemark::onnximport::fromTensorProto(tensor, &value);
        !message.empty())
      return fail(message);
    Entry entry;
    entry.kind = value.kind;
    entry.shape = value.shape;
    entry.name = tensor.name();
    // A float initializer some output depends on differentiably is a parameter (its argument is
    // made on first use as a tensor); the others (masks, buffers compared or read as numbers)
    // and integer initializers (shapes, axes, ids) are constants, folded where possible.
    if (value.isFloat() && parameters.count(tensor.name()))
      entry.initializer = std::move(value);
    else
      entry.constant = std::move(value);
    values[tensor.name()] = std::move(entry);
  }
  for (const auto &input : graph.input()) {
    if (initializerNames.count(input.name()))
      continue;
    Entry entry;
    elementKindOf(input.type().tensor_type().elem_type(), &entry.kind);
    if (!staticShape(input.type(), &entry.shape))
      return fail("graph input '" + input.name() + "' has no static shape");
    if (!isTideName(input.name()))
      return fail("graph input '" + input.name() +
                  "' has a name tide.input_names cannot hold (1 to 256 of A-Z a-z 0-9 _ . - / :)");
    inputs.push_back({input.name(), entry.shape});
    values[input.name()] = std::move(entry);
  }
  return success();
}

LogicalResult Importer::createFunction() {
  SmallVector<Type> argumentTypes;
  for (const auto &input : inputs)
    argumentTypes.push_back(tensorType(input.second, values[input.first].kind));
  Location location = FileLineColLoc::get(context, fileName, 0, 0);
  result->module = ModuleOp::create(location);
  builder.setInsertionPointToEnd(result->module->getBody());
  std::string name = graph.name().empty() ? "main" : graph.name();
  if (!isTideName(name) || name.find_first_of("/:.-") != std::string::npos)
    name = "main";
  function =
      builder.create<func::FuncOp>(location, name, builder.getFunctionType(argumentTypes, {}));
  Block *entry = function.addEntryBlock();
  for (auto [i, input] : llvm::enumerate(inputs))
    values[input.first].value = entry->getArgument(i);
  builder.setInsertionPointToStart(entry);
  return success();
}

/// Appends a float initializer's tide.param argument (the parameters follow the inputs, in the
/// order of first use) and records its values for the weights file.
Value Importer::parameterArgument(const Entry &entry) {
  if (!isTideName(entry.name)) {
    (void)failNode("initializer '" + entry.name +
                   "' has a name tide.param_names cannot hold (1 to 256 of A-Z a-z 0-9 _ . - / "
                   ":); rename it in the model");
    return Value();
  }
  const HostTensor &values = *entry.initializer;
  params.push_back({entry.name, values.shape});
  result->weights.tensors.push_back(
      tidemark::WeightTensor::FromFloats(entry.name, values.shape, values.floats));
  Location location = FileLineColLoc::get(context, fileName, 0, 0);
  return entry.materialized = function.getBody().front().addArgument(
             tensorType(values.shape, ElementKind::F32), location);
}

const Entry *Importer::input(int index) {
  const onnx::NodeProto &node = *currentNode;
  if (index >= node.input_size() || node.input(index).empty())
    return nullptr;
  auto it = values.find(node.input(index));
  if (it == values.end())
    return nullptr;
  return &it->second;
}

LogicalResult Importer::requireInput(int index, const Entry **entry) {
  *entry = input(index);
  if (*entry)
    return success();
  const onnx::NodeProto &node = *currentNode;
  if (index < node.input_size() && !node.input(index).empty()) {
    auto reason = unavailable.find(node.input(index));
    if (reason != unavailable.end())
      return failNode("input '" + node.input(index) + "' is " + reason->second);
    return failNode("input '" + node.input(index) + "' is not defined before the node");
  }
  return failNode("input " + std::to_string(index) + " is missing");
}

LogicalResult Importer::requireConstant(int index, const HostTensor **constant, const char *what) {
  const Entry *entry;
  if (failed(requireInput(index, &entry)))
    return failure();
  if (!entry->constant && !entry->initializer)
    return failNode(std::string(what) + " (input " + std::to_string(index) +
                    ") must be known at import time (a constant or computed from shapes), "
                    "not a runtime tensor");
  *constant = entry->constant ? &*entry->constant : &*entry->initializer;
  return success();
}

LogicalResult Importer::requireFloat(int index, const Entry **entry) {
  if (failed(requireInput(index, entry)))
    return failure();
  if ((*entry)->kind != ElementKind::F32)
    return failNode("input " + std::to_string(index) +
                    " is an integer runtime tensor; tide computes on float tensors (only "
                    "integers known at import, e.g. shapes, are folded)");
  return success();
}

Value Importer::materialize(const Entry &entry) {
  if (entry.value)
    return entry.value;
  if (entry.materialized)
    return entry.materialized;
  if (entry.initializer)
    return parameterArgument(entry);
  const HostTensor &constant = *entry.constant;
  if (constant.isFloat()) {
    auto type = tensorType(constant.shape, ElementKind::F32);
    auto attr = DenseElementsAttr::get(type, ArrayRef<float>(constant.floats));
    return entry.materialized = builder.create<arith::ConstantOp>(currentLocation, attr);
  }
  // An integer constant (indices, a mask) reaching a tide op: plans store f32 constants, so it
  // is an f32 arith.constant and a tide.cast to i32, exact for |v| <= 2^24.
  std::vector<float> exact;
  for (int64_t v : constant.ints) {
    if (v < -(int64_t{1} << 24) || v > (int64_t{1} << 24)) {
      (void)failNode("the integer constant value " + std::to_string(v) +
                     " reaches a runtime op; the importer passes integer constants up to 2^24 "
                     "in magnitude");
      return Value();
    }
    exact.push_back(static_cast<float>(v));
  }
  auto floatType = tensorType(constant.shape, ElementKind::F32);
  auto attr = DenseElementsAttr::get(floatType, ArrayRef<float>(exact));
  Value floats = builder.create<arith::ConstantOp>(currentLocation, attr);
  return entry.materialized =
             createOp("tide.cast", {floats}, tensorType(constant.shape, ElementKind::I32));
}

Value Importer::createOp(StringRef name, ValueRange operands, Type resultType,
                         ArrayRef<NamedAttribute> attributes) {
  Operation *op = createOps(name, operands, TypeRange(resultType), attributes);
  return op ? op->getResult(0) : Value();
}

Operation *Importer::createOps(StringRef name, ValueRange operands, TypeRange resultTypes,
                               ArrayRef<NamedAttribute> attributes) {
  if (!error.empty())
    return nullptr;
  for (Value operand : operands)
    if (!operand)
      return nullptr;
  OperationState state(currentLocation, name);
  state.addOperands(operands);
  state.addTypes(resultTypes);
  state.addAttributes(attributes);
  Operation *op = builder.create(state);
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &d) {
      diagnostics += (diagnostics.empty() ? "" : "; ") + d.str();
      return success();
    });
    if (succeeded(verify(op)))
      return op;
  }
  (void)failNode("the " + name.str() + " it maps to does not verify: " + diagnostics);
  return nullptr;
}

LogicalResult Importer::define(int outputIndex, Entry entry) {
  const onnx::NodeProto &node = *currentNode;
  if (outputIndex >= node.output_size() || node.output(outputIndex).empty())
    return success(); // An optional output nobody asked for.
  const std::string &name = node.output(outputIndex);
  if (entry.value) {
    auto type = cast<RankedTensorType>(entry.value.getType());
    entry.shape.assign(type.getShape().begin(), type.getShape().end());
  } else if (!entry.constant) {
    return failNode("internal error: output '" + name + "' has no value");
  } else {
    entry.shape = entry.constant->shape;
    entry.kind = entry.constant->kind;
  }
  auto inferred = inferredShapes.find(name);
  if (inferred != inferredShapes.end() && inferred->second != entry.shape)
    return failNode("internal error: output '" + name + "' has shape " +
                    describeShape(entry.shape) + ", ONNX infers " +
                    describeShape(inferred->second));
  values[name] = std::move(entry);
  return success();
}

LogicalResult Importer::importNodes() {
  for (const auto &info : graph.value_info()) {
    std::vector<int64_t> shape;
    if (staticShape(info.type(), &shape))
      inferredShapes[info.name()] = shape;
  }
  for (const auto &output : graph.output()) {
    std::vector<int64_t> shape;
    if (staticShape(output.type(), &shape))
      inferredShapes[output.name()] = shape;
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    currentNode = &graph.node(i);
    currentLocation = locationOf(i);
    if (failed(importNode(*currentNode)) || !error.empty())
      return fail(error.empty() ? describeNode(*currentNode) + ": import failed" : error);
  }
  currentNode = nullptr;
  return success();
}

LogicalResult Importer::finish() {
  SmallVector<Value> results;
  for (const auto &output : graph.output()) {
    auto it = values.find(output.name());
    if (it == values.end()) {
      auto reason = unavailable.find(output.name());
      if (reason != unavailable.end())
        return fail("graph output '" + output.name() + "' is " + reason->second);
      return fail("graph output '" + output.name() + "' is not computed by any node");
    }
    Value value = materialize(it->second);
    if (!value)
      return failure();
    results.push_back(value);
    result->outputNames.push_back(output.name());
  }
  if (results.empty())
    return fail("the graph has no outputs");
  builder.create<func::ReturnOp>(FileLineColLoc::get(context, fileName, 0, 0), results);
  Block &body = function.getBody().front();
  function.setFunctionType(
      builder.getFunctionType(body.getArgumentTypes(), ValueRange(results).getTypes()));
  SmallVector<Attribute> inputNames, paramNames;
  for (const auto &input : inputs)
    inputNames.push_back(builder.getStringAttr(input.first));
  for (auto [i, param] : llvm::enumerate(params)) {
    function.setArgAttr(inputs.size() + i, "tide.param", builder.getUnitAttr());
    paramNames.push_back(builder.getStringAttr(param.first));
  }
  function->setAttr("tide.input_names", builder.getArrayAttr(inputNames));
  function->setAttr("tide.param_names", builder.getArrayAttr(paramNames));
  std::string diagnostics;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &d) {
    diagnostics += (diagnostics.empty() ? "" : "; ") + d.str();
    return success();
  });
  if (failed(verify(*result->module)) || failed(verifyFunctionTypes(*result->module)))
    return fail("the imported module does not verify: " + diagnostics);
  return success();
}

LogicalResult Importer::run(OnnxImportResult *out) {
  result = out;
  result->opset = opset;
  result->nodes = graph.node_size();
  if (failed(checkOps()) || failed(checkTypes()) || failed(collectArguments()) ||
      failed(createFunction()) || failed(importNodes()) || failed(finish())) {
    result->module = nullptr;
    result->weights = tidemark::WeightsFile();
    return failure();
  }
  return success();
}

} // namespace mlir::tide::onnx_detail

namespace mlir::tide {

bool isOnnxPath(StringRef path) { return path.ends_with_insensitive(".onnx"); }

void registerOnnxImportDialects(MLIRContext &context) {
  context.loadDialect<TideDialect, func::FuncDialect, arith::ArithDialect>();
}

/// Messages quote names from the model, which may hold any bytes: control and non-ASCII bytes
/// are printed as \xNN so that an error is one readable line per problem.
static std::string printable(const std::string &message) {
  std::string text;
  for (unsigned char c : message) {
    if ((c >= 0x20 && c < 0x7f) || c == '\n') {
      text += static_cast<char>(c);
      continue;
    }
    text += "\\x";
    text += llvm::hexdigit(c >> 4, true);
    text += llvm::hexdigit(c & 15, true);
  }
  return text;
}

std::string importOnnxModel(StringRef path, const OnnxImportOptions &options, MLIRContext *context,
                            OnnxImportResult *result) {
  registerOnnxImportDialects(*context);
  onnx::ModelProto model;
  if (std::string error =
          tidemark::onnximport::loadOnnxModel(path.str(), options.inputShapes, &model);
      !error.empty())
    return printable(error);
  onnx_detail::Importer importer(model, context, path);
  if (failed(importer.run(result)))
    return printable(importer.errorMessage());
  return "";
}

} // namespace mlir::tide
