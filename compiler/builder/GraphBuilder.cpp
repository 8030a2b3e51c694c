//===- GraphBuilder.cpp - The model builder, building through the tide dialect -===//
//
// Every op is created with an mlir::OpBuilder as the real tide op: its result types come from the
// op's own shape inference (OpT::inferReturnTypes) and it is verified (mlir::verify) as soon as it
// is created, so the dialect's verifiers are the one source of shape rules on the compiler side.
// A ScopedDiagnosticHandler keeps the first error diagnostic, which becomes the builder's error
// ("<op> (in <scope>): <the dialect's message>"). What the builder checks itself is its own API:
// argument names, dimensions >= 1 (so that a tensor type can be formed), the visibility of values
// across checkpoint regions, and the call order of the region and output calls.
//
// toMlir() verifies the whole module once more and prints it with MLIR's printer. Each op costs
// its verification (O(rank) for most ops); toMlir() is linear in the module size.
//
//===----------------------------------------------------------------------===//

#include "tidemark/builder.h"

#include "compiler/builder/GraphBuilderAccess.h"
#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideOps.h"
#include "compiler/dialect/TideVerifyUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <cstring>
#include <memory>
#include <set>

namespace tidemark::builder {

namespace tide = mlir::tide;

namespace {

struct ValueInfo {
  mlir::Value value;
  int region = 0; ///< 0: the function body; k > 0: checkpoint region k.
};

bool isIdentifier(const std::string &name, const char *extraPunctuation) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(extraPunctuation, c))
      return false;
  return true;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// The builder's own rule for the shapes it is given (arguments, reshape targets): every
/// dimension >= 1, so that a static tensor type can be formed. The tensor limits (rank, size)
/// are the dialect's and are checked by it.
std::string checkDimensions(const std::vector<int64_t> &shape) {
  for (int64_t dim : shape)
    if (dim < 1)
      return "shape " + formatShape(shape) + " has a dimension " + std::to_string(dim) +
             "; every dimension must be >= 1";
  return "";
}

} // namespace

struct GraphBuilder::Impl {
  // Declaration order is destruction order reversed: the module and the handler go before the
  // context.
  mlir::MLIRContext context{mlir::MLIRContext::Threading::DISABLED};
  std::string diagnostic; ///< The first error diagnostic since the last clear.
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  mlir::OpBuilder builder{&context};
  mlir::func::ReturnOp returnOp;     ///< Null until setOutputs().
  tide::CheckpointOp openCheckpoint; ///< The open region's result-less placeholder, or null.
  std::string functionName;
  std::vector<ValueInfo> values;
  std::vector<Argument> inputs, params;
  std::set<std::string> argumentNames;
  int openRegion = 0; ///< 0 when no region is open.
  int numRegions = 0;
  std::vector<std::string> scopes;
  bool outputsSet = false;
  int64_t numDropouts = 0; ///< The next tide.dropout's site.
  std::string error;

  explicit Impl(std::string name) : functionName(std::move(name)) {
    context.loadDialect<tide::TideDialect, mlir::func::FuncDialect>();
    context.printOpOnDiagnostic(false);
    context.printStackTraceOnDiagnostic(false);
    handler =
        std::make_unique<mlir::ScopedDiagnosticHandler>(&context, [this](mlir::Diagnostic &diag) {
          if (diag.getSeverity() == mlir::DiagnosticSeverity::Error && diagnostic.empty())
            diagnostic = diag.str();
          return mlir::success();
        });
    mlir::Location loc = mlir::NameLoc::get(builder.getStringAttr(functionName));
    module = mlir::ModuleOp::create(builder.getUnknownLoc());
    func = mlir::func::FuncOp::create(loc, functionName, builder.getFunctionType({}, {}));
    module->push_back(func);
    builder.setInsertionPointToEnd(func.addEntryBlock());
    updateNames();
  }

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
  std::string opPrefix(llvm::StringRef op) const {
    std::string path = scopePath();
    return op.str() + (path.empty() ? "" : " (in " + path + ")") + ": ";
  }
  /// Ops are located at their scope (shown with -mlir-print-debuginfo), else at the function.
  mlir::Location location() {
    std::string path = scopePath();
    return mlir::NameLoc::get(builder.getStringAttr(path.empty() ? functionName : path));
  }
  /// Records the captured diagnostic as the error of `op`, without the "'tide.x' op " that
  /// MLIR's op verifiers or the "x " that the dialect's shape inference put in front (the prefix
  /// names the op already).
  void failOp(llvm::StringRef op, const std::string &note = "") {
    std::string message = diagnostic.empty() ? "the op does not verify" : diagnostic;
    for (std::string marker : {"'" + op.str() + "' op ", op.split('.').second.str() + " "})
      if (message.compare(0, marker.size(), marker) == 0)
        message.erase(0, marker.size());
    fail(opPrefix(op) + message + note);
  }
  /// "; operand #1 is input 'ids'" when the diagnostic names an operand by number (MLIR's
  /// operand type constraints do) and that operand is a function argument; else "".
  std::string operandNote(mlir::Operation *op) {
    const std::string marker = "operand #";
    size_t at = diagnostic.find(marker);
    if (at == std::string::npos)
      return "";
    size_t digits = at + marker.size(), end = digits;
    while (end < diagnostic.size() && std::isdigit(static_cast<unsigned char>(diagnostic[end])))
      ++end;
    if (end == digits || end - digits > 6)
      return "";
    unsigned index = std::stoul(diagnostic.substr(digits, end - digits));
    if (index >= op->getNumOperands())
      return "";
    auto arg = mlir::dyn_cast<mlir::BlockArgument>(op->getOperand(index));
    if (!arg || arg.getOwner() != &func.getBody().front())
      return "";
    unsigned number = arg.getArgNumber();
    const Argument &argument =
        number < inputs.size() ? inputs[number] : params[number - inputs.size()];
    return "; operand #" + std::to_string(index) + " is " +
           (argument.isParam ? "parameter '" : "input '") + argument.name + "'";
  }

  mlir::Value mlirValue(Value value) const { return values[value.id].value; }
  mlir::RankedTensorType typeOf(Value value) const {
    return mlir::cast<mlir::RankedTensorType>(mlirValue(value).getType());
  }

  /// True when no error is recorded and every operand is valid and visible here; reports an
  /// invisible one.
  bool usable(llvm::StringRef op, std::initializer_list<Value> operands) {
    for (Value operand : operands)
      if (!operand.valid() || operand.id >= static_cast<int>(values.size()))
        return false;
    if (!error.empty())
      return false;
    int index = 0;
    for (Value operand : operands) {
      int region = values[operand.id].region;
      if (region != 0 && region != openRegion) {
        fail(opPrefix(op) + "operand #" + std::to_string(index) +
             " was defined inside checkpoint region " + std::to_string(region) +
             " and is not visible here; yield it from endCheckpoint() and use the result");
        return false;
      }
      ++index;
    }
    return true;
  }

  /// Verifies a freshly created op; on failure erases it and records the first diagnostic.
  mlir::Operation *verified(mlir::Operation *op) {
    diagnostic.clear();
    if (mlir::succeeded(mlir::verify(op)))
      return op;
    std::string name = op->getName().getStringRef().str();
    std::string note = operandNote(op);
    op->erase();
    failOp(name, note);
    return nullptr;
  }

  /// Creates OpT at the insertion point from its generated builder (the arguments after the
  /// result types), its result types from OpT's own shape inference, and verifies it. Returns
  /// null (with the error recorded) when inference or verification fails.
  template <typename OpT, typename... Args> mlir::Operation *create(Args &&...args) {
    mlir::OperationState state(location(), OpT::getOperationName());
    OpT::build(builder, state, mlir::TypeRange(), std::forward<Args>(args)...);
    llvm::SmallVector<mlir::Type> types;
    diagnostic.clear();
    if (mlir::failed(OpT::inferReturnTypes(&context, state.location, state.operands,
                                           state.attributes.getDictionary(&context),
                                           state.getRawProperties(), state.regions, types))) {
      failOp(OpT::getOperationName());
      return nullptr;
    }
    state.addTypes(types);
    return verified(builder.create(state));
  }

  /// A new builder Value for `value` in the current region.
  Value define(mlir::Value value) {
    values.push_back({value, openRegion});
    return Value{static_cast<int>(values.size()) - 1};
  }
  /// The first result of `op` (null: the op failed) as a builder Value.
  Value single(mlir::Operation *op) { return op ? define(op->getResult(0)) : Value{}; }

  template <typename OpT> Value unary(Value input) {
    if (!usable(OpT::getOperationName(), {input}))
      return Value{};
    return single(create<OpT>(mlirValue(input)));
  }
  template <typename OpT> Value binary(Value lhs, Value rhs) {
    if (!usable(OpT::getOperationName(), {lhs, rhs}))
      return Value{};
    return single(create<OpT>(mlirValue(lhs), mlirValue(rhs)));
  }
  template <typename OpT>
  Value reduce(Value input, const std::vector<int64_t> &axes, bool keepDims) {
    if (!usable(OpT::getOperationName(), {input}))
      return Value{};
    return single(create<OpT>(mlirValue(input), builder.getDenseI64ArrayAttr(axes),
                              keepDims ? builder.getUnitAttr() : mlir::UnitAttr()));
  }

  mlir::RankedTensorType tensorType(const std::vector<int64_t> &shape, ElementType elementType) {
    mlir::Type element = elementType == ElementType::F32 ? mlir::Type(builder.getF32Type())
                                                         : mlir::Type(builder.getI32Type());
    return mlir::RankedTensorType::get(shape, element);
  }

  /// tide.input_names and tide.param_names: the arguments' names, in function order.
  void updateNames() {
    auto names = [&](const std::vector<Argument> &arguments) {
      llvm::SmallVector<mlir::Attribute> list;
      for (const Argument &argument : arguments)
        list.push_back(builder.getStringAttr(argument.name));
      return builder.getArrayAttr(list);
    };
    func->setAttr("tide.input_names", names(inputs));
    func->setAttr("tide.param_names", names(params));
  }

  Value addArgument(Argument argument) {
    const std::string kind = argument.isParam ? "parameter" : "input";
    std::string why = checkDimensions(argument.shape);
    if (!isIdentifier(argument.name, "_.-"))
      why = "name must match [A-Za-z_][A-Za-z0-9_.-]*";
    else if (argumentNames.count(argument.name))
      why = "an argument with this name already exists";
    if (!why.empty()) {
      fail(kind + " '" + argument.name + "': " + why);
      return Value{};
    }
    if (!error.empty())
      return Value{};
    // The dialect's tensor limits (rank, dimension and byte size), in its own words.
    mlir::RankedTensorType type = tensorType(argument.shape, argument.elementType);
    mlir::Location loc = mlir::NameLoc::get(builder.getStringAttr(argument.name));
    diagnostic.clear();
    if (mlir::failed(tide::detail::checkTensorType(loc, type, kind + " '" + argument.name + "'"))) {
      fail(diagnostic);
      return Value{};
    }
    mlir::DictionaryAttr attributes;
    if (argument.isParam)
      attributes = builder.getDictionaryAttr(
          {builder.getNamedAttr(tide::TideDialect::kParamAttrName, builder.getUnitAttr()),
           builder.getNamedAttr(tide::TideDialect::kInitAttrName,
                                builder.getStringAttr(argument.init.describe()))});
    unsigned index = argument.isParam ? func.getNumArguments() : inputs.size();
    func.insertArgument(index, type, attributes, loc);
    argumentNames.insert(argument.name);
    (argument.isParam ? params : inputs).push_back(std::move(argument));
    updateNames();
    values.push_back({func.getArgument(index), 0});
    return Value{static_cast<int>(values.size()) - 1};
  }

  /// Top-level ops go at the end of the function body, before the return once there is one.
  void insertAtBodyEnd() {
    if (returnOp)
      builder.setInsertionPoint(returnOp);
    else
      builder.setInsertionPointToEnd(&func.getBody().front());
  }
};

GraphBuilder::GraphBuilder(std::string functionName)
    : impl(std::make_unique<Impl>(std::move(functionName))) {
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
  llvm::ArrayRef<int64_t> shape = impl->typeOf(value).getShape();
  return std::vector<int64_t>(shape.begin(), shape.end());
}

ElementType GraphBuilder::elementType(Value value) const {
  if (!value.valid() || value.id >= static_cast<int>(impl->values.size()))
    return ElementType::F32;
  return impl->typeOf(value).getElementType().isInteger(32) ? ElementType::I32 : ElementType::F32;
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
  if (!impl->usable(tide::MatmulOp::getOperationName(), {lhs, rhs}))
    return Value{};
  return impl->single(impl->create<tide::MatmulOp>(impl->mlirValue(lhs), impl->mlirValue(rhs),
                                                   transposeLhs, transposeRhs));
}

Value GraphBuilder::add(Value lhs, Value rhs) { return impl->binary<tide::AddOp>(lhs, rhs); }
Value GraphBuilder::sub(Value lhs, Value rhs) { return impl->binary<tide::SubOp>(lhs, rhs); }
Value GraphBuilder::mul(Value lhs, Value rhs) { return impl->binary<tide::MulOp>(lhs, rhs); }
Value GraphBuilder::div(Value lhs, Value rhs) { return impl->binary<tide::DivOp>(lhs, rhs); }
Value GraphBuilder::relu(Value input) { return impl->unary<tide::ReluOp>(input); }
Value GraphBuilder::tanh(Value input) { return impl->unary<tide::TanhOp>(input); }
Value GraphBuilder::exp(Value input) { return impl->unary<tide::ExpOp>(input); }

Value GraphBuilder::gelu(Value input, GeluApproximation approximation) {
  if (!impl->usable(tide::GeluOp::getOperationName(), {input}))
    return Value{};
  auto attr = tide::GeluApproximationAttr::get(
      &impl->context, approximation == GeluApproximation::Tanh ? tide::GeluApproximation::Tanh
                                                               : tide::GeluApproximation::Exact);
  return impl->single(impl->create<tide::GeluOp>(impl->mlirValue(input), attr));
}

Value GraphBuilder::softmax(Value input, int64_t axis) {
  if (!impl->usable(tide::SoftmaxOp::getOperationName(), {input}))
    return Value{};
  return impl->single(
      impl->create<tide::SoftmaxOp>(impl->mlirValue(input), impl->builder.getI64IntegerAttr(axis)));
}

Value GraphBuilder::layerNorm(Value input, Value scale, Value bias, int64_t axis, double epsilon) {
  if (!impl->usable(tide::LayerNormOp::getOperationName(), {input, scale, bias}))
    return Value{};
  mlir::OpBuilder &b = impl->builder;
  return impl->single(impl->create<tide::LayerNormOp>(
      impl->mlirValue(input), impl->mlirValue(scale), impl->mlirValue(bias),
      b.getI64IntegerAttr(axis), b.getF64FloatAttr(epsilon), mlir::UnitAttr()));
}

Value GraphBuilder::reduceSum(Value input, std::vector<int64_t> axes, bool keepDims) {
  return impl->reduce<tide::ReduceSumOp>(input, axes, keepDims);
}
Value GraphBuilder::reduceMean(Value input, std::vector<int64_t> axes, bool keepDims) {
  return impl->reduce<tide::ReduceMeanOp>(input, axes, keepDims);
}

Value GraphBuilder::transpose(Value input, std::vector<int64_t> permutation) {
  if (!impl->usable(tide::TransposeOp::getOperationName(), {input}))
    return Value{};
  return impl->single(impl->create<tide::TransposeOp>(
      impl->mlirValue(input), impl->builder.getDenseI64ArrayAttr(permutation)));
}

Value GraphBuilder::reshape(Value input, std::vector<int64_t> shape) {
  llvm::StringRef op = tide::ReshapeOp::getOperationName();
  if (!impl->usable(op, {input}))
    return Value{};
  // tide.reshape's result type is its target shape (no inference); the verifier checks it.
  if (std::string why = checkDimensions(shape); !why.empty())
    return impl->fail(impl->opPrefix(op) + "target " + why), Value{};
  mlir::RankedTensorType type = impl->tensorType(shape, elementType(input));
  return impl->single(impl->verified(
      impl->builder.create<tide::ReshapeOp>(impl->location(), type, impl->mlirValue(input))));
}

Value GraphBuilder::attention(Value query, Value key, Value value,
                              const AttentionOptions &options) {
  llvm::StringRef op = tide::AttentionOp::getOperationName();
  if (!impl->usable(op, {query, key, value}))
    return Value{};
  Value lengths = options.keyLengths;
  if (lengths.valid() && !impl->usable(op, {lengths}))
    return Value{};
  mlir::OpBuilder &b = impl->builder;
  return impl->single(impl->create<tide::AttentionOp>(
      impl->mlirValue(query), impl->mlirValue(key), impl->mlirValue(value),
      lengths.valid() ? impl->mlirValue(lengths) : mlir::Value(),
      options.causal ? b.getUnitAttr() : mlir::UnitAttr(), b.getF64FloatAttr(options.scale),
      b.getI64IntegerAttr(options.queryChunk), b.getI64IntegerAttr(options.keyChunk),
      mlir::UnitAttr()));
}

Value GraphBuilder::mseLoss(Value prediction, Value target) {
  return impl->binary<tide::MseLossOp>(prediction, target);
}

Value GraphBuilder::softmaxCrossEntropy(Value logits, Value labels) {
  return impl->binary<tide::SoftmaxCrossEntropyOp>(logits, labels);
}

//===----------------------------------------------------------------------===//
// Transformer ops
//===----------------------------------------------------------------------===//

Value GraphBuilder::silu(Value input) { return impl->unary<tide::SiluOp>(input); }
Value GraphBuilder::sigmoid(Value input) { return impl->unary<tide::SigmoidOp>(input); }
Value GraphBuilder::neg(Value input) { return impl->unary<tide::NegOp>(input); }
Value GraphBuilder::sqrt(Value input) { return impl->unary<tide::SqrtOp>(input); }
Value GraphBuilder::rsqrt(Value input) { return impl->unary<tide::RsqrtOp>(input); }
Value GraphBuilder::erf(Value input) { return impl->unary<tide::ErfOp>(input); }
Value GraphBuilder::abs(Value input) { return impl->unary<tide::AbsOp>(input); }
Value GraphBuilder::minimum(Value lhs, Value rhs) {
  return impl->binary<tide::MinimumOp>(lhs, rhs);
}
Value GraphBuilder::maximum(Value lhs, Value rhs) {
  return impl->binary<tide::MaximumOp>(lhs, rhs);
}

Value GraphBuilder::gather(Value table, Value ids) {
  return impl->binary<tide::GatherOp>(table, ids);
}

Value GraphBuilder::rmsNorm(Value input, Value scale, int64_t axis, double epsilon) {
  if (!impl->usable(tide::RmsNormOp::getOperationName(), {input, scale}))
    return Value{};
  mlir::OpBuilder &b = impl->builder;
  return impl->single(impl->create<tide::RmsNormOp>(impl->mlirValue(input), impl->mlirValue(scale),
                                                    b.getI64IntegerAttr(axis),
                                                    b.getF64FloatAttr(epsilon), mlir::UnitAttr()));
}

Value GraphBuilder::rope(Value input, const RopeOptions &options) {
  if (!impl->usable(tide::RopeOp::getOperationName(), {input}))
    return Value{};
  // rotDim 0 means the whole head_dim (the API's default; the op itself always names it).
  std::vector<int64_t> inputShape = shape(input);
  int64_t rotDim = options.rotDim == 0 && inputShape.size() == 4 ? inputShape[3] : options.rotDim;
  mlir::OpBuilder &b = impl->builder;
  auto layout = tide::RopeLayoutAttr::get(&impl->context, options.layout == RopeLayout::BTHD
                                                              ? tide::RopeLayout::BTHD
                                                              : tide::RopeLayout::BHTD);
  return impl->single(impl->create<tide::RopeOp>(
      impl->mlirValue(input), layout, b.getF64FloatAttr(options.base), b.getI64IntegerAttr(rotDim),
      b.getI64IntegerAttr(options.offset), mlir::UnitAttr()));
}

Value GraphBuilder::dropout(Value input, double p) {
  if (!impl->usable(tide::DropoutOp::getOperationName(), {input}))
    return Value{};
  mlir::OpBuilder &b = impl->builder;
  Value result = impl->single(impl->create<tide::DropoutOp>(
      impl->mlirValue(input), b.getF64FloatAttr(p), b.getI64IntegerAttr(impl->numDropouts)));
  if (result.valid())
    ++impl->numDropouts;
  return result;
}

int64_t GraphBuilder::numDropouts() const { return impl->numDropouts; }

Value GraphBuilder::lmHeadLoss(Value hidden, Value weight, Value labels,
                               const LmHeadLossOptions &options) {
  llvm::StringRef op = tide::LmHeadLossOp::getOperationName();
  bool hasBias = options.bias.valid();
  if (!impl->usable(op, {hidden, weight, labels}))
    return Value{};
  if (hasBias && !impl->usable(op, {options.bias}))
    return Value{};
  mlir::OpBuilder &b = impl->builder;
  return impl->single(impl->create<tide::LmHeadLossOp>(
      impl->mlirValue(hidden), impl->mlirValue(weight), impl->mlirValue(labels),
      hasBias ? impl->mlirValue(options.bias) : mlir::Value(),
      b.getI64IntegerAttr(options.ignoreIndex), b.getI64IntegerAttr(options.rowChunk),
      b.getI64IntegerAttr(options.vocabChunk), mlir::UnitAttr()));
}

//===----------------------------------------------------------------------===//
// Checkpoint regions and outputs
//===----------------------------------------------------------------------===//

void GraphBuilder::beginCheckpoint() {
  if (impl->openRegion)
    return impl->fail("beginCheckpoint(): checkpoint region " + std::to_string(impl->openRegion) +
                      " is still open; checkpoint regions do not nest");
  impl->openRegion = ++impl->numRegions;
  // A result-less tide.checkpoint holds the region's ops until endCheckpoint() knows the
  // yielded types; it is then replaced by the real op.
  impl->openCheckpoint =
      impl->builder.create<tide::CheckpointOp>(impl->location(), mlir::TypeRange());
  impl->builder.setInsertionPointToEnd(&impl->openCheckpoint.getBody().emplaceBlock());
}

std::vector<Value> GraphBuilder::endCheckpoint(const std::vector<Value> &yielded) {
  int region = impl->openRegion;
  if (!region) {
    impl->fail("endCheckpoint() without a matching beginCheckpoint()");
    return std::vector<Value>(yielded.size());
  }
  impl->openRegion = 0;
  tide::CheckpointOp placeholder = impl->openCheckpoint;
  impl->openCheckpoint = nullptr;
  impl->insertAtBodyEnd();
  std::string where = "endCheckpoint() of region " + std::to_string(region) + ": ";
  if (placeholder.getBody().front().empty())
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
  llvm::SmallVector<mlir::Value> yieldedValues;
  llvm::SmallVector<mlir::Type> types;
  for (Value value : yielded) {
    yieldedValues.push_back(impl->mlirValue(value));
    types.push_back(yieldedValues.back().getType());
  }
  mlir::OpBuilder &b = impl->builder;
  b.setInsertionPoint(placeholder);
  auto checkpoint = b.create<tide::CheckpointOp>(placeholder.getLoc(), types);
  checkpoint.getBody().takeBody(placeholder.getBody());
  placeholder.erase();
  mlir::OpBuilder::atBlockEnd(&checkpoint.getBody().front())
      .create<tide::YieldOp>(checkpoint.getLoc(), yieldedValues);
  impl->insertAtBodyEnd();
  if (!impl->verified(checkpoint))
    return std::vector<Value>(yielded.size());
  std::vector<Value> results;
  for (mlir::Value result : checkpoint.getResults())
    results.push_back(impl->define(result));
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
  llvm::SmallVector<mlir::Value> results;
  for (Value value : outputs)
    results.push_back(impl->mlirValue(value));
  if (impl->returnOp)
    impl->returnOp.erase();
  impl->returnOp = mlir::OpBuilder::atBlockEnd(&impl->func.getBody().front())
                       .create<mlir::func::ReturnOp>(impl->location(), results);
  impl->func.setFunctionType(impl->builder.getFunctionType(impl->func.getArgumentTypes(),
                                                           mlir::ValueRange(results).getTypes()));
  if (!impl->openRegion)
    impl->insertAtBodyEnd();
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

std::string GraphBuilder::toMlir() const {
  mlir::ModuleOp module = GraphBuilderAccess::module(*this);
  if (!module)
    return "";
  std::string text;
  llvm::raw_string_ostream os(text);
  // Exactly what tide-opt prints for the module (its output ends with an empty line).
  module.print(os, mlir::OpPrintingFlags().assumeVerified());
  os << "\n";
  return os.str();
}

mlir::ModuleOp GraphBuilderAccess::module(const GraphBuilder &builder) {
  if (!builder.status().ok())
    return nullptr;
  GraphBuilder::Impl &impl = *builder.impl;
  // Every op was verified when it was made; this checks the function as a whole (its signature,
  // argument attributes and dominance) as tide-opt would. A failure is a builder bug, recorded
  // as the builder's error so that status() reports it.
  impl.diagnostic.clear();
  if (mlir::failed(mlir::verify(*impl.module)) ||
      mlir::failed(tide::verifyFunctionTypes(*impl.module))) {
    impl.fail("the built module does not verify: " + impl.diagnostic);
    return nullptr;
  }
  return *impl.module;
}

} // namespace tidemark::builder
