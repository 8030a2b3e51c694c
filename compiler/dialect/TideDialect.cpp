//===- TideDialect.cpp - tide dialect registration and attributes ---------===//
//
// Registers the tide ops and attributes and verifies the `tide.param` argument attribute.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
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

LogicalResult TideDialect::verifyRegionArgAttribute(Operation *op, unsigned regionIndex,
                                                    unsigned argIndex, NamedAttribute attribute) {
  if (attribute.getName() == "tide.state" || attribute.getName() == "tide.state_of")
    return verifyStateArgAttribute(op, argIndex, attribute);
  if (attribute.getName() != kParamAttrName)
    return op->emitError() << "unknown tide argument attribute '" << attribute.getName().getValue()
                           << "' on argument #" << argIndex << "; expected '" << kParamAttrName
                           << "', 'tide.state' or 'tide.state_of'";
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
