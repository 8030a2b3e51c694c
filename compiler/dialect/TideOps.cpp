//===- TideOps.cpp - tide op verification and shape inference -------------===//
//
// Shape inference for every tide op. Inference doubles as verification: each function checks
// every rule the op's definition states and emits a precise, located message when one is broken
// (the generated verifier calls inferReturnTypes and compares with the declared result type).
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"
#include "compiler/dialect/TideLimits.h"
#include "compiler/dialect/TideVerifyUtils.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tide;

namespace mlir::tide::detail {
/// Formats a shape as `[2, 3, 4]` for diagnostics.
std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os);
  os << "]";
  return os.str();
}

LogicalResult checkTensorType(std::optional<Location> loc, Type type, StringRef what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return emitOptionalError(loc, what, " must be a ranked tensor, got ", type);
  if (!tensor.hasStaticShape())
    return emitOptionalError(loc, what, " must have a static shape, got ", type);
  if (tensor.getRank() > kMaxRank)
    return emitOptionalError(loc, what, " has rank ", tensor.getRank(), "; at most ", kMaxRank,
                             " is supported, got ", type);
  Type element = tensor.getElementType();
  if (!isa<FloatType>(element) && !element.isSignlessInteger(32) && !element.isSignlessInteger(64))
    return emitOptionalError(loc, what, " has element type ", element,
                             "; expected a floating-point type, i32 or i64");
  // Element count and bytes without overflow: every partial product stays <= kMaxTensorBytes.
  for (int64_t dim : tensor.getShape())
    if (dim > kMaxTensorBytes)
      return emitOptionalError(loc, what, " has a dimension of ", dim, " (more than 2^40), got ",
                               type);
  if (llvm::is_contained(tensor.getShape(), 0))
    return success(); // No elements, whatever the other dimensions.
  int64_t elements = 1;
  bool tooMany = false;
  for (int64_t dim : tensor.getShape()) {
    if (elements > kMaxTensorBytes / dim) {
      tooMany = true;
      break;
    }
    elements *= dim;
  }
  int64_t elementBytes = (element.getIntOrFloatBitWidth() + 7) / 8;
  if (tooMany || elements > kMaxTensorBytes / elementBytes)
    return emitOptionalError(loc, what, " ", type, " is larger than the ", kMaxTensorBytes,
                             "-byte (1 TiB) limit of one tensor");
  return success();
}

/// checkTensorType on a block argument at its own location. While the parser is still building
/// the function its block belongs to no region yet, so the function's name is optional.
static LogicalResult checkArgument(BlockArgument arg) {
  std::string what = "argument #" + std::to_string(arg.getArgNumber());
  Region *region = arg.getOwner()->getParent();
  if (region && !region->empty() && &region->front() == arg.getOwner())
    if (auto func = dyn_cast_or_null<SymbolOpInterface>(region->getParentOp()))
      what += " of @" + func.getName().str();
  return checkTensorType(arg.getLoc(), arg.getType(), what);
}

LogicalResult checkArgumentOperands(Operation *op) {
  for (Value operand : op->getOperands())
    if (auto arg = dyn_cast<BlockArgument>(operand); arg && failed(checkArgument(arg)))
      return failure();
  return success();
}

FailureOr<RankedTensorType> staticTensor(std::optional<Location> loc, Type type, StringRef what) {
  if (failed(checkTensorType(loc, type, what)))
    return failure();
  return cast<RankedTensorType>(type);
}

FailureOr<RankedTensorType> staticTensor(std::optional<Location> loc, Value value, StringRef what) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (loc && arg && failed(checkArgument(arg)))
    return failure();
  return staticTensor(loc, value.getType(), what);
}

LogicalResult checkF32(std::optional<Location> loc, StringRef what, double value) {
  if (std::isfinite(static_cast<float>(value)))
    return success();
  return emitOptionalError(loc, what, " must be finite as a 32-bit float (|x| <= 3.4e38), got ",
                           value);
}

/// Fails with a message unless `lhs` and `rhs` have the same element type.
LogicalResult sameElementType(std::optional<Location> loc, RankedTensorType lhs, StringRef lhsName,
                              RankedTensorType rhs, StringRef rhsName) {
  if (lhs.getElementType() == rhs.getElementType())
    return success();
  return emitOptionalError(loc, lhsName, " and ", rhsName, " must have the same element type, got ",
                           lhs.getElementType(), " and ", rhs.getElementType());
}

/// Maps `axis` in [-rank, rank) to [0, rank), or emits an "out of range" message.
FailureOr<int64_t> normalizeAxis(std::optional<Location> loc, int64_t axis, int64_t rank,
                                 StringRef what) {
  if (axis < -rank || axis >= rank)
    return emitOptionalError(loc, what, " ", axis, " is out of range for a tensor of rank ", rank,
                             " (expected an axis in [", -rank, ", ", rank, "))");
  return axis < 0 ? axis + rank : axis;
}

/// Broadcasts two shapes with NumPy rules or emits a message naming both shapes.
FailureOr<SmallVector<int64_t>> broadcastShapes(std::optional<Location> loc, ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs, StringRef what) {
  SmallVector<int64_t> result;
  if (!OpTrait::util::getBroadcastedShape(lhs, rhs, result))
    return emitOptionalError(loc, what, " ", formatShape(lhs), " and ", formatShape(rhs),
                             " are not broadcast-compatible (trailing dimensions must be equal "
                             "or 1)");
  return result;
}

} // namespace mlir::tide::detail

using namespace mlir::tide::detail;

namespace {

/// Shape inference shared by add/sub/mul/div.
LogicalResult inferBinary(std::optional<Location> loc, Value lhsValue, Value rhsValue,
                          SmallVectorImpl<Type> &inferred) {
  auto lhs = staticTensor(loc, lhsValue, "lhs");
  auto rhs = staticTensor(loc, rhsValue, "rhs");
  if (failed(lhs) || failed(rhs) || failed(sameElementType(loc, *lhs, "lhs", *rhs, "rhs")))
    return failure();
  auto shape = broadcastShapes(loc, lhs->getShape(), rhs->getShape(), "operand shapes");
  if (failed(shape))
    return failure();
  inferred.push_back(RankedTensorType::get(*shape, lhs->getElementType()));
  return success();
}

/// Shape inference shared by the unary elementwise ops: the result has the input's type.
LogicalResult inferUnary(std::optional<Location> loc, Value input,
                         SmallVectorImpl<Type> &inferred) {
  auto tensor = staticTensor(loc, input, "input");
  if (failed(tensor))
    return failure();
  inferred.push_back(*tensor);
  return success();
}

/// Validates reduction axes and returns them normalized and sorted.
FailureOr<SmallVector<int64_t>> normalizeAxes(std::optional<Location> loc, ArrayRef<int64_t> axes,
                                              int64_t rank) {
  if (axes.empty())
    return emitOptionalError(loc, "axes must not be empty");
  llvm::SmallBitVector seen(rank);
  SmallVector<int64_t> normalized;
  for (int64_t axis : axes) {
    auto norm = normalizeAxis(loc, axis, rank, "reduction axis");
    if (failed(norm))
      return failure();
    if (seen.test(*norm))
      return emitOptionalError(loc, "reduction axis ", axis, " is listed more than once");
    seen.set(*norm);
    normalized.push_back(*norm);
  }
  llvm::sort(normalized);
  return normalized;
}

template <typename ReduceOpT>
LogicalResult inferReduce(std::optional<Location> loc, typename ReduceOpT::Adaptor adaptor,
                          SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  auto axes = normalizeAxes(loc, adaptor.getAxes(), input->getRank());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(input->getShape())) {
    bool reduced = llvm::is_contained(*axes, static_cast<int64_t>(dim));
    if (!reduced)
      shape.push_back(size);
    else if (adaptor.getKeepDims())
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, input->getElementType()));
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Custom assembly: `tanh` / `exact` for the GELU approximation
//===----------------------------------------------------------------------===//

static ParseResult parseGeluApproximation(OpAsmParser &parser, GeluApproximationAttr &attr) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<GeluApproximation> value = symbolizeGeluApproximation(keyword);
  if (!value)
    return parser.emitError(loc, "expected GELU approximation 'tanh' or 'exact', got '")
           << keyword << "'";
  attr = GeluApproximationAttr::get(parser.getContext(), *value);
  return success();
}

static void printGeluApproximation(OpAsmPrinter &printer, Operation *, GeluApproximationAttr attr) {
  printer << stringifyGeluApproximation(attr.getValue());
}

// `bthd` / `bhtd` for the rope layout.
static ParseResult parseRopeLayout(OpAsmParser &parser, RopeLayoutAttr &attr) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<RopeLayout> value = symbolizeRopeLayout(keyword);
  if (!value)
    return parser.emitError(loc, "expected rope layout 'bthd' ([batch, seq, heads, head_dim]) or "
                                 "'bhtd' ([batch, heads, seq, head_dim]), got '")
           << keyword << "'";
  attr = RopeLayoutAttr::get(parser.getContext(), *value);
  return success();
}

static void printRopeLayout(OpAsmPrinter &printer, Operation *, RopeLayoutAttr attr) {
  printer << stringifyRopeLayout(attr.getValue());
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto lhs = staticTensor(loc, adaptor.getLhs(), "lhs");
  auto rhs = staticTensor(loc, adaptor.getRhs(), "rhs");
  if (failed(lhs) || failed(rhs) || failed(sameElementType(loc, *lhs, "lhs", *rhs, "rhs")))
    return failure();
  if (lhs->getRank() < 2 || rhs->getRank() < 2)
    return emitOptionalError(loc, "matmul operands must have rank >= 2, got lhs rank ",
                             lhs->getRank(), " and rhs rank ", rhs->getRank());
  ArrayRef<int64_t> lhsShape = lhs->getShape(), rhsShape = rhs->getShape();
  int64_t lhsRows = lhsShape[lhsShape.size() - 2], lhsCols = lhsShape.back();
  int64_t rhsRows = rhsShape[rhsShape.size() - 2], rhsCols = rhsShape.back();
  int64_t m = adaptor.getTransposeLhs() ? lhsCols : lhsRows;
  int64_t lhsK = adaptor.getTransposeLhs() ? lhsRows : lhsCols;
  int64_t rhsK = adaptor.getTransposeRhs() ? rhsCols : rhsRows;
  int64_t n = adaptor.getTransposeRhs() ? rhsRows : rhsCols;
  if (lhsK == 0)
    return emitOptionalError(loc, "matmul inner dimension K must be >= 1, got lhs ",
                             formatShape(lhsShape), " and rhs ", formatShape(rhsShape),
                             " (the runtime's GEMM does not take an empty product)");
  if (lhsK != rhsK)
    return emitOptionalError(
        loc, "matmul inner dimensions do not match: lhs ", formatShape(lhsShape),
        adaptor.getTransposeLhs() ? " (transposed)" : "", " has K = ", lhsK, " but rhs ",
        formatShape(rhsShape), adaptor.getTransposeRhs() ? " (transposed)" : "", " has K = ", rhsK);
  auto batch =
      broadcastShapes(loc, lhsShape.drop_back(2), rhsShape.drop_back(2), "matmul batch dimensions");
  if (failed(batch))
    return failure();
  SmallVector<int64_t> shape = *batch;
  shape.append({m, n});
  inferred.push_back(RankedTensorType::get(shape, lhs->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

#define TIDE_BINARY_INFER(OpT)                                                                     \
  LogicalResult OpT::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor, \
                                      SmallVectorImpl<Type> &inferred) {                           \
    return inferBinary(loc, adaptor.getLhs(), adaptor.getRhs(), inferred);                         \
  }
TIDE_BINARY_INFER(AddOp)
TIDE_BINARY_INFER(SubOp)
TIDE_BINARY_INFER(MulOp)
TIDE_BINARY_INFER(DivOp)
TIDE_BINARY_INFER(MinimumOp)
TIDE_BINARY_INFER(MaximumOp)
#undef TIDE_BINARY_INFER

#define TIDE_UNARY_INFER(OpT)                                                                      \
  LogicalResult OpT::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor, \
                                      SmallVectorImpl<Type> &inferred) {                           \
    return inferUnary(loc, adaptor.getInput(), inferred);                                          \
  }
TIDE_UNARY_INFER(ReluOp)
TIDE_UNARY_INFER(TanhOp)
TIDE_UNARY_INFER(ExpOp)
TIDE_UNARY_INFER(GeluOp)
TIDE_UNARY_INFER(NegOp)
TIDE_UNARY_INFER(AbsOp)
TIDE_UNARY_INFER(SqrtOp)
TIDE_UNARY_INFER(RsqrtOp)
TIDE_UNARY_INFER(LogOp)
TIDE_UNARY_INFER(SigmoidOp)
TIDE_UNARY_INFER(SiluOp)
TIDE_UNARY_INFER(ErfOp)
#undef TIDE_UNARY_INFER

LogicalResult PowOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  if (failed(checkF32(loc, "pow exponent", adaptor.getExponent().convertToDouble())))
    return failure();
  return inferUnary(loc, adaptor.getInput(), inferred);
}

LogicalResult mlir::tide::detail::checkClampBounds(std::optional<Location> loc, StringRef opName,
                                                   double min, double max) {
  if (failed(checkF32(loc, (opName + " min").str(), min)) ||
      failed(checkF32(loc, (opName + " max").str(), max)))
    return failure();
  if (!(static_cast<float>(min) <= static_cast<float>(max)))
    return emitOptionalError(loc, opName, " min ", min, " must not exceed max ", max,
                             " (as 32-bit floats)");
  return success();
}

LogicalResult ClampOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  if (failed(checkClampBounds(loc, "clamp", adaptor.getMin().convertToDouble(),
                              adaptor.getMax().convertToDouble())))
    return failure();
  return inferUnary(loc, adaptor.getInput(), inferred);
}

//===----------------------------------------------------------------------===//
// SoftmaxOp and LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  if (input->getRank() == 0)
    return emitOptionalError(loc, "softmax input must have rank >= 1");
  if (failed(normalizeAxis(loc, adaptor.getAxisAttr().getInt(), input->getRank(), "softmax axis")))
    return failure();
  inferred.push_back(*input);
  return success();
}

int64_t SoftmaxOp::getNormalizedAxis() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxisAttr().getInt();
  return axis < 0 ? axis + rank : axis;
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  auto scale = staticTensor(loc, adaptor.getScale(), "scale");
  auto bias = staticTensor(loc, adaptor.getBias(), "bias");
  if (failed(input) || failed(scale) || failed(bias))
    return failure();
  auto axis = verifyNormalization(loc, "layer_norm", *input, adaptor.getAxisAttr().getInt(),
                                  {{"scale", *scale}, {"bias", *bias}});
  if (failed(axis))
    return failure();
  double epsilon = adaptor.getEpsilon().convertToDouble();
  float epsilon32 = static_cast<float>(epsilon); // What the runtime stores.
  if (!(epsilon32 > 0.0f) || !std::isfinite(epsilon32))
    return emitOptionalError(loc,
                             "layer_norm epsilon must be positive and finite (as a 32-bit "
                             "float), got ",
                             epsilon);
  inferred.push_back(*input);
  if (adaptor.getWithStats()) {
    auto statsType = detail::normalizationStatsType(*input, *axis);
    inferred.append({statsType, statsType});
  }
  return success();
}

int64_t LayerNormOp::getNormalizedAxis() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxisAttr().getInt();
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferReduce<ReduceSumOp>(loc, adaptor, inferred);
}

LogicalResult ReduceMeanOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferReduce<ReduceMeanOp>(loc, adaptor, inferred);
}

SmallVector<int64_t> ReduceSumOp::getNormalizedAxes() {
  return *normalizeAxes(std::nullopt, getAxes(), getInput().getType().getRank());
}

SmallVector<int64_t> ReduceMeanOp::getNormalizedAxes() {
  return *normalizeAxes(std::nullopt, getAxes(), getInput().getType().getRank());
}

//===----------------------------------------------------------------------===//
// TransposeOp and ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  int64_t rank = input->getRank();
  if (static_cast<int64_t>(permutation.size()) != rank)
    return emitOptionalError(loc, "permutation ", formatShape(permutation), " has ",
                             permutation.size(), " entries but the input has rank ", rank);
  llvm::SmallBitVector seen(rank);
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= rank)
      return emitOptionalError(loc, "permutation ", formatShape(permutation), " entry ", dim,
                               " is out of range [0, ", rank, ")");
    if (seen.test(dim))
      return emitOptionalError(loc, "permutation ", formatShape(permutation), " lists dimension ",
                               dim, " more than once");
    seen.set(dim);
    shape.push_back(input->getDimSize(dim));
  }
  inferred.push_back(RankedTensorType::get(shape, input->getElementType()));
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto input = getInput().getType();
  auto result = getResult().getType();
  if (failed(checkArgumentOperands(*this)))
    return failure();
  if (!input.hasStaticShape() || !result.hasStaticShape())
    return emitOpError("requires static shapes, got ") << input << " -> " << result;
  if (failed(checkTensorType(getLoc(), input, "input")) ||
      failed(checkTensorType(getLoc(), result, "result")))
    return failure();
  if (input.getElementType() != result.getElementType())
    return emitOpError("cannot change the element type (")
           << input.getElementType() << " -> " << result.getElementType() << ")";
  if (input.getNumElements() != result.getNumElements())
    return emitOpError("cannot reshape ")
           << input << " (" << input.getNumElements() << " elements) to " << result << " ("
           << result.getNumElements() << " elements)";
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

FailureOr<int64_t>
mlir::tide::detail::verifyNormalization(std::optional<Location> loc, StringRef opName,
                                        RankedTensorType input, int64_t axis,
                                        ArrayRef<std::pair<StringRef, RankedTensorType>> params) {
  if (input.getRank() == 0)
    return emitOptionalError(loc, opName, " input must have rank >= 1");
  auto normalizedAxis = normalizeAxis(loc, axis, input.getRank(), (opName + " axis").str());
  if (failed(normalizedAxis))
    return failure();
  ArrayRef<int64_t> normalized = input.getShape().drop_front(*normalizedAxis);
  if (llvm::is_contained(normalized, 0))
    return emitOptionalError(loc, opName, " normalized shape ", formatShape(normalized),
                             " is empty (mean and variance of no elements are undefined)");
  for (auto [name, type] : params) {
    if (failed(sameElementType(loc, input, "input", type, name)))
      return failure();
    if (type.getShape() != normalized)
      return emitOptionalError(loc, opName, " ", name, " shape ", formatShape(type.getShape()),
                               " must equal the normalized shape ", formatShape(normalized));
  }
  return normalizedAxis;
}

LogicalResult mlir::tide::detail::verifyAttentionOperands(std::optional<Location> loc,
                                                          Value queryType, Value keyType,
                                                          Value valueType, Value keyLengths,
                                                          double scale, int64_t queryChunk,
                                                          int64_t keyChunk) {
  auto query = staticTensor(loc, queryType, "query");
  auto key = staticTensor(loc, keyType, "key");
  auto value = staticTensor(loc, valueType, "value");
  if (failed(query) || failed(key) || failed(value) ||
      failed(sameElementType(loc, *query, "query", *key, "key")) ||
      failed(sameElementType(loc, *query, "query", *value, "value")))
    return failure();
  for (auto [name, tensor] : {std::pair<StringRef, RankedTensorType>{"query", *query},
                              {"key", *key},
                              {"value", *value}}) {
    if (tensor.getRank() != 4)
      return emitOptionalError(loc, "attention ", name,
                               " must have rank 4 [batch, heads, seq, head_dim], got ", tensor);
  }
  ArrayRef<int64_t> q = query->getShape(), k = key->getShape(), v = value->getShape();
  if (k != v)
    return emitOptionalError(loc, "attention key ", formatShape(k), " and value ", formatShape(v),
                             " must have the same shape");
  if (q[0] != k[0])
    return emitOptionalError(loc, "attention query ", formatShape(q), " and key ", formatShape(k),
                             " must agree in batch");
  // Grouped-query attention: every kv head serves heads / kv_heads query heads.
  if (k[1] >= 1 && q[1] % k[1] != 0)
    return emitOptionalError(loc, "attention query heads ", q[1],
                             " are not a multiple of key/value heads ", k[1]);
  if (q[3] != k[3])
    return emitOptionalError(loc, "attention query head_dim ", q[3],
                             " does not match key head_dim ", k[3]);
  for (auto [name, shape] : {std::pair<StringRef, ArrayRef<int64_t>>{"query", q}, {"key", k}})
    if (llvm::is_contained(shape, 0))
      return emitOptionalError(loc, "attention ", name, " ", formatShape(shape),
                               " has a zero dimension; every dimension must be >= 1");
  if (keyLengths) {
    auto lengths = staticTensor(loc, keyLengths, "key_lengths");
    if (failed(lengths))
      return failure();
    if (lengths->getShape() != ArrayRef<int64_t>{q[0]})
      return emitOptionalError(loc, "attention key_lengths ", formatShape(lengths->getShape()),
                               " must be [batch] = [", q[0], "]");
  }
  float scale32 = static_cast<float>(scale); // What the runtime stores.
  if (!(scale32 > 0.0f) || !std::isfinite(scale32))
    return emitOptionalError(loc,
                             "attention scale must be positive and finite (as a 32-bit "
                             "float), got ",
                             scale);
  if (queryChunk <= 0 || keyChunk <= 0)
    return emitOptionalError(loc, "attention chunk sizes must be positive, got [", queryChunk, ", ",
                             keyChunk, "]");
  if (queryChunk > kMaxAttentionChunk || keyChunk > kMaxAttentionChunk)
    return emitOptionalError(loc, "attention chunk sizes must be at most ", kMaxAttentionChunk,
                             " (2^31 - 1), got [", queryChunk, ", ", keyChunk, "]");
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(verifyAttentionOperands(loc, adaptor.getQuery(), adaptor.getKey(), adaptor.getValue(),
                                     adaptor.getKeyLengths(), adaptor.getScale().convertToDouble(),
                                     adaptor.getQueryChunkAttr().getInt(),
                                     adaptor.getKeyChunkAttr().getInt())))
    return failure();
  auto query = cast<RankedTensorType>(adaptor.getQuery().getType());
  inferred.push_back(query);
  if (adaptor.getWithLse())
    inferred.push_back(detail::attentionLseType(query));
  return success();
}

int64_t AttentionOp::countAttendedPairs(int64_t seqQ, int64_t seqK, bool causal) {
  if (!causal)
    return seqQ * seqK;
  // Query i sees keys j <= i + (seqK - seqQ), clamped to [0, seqK).
  int64_t pairs = 0;
  for (int64_t i = 0; i < seqQ; ++i)
    pairs += std::clamp<int64_t>(i + (seqK - seqQ) + 1, 0, seqK);
  return pairs;
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult MseLossOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto prediction = staticTensor(loc, adaptor.getPrediction(), "prediction");
  auto target = staticTensor(loc, adaptor.getTarget(), "target");
  if (failed(prediction) || failed(target))
    return failure();
  if (*prediction != *target)
    return emitOptionalError(loc, "mse_loss prediction ", *prediction, " and target ", *target,
                             " must have the same type");
  if (prediction->getNumElements() == 0)
    return emitOptionalError(loc, "mse_loss of an empty tensor is undefined");
  inferred.push_back(RankedTensorType::get({}, prediction->getElementType()));
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                      Adaptor adaptor,
                                                      SmallVectorImpl<Type> &inferred) {
  auto logits = staticTensor(loc, adaptor.getLogits(), "logits");
  auto labels = staticTensor(loc, adaptor.getLabels(), "labels");
  if (failed(logits) || failed(labels))
    return failure();
  if (logits->getRank() == 0)
    return emitOptionalError(loc, "softmax_cross_entropy logits must have rank >= 1 "
                                  "([rows..., classes])");
  if (!labels->getElementType().isSignlessInteger(32) &&
      !labels->getElementType().isSignlessInteger(64))
    return emitOptionalError(loc, "softmax_cross_entropy labels must be i32 or i64, got ",
                             labels->getElementType());
  ArrayRef<int64_t> rows = logits->getShape().drop_back();
  if (labels->getShape() != rows)
    return emitOptionalError(loc, "softmax_cross_entropy labels shape ",
                             formatShape(labels->getShape()), " must equal the logits' row shape ",
                             formatShape(rows), " (logits ", formatShape(logits->getShape()),
                             " without the class dimension)");
  if (logits->getShape().back() < 1 || logits->getNumElements() == 0)
    return emitOptionalError(loc, "softmax_cross_entropy needs at least one row and one class");
  inferred.push_back(RankedTensorType::get({}, logits->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// CheckpointOp
//===----------------------------------------------------------------------===//

YieldOp CheckpointOp::getYield() { return cast<YieldOp>(getBody().front().getTerminator()); }

LogicalResult CheckpointOp::verify() {
  Block &body = getBody().front();
  if (body.empty() || !isa<YieldOp>(body.back()))
    return emitOpError("body must end with tide.yield");
  if (body.getNumArguments() != 0)
    return emitOpError("body must not have block arguments (it uses values from above directly)");
  YieldOp yield = getYield();
  for (auto [index, type] : llvm::enumerate(getResultTypes()))
    if (failed(checkTensorType(getLoc(), type, "result #" + std::to_string(index))))
      return failure();
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields ") << yield.getValues().size() << " value(s) of type(s) ("
                                  << yield.getValues().getTypes()
                                  << ") but the op has result type(s) (" << getResultTypes() << ")";
  WalkResult nested = getBody().walk([&](CheckpointOp inner) {
    inner.emitOpError("is nested inside another tide.checkpoint; checkpoint regions do not nest");
    return WalkResult::interrupt();
  });
  return failure(nested.wasInterrupted());
}

//===----------------------------------------------------------------------===//
// Verifiers of the ops with shape inference
//===----------------------------------------------------------------------===//

#define TIDE_VERIFY_BY_INFERENCE(OpT)                                                              \
  LogicalResult OpT::verify() { return verifyByInference(*this); }
TIDE_VERIFY_BY_INFERENCE(MatmulOp)
TIDE_VERIFY_BY_INFERENCE(AddOp)
TIDE_VERIFY_BY_INFERENCE(SubOp)
TIDE_VERIFY_BY_INFERENCE(MulOp)
TIDE_VERIFY_BY_INFERENCE(DivOp)
TIDE_VERIFY_BY_INFERENCE(MinimumOp)
TIDE_VERIFY_BY_INFERENCE(MaximumOp)
TIDE_VERIFY_BY_INFERENCE(NegOp)
TIDE_VERIFY_BY_INFERENCE(AbsOp)
TIDE_VERIFY_BY_INFERENCE(SqrtOp)
TIDE_VERIFY_BY_INFERENCE(RsqrtOp)
TIDE_VERIFY_BY_INFERENCE(LogOp)
TIDE_VERIFY_BY_INFERENCE(SigmoidOp)
TIDE_VERIFY_BY_INFERENCE(SiluOp)
TIDE_VERIFY_BY_INFERENCE(ErfOp)
TIDE_VERIFY_BY_INFERENCE(PowOp)
TIDE_VERIFY_BY_INFERENCE(ClampOp)
TIDE_VERIFY_BY_INFERENCE(ReluOp)
TIDE_VERIFY_BY_INFERENCE(TanhOp)
TIDE_VERIFY_BY_INFERENCE(ExpOp)
TIDE_VERIFY_BY_INFERENCE(GeluOp)
TIDE_VERIFY_BY_INFERENCE(SoftmaxOp)
TIDE_VERIFY_BY_INFERENCE(LayerNormOp)
TIDE_VERIFY_BY_INFERENCE(ReduceSumOp)
TIDE_VERIFY_BY_INFERENCE(ReduceMeanOp)
TIDE_VERIFY_BY_INFERENCE(TransposeOp)
TIDE_VERIFY_BY_INFERENCE(AttentionOp)
TIDE_VERIFY_BY_INFERENCE(MseLossOp)
TIDE_VERIFY_BY_INFERENCE(SoftmaxCrossEntropyOp)
TIDE_VERIFY_BY_INFERENCE(ReluGradOp)
TIDE_VERIFY_BY_INFERENCE(TanhGradOp)
TIDE_VERIFY_BY_INFERENCE(GeluGradOp)
TIDE_VERIFY_BY_INFERENCE(AbsGradOp)
TIDE_VERIFY_BY_INFERENCE(SqrtGradOp)
TIDE_VERIFY_BY_INFERENCE(RsqrtGradOp)
TIDE_VERIFY_BY_INFERENCE(LogGradOp)
TIDE_VERIFY_BY_INFERENCE(SigmoidGradOp)
TIDE_VERIFY_BY_INFERENCE(SiluGradOp)
TIDE_VERIFY_BY_INFERENCE(ErfGradOp)
TIDE_VERIFY_BY_INFERENCE(PowGradOp)
TIDE_VERIFY_BY_INFERENCE(ClampGradOp)
TIDE_VERIFY_BY_INFERENCE(MinimumGradOp)
TIDE_VERIFY_BY_INFERENCE(MaximumGradOp)
TIDE_VERIFY_BY_INFERENCE(SoftmaxGradOp)
TIDE_VERIFY_BY_INFERENCE(LayerNormGradOp)
TIDE_VERIFY_BY_INFERENCE(AttentionGradOp)
TIDE_VERIFY_BY_INFERENCE(MseLossGradOp)
TIDE_VERIFY_BY_INFERENCE(SoftmaxCrossEntropyGradOp)
TIDE_VERIFY_BY_INFERENCE(ScaleOp)
TIDE_VERIFY_BY_INFERENCE(SgdUpdateOp)
TIDE_VERIFY_BY_INFERENCE(AdamUpdateOp)
TIDE_VERIFY_BY_INFERENCE(SumSquaresOp)
TIDE_VERIFY_BY_INFERENCE(ClipCoefficientOp)
#undef TIDE_VERIFY_BY_INFERENCE

#define GET_OP_CLASSES
#include "compiler/dialect/TideOps.cpp.inc"
