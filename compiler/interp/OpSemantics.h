//===- OpSemantics.h - Per-op semantics of the tide interpreter -*- C++ -*-===//
//
// One `evaluate` overload per tide op: plain double loops that follow the op's description in
// TideOps.td / TideTrainingOps.td word for word. Each returns the op's results in order, with
// the shapes of its (verified) result types, or emits a diagnostic on the op and fails.
// Internal to the interpreter library.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_INTERP_OPSEMANTICS_H
#define TIDEMARK_COMPILER_INTERP_OPSEMANTICS_H

#include "compiler/dialect/TideOps.h"
#include "compiler/interp/Interpreter.h"

namespace mlir::tide::interp {

/// The operand values of the op being evaluated, and the interpreter's options.
struct OpInputs {
  ArrayRef<const Tensor *> operands;
  const InterpreterOptions &options;

  const Tensor &operator[](unsigned i) const { return *operands[i]; }
};

using OpResults = FailureOr<SmallVector<Tensor>>;

/// Wraps the one result of a single-result op.
inline OpResults singleResult(Tensor tensor) {
  SmallVector<Tensor> results;
  results.push_back(std::move(tensor));
  return results;
}

/// The static shape of a ranked tensor value (the verifiers guarantee static shapes).
ArrayRef<int64_t> shapeOf(Value value);

// Forward ops (ForwardOps.cpp).
OpResults evaluate(MatmulOp op, const OpInputs &in);
OpResults evaluate(AddOp op, const OpInputs &in);
OpResults evaluate(SubOp op, const OpInputs &in);
OpResults evaluate(MulOp op, const OpInputs &in);
OpResults evaluate(DivOp op, const OpInputs &in);
OpResults evaluate(ReluOp op, const OpInputs &in);
OpResults evaluate(TanhOp op, const OpInputs &in);
OpResults evaluate(ExpOp op, const OpInputs &in);
OpResults evaluate(GeluOp op, const OpInputs &in);
OpResults evaluate(SoftmaxOp op, const OpInputs &in);
OpResults evaluate(LayerNormOp op, const OpInputs &in);
OpResults evaluate(ReduceSumOp op, const OpInputs &in);
OpResults evaluate(ReduceMeanOp op, const OpInputs &in);
OpResults evaluate(TransposeOp op, const OpInputs &in);
OpResults evaluate(ReshapeOp op, const OpInputs &in);
OpResults evaluate(AttentionOp op, const OpInputs &in);
OpResults evaluate(MseLossOp op, const OpInputs &in);
OpResults evaluate(SoftmaxCrossEntropyOp op, const OpInputs &in);

// The transformer-building ops and the extra elementwise ops, with their gradients
// (ModelOps.cpp).
OpResults evaluate(MinimumOp op, const OpInputs &in);
OpResults evaluate(MaximumOp op, const OpInputs &in);
OpResults evaluate(NegOp op, const OpInputs &in);
OpResults evaluate(AbsOp op, const OpInputs &in);
OpResults evaluate(SqrtOp op, const OpInputs &in);
OpResults evaluate(RsqrtOp op, const OpInputs &in);
OpResults evaluate(LogOp op, const OpInputs &in);
OpResults evaluate(SigmoidOp op, const OpInputs &in);
OpResults evaluate(SiluOp op, const OpInputs &in);
OpResults evaluate(ErfOp op, const OpInputs &in);
OpResults evaluate(PowOp op, const OpInputs &in);
OpResults evaluate(ClampOp op, const OpInputs &in);
OpResults evaluate(AbsGradOp op, const OpInputs &in);
OpResults evaluate(SqrtGradOp op, const OpInputs &in);
OpResults evaluate(RsqrtGradOp op, const OpInputs &in);
OpResults evaluate(LogGradOp op, const OpInputs &in);
OpResults evaluate(SigmoidGradOp op, const OpInputs &in);
OpResults evaluate(SiluGradOp op, const OpInputs &in);
OpResults evaluate(ErfGradOp op, const OpInputs &in);
OpResults evaluate(PowGradOp op, const OpInputs &in);
OpResults evaluate(ClampGradOp op, const OpInputs &in);
OpResults evaluate(MinimumGradOp op, const OpInputs &in);
OpResults evaluate(MaximumGradOp op, const OpInputs &in);
OpResults evaluate(RmsNormOp op, const OpInputs &in);
OpResults evaluate(RmsNormGradOp op, const OpInputs &in);
OpResults evaluate(SliceOp op, const OpInputs &in);
OpResults evaluate(ConcatOp op, const OpInputs &in);
OpResults evaluate(PadOp op, const OpInputs &in);
OpResults evaluate(GatherOp op, const OpInputs &in);
OpResults evaluate(GatherGradOp op, const OpInputs &in);
OpResults evaluate(RopeOp op, const OpInputs &in);
OpResults evaluate(DropoutOp op, const OpInputs &in);
OpResults evaluate(DropoutGradOp op, const OpInputs &in);
OpResults evaluate(LmHeadLossOp op, const OpInputs &in);
OpResults evaluate(LmHeadLossGradOp op, const OpInputs &in);

// Split, where, reduce_max and cast, with their gradients (SelectOps.cpp).
OpResults evaluate(SplitOp op, const OpInputs &in);
OpResults evaluate(WhereOp op, const OpInputs &in);
OpResults evaluate(ReduceMaxOp op, const OpInputs &in);
OpResults evaluate(ReduceMaxGradOp op, const OpInputs &in);
OpResults evaluate(CastOp op, const OpInputs &in);

// Gradient, helper and optimizer ops (TrainingOps.cpp).
OpResults evaluate(ReluGradOp op, const OpInputs &in);
OpResults evaluate(TanhGradOp op, const OpInputs &in);
OpResults evaluate(GeluGradOp op, const OpInputs &in);
OpResults evaluate(SoftmaxGradOp op, const OpInputs &in);
OpResults evaluate(LayerNormGradOp op, const OpInputs &in);
OpResults evaluate(AttentionGradOp op, const OpInputs &in);
OpResults evaluate(MseLossGradOp op, const OpInputs &in);
OpResults evaluate(SoftmaxCrossEntropyGradOp op, const OpInputs &in);
OpResults evaluate(ReduceToShapeOp op, const OpInputs &in);
OpResults evaluate(BroadcastOp op, const OpInputs &in);
OpResults evaluate(ScaleOp op, const OpInputs &in);
OpResults evaluate(FillOp op, const OpInputs &in);
OpResults evaluate(SgdUpdateOp op, const OpInputs &in);
OpResults evaluate(AdamUpdateOp op, const OpInputs &in);
OpResults evaluate(SumSquaresOp op, const OpInputs &in);
OpResults evaluate(ClipCoefficientOp op, const OpInputs &in);

// Shared by the forward and gradient semantics (ForwardOps.cpp).

/// result = fn(lhs, rhs) elementwise with NumPy broadcasting, shaped as `result`.
template <typename Fn> OpResults evaluateBinary(Value result, const OpInputs &in, Fn fn) {
  ArrayRef<int64_t> shape = shapeOf(result);
  auto lhsStrides = broadcastStrides(in[0].shape, shape);
  auto rhsStrides = broadcastStrides(in[1].shape, shape);
  Tensor out(shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    out[linear] = fn(in[0][dotOffset(index, lhsStrides)], in[1][dotOffset(index, rhsStrides)]);
  });
  return singleResult(std::move(out));
}

/// Normalizes `axis` in [-rank, rank) to [0, rank).
int64_t normalizeAxis(int64_t axis, int64_t rank);

/// Calls `visit(base, stride, length)` for every line of `shape` along `axis`: the elements
/// base + i * stride for i in [0, length).
void forEachLine(ArrayRef<int64_t> shape, int64_t axis,
                 function_ref<void(int64_t base, int64_t stride, int64_t length)> visit);

/// Reads label `row` of `labels` as a class id in [0, classes), or emits an error on `op`.
FailureOr<int64_t> readLabel(Operation *op, const Tensor &labels, int64_t row, int64_t classes);

/// log(sum(exp(x))) over one line, computed as max + log(sum(exp(x - max))).
double logSumExp(const Tensor &x, int64_t base, int64_t stride, int64_t length);

/// The scaled score of query row `i` and key row `j` of one (batch, head) pair: scale * q.k.
double attentionScore(const Tensor &query, const Tensor &key, int64_t queryRow, int64_t keyRow,
                      int64_t headDim, double scale);

/// Whether a causal query `i` sees key `j` (bottom-right aligned: j <= i + seqK - seqQ).
inline bool causallyVisible(int64_t i, int64_t j, int64_t seqQ, int64_t seqK) {
  return j <= i + (seqK - seqQ);
}

/// The visible key count of every batch item of an attention op: key_lengths[b] (operand
/// `operand`, when the op has it) or seqK. A length outside [0, seqK] is an error on `op` that
/// names the batch item and the value.
FailureOr<SmallVector<int64_t>> attentionKeyLengths(Operation *op, const OpInputs &in,
                                                    unsigned operand, int64_t batch, int64_t seqK);

} // namespace mlir::tide::interp

#endif // TIDEMARK_COMPILER_INTERP_OPSEMANTICS_H
