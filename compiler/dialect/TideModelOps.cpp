//===- TideModelOps.cpp - Verification of the transformer-building ops ----===//
//
// Shape inference (which is also verification, see TideOps.cpp) of the ops that real models are
// made of beyond the core set: rms_norm, slice / concat / pad, gather, rope, dropout and the
// fused LM head loss, with their gradient ops. Every limit is a constant of TideLimits.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideLimits.h"
#include "compiler/dialect/TideOps.h"
#include "compiler/dialect/TideVerifyUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::detail;

namespace {

/// `actual` must be exactly `expected` (the type a gradient or statistic must have).
LogicalResult expectType(std::optional<Location> loc, Type actual, StringRef name, Type expected,
                         StringRef what) {
  if (actual == expected)
    return success();
  return emitOptionalError(loc, name, " ", actual, " must have the type of ", what, " ", expected);
}

/// One entry per dimension of a tensor of `rank` in `values`, or a message naming `what`.
LogicalResult expectOnePerDimension(std::optional<Location> loc, StringRef opName, StringRef what,
                                    ArrayRef<int64_t> values, int64_t rank) {
  if (static_cast<int64_t>(values.size()) == rank)
    return success();
  return emitOptionalError(loc, opName, " ", what, " ", formatShape(values), " has ", values.size(),
                           " entries but the input has rank ", rank);
}

/// epsilon, rounded to f32 as the runtime stores it, must be positive and finite.
LogicalResult checkEpsilon(std::optional<Location> loc, StringRef opName, double epsilon) {
  float epsilon32 = static_cast<float>(epsilon);
  if (epsilon32 > 0.0f && std::isfinite(epsilon32))
    return success();
  return emitOptionalError(
      loc, opName, " epsilon must be positive and finite (as a 32-bit float), got ", epsilon);
}

} // namespace

//===----------------------------------------------------------------------===//
// RmsNormOp and RmsNormGradOp
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  auto scale = staticTensor(loc, adaptor.getScale(), "scale");
  if (failed(input) || failed(scale))
    return failure();
  auto axis = verifyNormalization(loc, "rms_norm", *input, adaptor.getAxisAttr().getInt(),
                                  {{"scale", *scale}});
  if (failed(axis) || failed(checkEpsilon(loc, "rms_norm", adaptor.getEpsilon().convertToDouble())))
    return failure();
  inferred.push_back(*input);
  if (adaptor.getWithRstd())
    inferred.push_back(normalizationStatsType(*input, *axis));
  return success();
}

int64_t RmsNormOp::getNormalizedAxis() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = getAxisAttr().getInt();
  return axis < 0 ? axis + rank : axis;
}

LogicalResult RmsNormGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  auto scale = staticTensor(loc, adaptor.getScale(), "scale");
  if (failed(input) || failed(scale))
    return failure();
  auto axis = verifyNormalization(loc, "rms_norm_grad", *input, adaptor.getAxisAttr().getInt(),
                                  {{"scale", *scale}});
  if (failed(axis))
    return failure();
  if (failed(expectType(loc, adaptor.getRstd().getType(), "rstd",
                        normalizationStatsType(*input, *axis), "the row statistics")) ||
      failed(expectType(loc, adaptor.getGrad().getType(), "grad", *input, "input")))
    return failure();
  inferred.append({*input, *scale});
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp, ConcatOp, PadOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  ArrayRef<int64_t> start = adaptor.getStart(), sizes = adaptor.getSizes();
  int64_t rank = input->getRank();
  if (failed(expectOnePerDimension(loc, "slice", "start", start, rank)) ||
      failed(expectOnePerDimension(loc, "slice", "sizes", sizes, rank)))
    return failure();
  for (int64_t dim = 0; dim < rank; ++dim) {
    int64_t extent = input->getDimSize(dim);
    // start + size <= extent, written so that nothing overflows.
    if (start[dim] < 0 || sizes[dim] < 0 || start[dim] > extent || sizes[dim] > extent - start[dim])
      return emitOptionalError(
          loc, "slice of dimension ", dim, " (size ", extent, ") at start ", start[dim],
          " with size ", sizes[dim],
          " is out of bounds (need 0 <= start, 0 <= size, start + size <= ", extent, ")");
  }
  inferred.push_back(RankedTensorType::get(sizes, input->getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "concat needs at least one input");
  auto first = staticTensor(loc, inputs.front(), "input #0");
  if (failed(first))
    return failure();
  if (first->getRank() == 0)
    return emitOptionalError(loc, "concat inputs must have rank >= 1");
  auto axis = normalizeAxis(loc, adaptor.getAxisAttr().getInt(), first->getRank(), "concat axis");
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first->getShape());
  shape[*axis] = 0;
  for (auto [index, value] : llvm::enumerate(inputs)) {
    std::string name = "input #" + std::to_string(index);
    auto tensor = staticTensor(loc, value, name);
    if (failed(tensor) || failed(sameElementType(loc, *first, "input #0", *tensor, name)))
      return failure();
    bool sameRank = tensor->getRank() == first->getRank();
    for (int64_t dim = 0; sameRank && dim < first->getRank(); ++dim)
      if (dim != *axis && tensor->getDimSize(dim) != first->getDimSize(dim))
        sameRank = false;
    if (!sameRank)
      return emitOptionalError(loc, "concat ", name, " ", formatShape(tensor->getShape()),
                               " must match input #0 ", formatShape(first->getShape()),
                               " in every dimension but the axis ", *axis);
    if (tensor->getDimSize(*axis) > kMaxTensorBytes - shape[*axis])
      return emitOptionalError(loc, "concat result dimension ", *axis,
                               " is larger than 2^40 elements");
    shape[*axis] += tensor->getDimSize(*axis);
  }
  inferred.push_back(RankedTensorType::get(shape, first->getElementType()));
  return success();
}

int64_t ConcatOp::getNormalizedAxis() {
  int64_t rank = cast<RankedTensorType>(getInputs().front().getType()).getRank();
  int64_t axis = getAxisAttr().getInt();
  return axis < 0 ? axis + rank : axis;
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input) || failed(checkF32(loc, "pad value", adaptor.getValue().convertToDouble())))
    return failure();
  ArrayRef<int64_t> low = adaptor.getLow(), high = adaptor.getHigh();
  int64_t rank = input->getRank();
  if (failed(expectOnePerDimension(loc, "pad", "low", low, rank)) ||
      failed(expectOnePerDimension(loc, "pad", "high", high, rank)))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (low[dim] < 0 || high[dim] < 0)
      return emitOptionalError(loc, "pad of dimension ", dim, " must be non-negative, got low ",
                               low[dim], " and high ", high[dim]);
    int64_t extent = input->getDimSize(dim);
    if (low[dim] > kMaxTensorBytes - extent || high[dim] > kMaxTensorBytes - extent - low[dim])
      return emitOptionalError(loc, "pad of dimension ", dim,
                               " makes it larger than 2^40 elements");
    shape.push_back(extent + low[dim] + high[dim]);
  }
  inferred.push_back(RankedTensorType::get(shape, input->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// GatherOp and GatherGradOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto table = staticTensor(loc, adaptor.getTable(), "table");
  auto ids = staticTensor(loc, adaptor.getIds(), "ids");
  if (failed(table) || failed(ids))
    return failure();
  if (table->getRank() != 2)
    return emitOptionalError(loc, "gather table must have rank 2 [rows, dim], got ", *table);
  SmallVector<int64_t> shape(ids->getShape());
  shape.push_back(table->getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, table->getElementType()));
  return success();
}

LogicalResult GatherGradOp::verify() {
  if (failed(checkArgumentOperands(*this)))
    return failure();
  auto ids = staticTensor(getLoc(), getIds(), "ids");
  auto grad = staticTensor(getLoc(), getGrad(), "grad");
  auto result = staticTensor(getLoc(), getResult().getType(), "result");
  if (failed(ids) || failed(grad) || failed(result) ||
      failed(sameElementType(getLoc(), *grad, "grad", *result, "result")))
    return failure();
  if (result->getRank() != 2)
    return emitOpError("result must be the table's type [rows, dim], got ") << *result;
  SmallVector<int64_t> expected(ids->getShape());
  expected.push_back(result->getDimSize(1));
  if (grad->getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("grad shape ")
           << formatShape(grad->getShape()) << " must be the ids' shape plus the table's dim "
           << formatShape(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  if (input->getRank() != 4)
    return emitOptionalError(loc,
                             "rope input must have rank 4 ([batch, seq, heads, head_dim] or "
                             "[batch, heads, seq, head_dim]), got ",
                             *input);
  int64_t headDim = input->getDimSize(3), rotDim = adaptor.getRotDimAttr().getInt();
  if (rotDim < 2 || rotDim % 2 != 0 || rotDim > headDim)
    return emitOptionalError(loc, "rope rot_dim must be even and in [2, head_dim = ", headDim,
                             "], got ", rotDim);
  double base = adaptor.getBase().convertToDouble();
  if (!(base > 0.0) || !std::isfinite(base))
    return emitOptionalError(loc, "rope base must be positive and finite, got ", base);
  int64_t offset = adaptor.getOffsetAttr().getInt();
  if (offset < 0 || offset > kMaxRopeOffset)
    return emitOptionalError(loc, "rope offset must be in [0, ", kMaxRopeOffset, "], got ", offset);
  inferred.push_back(*input);
  return success();
}

//===----------------------------------------------------------------------===//
// DropoutOp and DropoutGradOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::tide::detail::checkDropoutAttributes(std::optional<Location> loc,
                                                         StringRef opName, double p, int64_t site) {
  float p32 = static_cast<float>(p); // What the runtime compares the uniforms with.
  if (!(p32 >= 0.0f && p32 < 1.0f))
    return emitOptionalError(loc, opName, " p must be in [0, 1) (as a 32-bit float), got ", p);
  if (site < 0 || site > kMaxDropoutSite)
    return emitOptionalError(loc, opName, " site must be in [0, ", kMaxDropoutSite, "], got ",
                             site);
  return success();
}

LogicalResult DropoutOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(checkDropoutAttributes(loc, "dropout", adaptor.getP().convertToDouble(),
                                    adaptor.getSiteAttr().getInt())))
    return failure();
  auto input = staticTensor(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  inferred.push_back(*input);
  return success();
}

LogicalResult DropoutGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (failed(checkDropoutAttributes(loc, "dropout_grad", adaptor.getP().convertToDouble(),
                                    adaptor.getSiteAttr().getInt())))
    return failure();
  auto grad = staticTensor(loc, adaptor.getGrad(), "grad");
  if (failed(grad))
    return failure();
  inferred.push_back(*grad);
  return success();
}

// Two dropout ops of one function with the same site would draw the same mask. The check walks
// the enclosing function up to this op, so only the second of two clashing ops reports (a clone
// made by rematerialization, tagged tide.recomputed, shares its original's site on purpose).
LogicalResult DropoutOp::verify() {
  if (failed(verifyByInference(*this)))
    return failure();
  if ((*this)->hasAttr("tide.recomputed"))
    return success();
  auto function = (*this)->getParentOfType<FunctionOpInterface>();
  if (!function)
    return success();
  DropoutOp clash;
  function->walk([&](DropoutOp other) {
    if (other == *this)
      return WalkResult::interrupt();
    if (other.getSite() == getSite() && !other->hasAttr("tide.recomputed"))
      clash = other;
    return clash ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (!clash)
    return success();
  InFlightDiagnostic diagnostic = emitOpError("site ")
                                  << getSite()
                                  << " is already used by another tide.dropout of this function; "
                                     "each dropout needs its own site (its random stream)";
  diagnostic.attachNote(clash.getLoc()) << "the other tide.dropout with site " << getSite();
  return diagnostic;
}

//===----------------------------------------------------------------------===//
// LmHeadLossOp and LmHeadLossGradOp
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType> mlir::tide::detail::verifyLmHeadLossOperands(
    std::optional<Location> loc, StringRef opName, Value hiddenValue, Value weightValue,
    Value labelsValue, Value biasValue, int64_t ignoreIndex, int64_t rowChunk, int64_t vocabChunk) {
  auto hidden = staticTensor(loc, hiddenValue, "hidden");
  auto weight = staticTensor(loc, weightValue, "weight");
  auto labels = staticTensor(loc, labelsValue, "labels");
  if (failed(hidden) || failed(weight) || failed(labels) ||
      failed(sameElementType(loc, *hidden, "hidden", *weight, "weight")))
    return failure();
  if (hidden->getRank() != 2 || weight->getRank() != 2)
    return emitOptionalError(loc, opName,
                             " hidden must be [rows, dim] and weight [vocab, dim], got ", *hidden,
                             " and ", *weight);
  int64_t rows = hidden->getDimSize(0), dim = hidden->getDimSize(1);
  int64_t vocab = weight->getDimSize(0);
  if (weight->getDimSize(1) != dim)
    return emitOptionalError(loc, opName, " weight ", formatShape(weight->getShape()),
                             " must have the hidden dim ", dim, " ([vocab, dim])");
  if (rows < 1 || dim < 1 || vocab < 1)
    return emitOptionalError(loc, opName, " needs rows, dim and vocab >= 1, got hidden ",
                             formatShape(hidden->getShape()), " and weight ",
                             formatShape(weight->getShape()));
  if (labels->getShape() != ArrayRef<int64_t>{rows})
    return emitOptionalError(loc, opName, " labels ", formatShape(labels->getShape()),
                             " must be [rows] = [", rows, "]");
  if (biasValue) {
    auto bias = staticTensor(loc, biasValue, "bias");
    if (failed(bias) || failed(sameElementType(loc, *hidden, "hidden", *bias, "bias")))
      return failure();
    if (bias->getShape() != ArrayRef<int64_t>{vocab})
      return emitOptionalError(loc, opName, " bias ", formatShape(bias->getShape()),
                               " must be [vocab] = [", vocab, "]");
  }
  if (ignoreIndex < std::numeric_limits<int32_t>::min() ||
      ignoreIndex > std::numeric_limits<int32_t>::max())
    return emitOptionalError(loc, opName, " ignore_index must be a 32-bit integer, got ",
                             ignoreIndex);
  if (rowChunk < 1 || vocabChunk < 1 || rowChunk > kMaxLmHeadChunk || vocabChunk > kMaxLmHeadChunk)
    return emitOptionalError(loc, opName, " chunks must be in [1, ", kMaxLmHeadChunk, "], got [",
                             rowChunk, ", ", vocabChunk, "]");
  // The runtime's scratch holds one block of logits: min(row_chunk, rows) x min(vocab_chunk,
  // vocab) floats, planned in the arena like any tensor.
  int64_t blockRows = std::min(rowChunk, rows), blockCols = std::min(vocabChunk, vocab);
  if (blockRows > kMaxTensorBytes / 4 / blockCols)
    return emitOptionalError(loc, opName, " logit block of ", blockRows, " x ", blockCols,
                             " floats is larger than the 2^40-byte limit of one buffer");
  return RankedTensorType::get({rows}, hidden->getElementType());
}

LogicalResult LmHeadLossOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto lse = verifyLmHeadLossOperands(
      loc, "lm_head_loss", adaptor.getHidden(), adaptor.getWeight(), adaptor.getLabels(),
      adaptor.getBias(), adaptor.getIgnoreIndexAttr().getInt(), adaptor.getRowChunkAttr().getInt(),
      adaptor.getVocabChunkAttr().getInt());
  if (failed(lse))
    return failure();
  inferred.push_back(RankedTensorType::get({}, lse->getElementType()));
  if (adaptor.getWithLse())
    inferred.push_back(*lse);
  return success();
}

LogicalResult LmHeadLossGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                 Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto lse = verifyLmHeadLossOperands(
      loc, "lm_head_loss_grad", adaptor.getHidden(), adaptor.getWeight(), adaptor.getLabels(),
      adaptor.getBias(), adaptor.getIgnoreIndexAttr().getInt(), adaptor.getRowChunkAttr().getInt(),
      adaptor.getVocabChunkAttr().getInt());
  if (failed(lse))
    return failure();
  if (failed(
          expectType(loc, adaptor.getLse().getType(), "lse", *lse, "the [rows] row statistics")) ||
      failed(expectType(loc, adaptor.getGrad().getType(), "grad",
                        RankedTensorType::get({}, lse->getElementType()), "the loss")))
    return failure();
  inferred.append({adaptor.getHidden().getType(), adaptor.getWeight().getType()});
  if (adaptor.getBias())
    inferred.push_back(adaptor.getBias().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Verifiers by inference
//===----------------------------------------------------------------------===//

#define TIDE_VERIFY_BY_INFERENCE(OpT)                                                              \
  LogicalResult OpT::verify() { return verifyByInference(*this); }
TIDE_VERIFY_BY_INFERENCE(RmsNormOp)
TIDE_VERIFY_BY_INFERENCE(RmsNormGradOp)
TIDE_VERIFY_BY_INFERENCE(SliceOp)
TIDE_VERIFY_BY_INFERENCE(ConcatOp)
TIDE_VERIFY_BY_INFERENCE(PadOp)
TIDE_VERIFY_BY_INFERENCE(GatherOp)
TIDE_VERIFY_BY_INFERENCE(RopeOp)
TIDE_VERIFY_BY_INFERENCE(DropoutGradOp)
TIDE_VERIFY_BY_INFERENCE(LmHeadLossOp)
TIDE_VERIFY_BY_INFERENCE(LmHeadLossGradOp)
#undef TIDE_VERIFY_BY_INFERENCE
