//===- GraphBuilder.cpp - IR-free tide model builder and MLIR text emitter ===//
//
// Records arguments and ops with their inferred shapes, renders each op's textual MLIR when it is
// created (operand names and types are known then), and assembles the function in toMlir().
// Every op costs O(rank) plus the length of its text; toMlir() is linear in the text size.
//
//===----------------------------------------------------------------------===//

#include "tidemark/builder.h"

#include "compiler/builder/ShapeRules.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace tidemark::builder {

using detail::formatShape;
using detail::Shape;

namespace {

struct ValueInfo {
  Shape shape;
  ElementType elementType = ElementType::F32;
  int region = 0;  ///< 0: the function body; k > 0: checkpoint region k.
  std::string ssa; ///< "%x", "%12" or "%12#1".
};

/// The shortest decimal that reads back as `value`, always with a '.' (an MLIR float literal).
std::string formatFloat(double value) {
  char text[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  std::string result = text;
  if (result.find_first_of(".eEn") == std::string::npos)
    return result + ".0";
  size_t exponent = result.find_first_of("eE");
  if (exponent != std::string::npos && result.find('.') == std::string::npos)
    result.insert(exponent, ".0");
  return result;
}

std::string formatList(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

std::string tensorType(const Shape &shape, ElementType elementType) {
  std::string text = "tensor<";
  for (int64_t dim : shape)
    text += std::to_string(dim) + "x";
  return text + (elementType == ElementType::F32 ? "f32>" : "i32>");
}

bool isIdentifier(const std::string &name, const char *extraPunctuation) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(extraPunctuation, c))
      return false;
  return true;
}

} // namespace

std::string ParamInit::describe() const {
  switch (kind) {
  case Kind::Zeros:
    return "zeros";
  case Kind::Ones:
    return "ones";
  case Kind::Normal:
    return "normal(" + (mean == 0.0 ? std::string("0") : formatFloat(mean)) + ", " +
           formatFloat(std) + ")";
  case Kind::Uniform:
    return "uniform(" + formatFloat(low) + ", " + formatFloat(high) + ")";
  }
  return "unknown";
}

struct GraphBuilder::Impl {
  std::string functionName;
  std::vector<ValueInfo> values;
  std::vector<Argument> inputs, params;
  std::set<std::string> argumentNames;
  std::vector<std::string> bodyLines;   ///< Function-body lines, indented.
  std::vector<std::string> regionLines; ///< Lines of the open checkpoint region.
  int openRegion = 0;                   ///< 0 when no region is open.
  int regionNumber = 0;                 ///< SSA number reserved for the open region's results.
  int numRegions = 0;
  int nextNumber = 0;
  std::vector<std::string> scopes;
  std::vector<int> outputs;
  bool outputsSet = false;
  int64_t numDropouts = 0; ///< The next tide.dropout's site.
  std::string error;

  void fail(const std::string &message) {
    if (error.empty())
      error = message;
  }
  std::string scopePath() const {
    std::string path;
    for (const std::string &scope : scopes)
      path += (path.empty() ? "" : ".") + scope;
    return path;
  }
  /// "tide.matmul (in blocks.0.attn): " - the prefix of an op's error messages.
  std::string opPrefix(const std::string &op) const {
    std::string path = scopePath();
    return op + (path.empty() ? "" : " (in " + path + ")") + ": ";
  }
  std::string typeText(int id) const {
    return tensorType(values[id].shape, values[id].elementType);
  }
  const std::string &ssa(Value value) const { return values[value.id].ssa; }
  const Shape &shapeOf(Value value) const { return values[value.id].shape; }
  Value binaryOp(const std::string &op, Value lhs, Value rhs);
  Value sameTypeOp(const std::string &op, Value input, const std::string &attributes);
  Value reduceOp(const std::string &op, Value input, const std::vector<int64_t> &axes,
                 bool keepDims);
  /// True when every operand is valid and visible here; reports an invisible one.
  bool usable(const std::string &op, std::initializer_list<Value> operands) {
    for (Value operand : operands) {
      if (!operand.valid() || operand.id >= static_cast<int>(values.size()))
        return false;
    }
    if (!error.empty())
      return false;
    for (Value operand : operands) {
      int region = values[operand.id].region;
      if (region != 0 && region != openRegion) {
        fail(opPrefix(op) + "operand " + values[operand.id].ssa +
             " was defined inside checkpoint region " + std::to_string(region) +
             " and is not visible here; yield it from endCheckpoint() and use the result");
        return false;
      }
    }
    return true;
  }
  /// Checks that every operand is f32.
  bool allFloat(const std::string &op, std::initializer_list<Value> operands) {
    for (Value operand : operands)
      if (values[operand.id].elementType != ElementType::F32) {
        fail(opPrefix(op) + "operand " + values[operand.id].ssa + " must be f32, got " +
             typeText(operand.id));
        return false;
      }
    return true;
  }
  /// Defines a new op result and emits "<ssa> = <text>".
  Value define(Shape shape, ElementType elementType, const std::string &text) {
    ValueInfo info{std::move(shape), elementType, openRegion, "%" + std::to_string(nextNumber++)};
    (openRegion ? regionLines : bodyLines)
        .push_back(std::string(openRegion ? "    " : "  ") + info.ssa + " = " + text);
    values.push_back(std::move(info));
    return Value{static_cast<int>(values.size()) - 1};
  }
  Value addArgument(Argument argument) {
    std::string error = detail::checkDeclaredShape(argument.shape);
    const char *kind = argument.isParam ? "parameter" : "input";
    if (!isIdentifier(argument.name, "_.-"))
      error = "name must match [A-Za-z_][A-Za-z0-9_.-]*";
    else if (argumentNames.count(argument.name))
      error = "an argument with this name already exists";
    if (!error.empty()) {
      fail(std::string(kind) + " '" + argument.name + "': " + error);
      return Value{};
    }
    if (!this->error.empty())
      return Value{};
    argumentNames.insert(argument.name);
    values.push_back({argument.shape, argument.elementType, 0, "%" + argument.name});
    (argument.isParam ? params : inputs).push_back(std::move(argument));
    return Value{static_cast<int>(values.size()) - 1};
  }
  std::string signatureText() const;
};

GraphBuilder::GraphBuilder(std::string functionName) : impl(std::make_unique<Impl>()) {
  impl->functionName = std::move(functionName);
  if (!isIdentifier(impl->functionName, "_$."))
    impl->fail("function name '" + impl->functionName + "' must match [A-Za-z_][A-Za-z0-9_$.]*");
}
GraphBuilder::~GraphBuilder() = default;
GraphBuilder::GraphBuilder(GraphBuilder &&) noexcept = default;
GraphBuilder &GraphBuilder::operator=(GraphBuilder &&) noexcept = default;

Value GraphBuilder::input(const std::string &name, std::vector<int64_t> shape,
                          ElementType elementType) {
  return impl->addArgument({name, elementType, std::move(shape), false, ParamInit{}});
}

Value GraphBuilder::param(const std::string &name, std::vector<int64_t> shape, ParamInit init) {
  std::string path = impl->scopePath();
  std::string fullName = path.empty() ? name : path + "." + name;
  if (std::string why = init.check(); !why.empty()) {
    impl->fail("parameter '" + fullName + "': " + why);
    return Value{};
  }
  return impl->addArgument({fullName, ElementType::F32, std::move(shape), true, init});
}

void GraphBuilder::pushScope(const std::string &name) { impl->scopes.push_back(name); }
void GraphBuilder::popScope() {
  if (impl->scopes.empty())
    return impl->fail("popScope() without a matching pushScope()");
  impl->scopes.pop_back();
}
std::string GraphBuilder::scope() const { return impl->scopePath(); }
void GraphBuilder::fail(const std::string &message) { impl->fail(message); }

std::vector<int64_t> GraphBuilder::shape(Value value) const {
  if (!value.valid() || value.id >= static_cast<int>(impl->values.size()))
    return {};
  return impl->values[value.id].shape;
}

ElementType GraphBuilder::elementType(Value value) const {
  if (!value.valid() || value.id >= static_cast<int>(impl->values.size()))
    return ElementType::F32;
  return impl->values[value.id].elementType;
}

std::vector<Argument> GraphBuilder::arguments() const {
  std::vector<Argument> all = impl->inputs;
  all.insert(all.end(), impl->params.begin(), impl->params.end());
  return all;
}

std::vector<Argument> GraphBuilder::parameters() const { return impl->params; }
int GraphBuilder::numCheckpoints() const { return impl->numRegions; }

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

Value GraphBuilder::matmul(Value lhs, Value rhs, bool transposeLhs, bool transposeRhs) {
  const std::string op = "tide.matmul";
  if (!impl->usable(op, {lhs, rhs}) || !impl->allFloat(op, {lhs, rhs}))
    return Value{};
  Shape result;
  std::string error = detail::inferMatmul(impl->values[lhs.id].shape, impl->values[rhs.id].shape,
                                          transposeLhs, transposeRhs, &result);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->define(
      result, ElementType::F32,
      op + " " + impl->ssa(lhs) + ", " + impl->ssa(rhs) + (transposeLhs ? " transpose_lhs" : "") +
          (transposeRhs ? " transpose_rhs" : "") + " : (" + impl->typeText(lhs.id) + ", " +
          impl->typeText(rhs.id) + ") -> " + tensorType(result, ElementType::F32));
}

Value GraphBuilder::add(Value lhs, Value rhs) { return impl->binaryOp("tide.add", lhs, rhs); }
Value GraphBuilder::sub(Value lhs, Value rhs) { return impl->binaryOp("tide.sub", lhs, rhs); }
Value GraphBuilder::mul(Value lhs, Value rhs) { return impl->binaryOp("tide.mul", lhs, rhs); }
Value GraphBuilder::div(Value lhs, Value rhs) { return impl->binaryOp("tide.div", lhs, rhs); }

/// add/sub/mul/div: NumPy broadcasting of two f32 operands.
Value GraphBuilder::Impl::binaryOp(const std::string &op, Value lhs, Value rhs) {
  if (!usable(op, {lhs, rhs}) || !allFloat(op, {lhs, rhs}))
    return Value{};
  Shape result;
  std::string error = detail::broadcastShapes(shapeOf(lhs), shapeOf(rhs), &result);
  if (!error.empty())
    return fail(opPrefix(op) + "operand shapes " + error), Value{};
  return define(result, ElementType::F32,
                op + " " + ssa(lhs) + ", " + ssa(rhs) + " : (" + typeText(lhs.id) + ", " +
                    typeText(rhs.id) + ") -> " + tensorType(result, ElementType::F32));
}

/// relu/tanh/exp/gelu/softmax: the result has the input's type; `attributes` follow the operand.
Value GraphBuilder::Impl::sameTypeOp(const std::string &op, Value input,
                                     const std::string &attributes) {
  if (!usable(op, {input}) || !allFloat(op, {input}))
    return Value{};
  return define(shapeOf(input), ElementType::F32,
                op + " " + ssa(input) + attributes + " : " + typeText(input.id));
}

Value GraphBuilder::relu(Value input) { return impl->sameTypeOp("tide.relu", input, ""); }
Value GraphBuilder::tanh(Value input) { return impl->sameTypeOp("tide.tanh", input, ""); }
Value GraphBuilder::exp(Value input) { return impl->sameTypeOp("tide.exp", input, ""); }

Value GraphBuilder::gelu(Value input, GeluApproximation approximation) {
  return impl->sameTypeOp("tide.gelu", input,
                          approximation == GeluApproximation::Tanh ? " tanh" : " exact");
}

Value GraphBuilder::softmax(Value input, int64_t axis) {
  const std::string op = "tide.softmax";
  if (!impl->usable(op, {input}))
    return Value{};
  const Shape &shape = impl->values[input.id].shape;
  int64_t normalized = 0;
  std::string error = shape.empty()
                          ? "input must have rank >= 1"
                          : detail::normalizeAxis(axis, shape.size(), "axis", &normalized);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->sameTypeOp(op, input, " axis = " + std::to_string(axis));
}

Value GraphBuilder::layerNorm(Value input, Value scale, Value bias, int64_t axis, double epsilon) {
  const std::string op = "tide.layer_norm";
  if (!impl->usable(op, {input, scale, bias}) || !impl->allFloat(op, {input, scale, bias}))
    return Value{};
  std::string error =
      detail::checkLayerNorm(impl->values[input.id].shape, impl->values[scale.id].shape,
                             impl->values[bias.id].shape, axis, epsilon);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  const auto &v = impl->values;
  return impl->define(v[input.id].shape, ElementType::F32,
                      op + " " + v[input.id].ssa + ", " + v[scale.id].ssa + ", " + v[bias.id].ssa +
                          " axis = " + std::to_string(axis) + " epsilon = " + formatFloat(epsilon) +
                          " : " + impl->typeText(input.id) + ", " + impl->typeText(scale.id) +
                          ", " + impl->typeText(bias.id));
}

/// reduce_sum/reduce_mean.
Value GraphBuilder::Impl::reduceOp(const std::string &op, Value input,
                                   const std::vector<int64_t> &axes, bool keepDims) {
  if (!usable(op, {input}) || !allFloat(op, {input}))
    return Value{};
  Shape result;
  std::string error = detail::inferReduce(shapeOf(input), axes, keepDims, &result);
  if (!error.empty())
    return fail(opPrefix(op) + error), Value{};
  return define(result, ElementType::F32,
                op + " " + ssa(input) + " axes = " + formatList(axes) +
                    (keepDims ? " keep_dims" : "") + " : " + typeText(input.id) + " -> " +
                    tensorType(result, ElementType::F32));
}

Value GraphBuilder::reduceSum(Value input, std::vector<int64_t> axes, bool keepDims) {
  return impl->reduceOp("tide.reduce_sum", input, axes, keepDims);
}
Value GraphBuilder::reduceMean(Value input, std::vector<int64_t> axes, bool keepDims) {
  return impl->reduceOp("tide.reduce_mean", input, axes, keepDims);
}

Value GraphBuilder::transpose(Value input, std::vector<int64_t> permutation) {
  const std::string op = "tide.transpose";
  if (!impl->usable(op, {input}) || !impl->allFloat(op, {input}))
    return Value{};
  Shape result;
  std::string error = detail::inferTranspose(impl->values[input.id].shape, permutation, &result);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->define(result, ElementType::F32,
                      op + " " + impl->ssa(input) + " permutation = " + formatList(permutation) +
                          " : " + impl->typeText(input.id) + " -> " +
                          tensorType(result, ElementType::F32));
}

Value GraphBuilder::reshape(Value input, std::vector<int64_t> shape) {
  const std::string op = "tide.reshape";
  if (!impl->usable(op, {input}) || !impl->allFloat(op, {input}))
    return Value{};
  std::string error = detail::checkReshape(impl->values[input.id].shape, shape);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->define(shape, ElementType::F32,
                      op + " " + impl->ssa(input) + " : " + impl->typeText(input.id) + " -> " +
                          tensorType(shape, ElementType::F32));
}

Value GraphBuilder::attention(Value query, Value key, Value value,
                              const AttentionOptions &options) {
  const std::string op = "tide.attention";
  if (!impl->usable(op, {query, key, value}) || !impl->allFloat(op, {query, key, value}))
    return Value{};
  Value lengths = options.keyLengths;
  if (lengths.valid() && !impl->usable(op, {lengths}))
    return Value{};
  if (lengths.valid() && impl->values[lengths.id].elementType != ElementType::I32)
    return impl->fail(impl->opPrefix(op) + "key_lengths " + impl->ssa(lengths) +
                      " must be i32, got " + impl->typeText(lengths.id)),
           Value{};
  const auto &v = impl->values;
  std::string error = detail::checkAttention(v[query.id].shape, v[key.id].shape, v[value.id].shape,
                                             options.scale, options.queryChunk, options.keyChunk,
                                             lengths.valid() ? &v[lengths.id].shape : nullptr);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  std::string mask = lengths.valid()
                         ? " key_lengths " + v[lengths.id].ssa + " : " + impl->typeText(lengths.id)
                         : "";
  return impl->define(v[query.id].shape, ElementType::F32,
                      op + " " + v[query.id].ssa + ", " + v[key.id].ssa + ", " + v[value.id].ssa +
                          mask + (options.causal ? " causal" : "") +
                          " scale = " + formatFloat(options.scale) + " chunks = [" +
                          std::to_string(options.queryChunk) + ", " +
                          std::to_string(options.keyChunk) + "] : " + impl->typeText(query.id) +
                          ", " + impl->typeText(key.id) + ", " + impl->typeText(value.id));
}

Value GraphBuilder::mseLoss(Value prediction, Value target) {
  const std::string op = "tide.mse_loss";
  if (!impl->usable(op, {prediction, target}) || !impl->allFloat(op, {prediction, target}))
    return Value{};
  const auto &v = impl->values;
  if (v[prediction.id].shape != v[target.id].shape)
    return impl->fail(impl->opPrefix(op) + "prediction " + formatShape(v[prediction.id].shape) +
                      " and target " + formatShape(v[target.id].shape) +
                      " must have the same shape"),
           Value{};
  return impl->define({}, ElementType::F32,
                      op + " " + v[prediction.id].ssa + ", " + v[target.id].ssa + " : " +
                          impl->typeText(prediction.id));
}

Value GraphBuilder::softmaxCrossEntropy(Value logits, Value labels) {
  const std::string op = "tide.softmax_cross_entropy";
  if (!impl->usable(op, {logits, labels}) || !impl->allFloat(op, {logits}))
    return Value{};
  const auto &v = impl->values;
  if (v[labels.id].elementType != ElementType::I32)
    return impl->fail(impl->opPrefix(op) + "labels " + v[labels.id].ssa + " must be i32, got " +
                      impl->typeText(labels.id)),
           Value{};
  std::string error = detail::checkSoftmaxCrossEntropy(v[logits.id].shape, v[labels.id].shape);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->define({}, ElementType::F32,
                      op + " " + v[logits.id].ssa + ", " + v[labels.id].ssa + " : " +
                          impl->typeText(logits.id) + ", " + impl->typeText(labels.id));
}

//===----------------------------------------------------------------------===//
// Transformer ops
//===----------------------------------------------------------------------===//

Value GraphBuilder::silu(Value input) { return impl->sameTypeOp("tide.silu", input, ""); }
Value GraphBuilder::sigmoid(Value input) { return impl->sameTypeOp("tide.sigmoid", input, ""); }
Value GraphBuilder::neg(Value input) { return impl->sameTypeOp("tide.neg", input, ""); }
Value GraphBuilder::sqrt(Value input) { return impl->sameTypeOp("tide.sqrt", input, ""); }
Value GraphBuilder::rsqrt(Value input) { return impl->sameTypeOp("tide.rsqrt", input, ""); }
Value GraphBuilder::erf(Value input) { return impl->sameTypeOp("tide.erf", input, ""); }
Value GraphBuilder::abs(Value input) { return impl->sameTypeOp("tide.abs", input, ""); }
Value GraphBuilder::minimum(Value lhs, Value rhs) {
  return impl->binaryOp("tide.minimum", lhs, rhs);
}
Value GraphBuilder::maximum(Value lhs, Value rhs) {
  return impl->binaryOp("tide.maximum", lhs, rhs);
}

Value GraphBuilder::gather(Value table, Value ids) {
  const std::string op = "tide.gather";
  if (!impl->usable(op, {table, ids}) || !impl->allFloat(op, {table}))
    return Value{};
  if (impl->values[ids.id].elementType != ElementType::I32)
    return impl->fail(impl->opPrefix(op) + "ids " + impl->ssa(ids) + " must be i32, got " +
                      impl->typeText(ids.id)),
           Value{};
  Shape result;
  std::string error = detail::inferGather(impl->shapeOf(table), impl->shapeOf(ids), &result);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->define(result, ElementType::F32,
                      op + " " + impl->ssa(table) + ", " + impl->ssa(ids) + " : " +
                          impl->typeText(table.id) + ", " + impl->typeText(ids.id));
}

Value GraphBuilder::rmsNorm(Value input, Value scale, int64_t axis, double epsilon) {
  const std::string op = "tide.rms_norm";
  if (!impl->usable(op, {input, scale}) || !impl->allFloat(op, {input, scale}))
    return Value{};
  std::string error =
      detail::checkRmsNorm(impl->shapeOf(input), impl->shapeOf(scale), axis, epsilon);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->define(impl->shapeOf(input), ElementType::F32,
                      op + " " + impl->ssa(input) + ", " + impl->ssa(scale) +
                          " axis = " + std::to_string(axis) + " epsilon = " + formatFloat(epsilon) +
                          " : " + impl->typeText(input.id) + ", " + impl->typeText(scale.id));
}

Value GraphBuilder::rope(Value input, const RopeOptions &options) {
  const std::string op = "tide.rope";
  if (!impl->usable(op, {input}) || !impl->allFloat(op, {input}))
    return Value{};
  const Shape &shape = impl->shapeOf(input);
  int64_t rotDim = options.rotDim == 0 && shape.size() == 4 ? shape[3] : options.rotDim;
  std::string error = detail::checkRope(shape, options.base, rotDim, options.offset);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  return impl->sameTypeOp(op, input,
                          std::string(options.layout == RopeLayout::BTHD ? " bthd" : " bhtd") +
                              " base = " + formatFloat(options.base) +
                              " rot_dim = " + std::to_string(rotDim) +
                              " offset = " + std::to_string(options.offset));
}

Value GraphBuilder::dropout(Value input, double p) {
  const std::string op = "tide.dropout";
  if (!impl->usable(op, {input}) || !impl->allFloat(op, {input}))
    return Value{};
  std::string error = detail::checkDropout(p);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  int64_t site = impl->numDropouts++;
  return impl->sameTypeOp(op, input, " p = " + formatFloat(p) + " site = " + std::to_string(site));
}

int64_t GraphBuilder::numDropouts() const { return impl->numDropouts; }

Value GraphBuilder::lmHeadLoss(Value hidden, Value weight, Value labels,
                               const LmHeadLossOptions &options) {
  const std::string op = "tide.lm_head_loss";
  bool hasBias = options.bias.valid();
  if (!impl->usable(op, {hidden, weight, labels}) || !impl->allFloat(op, {hidden, weight}))
    return Value{};
  if (hasBias && (!impl->usable(op, {options.bias}) || !impl->allFloat(op, {options.bias})))
    return Value{};
  if (impl->values[labels.id].elementType != ElementType::I32)
    return impl->fail(impl->opPrefix(op) + "labels " + impl->ssa(labels) + " must be i32, got " +
                      impl->typeText(labels.id)),
           Value{};
  std::string error =
      detail::checkLmHeadLoss(impl->shapeOf(hidden), impl->shapeOf(weight), impl->shapeOf(labels),
                              hasBias ? &impl->shapeOf(options.bias) : nullptr, options.ignoreIndex,
                              options.rowChunk, options.vocabChunk);
  if (!error.empty())
    return impl->fail(impl->opPrefix(op) + error), Value{};
  std::string text =
      op + " " + impl->ssa(hidden) + ", " + impl->ssa(weight) + ", " + impl->ssa(labels);
  if (hasBias)
    text += " bias " + impl->ssa(options.bias) + " : " + impl->typeText(options.bias.id);
  text += " ignore_index = " + std::to_string(options.ignoreIndex) + " chunks = [" +
          std::to_string(options.rowChunk) + ", " + std::to_string(options.vocabChunk) +
          "] : " + impl->typeText(hidden.id) + ", " + impl->typeText(weight.id) + ", " +
          impl->typeText(labels.id);
  return impl->define({}, ElementType::F32, text);
}

//===----------------------------------------------------------------------===//
// Checkpoint regions and outputs
//===----------------------------------------------------------------------===//

void GraphBuilder::beginCheckpoint() {
  if (impl->openRegion)
    return impl->fail("beginCheckpoint(): checkpoint region " + std::to_string(impl->openRegion) +
                      " is still open; checkpoint regions do not nest");
  impl->openRegion = ++impl->numRegions;
  impl->regionNumber = impl->nextNumber++;
  impl->regionLines.clear();
}

std::vector<Value> GraphBuilder::endCheckpoint(const std::vector<Value> &yielded) {
  int region = impl->openRegion;
  if (!region) {
    impl->fail("endCheckpoint() without a matching beginCheckpoint()");
    return std::vector<Value>(yielded.size());
  }
  impl->openRegion = 0;
  std::string where = "endCheckpoint() of region " + std::to_string(region) + ": ";
  if (impl->regionLines.empty())
    impl->fail(where + "the region has no ops");
  else if (yielded.empty())
    impl->fail(where + "a region must yield at least one value");
  for (Value value : yielded) {
    bool visible = value.valid() && value.id < static_cast<int>(impl->values.size()) &&
                   (impl->values[value.id].region == 0 || impl->values[value.id].region == region);
    if (value.valid() && !visible)
      impl->fail(where + "yielded value is not visible in this region");
    if (!visible)
      return std::vector<Value>(yielded.size());
  }
  if (!impl->error.empty())
    return std::vector<Value>(yielded.size());
  std::string types, names;
  for (size_t i = 0; i < yielded.size(); ++i) {
    types += (i ? ", " : "") + impl->typeText(yielded[i].id);
    names += (i ? ", " : "") + impl->values[yielded[i].id].ssa;
  }
  std::string base = "%" + std::to_string(impl->regionNumber);
  std::string count = yielded.size() > 1 ? ":" + std::to_string(yielded.size()) : "";
  impl->bodyLines.push_back("  " + base + count + " = tide.checkpoint -> (" + types + ") {");
  for (std::string &line : impl->regionLines)
    impl->bodyLines.push_back(std::move(line));
  impl->regionLines.clear();
  impl->bodyLines.push_back("    tide.yield " + names + " : " + types);
  impl->bodyLines.push_back("  }");
  std::vector<Value> results;
  for (size_t i = 0; i < yielded.size(); ++i) {
    ValueInfo info = impl->values[yielded[i].id];
    info.region = 0;
    info.ssa = base + (yielded.size() > 1 ? "#" + std::to_string(i) : "");
    impl->values.push_back(std::move(info));
    results.push_back(Value{static_cast<int>(impl->values.size()) - 1});
  }
  return results;
}

void GraphBuilder::setOutputs(const std::vector<Value> &outputs) {
  if (!impl->usable("setOutputs()", {}))
    return;
  for (Value value : outputs) {
    if (!value.valid() || value.id >= static_cast<int>(impl->values.size()))
      return;
    if (impl->values[value.id].region != 0)
      return impl->fail("setOutputs(): a value defined inside checkpoint region " +
                        std::to_string(impl->values[value.id].region) +
                        " cannot be returned; yield it from endCheckpoint() and return the result");
  }
  if (outputs.empty())
    return impl->fail("setOutputs(): the function needs at least one result");
  impl->outputs.clear();
  for (Value value : outputs)
    impl->outputs.push_back(value.id);
  impl->outputsSet = true;
}

Status GraphBuilder::status() const {
  if (!impl->error.empty())
    return InvalidArgument(impl->error);
  if (impl->openRegion)
    return FailedPrecondition("checkpoint region " + std::to_string(impl->openRegion) +
                              " is still open; call endCheckpoint()");
  if (!impl->outputsSet)
    return FailedPrecondition("the function has no results; call setOutputs()");
  return Status::Ok();
}

//===----------------------------------------------------------------------===//
// Emission
//===----------------------------------------------------------------------===//

static std::string stringArray(const std::vector<Argument> &arguments) {
  std::string text = "[";
  for (size_t i = 0; i < arguments.size(); ++i)
    text += (i ? ", \"" : "\"") + arguments[i].name + "\"";
  return text + "]";
}

std::string GraphBuilder::Impl::signatureText() const {
  std::string text = "func.func @" + functionName + "(";
  int count = 0;
  auto argumentLine = [&](const Argument &argument) {
    text +=
        std::string(count++ ? ",\n" : "\n") + "    %" + argument.name + ": " +
        tensorType(argument.shape, argument.elementType) +
        (argument.isParam ? " {tide.param, tide.init = \"" + argument.init.describe() + "\"}" : "");
  };
  for (const Argument &argument : inputs)
    argumentLine(argument);
  for (const Argument &argument : params)
    argumentLine(argument);
  text += ")\n    -> ";
  std::string results;
  for (size_t i = 0; i < outputs.size(); ++i)
    results += (i ? ", " : "") + typeText(outputs[i]);
  text += outputs.size() == 1 ? results : "(" + results + ")";
  text += " attributes {tide.input_names = " + stringArray(inputs) +
          ", tide.param_names = " + stringArray(params) + "} {\n";
  return text;
}

std::string GraphBuilder::toMlir() const {
  if (!status().ok())
    return "";
  std::string text = impl->signatureText();
  for (const std::string &line : impl->bodyLines)
    text += line + "\n";
  std::string names, types;
  for (size_t i = 0; i < impl->outputs.size(); ++i) {
    names += (i ? ", " : "") + impl->values[impl->outputs[i]].ssa;
    types += (i ? ", " : "") + impl->typeText(impl->outputs[i]);
  }
  return text + "  return " + names + " : " + types + "\n}\n";
}

} // namespace tidemark::builder
