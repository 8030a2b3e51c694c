//===- OnnxOps.cpp - One handler per ONNX op: nodes -> tide ops or folded constants ---===//
//
// Each handler reads the current node's inputs (Entries), folds the node when every input it
// computes from is known at import, and otherwise emits the tide ops of the mapping table in
// docs/onnx.md through createOp (which verifies each op). Result shapes are computed here with
// ONNX's rules and checked against ONNX's own inference by define().
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxImporterImpl.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlir::tide::onnx_detail {

using tidemark::onnximport::broadcastShapes;
using tidemark::onnximport::describeShape;
using tidemark::onnximport::elementCount;
using tidemark::onnximport::elementKindOf;
using tidemark::onnximport::onnxTypeName;

namespace {

const onnx::AttributeProto *findAttr(const onnx::NodeProto &node, const char *name) {
  for (const auto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

} // namespace

//===----------------------------------------------------------------------===//
// Attributes and small helpers
//===----------------------------------------------------------------------===//

int64_t Importer::intAttr(const char *name, int64_t fallback) const {
  const auto *a = findAttr(*currentNode, name);
  return a && a->has_i() ? a->i() : fallback;
}

float Importer::floatAttr(const char *name, float fallback) const {
  const auto *a = findAttr(*currentNode, name);
  return a && a->has_f() ? a->f() : fallback;
}

std::optional<std::vector<int64_t>> Importer::intsAttr(const char *name) const {
  const auto *a = findAttr(*currentNode, name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult Importer::normalizeAxis(int64_t axis, int64_t rank, int64_t *out) {
  if (axis < -rank || axis >= rank)
    return failNode("axis " + std::to_string(axis) + " is out of range for rank " +
                    std::to_string(rank));
  *out = axis < 0 ? axis + rank : axis;
  return success();
}

LogicalResult Importer::defineValue(int outputIndex, Value value, ElementKind kind) {
  if (!value)
    return failure();
  Entry entry;
  entry.kind = kind;
  entry.value = value;
  return define(outputIndex, std::move(entry));
}

LogicalResult Importer::defineConstant(int outputIndex, HostTensor constant) {
  Entry entry;
  entry.kind = constant.kind;
  entry.constant = std::move(constant);
  return define(outputIndex, std::move(entry));
}

static std::vector<int64_t> shapeOf(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return std::vector<int64_t>(type.getShape().begin(), type.getShape().end());
}

Value Importer::scalarConstant(float value) {
  HostTensor scalar;
  scalar.floats = {value};
  Entry entry;
  entry.constant = scalar;
  return materialize(entry);
}

Value Importer::reshapeValue(Value input, const std::vector<int64_t> &shape) {
  if (!input)
    return Value();
  if (shapeOf(input) == shape)
    return input;
  return createOp("tide.reshape", {input}, tensorType(shape, ElementKind::F32));
}

Value Importer::binaryValues(StringRef tideOp, Value lhs, Value rhs) {
  if (!lhs || !rhs)
    return Value();
  std::vector<int64_t> shape;
  if (!broadcastShapes(shapeOf(lhs), shapeOf(rhs), &shape)) {
    (void)failNode("shapes " + describeShape(shapeOf(lhs)) + " and " + describeShape(shapeOf(rhs)) +
                   " do not broadcast");
    return Value();
  }
  return createOp(tideOp, {lhs, rhs}, tensorType(shape, ElementKind::F32));
}

/// ONNX MatMul (NumPy matmul, 1-D operands promoted and their unit dimension dropped again) or
/// Gemm's product, as one tide.matmul.
Value Importer::matmulValues(Value lhs, Value rhs, bool transposeLhs, bool transposeRhs) {
  if (!lhs || !rhs)
    return Value();
  std::vector<int64_t> a = shapeOf(lhs), b = shapeOf(rhs);
  if (a.empty() || b.empty()) {
    (void)failNode("MatMul needs operands of rank >= 1");
    return Value();
  }
  bool vectorLhs = a.size() == 1, vectorRhs = b.size() == 1;
  if (vectorLhs)
    lhs = reshapeValue(lhs, a = {1, a[0]});
  if (vectorRhs)
    rhs = reshapeValue(rhs, b = {b[0], 1});
  int64_t m = transposeLhs ? a[a.size() - 1] : a[a.size() - 2];
  int64_t n = transposeRhs ? b[b.size() - 2] : b[b.size() - 1];
  std::vector<int64_t> batch;
  if (!broadcastShapes({a.begin(), a.end() - 2}, {b.begin(), b.end() - 2}, &batch)) {
    (void)failNode("the batch dimensions of " + describeShape(a) + " and " + describeShape(b) +
                   " do not broadcast");
    return Value();
  }
  std::vector<int64_t> shape = batch;
  shape.push_back(m);
  shape.push_back(n);
  SmallVector<NamedAttribute> attributes;
  if (transposeLhs)
    attributes.push_back(builder.getNamedAttr("transpose_lhs", builder.getUnitAttr()));
  if (transposeRhs)
    attributes.push_back(builder.getNamedAttr("transpose_rhs", builder.getUnitAttr()));
  Value product =
      createOp("tide.matmul", {lhs, rhs}, tensorType(shape, ElementKind::F32), attributes);
  if (!vectorLhs && !vectorRhs)
    return product;
  std::vector<int64_t> squeezed = batch;
  if (!vectorLhs)
    squeezed.push_back(m);
  if (!vectorRhs)
    squeezed.push_back(n);
  return reshapeValue(product, squeezed);
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

static float reluOf(float x) { return x > 0.0f ? x : 0.0f; }
static float sigmoidOf(float x) { return 1.0f / (1.0f + std::exp(-x)); }
static float negOf(float x) { return -x; }
static float tanhOf(float x) { return std::tanh(x); }
static float erfOf(float x) { return std::erf(x); }
static float sqrtOf(float x) { return std::sqrt(x); }
static float expOf(float x) { return std::exp(x); }
static float logOf(float x) { return std::log(x); }
static float absOf(float x) { return std::fabs(x); }

const std::map<std::string, Importer::Handler> &Importer::handlerTable() {
  static const std::map<std::string, Handler> table = {
      {"Constant", [](Importer &i) { return i.importConstant(); }},
      {"Identity", [](Importer &i) { return i.importIdentity(); }},
      {"Dropout", [](Importer &i) { return i.importDropout(); }},
      {"Cast", [](Importer &i) { return i.importCast(); }},
      {"Shape", [](Importer &i) { return i.importShape(); }},
      {"Add", [](Importer &i) { return i.importBinary('+', "tide.add"); }},
      {"Sub", [](Importer &i) { return i.importBinary('-', "tide.sub"); }},
      {"Mul", [](Importer &i) { return i.importBinary('*', "tide.mul"); }},
      {"Div", [](Importer &i) { return i.importBinary('/', "tide.div"); }},
      {"Relu", [](Importer &i) { return i.importUnary("tide.relu", reluOf); }},
      {"Tanh", [](Importer &i) { return i.importUnary("tide.tanh", tanhOf); }},
      {"Sigmoid", [](Importer &i) { return i.importUnary("tide.sigmoid", sigmoidOf); }},
      {"Erf", [](Importer &i) { return i.importUnary("tide.erf", erfOf); }},
      {"Sqrt", [](Importer &i) { return i.importUnary("tide.sqrt", sqrtOf); }},
      {"Neg", [](Importer &i) { return i.importUnary("tide.neg", negOf); }},
      {"Exp", [](Importer &i) { return i.importUnary("tide.exp", expOf); }},
      {"Log", [](Importer &i) { return i.importUnary("tide.log", logOf); }},
      {"Abs", [](Importer &i) { return i.importUnary("tide.abs", absOf); }},
      {"Pow", [](Importer &i) { return i.importPow(); }},
      {"Reciprocal", [](Importer &i) { return i.importReciprocal(); }},
      {"MatMul", [](Importer &i) { return i.importMatMul(); }},
      {"Gemm", [](Importer &i) { return i.importGemm(); }},
      {"Reshape", [](Importer &i) { return i.importReshapeLike("Reshape"); }},
      {"Unsqueeze", [](Importer &i) { return i.importReshapeLike("Unsqueeze"); }},
      {"Squeeze", [](Importer &i) { return i.importReshapeLike("Squeeze"); }},
      {"Flatten", [](Importer &i) { return i.importReshapeLike("Flatten"); }},
      {"Transpose", [](Importer &i) { return i.importTranspose(); }},
      {"Softmax", [](Importer &i) { return i.importSoftmax(false); }},
      {"LogSoftmax", [](Importer &i) { return i.importSoftmax(true); }},
      {"ReduceSum", [](Importer &i) { return i.importReduce("tide.reduce_sum", true); }},
      {"ReduceMean", [](Importer &i) { return i.importReduce("tide.reduce_mean", false); }},
      {"ReduceMax", [](Importer &i) { return i.importReduceMax(); }},
      {"Gather", [](Importer &i) { return i.importGather(); }},
      {"Concat", [](Importer &i) { return i.importConcat(); }},
      {"LayerNormalization", [](Importer &i) { return i.importLayerNorm(); }},
      {"Slice", [](Importer &i) { return i.importSlice(); }},
      {"Split", [](Importer &i) { return i.importSplit(); }},
      {"Expand", [](Importer &i) { return i.importExpand(); }},
      {"ConstantOfShape", [](Importer &i) { return i.importConstantOfShape(); }},
      {"Equal", [](Importer &i) { return i.importEqual(); }},
      {"Max", [](Importer &i) { return i.importMinMax("tide.maximum"); }},
      {"Min", [](Importer &i) { return i.importMinMax("tide.minimum"); }},
      {"Clip", [](Importer &i) { return i.importClip(); }},
      {"Where", [](Importer &i) { return i.importWhere(); }},
  };
  return table;
}

bool Importer::isSupportedOp(const std::string &opType) { return handlerTable().count(opType); }

LogicalResult Importer::importNode(const onnx::NodeProto &node) {
  auto it = handlerTable().find(node.op_type());
  if (it == handlerTable().end())
    return failNode("unsupported op"); // checkOps lists these first; not reached.
  return it->second(*this);
}

//===----------------------------------------------------------------------===//
// Constants, identities, casts, shapes
//===----------------------------------------------------------------------===//

LogicalResult Importer::importConstant() {
  const onnx::NodeProto &node = *currentNode;
  if (node.attribute_size() != 1)
    return failNode("a Constant needs exactly one value attribute");
  const onnx::AttributeProto &a = node.attribute(0);
  HostTensor value;
  if (a.name() == "value") {
    if (std::string message = tidemark::onnximport::fromTensorProto(a.t(), &value);
        !message.empty())
      return failNode(message);
  } else if (a.name() == "value_float") {
    value.floats = {a.f()};
  } else if (a.name() == "value_floats") {
    value.floats.assign(a.floats().begin(), a.floats().end());
    value.shape = {a.floats_size()};
  } else if (a.name() == "value_int") {
    value.kind = ElementKind::I64;
    value.ints = {a.i()};
  } else if (a.name() == "value_ints") {
    value.kind = ElementKind::I64;
    value.ints.assign(a.ints().begin(), a.ints().end());
    value.shape = {a.ints_size()};
  } else {
    return failNode("the Constant attribute '" + a.name() +
                    "' is not supported (value, value_float(s) and value_int(s) are)");
  }
  return defineConstant(0, std::move(value));
}

/// The same value under another name. A parameter gets its argument first, so that both names
/// refer to one tide.param.
Entry Importer::alias(const Entry &x) {
  Entry copy = x;
  if (x.initializer && !x.value)
    copy.value = materialize(x);
  return copy;
}

LogicalResult Importer::importIdentity() {
  const Entry *x;
  if (failed(requireInput(0, &x)))
    return failure();
  return define(0, alias(*x));
}

LogicalResult Importer::importDropout() {
  const Entry *x;
  if (failed(requireInput(0, &x)))
    return failure();
  if (const Entry *training = input(2)) {
    if (!training->constant)
      return failNode("training_mode must be known at import");
    if (training->constant->numElements() != 1 || training->constant->at(0) != 0)
      return failNode("Dropout in training mode is not imported (export the model in eval mode: "
                      "model.eval() before torch.onnx.export)");
  }
  if (currentNode->output_size() > 1 && !currentNode->output(1).empty())
    unavailable[currentNode->output(1)] =
        "the mask output of " + describeNode(*currentNode) + ", which inference does not produce";
  return define(0, alias(*x)); // Inference: Dropout is the identity.
}

LogicalResult Importer::importCast() {
  const Entry *x;
  if (failed(requireInput(0, &x)))
    return failure();
  int64_t to = intAttr("to", 0);
  ElementKind kind;
  if (!elementKindOf(static_cast<int32_t>(to), &kind))
    return failNode("a Cast to " + onnxTypeName(static_cast<int32_t>(to)) +
                    " is not supported (FLOAT, INT32, INT64 and BOOL are)");
  if (x->constant)
    return defineConstant(0, tidemark::onnximport::castHost(*x->constant, kind));
  if (kind == ElementKind::Bool && x->kind != ElementKind::Bool)
    return failNode("a Cast of a runtime tensor to BOOL is not supported yet");
  bool fromInt = x->kind != ElementKind::F32, toInt = kind != ElementKind::F32;
  if (fromInt == toInt) { // Same tide type (int32 and int64 are both i32 in tide).
    Entry entry = alias(*x);
    entry.kind = kind;
    return define(0, std::move(entry));
  }
  return defineValue(0, createOp("tide.cast", {materialize(*x)}, tensorType(x->shape, kind)), kind);
}

LogicalResult Importer::importShape() {
  const Entry *x;
  if (failed(requireInput(0, &x)))
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t start = intAttr("start", 0), end = intAttr("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(x->shape[i]);
  return defineConstant(0, HostTensor::intVector(dims));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult Importer::importBinary(char op, StringRef tideOp) {
  const Entry *a, *b;
  if (failed(requireInput(0, &a)) || failed(requireInput(1, &b)))
    return failure();
  if (a->constant && b->constant) {
    HostTensor folded;
    if (std::string message =
            tidemark::onnximport::foldBinary(op, *a->constant, *b->constant, &folded);
        !message.empty())
      return failNode(message);
    return defineConstant(0, std::move(folded));
  }
  if (failed(requireFloat(0, &a)) || failed(requireFloat(1, &b)))
    return failure();
  return defineValue(0, binaryValues(tideOp, materialize(*a), materialize(*b)), ElementKind::F32);
}

LogicalResult Importer::importUnary(StringRef tideOp, float (*fold)(float)) {
  const Entry *x;
  if (failed(requireFloat(0, &x)))
    return failure();
  if (x->constant) {
    HostTensor folded = *x->constant;
    for (float &v : folded.floats)
      v = fold(v);
    return defineConstant(0, std::move(folded));
  }
  return defineValue(0, createOp(tideOp, {materialize(*x)}, tensorType(x->shape, ElementKind::F32)),
                     ElementKind::F32);
}

LogicalResult Importer::importPow() {
  const Entry *base;
  const HostTensor *exponent;
  if (failed(requireFloat(0, &base)) || failed(requireConstant(1, &exponent, "Pow's exponent")))
    return failure();
  int64_t count = exponent->numElements();
  double value = count > 0 ? exponent->at(0) : 0.0;
  for (int64_t i = 1; i < count; ++i)
    if (exponent->at(i) != value)
      return failNode("Pow's exponent must be one number (every element equal)");
  std::vector<int64_t> shape;
  if (count == 0 || !broadcastShapes(base->shape, exponent->shape, &shape) || shape != base->shape)
    return failNode("Pow's exponent must not broadcast the base (shape " +
                    describeShape(base->shape) + ", exponent " + describeShape(exponent->shape) +
                    ")");
  if (base->constant) {
    HostTensor folded = *base->constant;
    for (float &v : folded.floats)
      v = std::pow(v, static_cast<float>(value));
    return defineConstant(0, std::move(folded));
  }
  return defineValue(0,
                     createOp("tide.pow", {materialize(*base)},
                              tensorType(base->shape, ElementKind::F32),
                              {builder.getNamedAttr("exponent", builder.getF64FloatAttr(value))}),
                     ElementKind::F32);
}

LogicalResult Importer::importReciprocal() {
  const Entry *x;
  if (failed(requireFloat(0, &x)))
    return failure();
  if (x->constant) {
    HostTensor folded = *x->constant;
    for (float &v : folded.floats)
      v = 1.0f / v;
    return defineConstant(0, std::move(folded));
  }
  Value one = scalarConstant(1.0f);
  return defineValue(
      0, createOp("tide.div", {one, materialize(*x)}, tensorType(x->shape, ElementKind::F32)),
      ElementKind::F32);
}

/// Max / Min of one or more float tensors (broadcasting): a chain of tide.maximum / minimum.
LogicalResult Importer::importMinMax(StringRef tideOp) {
  const Entry *first;
  if (failed(requireFloat(0, &first)))
    return failure();
  if (currentNode->input_size() == 1)
    return define(0, alias(*first));
  Value result = materialize(*first);
  for (int i = 1; i < currentNode->input_size(); ++i) {
    const Entry *next;
    if (failed(requireFloat(i, &next)))
      return failure();
    result = binaryValues(tideOp, result, materialize(*next));
  }
  return defineValue(0, result, ElementKind::F32);
}

/// Clip (opset 13): tide.clamp with the bounds known at import (a missing one is the largest
/// finite f32 of that sign); folded for a known input.
LogicalResult Importer::importClip() {
  const Entry *x;
  if (failed(requireFloat(0, &x)))
    return failure();
  float bounds[2] = {-std::numeric_limits<float>::max(), std::numeric_limits<float>::max()};
  for (int i = 1; i <= 2; ++i) {
    if (!input(i))
      continue;
    const HostTensor *bound;
    if (failed(requireConstant(i, &bound, i == 1 ? "min" : "max")))
      return failure();
    if (bound->numElements() != 1 || !bound->isFloat())
      return failNode("Clip's bounds must be float scalars");
    bounds[i - 1] = bound->floats[0];
  }
  if (!input(1) && !input(2))
    return define(0, alias(*x));
  if (!(bounds[0] <= bounds[1]))
    return failNode("Clip with min > max (or a NaN bound) is not supported");
  if (x->constant) {
    HostTensor folded = *x->constant;
    for (float &v : folded.floats)
      v = v != v ? v : std::min(std::max(v, bounds[0]), bounds[1]);
    return defineConstant(0, std::move(folded));
  }
  return defineValue(0,
                     createOp("tide.clamp", {materialize(*x)},
                              tensorType(x->shape, ElementKind::F32),
                              {builder.getNamedAttr("min", builder.getF64FloatAttr(bounds[0])),
                               builder.getNamedAttr("max", builder.getF64FloatAttr(bounds[1]))}),
                     ElementKind::F32);
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult Importer::importMatMul() {
  const Entry *a, *b;
  if (failed(requireFloat(0, &a)) || failed(requireFloat(1, &b)))
    return failure();
  return defineValue(0, matmulValues(materialize(*a), materialize(*b), false, false),
                     ElementKind::F32);
}

/// Y = alpha * A' B' + beta * C: one tide.matmul with the transpose flags, a tide.mul by alpha
/// unless it is 1, and a tide.add of C (times beta unless it is 1; folded when C is constant).
LogicalResult Importer::importGemm() {
  const Entry *a, *b;
  if (failed(requireFloat(0, &a)) || failed(requireFloat(1, &b)))
    return failure();
  float alpha = floatAttr("alpha", 1.0f), beta = floatAttr("beta", 1.0f);
  Value y = matmulValues(materialize(*a), materialize(*b), intAttr("transA", 0) != 0,
                         intAttr("transB", 0) != 0);
  if (y && alpha != 1.0f)
    y = binaryValues("tide.mul", y, scalarConstant(alpha));
  const Entry *c = input(2);
  if (c && beta != 0.0f) {
    if (c->kind != ElementKind::F32)
      return failNode("Gemm's C must be a float tensor");
    Value bias;
    if (c->constant && beta != 1.0f) {
      HostTensor scaled = *c->constant;
      for (float &v : scaled.floats)
        v *= beta;
      Entry entry;
      entry.constant = std::move(scaled);
      bias = materialize(entry);
    } else {
      bias = materialize(*c);
      if (bias && beta != 1.0f)
        bias = binaryValues("tide.mul", bias, scalarConstant(beta));
    }
    y = binaryValues("tide.add", y, bias);
  }
  return defineValue(0, y, ElementKind::F32);
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

/// Reshape: 0 copies the input's dimension (unless allowzero), -1 is inferred (at most one).
static std::string reshapeDims(const std::vector<int64_t> &input, const HostTensor &target,
                               bool allowZero, std::vector<int64_t> *shape) {
  int64_t known = 1, inferred = -1;
  shape->clear();
  for (int64_t i = 0; i < target.numElements(); ++i) {
    int64_t d = target.ints[i];
    if (d == 0 && !allowZero) {
      if (i >= static_cast<int64_t>(input.size()))
        return "shape entry " + std::to_string(i) + " is 0 (copy), but the input has rank " +
               std::to_string(input.size());
      d = input[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return "the shape has more than one -1";
      inferred = i;
    } else if (d < 0) {
      return "shape entry " + std::to_string(d) + " is negative";
    } else {
      known *= d;
      if (known > (int64_t{1} << 40))
        return "the shape is too large";
    }
    shape->push_back(d);
  }
  int64_t total = elementCount(input);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return "cannot infer the -1 of " + describeShape(*shape) + " from " + std::to_string(total) +
             " elements";
    (*shape)[inferred] = total / known;
  } else if (known != total) {
    return "cannot reshape " + describeShape(input) + " (" + std::to_string(total) +
           " elements) into " + describeShape(*shape);
  }
  return "";
}

LogicalResult Importer::reshapeTarget(const std::string &opType, const Entry &data,
                                      std::vector<int64_t> *shape) {
  int64_t rank = static_cast<int64_t>(data.shape.size());
  if (opType == "Flatten") {
    int64_t axis = intAttr("axis", 1);
    if (axis < -rank || axis > rank)
      return failNode("axis " + std::to_string(axis) + " is out of range");
    axis = axis < 0 ? axis + rank : axis;
    *shape = {elementCount({data.shape.begin(), data.shape.begin() + axis}),
              elementCount({data.shape.begin() + axis, data.shape.end()})};
    return success();
  }
  const HostTensor *given = nullptr;
  if (opType == "Reshape" || opType == "Unsqueeze" || input(1)) {
    if (failed(requireConstant(1, &given, opType == "Reshape" ? "the shape" : "the axes")))
      return failure();
    if (given->isFloat())
      return failNode("the shape or axes must be integers");
  }
  if (opType == "Reshape") {
    if (std::string message = reshapeDims(data.shape, *given, intAttr("allowzero", 0) != 0, shape);
        !message.empty())
      return failNode(message);
    return success();
  }
  int64_t outRank = opType == "Unsqueeze" ? rank + (given ? given->numElements() : 0) : rank;
  std::vector<bool> marked(static_cast<size_t>(outRank), false);
  for (int64_t i = 0; given && i < given->numElements(); ++i) {
    int64_t axis = 0;
    if (failed(normalizeAxis(given->ints[i], outRank, &axis)))
      return failure();
    if (marked[axis])
      return failNode("axis " + std::to_string(given->ints[i]) + " is repeated");
    marked[axis] = true;
  }
  shape->clear();
  if (opType == "Unsqueeze") {
    for (int64_t i = 0, next = 0; i < outRank; ++i)
      shape->push_back(marked[i] ? 1 : data.shape[next++]);
    return success();
  }
  for (int64_t i = 0; i < rank; ++i) { // Squeeze: the marked axes, or every 1 without axes.
    bool drop = given ? marked[i] : data.shape[i] == 1;
    if (drop && data.shape[i] != 1)
      return failNode("cannot squeeze axis " + std::to_string(i) + " of size " +
                      std::to_string(data.shape[i]));
    if (!drop)
      shape->push_back(data.shape[i]);
  }
  return success();
}

LogicalResult Importer::importReshapeLike(const std::string &opType) {
  const Entry *data;
  if (failed(requireInput(0, &data)))
    return failure();
  std::vector<int64_t> shape;
  if (failed(reshapeTarget(opType, *data, &shape)))
    return failure();
  if (data->constant) {
    HostTensor reshaped = *data->constant;
    reshaped.shape = shape;
    return defineConstant(0, std::move(reshaped));
  }
  if (data->kind != ElementKind::F32)
    return failNode("reshaping an integer runtime tensor is not supported yet");
  return defineValue(0, reshapeValue(materialize(*data), shape), ElementKind::F32);
}

LogicalResult Importer::importTranspose() {
  const Entry *x;
  if (failed(requireInput(0, &x)))
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> perm;
  if (auto given = intsAttr("perm"))
    perm = *given;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < rank; ++i)
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[i] != i)
      return failNode("perm is not a permutation of the input's " + std::to_string(rank) +
                      " dimensions");
  if (x->constant)
    return defineConstant(0, tidemark::onnximport::transposeHost(*x->constant, perm));
  if (x->kind != ElementKind::F32)
    return failNode("transposing an integer runtime tensor is not supported yet");
  std::vector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(x->shape[p]);
  return defineValue(
      0,
      createOp("tide.transpose", {materialize(*x)}, tensorType(shape, ElementKind::F32),
               {builder.getNamedAttr("permutation", builder.getDenseI64ArrayAttr(perm))}),
      ElementKind::F32);
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

/// Softmax -> tide.softmax. LogSoftmax -> the stable form s = x - max(x), s - log(sum(exp(s)))
/// over the axis (tide.reduce_max, sub, exp, reduce_sum, log, sub).
LogicalResult Importer::importSoftmax(bool logarithm) {
  const Entry *x;
  if (failed(requireFloat(0, &x)))
    return failure();
  Value input = materialize(*x);
  int64_t axis = 0;
  if (failed(normalizeAxis(intAttr("axis", -1), x->shape.size(), &axis)))
    return failure();
  auto axisAttr = builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis));
  if (!logarithm)
    return defineValue(0, createOp("tide.softmax", {input}, input.getType(), {axisAttr}),
                       ElementKind::F32);
  std::vector<int64_t> kept = x->shape;
  kept[axis] = 1;
  auto keepAttr = builder.getNamedAttr("keep_dims", builder.getUnitAttr());
  Value max = createOp("tide.reduce_max", {input}, tensorType(kept, ElementKind::F32),
                       {axisAttr, keepAttr});
  Value shifted = binaryValues("tide.sub", input, max);
  Value exp = shifted ? createOp("tide.exp", {shifted}, input.getType()) : Value();
  Value sum =
      createOp("tide.reduce_sum", {exp}, tensorType(kept, ElementKind::F32),
               {builder.getNamedAttr("axes", builder.getDenseI64ArrayAttr({axis})), keepAttr});
  Value log = sum ? createOp("tide.log", {sum}, sum.getType()) : Value();
  return defineValue(0, binaryValues("tide.sub", shifted, log), ElementKind::F32);
}

/// LayerNormalization (opset 17) -> tide.layer_norm over [axis, rank); a missing bias is zeros.
/// When the Mean or InvStdDev output is used, the op also returns its statistics (with_stats).
LogicalResult Importer::importLayerNorm() {
  const Entry *x, *scale;
  if (failed(requireFloat(0, &x)) || failed(requireFloat(1, &scale)))
    return failure();
  int64_t axis = 0;
  if (failed(normalizeAxis(intAttr("axis", -1), x->shape.size(), &axis)))
    return failure();
  Value bias;
  if (input(2)) {
    const Entry *b;
    if (failed(requireFloat(2, &b)))
      return failure();
    bias = materialize(*b);
  } else {
    Entry zeros;
    zeros.constant = HostTensor();
    zeros.constant->shape = scale->shape;
    zeros.constant->floats.assign(tidemark::onnximport::elementCount(scale->shape), 0.0f);
    bias = materialize(zeros);
  }
  // The runtime normalizes over the last axis: over [axis, rank) the input is viewed as
  // [rows..., normalized] and the scale and bias as [normalized] (the same arithmetic), and the
  // result viewed back.
  std::vector<int64_t> rowShape(x->shape.begin(), x->shape.begin() + axis);
  int64_t normalized =
      tidemark::onnximport::elementCount({x->shape.begin() + axis, x->shape.end()});
  std::vector<int64_t> flat = rowShape;
  flat.push_back(normalized);
  Value input = reshapeValue(materialize(*x), flat);
  Value gamma = reshapeValue(materialize(*scale), {normalized});
  bias = reshapeValue(bias, {normalized});
  double epsilon = floatAttr("epsilon", 1e-5f);
  SmallVector<NamedAttribute> attributes = {
      builder.getNamedAttr("axis", builder.getI64IntegerAttr(rowShape.size())),
      builder.getNamedAttr("epsilon", builder.getF64FloatAttr(epsilon))};
  bool stats = false;
  for (int i = 1; i < currentNode->output_size(); ++i)
    stats = stats || !currentNode->output(i).empty();
  if (!stats)
    return defineValue(0,
                       reshapeValue(createOp("tide.layer_norm", {input, gamma, bias},
                                             tensorType(flat, ElementKind::F32), attributes),
                                    x->shape),
                       ElementKind::F32);
  // Mean and InvStdDev: tide's per-row statistics [d0 .. d(axis-1)], viewed as ONNX's
  // [d0 .. d(axis-1), 1, ..., 1].
  std::vector<int64_t> kept = rowShape;
  kept.resize(x->shape.size(), 1);
  attributes.push_back(builder.getNamedAttr("with_stats", builder.getUnitAttr()));
  Operation *op =
      createOps("tide.layer_norm", {input, gamma, bias},
                {tensorType(flat, ElementKind::F32), tensorType(rowShape, ElementKind::F32),
                 tensorType(rowShape, ElementKind::F32)},
                attributes);
  if (!op)
    return failure();
  if (failed(defineValue(0, reshapeValue(op->getResult(0), x->shape), ElementKind::F32)))
    return failure();
  for (int i = 1; i < 3 && i < currentNode->output_size(); ++i)
    if (failed(defineValue(i, reshapeValue(op->getResult(i), kept), ElementKind::F32)))
      return failure();
  return success();
}

LogicalResult Importer::importReduce(StringRef tideOp, bool axesAsInput) {
  const Entry *x;
  if (failed(requireFloat(0, &x)))
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> given;
  if (axesAsInput && input(1)) {
    const HostTensor *axes;
    if (failed(requireConstant(1, &axes, "the axes")))
      return failure();
    given = axes->ints;
  } else if (auto attr = intsAttr("axes")) {
    given = *attr;
  }
  bool keep = intAttr("keepdims", 1) != 0;
  if (given.empty() && axesAsInput && intAttr("noop_with_empty_axes", 0) != 0)
    return define(0, alias(*x));
  std::vector<int64_t> axes;
  for (int64_t a : given) {
    int64_t axis = 0;
    if (failed(normalizeAxis(a, rank, &axis)))
      return failure();
    axes.push_back(axis);
  }
  if (given.empty())
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  std::vector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), i);
    if (!reduced || keep)
      shape.push_back(reduced ? 1 : x->shape[i]);
  }
  SmallVector<NamedAttribute> attributes = {
      builder.getNamedAttr("axes", builder.getDenseI64ArrayAttr(axes))};
  if (keep)
    attributes.push_back(builder.getNamedAttr("keep_dims", builder.getUnitAttr()));
  return defineValue(
      0, createOp(tideOp, {materialize(*x)}, tensorType(shape, ElementKind::F32), attributes),
      ElementKind::F32);
}

/// tide.reduce_max reduces one axis: one op per axis (with kept dimensions), then a reshape
/// drops them unless keepdims.
LogicalResult Importer::importReduceMax() {
  const Entry *x;
  if (failed(requireFloat(0, &x)))
    return failure();
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> axes;
  if (auto attr = intsAttr("axes")) {
    for (int64_t a : *attr) {
      int64_t axis = 0;
      if (failed(normalizeAxis(a, rank, &axis)))
        return failure();
      axes.push_back(axis);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  Value value = materialize(*x);
  std::vector<int64_t> shape = x->shape;
  for (int64_t axis : axes) {
    if (shape[axis] == 1)
      continue;
    shape[axis] = 1;
    value = createOp("tide.reduce_max", {value}, tensorType(shape, ElementKind::F32),
                     {builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis)),
                      builder.getNamedAttr("keep_dims", builder.getUnitAttr())});
  }
  if (intAttr("keepdims", 1) == 0) {
    std::vector<int64_t> dropped;
    for (int64_t i = 0; i < rank; ++i)
      if (std::find(axes.begin(), axes.end(), i) == axes.end())
        dropped.push_back(shape[i]);
    value = reshapeValue(value, dropped);
  }
  return defineValue(0, value, ElementKind::F32);
}

//===----------------------------------------------------------------------===//
// Gather and Concat
//===----------------------------------------------------------------------===//

/// Folded when data and indices are known; else an embedding lookup (axis 0 of a float table):
/// tide.gather on the table viewed as [rows, rest], reshaped to indices.shape + data.shape[1:].
LogicalResult Importer::importGather() {
  const Entry *data, *indices;
  if (failed(requireInput(0, &data)) || failed(requireInput(1, &indices)))
    return failure();
  int64_t rank = static_cast<int64_t>(data->shape.size()), axis = 0;
  if (failed(normalizeAxis(intAttr("axis", 0), rank, &axis)))
    return failure();
  if (indices->kind == ElementKind::F32)
    return failNode("Gather's indices must be integers");
  if (data->constant && indices->constant) {
    HostTensor folded;
    if (std::string message =
            tidemark::onnximport::gatherHost(*data->constant, *indices->constant, axis, &folded);
        !message.empty())
      return failNode(message);
    return defineConstant(0, std::move(folded));
  }
  if (data->kind != ElementKind::F32)
    return failNode("gathering from an integer runtime tensor is not supported yet");
  if (axis != 0)
    return failNode("Gather on axis " + std::to_string(axis) +
                    " of a runtime tensor is not supported yet (axis 0, an embedding lookup, is)");
  int64_t rows = data->shape[0];
  int64_t rest = elementCount({data->shape.begin() + 1, data->shape.end()});
  Entry ids = *indices;
  if (ids.constant) { // Negative indices count from the end; out of range is an error here.
    for (int64_t &id : ids.constant->ints) {
      if (id < -rows || id >= rows)
        return failNode("index " + std::to_string(id) + " is out of range for " +
                        std::to_string(rows) + " rows");
      id = id < 0 ? id + rows : id;
    }
  }
  Value table = reshapeValue(materialize(*data), {rows, rest});
  std::vector<int64_t> gathered = indices->shape;
  gathered.push_back(rest);
  Value rowsOut =
      createOp("tide.gather", {table, materialize(ids)}, tensorType(gathered, ElementKind::F32));
  std::vector<int64_t> shape = indices->shape;
  shape.insert(shape.end(), data->shape.begin() + 1, data->shape.end());
  return defineValue(0, reshapeValue(rowsOut, shape), ElementKind::F32);
}

LogicalResult Importer::importConcat() {
  std::vector<const Entry *> parts;
  bool allConstant = true;
  for (int i = 0; i < currentNode->input_size(); ++i) {
    const Entry *part;
    if (failed(requireInput(i, &part)))
      return failure();
    parts.push_back(part);
    allConstant = allConstant && part->constant.has_value();
  }
  if (parts.empty())
    return failNode("Concat needs at least one input");
  int64_t axis = 0;
  if (failed(normalizeAxis(intAttr("axis", 0), parts[0]->shape.size(), &axis)))
    return failure();
  if (allConstant) {
    std::vector<const HostTensor *> constants;
    for (const Entry *part : parts)
      constants.push_back(&*part->constant);
    HostTensor folded;
    if (std::string message = tidemark::onnximport::concatHost(constants, axis, &folded);
        !message.empty())
      return failNode(message);
    return defineConstant(0, std::move(folded));
  }
  SmallVector<Value> operands;
  std::vector<int64_t> shape = parts[0]->shape;
  shape[axis] = 0;
  for (int i = 0; i < static_cast<int>(parts.size()); ++i) {
    const Entry *part;
    if (failed(requireFloat(i, &part)))
      return failure();
    operands.push_back(materialize(*part));
    shape[axis] += part->shape[axis];
  }
  return defineValue(0,
                     createOp("tide.concat", operands, tensorType(shape, ElementKind::F32),
                              {builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis))}),
                     ElementKind::F32);
}

} // namespace mlir::tide::onnx_detail
