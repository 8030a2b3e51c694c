//===- TideDialect.cpp - tide dialect registration and attributes ---------===//
//
// Registers the tide ops and attributes and verifies the `tide.param` / `tide.init` argument
// attributes.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideLimits.h"
#include "compiler/dialect/TideOps.h"
#include "compiler/dialect/TideVerifyUtils.h"
#include "tidemark/builder.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tide;

#include "compiler/dialect/TideDialect.cpp.inc"
#include "compiler/dialect/TideEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "compiler/dialect/TideAttrs.cpp.inc"

void TideDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "compiler/dialect/TideOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "compiler/dialect/TideAttrs.cpp.inc"
      >();
}

/// Checks the training-state attributes tide-autodiff puts on the arguments it adds.
static LogicalResult verifyStateArgAttribute(Operation *op, unsigned argIndex,
                                             NamedAttribute attribute) {
  if (attribute.getName() == "tide.state") {
    auto kind = dyn_cast<StringAttr>(attribute.getValue());
    if (!kind || !llvm::is_contained({"sgd_velocity", "adam_m", "adam_v"}, kind.getValue()))
      return op->emitError() << "'tide.state' on argument #" << argIndex
                             << " must be \"sgd_velocity\", \"adam_m\" or \"adam_v\", got "
                             << attribute.getValue();
    return success();
  }
  auto index = dyn_cast<IntegerAttr>(attribute.getValue());
  auto func = dyn_cast<func::FuncOp>(op);
  if (!index || !func || index.getInt() < 0 ||
      index.getInt() >= static_cast<int64_t>(func.getNumArguments()) ||
      !func.getArgAttr(index.getInt(), TideDialect::kParamAttrName))
    return op->emitError() << "'tide.state_of' on argument #" << argIndex
                           << " must be the index of a tide.param argument, got "
                           << attribute.getValue();
  return success();
}

/// Checks `tide.init = "<initialisation>"` (the builder's ParamInit syntax, parsed by the
/// builder's own parser so the dialect and tidec accept exactly the same texts): on a func.func
/// argument that is a tide.param. The error points at the argument when it has a location.
static LogicalResult verifyInitArgAttribute(Operation *op, unsigned regionIndex, unsigned argIndex,
                                            NamedAttribute attribute) {
  Location loc = op->getLoc();
  Region &region = op->getRegion(regionIndex);
  if (!region.empty())
    loc = region.getArgument(argIndex).getLoc();
  auto func = dyn_cast<func::FuncOp>(op);
  if (!func)
    return emitError(loc) << "'" << TideDialect::kInitAttrName
                          << "' may only mark arguments of a func.func, not of '" << op->getName()
                          << "'";
  if (!func.getArgAttr(argIndex, TideDialect::kParamAttrName))
    return emitError(loc) << "'" << TideDialect::kInitAttrName << "' on argument #" << argIndex
                          << ", which is not a parameter: only tide.param arguments have an "
                             "initialisation";
  auto text = dyn_cast<StringAttr>(attribute.getValue());
  if (!text)
    return emitError(loc) << "'" << TideDialect::kInitAttrName << "' on argument #" << argIndex
                          << " must be a string such as \"normal(0, 0.02)\", got "
                          << attribute.getValue();
  tidemark::builder::ParamInit init;
  std::string error;
  if (!tidemark::builder::ParamInit::parse(text.str(), &init, &error))
    return emitError(loc) << "'" << TideDialect::kInitAttrName << "' on argument #" << argIndex
                          << ": " << error;
  return success();
}

LogicalResult TideDialect::verifyRegionArgAttribute(Operation *op, unsigned regionIndex,
                                                    unsigned argIndex, NamedAttribute attribute) {
  if (attribute.getName() == "tide.state" || attribute.getName() == "tide.state_of")
    return verifyStateArgAttribute(op, argIndex, attribute);
  if (attribute.getName() == kInitAttrName)
    return verifyInitArgAttribute(op, regionIndex, argIndex, attribute);
  if (attribute.getName() != kParamAttrName)
    return op->emitError() << "unknown tide argument attribute '" << attribute.getName().getValue()
                           << "' on argument #" << argIndex << "; expected '" << kParamAttrName
                           << "', '" << kInitAttrName << "', 'tide.state' or 'tide.state_of'";
  if (!isa<UnitAttr>(attribute.getValue()))
    return op->emitError() << "'" << kParamAttrName << "' on argument #" << argIndex
                           << " must be a unit attribute, got " << attribute.getValue();
  if (!isa<func::FuncOp>(op))
    return op->emitError() << "'" << kParamAttrName
                           << "' may only mark arguments of a func.func, not of '" << op->getName()
                           << "'";
  Region &region = op->getRegion(regionIndex);
  if (region.empty())
    return success(); // A declaration: nothing to check against.
  Type type = region.getArgument(argIndex).getType();
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || !isa<FloatType>(tensor.getElementType()))
    return op->emitError() << "'" << kParamAttrName << "' argument #" << argIndex
                           << " must be a statically shaped floating-point tensor, got " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Result attributes: tide.updates / tide.grad_of
//===----------------------------------------------------------------------===//

LogicalResult TideDialect::verifyRegionResultAttribute(Operation *op, unsigned regionIndex,
                                                       unsigned resultIndex,
                                                       NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  if (name != "tide.updates" && name != "tide.grad_of")
    return op->emitError() << "unknown tide result attribute '" << name << "' on result #"
                           << resultIndex << "; expected 'tide.updates' or 'tide.grad_of'";
  auto index = dyn_cast<IntegerAttr>(attribute.getValue());
  auto func = dyn_cast<func::FuncOp>(op);
  if (!index || !func || index.getType().isInteger(1) || index.getInt() < 0 ||
      index.getInt() >= static_cast<int64_t>(func.getNumArguments()))
    return op->emitError() << "'" << name << "' on result #" << resultIndex
                           << " must be the index of an argument of the function, got "
                           << attribute.getValue();
  return success();
}

//===----------------------------------------------------------------------===//
// Discardable attributes on functions and ops
//===----------------------------------------------------------------------===//

namespace {

bool isNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '/' || c == ':';
}

/// The arguments that `tide.input_names` (params = false) or `tide.param_names` names.
int64_t countNamedArguments(func::FuncOp func, bool params) {
  int64_t count = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    bool isState = static_cast<bool>(func.getArgAttr(i, "tide.state"));
    bool isParam = static_cast<bool>(func.getArgAttr(i, TideDialect::kParamAttrName));
    if (!isState && isParam == params)
      ++count;
  }
  return count;
}

/// Checks `tide.input_names` / `tide.param_names`: an array of valid, distinct names, one per
/// named argument; `tide.param_names` is also checked against `tide.input_names`.
LogicalResult verifyNameList(Operation *op, NamedAttribute attribute) {
  StringRef attrName = attribute.getName().getValue();
  bool params = attrName == "tide.param_names";
  auto func = dyn_cast<func::FuncOp>(op);
  if (!func)
    return op->emitError() << "'" << attrName << "' belongs on a func.func, not on '"
                           << op->getName() << "'";
  auto names = dyn_cast<ArrayAttr>(attribute.getValue());
  if (!names)
    return op->emitError() << "'" << attrName << "' must be an array of strings, got "
                           << attribute.getValue();
  llvm::StringSet<> seen;
  for (auto [index, entry] : llvm::enumerate(names)) {
    auto name = dyn_cast<StringAttr>(entry);
    if (!name)
      return op->emitError() << "'" << attrName << "' entry #" << index << " must be a string, got "
                             << entry;
    StringRef text = name.getValue();
    if (text.empty() || static_cast<int64_t>(text.size()) > kMaxNameLength)
      return op->emitError() << "'" << attrName << "' entry #" << index << " must have 1 to "
                             << kMaxNameLength << " characters, got " << text.size();
    if (const char *bad = llvm::find_if_not(text, isNameCharacter); bad != text.end())
      return op->emitError() << "'" << attrName << "' entry #" << index << " \"" << text
                             << "\" has a character outside A-Z a-z 0-9 _ . - / : (byte "
                             << static_cast<int>(static_cast<unsigned char>(*bad)) << ")";
    if (!seen.insert(text).second)
      return op->emitError() << "'" << attrName << "' names \"" << text << "\" twice";
  }
  int64_t expected = countNamedArguments(func, params);
  if (static_cast<int64_t>(names.size()) != expected)
    return op->emitError() << "'" << attrName << "' has " << names.size() << " name(s) but @"
                           << func.getSymName() << " has " << expected
                           << (params ? " parameter argument(s) (tide.param)"
                                      : " input argument(s) (neither tide.param nor tide.state)");
  if (!params)
    return success();
  auto inputs = func->getAttrOfType<ArrayAttr>("tide.input_names");
  if (!inputs)
    return success();
  for (Attribute input : inputs)
    if (auto text = dyn_cast<StringAttr>(input); text && seen.contains(text.getValue()))
      return op->emitError() << "\"" << text.getValue()
                             << "\" is both an input name (tide.input_names) and a parameter "
                                "name (tide.param_names); binding names must be unique";
  return success();
}

} // namespace

LogicalResult TideDialect::verifyOperationAttribute(Operation *op, NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  Attribute value = attribute.getValue();
  auto expect = [&](bool ok, StringRef what) -> LogicalResult {
    if (ok)
      return success();
    return op->emitError() << "'" << name << "' must be " << what << ", got " << value;
  };
  if (name == "tide.input_names" || name == "tide.param_names")
    return verifyNameList(op, attribute);
  if (name == "tide.optimizer") {
    auto text = dyn_cast<StringAttr>(value);
    return expect(text && llvm::is_contained({"sgd", "adam", "none"}, text.getValue()),
                  "\"sgd\", \"adam\" or \"none\"");
  }
  if (name == "tide.arena" || name == "tide.remat" || name == "tide.schedule")
    return expect(isa<DictionaryAttr>(value), "a dictionary");
  if (name == "tide.recomputed")
    return expect(isa<UnitAttr>(value), "a unit attribute");
  if (name == "tide.checkpoint_region")
    return expect(isa<IntegerAttr>(value), "an integer");
  if (name == "tide.arena_offsets") {
    auto offsets = dyn_cast<DenseI64ArrayAttr>(value);
    return expect(offsets && offsets.size() == static_cast<int64_t>(op->getNumResults()) &&
                      llvm::all_of(offsets.asArrayRef(), [](int64_t o) { return o >= -1; }),
                  "an array<i64> with one offset >= -1 per result");
  }
  return success(); // Other tide.* attributes are informational; no tool reads them.
}

//===----------------------------------------------------------------------===//
// Function types
//===----------------------------------------------------------------------===//

LogicalResult mlir::tide::verifyFunctionTypes(func::FuncOp func) {
  if (func.isExternal())
    return success(); // A declaration holds no computation.
  std::string fn = "@" + func.getSymName().str();
  for (BlockArgument arg : func.getArguments())
    if (failed(detail::checkTensorType(arg.getLoc(), arg.getType(),
                                       "argument #" + std::to_string(arg.getArgNumber()) + " of " +
                                           fn)))
      return failure();
  WalkResult walk = func.getBody().walk([&](Operation *op) {
    for (OpResult result : op->getResults())
      if (isa<TensorType>(result.getType()) &&
          failed(detail::checkTensorType(op->getLoc(), result.getType(),
                                         "result #" + std::to_string(result.getResultNumber()) +
                                             " of '" + op->getName().getStringRef().str() + "'")))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  for (auto [index, type] : llvm::enumerate(func.getResultTypes()))
    if (failed(detail::checkTensorType(func.getLoc(), type,
                                       "result #" + std::to_string(index) + " of " + fn)))
      return failure();
  return success();
}

LogicalResult mlir::tide::verifyFunctionTypes(ModuleOp module) {
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    if (failed(verifyFunctionTypes(func)))
      return failure();
  return success();
}

namespace mlir::tide::detail {

int64_t tensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  if (!tensor.getElementType().isIntOrFloat())
    return 0;
  int64_t bits = tensor.getElementType().getIntOrFloatBitWidth();
  return (tensor.getNumElements() * bits + 7) / 8;
}

RankedTensorType normalizationStatsType(RankedTensorType input, int64_t axis) {
  return RankedTensorType::get(input.getShape().take_front(axis), input.getElementType());
}

RankedTensorType attentionLseType(RankedTensorType query) {
  return RankedTensorType::get(query.getShape().take_front(3), query.getElementType());
}

int64_t sumTensorBytes(TypeRange types) {
  int64_t total = 0;
  for (Type type : types)
    total += tensorBytes(type);
  return total;
}

} // namespace mlir::tide::detail

#include "compiler/dialect/TideInterfaces.cpp.inc"
