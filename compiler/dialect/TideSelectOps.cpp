//===- TideSelectOps.cpp - Verification of split, where, reduce_max, cast -===//
//
// Shape inference (which is also verification, see TideOps.cpp) of tide.split, and of the other
// selection ops added with it. Every limit is a constant of TideLimits.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideLimits.h"
#include "compiler/dialect/TideOps.h"
#include "compiler/dialect/TideVerifyUtils.h"

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::detail;

//===----------------------------------------------------------------------===//
// SplitOp
//===----------------------------------------------------------------------===//

LogicalResult SplitOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  if (input->getRank() == 0)
    return emitOptionalError(loc, "split input must have rank >= 1");
  auto axis = normalizeAxis(loc, adaptor.getAxisAttr().getInt(), input->getRank(), "split axis");
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  if (sizes.empty() || static_cast<int64_t>(sizes.size()) > kMaxSplitResults)
    return emitOptionalError(loc, "split needs 1 to ", kMaxSplitResults, " sizes, got ",
                             sizes.size());
  int64_t extent = input->getDimSize(*axis), total = 0;
  for (auto [index, size] : llvm::enumerate(sizes)) {
    if (size < 1)
      return emitOptionalError(loc, "split size #", index, " must be positive, got ", size);
    if (size > extent - total)
      return emitOptionalError(loc, "split sizes ", formatShape(sizes), " exceed dimension ", *axis,
                               " of the input (size ", extent, ")");
    total += size;
    SmallVector<int64_t> shape(input->getShape());
    shape[*axis] = size;
    inferred.push_back(RankedTensorType::get(shape, input->getElementType()));
  }
  if (total != extent)
    return emitOptionalError(loc, "split sizes ", formatShape(sizes), " add up to ", total,
                             " but dimension ", *axis, " of the input has size ", extent);
  return success();
}

int64_t SplitOp::getNormalizedAxis() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxisAttr().getInt();
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// WhereOp
//===----------------------------------------------------------------------===//

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto condition = staticTensor(loc, adaptor.getCondition(), "condition");
  auto lhs = staticTensor(loc, adaptor.getLhs(), "lhs");
  auto rhs = staticTensor(loc, adaptor.getRhs(), "rhs");
  if (failed(condition) || failed(lhs) || failed(rhs) ||
      failed(sameElementType(loc, *lhs, "lhs", *rhs, "rhs")))
    return failure();
  auto values = broadcastShapes(loc, lhs->getShape(), rhs->getShape(), "where lhs and rhs shapes");
  if (failed(values))
    return failure();
  auto shape =
      broadcastShapes(loc, condition->getShape(), *values, "where condition shape and value shape");
  if (failed(shape))
    return failure();
  inferred.push_back(RankedTensorType::get(*shape, lhs->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceMaxOp and ReduceMaxGradOp
//===----------------------------------------------------------------------===//

/// The input and the reduced type of reduce_max / reduce_max_grad, after checking the axis
/// (in range, over a dimension of size >= 1).
static FailureOr<RankedTensorType> reduceMaxType(std::optional<Location> loc, StringRef opName,
                                                 Value inputValue, int64_t axisValue,
                                                 bool keepDims) {
  auto input = staticTensor(loc, inputValue, "input");
  if (failed(input))
    return failure();
  if (input->getRank() == 0)
    return emitOptionalError(loc, opName, " input must have rank >= 1");
  auto axis = normalizeAxis(loc, axisValue, input->getRank(), opName.str() + " axis");
  if (failed(axis))
    return failure();
  if (input->getDimSize(*axis) < 1)
    return emitOptionalError(loc, opName, " over dimension ", *axis, " of ", *input,
                             ": the maximum of no elements is undefined");
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(input->getShape()))
    if (static_cast<int64_t>(dim) != *axis)
      shape.push_back(size);
    else if (keepDims)
      shape.push_back(1);
  return RankedTensorType::get(shape, input->getElementType());
}

LogicalResult ReduceMaxOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto reduced = reduceMaxType(loc, "reduce_max", adaptor.getInput(),
                               adaptor.getAxisAttr().getInt(), adaptor.getKeepDims());
  if (failed(reduced))
    return failure();
  inferred.push_back(*reduced);
  return success();
}

int64_t ReduceMaxOp::getNormalizedAxis() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxisAttr().getInt();
  return axis < 0 ? axis + rank : axis;
}

LogicalResult ReduceMaxGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto reduced = reduceMaxType(loc, "reduce_max_grad", adaptor.getInput(),
                               adaptor.getAxisAttr().getInt(), adaptor.getKeepDims());
  if (failed(reduced))
    return failure();
  if (adaptor.getGrad().getType() != *reduced)
    return emitOptionalError(loc, "reduce_max_grad grad ", adaptor.getGrad().getType(),
                             " must have the reduced type ", *reduced);
  inferred.push_back(adaptor.getInput().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  if (failed(checkArgumentOperands(*this)))
    return failure();
  auto input = staticTensor(getLoc(), getInput(), "input");
  auto result = staticTensor(getLoc(), getResult().getType(), "result");
  if (failed(input) || failed(result))
    return failure();
  if (input->getShape() != result->getShape())
    return emitOpError("result shape ")
           << formatShape(result->getShape()) << " must be the input's shape "
           << formatShape(input->getShape());
  Type from = input->getElementType(), to = result->getElementType();
  auto supported = [](Type type) { return type.isF32() || type.isSignlessInteger(32); };
  if (!supported(from) || !supported(to))
    return emitOpError("converts between f32 and i32 only, got ") << from << " -> " << to;
  if (from == to)
    return emitOpError("from ") << from << " to " << to
                                << " is not a conversion; use the value itself";
  return success();
}

//===----------------------------------------------------------------------===//
// Verifiers by inference
//===----------------------------------------------------------------------===//

#define TIDE_VERIFY_BY_INFERENCE(OpT)                                                              \
  LogicalResult OpT::verify() { return verifyByInference(*this); }
TIDE_VERIFY_BY_INFERENCE(SplitOp)
TIDE_VERIFY_BY_INFERENCE(WhereOp)
TIDE_VERIFY_BY_INFERENCE(ReduceMaxOp)
TIDE_VERIFY_BY_INFERENCE(ReduceMaxGradOp)
#undef TIDE_VERIFY_BY_INFERENCE
