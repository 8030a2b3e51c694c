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

LogicalResult TideDialect::verifyRegionArgAttribute(Operation *op, unsigned regionIndex,
                                                    unsigned argIndex, NamedAttribute attribute) {
  if (attribute.getName() != kParamAttrName)
    return op->emitError() << "unknown tide argument attribute '" << attribute.getName().getValue()
                           << "' on argument #" << argIndex << "; expected '" << kParamAttrName
                           << "'";
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

int64_t sumTensorBytes(TypeRange types) {
  int64_t total = 0;
  for (Type type : types)
    total += tensorBytes(type);
  return total;
}

} // namespace mlir::tide::detail

#include "compiler/dialect/TideInterfaces.cpp.inc"
