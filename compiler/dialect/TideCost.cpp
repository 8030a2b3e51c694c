//===- TideCost.cpp - TideCostOpInterface for every tide op ---------------===//
//
// FLOP counts per op, following the conventions stated in TideInterfaces.td: one FLOP per scalar
// add, subtract, multiply, divide, compare or transcendental, two per multiply-add.
// docs/dialect-costs.md derives each formula.
//
//===----------------------------------------------------------------------===//

#include "compiler/dialect/TideOps.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::tide;

namespace {

int64_t numElements(Value value) {
  return cast<RankedTensorType>(value.getType()).getNumElements();
}

} // namespace

// Matmul: one multiply-add (2 FLOPs) per (batch, m, n, k).
int64_t MatmulOp::getFlops() {
  auto lhs = getLhs().getType();
  int64_t k = getTransposeLhs() ? lhs.getDimSize(lhs.getRank() - 2) : lhs.getShape().back();
  return 2 * numElements(getResult()) * k;
}

// Elementwise binary ops: one FLOP per result element.
int64_t AddOp::getFlops() { return numElements(getResult()); }
int64_t SubOp::getFlops() { return numElements(getResult()); }
int64_t MulOp::getFlops() { return numElements(getResult()); }
int64_t DivOp::getFlops() { return numElements(getResult()); }
int64_t MinimumOp::getFlops() { return numElements(getResult()); } // one compare
int64_t MaximumOp::getFlops() { return numElements(getResult()); }

// Unary ops: one compare (relu) or one transcendental (tanh, exp) per element.
int64_t ReluOp::getFlops() { return numElements(getResult()); }
int64_t TanhOp::getFlops() { return numElements(getResult()); }
int64_t ExpOp::getFlops() { return numElements(getResult()); }

// neg, abs: one operation; sqrt, rsqrt, log, erf: one transcendental.
int64_t NegOp::getFlops() { return numElements(getResult()); }
int64_t AbsOp::getFlops() { return numElements(getResult()); }
int64_t SqrtOp::getFlops() { return numElements(getResult()); }
int64_t RsqrtOp::getFlops() { return numElements(getResult()); }
int64_t LogOp::getFlops() { return numElements(getResult()); }
int64_t ErfOp::getFlops() { return numElements(getResult()); }
// sigmoid: negate, exp, +1, divide = 4; silu adds the multiply by x = 5.
int64_t SigmoidOp::getFlops() { return 4 * numElements(getResult()); }
int64_t SiluOp::getFlops() { return 5 * numElements(getResult()); }
// pow as exp(a log x): log, multiply, exp = 3.
int64_t PowOp::getFlops() { return 3 * numElements(getResult()); }
// clamp: two compares.
int64_t ClampOp::getFlops() { return 2 * numElements(getResult()); }

// gelu tanh: x^3 (2), *0.044715 (1), +x (1), *sqrt(2/pi) (1), tanh (1), +1 (1), *x (1), *0.5 (1)
// = 9 per element. gelu exact: x*(1/sqrt 2) (1), erf (1), +1 (1), *x (1), *0.5 (1) = 5.
int64_t GeluOp::getFlops() {
  int64_t perElement = getApproximation() == GeluApproximation::Tanh ? 9 : 5;
  return perElement * numElements(getResult());
}

// softmax: max (1), subtract (1), exp (1), sum (1), divide (1) = 5 per element.
int64_t SoftmaxOp::getFlops() { return 5 * numElements(getResult()); }

// layer_norm per element: sum for the mean (1), x - mean (1), square (1), sum for the variance
// (1), times rstd (1), times scale (1), plus bias (1) = 7; per row: mean divide, variance divide,
// + epsilon, rsqrt = 4.
int64_t LayerNormOp::getFlops() {
  auto input = getInput().getType();
  int64_t rows = 1;
  for (int64_t dim = 0; dim < getNormalizedAxis(); ++dim)
    rows *= input.getDimSize(dim);
  return 7 * input.getNumElements() + 4 * rows;
}

// rms_norm per element: square (1), sum (1), times rstd (1), times scale (1) = 4; per row: the
// mean's divide, + epsilon, rsqrt = 3.
int64_t RmsNormOp::getFlops() {
  auto input = getInput().getType();
  int64_t rows = 1;
  for (int64_t dim = 0; dim < getNormalizedAxis(); ++dim)
    rows *= input.getDimSize(dim);
  return 4 * input.getNumElements() + 3 * rows;
}

// reduce_sum: (in - out) additions; reduce_mean adds one divide per output element.
int64_t ReduceSumOp::getFlops() { return numElements(getInput()) - numElements(getResult()); }
int64_t ReduceMeanOp::getFlops() { return numElements(getInput()); }

// Pure data movement: no arithmetic.
int64_t TransposeOp::getFlops() { return 0; }

// Box copies and lookups move data only.
int64_t SliceOp::getFlops() { return 0; }
int64_t ConcatOp::getFlops() { return 0; }
int64_t PadOp::getFlops() { return 0; }
int64_t GatherOp::getFlops() { return 0; }

// A view: no arithmetic and no traffic.
int64_t ReshapeOp::getFlops() { return 0; }
int64_t ReshapeOp::getBytesRead() { return 0; }
int64_t ReshapeOp::getBytesWritten() { return 0; }

// attention per (batch, head), with P attended pairs: q.k (2D per pair), scale (1), max (1),
// subtract (1), exp (1), sum (1), p.v (2D per pair), and a final divide per output element:
// 4*P*D + 5*P + Tq*D. Per query head: grouped-query attention (fewer kv heads) reads less but
// computes as much. key_lengths are run-time data, so with padding P counts every unpadded pair
// the masks could allow (an upper bound; the kernels skip padded key chunks). Bytes: the default
// (whole operands, key_lengths and the smaller k, v included).
int64_t AttentionOp::getFlops() {
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  int64_t seqK = getKey().getType().getDimSize(2);
  int64_t pairs = countAttendedPairs(q[2], seqK, getCausal());
  int64_t headDim = q[3];
  return q[0] * q[1] * (4 * pairs * headDim + 5 * pairs + q[2] * headDim);
}

// rope: each rotated pair (x_i, x_{i+r/2}) takes four multiplies and two adds, i.e. 3 per rotated
// element; the cos/sin table is computed once per plan, and the unrotated features are copies.
int64_t RopeOp::getFlops() {
  auto input = getInput().getType();
  return 3 * (input.getNumElements() / input.getDimSize(3)) * getRotDimAttr().getInt();
}

// dropout: the compare of the uniform with p and the multiply by 0 or 1 / (1 - p) (2 per element;
// the Philox rounds are integer work).
int64_t DropoutOp::getFlops() { return 2 * numElements(getResult()); }

// lm_head_loss with N rows, V classes, E features: the logits GEMM (2NVE), the bias add (NV, with
// a bias), the online log-sum-exp per logit (max, subtract, exp, sum: 4NV), per row log + max,
// minus the label's logit and the add into the mean (4N), one final divide.
int64_t LmHeadLossOp::getFlops() {
  ArrayRef<int64_t> hidden = getHidden().getType().getShape();
  int64_t n = hidden[0], e = hidden[1], v = getWeight().getType().getDimSize(0);
  return 2 * n * v * e + (getBias() ? n * v : 0) + 4 * n * v + 4 * n + 1;
}

// mse: subtract, square, sum per element (3) and one final divide.
int64_t MseLossOp::getFlops() { return 3 * numElements(getPrediction()) + 1; }

// cross-entropy per row of C classes: max, subtract, exp, sum (4C), log and minus the label's
// logit (2), one add into the mean (1); one final divide.
int64_t SoftmaxCrossEntropyOp::getFlops() {
  int64_t elements = numElements(getLogits());
  int64_t rows = numElements(getLabels());
  return 4 * elements + 3 * rows + 1;
}

// A checkpoint region costs what its body costs.
int64_t CheckpointOp::getFlops() {
  int64_t flops = 0;
  getBody().walk([&](TideCostOpInterface op) {
    if (op.getOperation() != getOperation())
      flops += op.getFlops();
  });
  return flops;
}

// A checkpoint reads the values its body uses from above (each once).
int64_t CheckpointOp::getBytesRead() {
  llvm::SetVector<Value> captured;
  getBody().walk([&](Operation *op) {
    for (Value operand : op->getOperands())
      if (!getBody().isAncestor(operand.getParentRegion()))
        captured.insert(operand);
  });
  int64_t bytes = 0;
  for (Value value : captured)
    bytes += detail::tensorBytes(value.getType());
  return bytes;
}

//===----------------------------------------------------------------------===//
// Gradient and optimizer ops
//===----------------------------------------------------------------------===//

// relu': select (1) and multiply by grad (1).
int64_t ReluGradOp::getFlops() { return 2 * numElements(getResult()); }

// tanh': tanh (1), square (1), 1 - t^2 (1), times grad (1).
int64_t TanhGradOp::getFlops() { return 4 * numElements(getResult()); }

// gelu' (tanh form), with u = c (x + a x^3), t = tanh(u):
//   0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3a x^2), times grad: 18 operations per element.
// gelu' (exact): Phi(x) = 0.5 (1 + erf(x / sqrt 2)) (4), phi(x) = exp(-x^2 / 2) / sqrt(2 pi) (4),
//   Phi + x phi (2), times grad (1): 11 per element.
int64_t GeluGradOp::getFlops() {
  int64_t perElement = getApproximation() == GeluApproximation::Tanh ? 18 : 11;
  return perElement * numElements(getResult());
}

// abs': sign (1), times grad (1). sqrt': sqrt, 0.5 / s, times grad (3). rsqrt': sqrt, x s,
// -0.5 / (x s), times grad (4). log': 1 / x, times grad (2). sigmoid': s (4), 1 - s, s (1 - s),
// times grad (7). silu': s (4), 1 - s, x (1 - s), 1 + ., s (.), times grad (9). erf': x^2,
// negate, exp, times 2 / sqrt(pi), times grad (5). pow': pow (3), times a, times grad (5).
// clamp': two compares, select (3).
int64_t AbsGradOp::getFlops() { return 2 * numElements(getResult()); }
int64_t SqrtGradOp::getFlops() { return 3 * numElements(getResult()); }
int64_t RsqrtGradOp::getFlops() { return 4 * numElements(getResult()); }
int64_t LogGradOp::getFlops() { return 2 * numElements(getResult()); }
int64_t SigmoidGradOp::getFlops() { return 7 * numElements(getResult()); }
int64_t SiluGradOp::getFlops() { return 9 * numElements(getResult()); }
int64_t ErfGradOp::getFlops() { return 5 * numElements(getResult()); }
int64_t PowGradOp::getFlops() { return 5 * numElements(getResult()); }
int64_t ClampGradOp::getFlops() { return 3 * numElements(getResult()); }

// min/max' per element of the broadcast result: the compare, the tie test and the select or
// halving (3); then (result - operand) additions to sum the gradient down to the operand.
int64_t MinimumGradOp::getFlops() {
  return 3 * numElements(getGrad()) + numElements(getGrad()) - numElements(getResult());
}
int64_t MaximumGradOp::getFlops() {
  return 3 * numElements(getGrad()) + numElements(getGrad()) - numElements(getResult());
}

// rms_norm' per element: xhat (1), g = grad scale (1), sum g xhat (2), d_scale += grad xhat (2),
// d_input = rstd (g - xhat m) (3) = 9; per row: the mean's divide (1).
int64_t RmsNormGradOp::getFlops() {
  int64_t rows = cast<RankedTensorType>(getRstd().getType()).getNumElements();
  return 9 * getInput().getType().getNumElements() + rows;
}

// gather': one addition per gradient element scattered into the table (the clear is a fill).
int64_t GatherGradOp::getFlops() { return numElements(getGrad()); }

// dropout': the same mask applied to the gradient, as the forward.
int64_t DropoutGradOp::getFlops() { return 2 * numElements(getResult()); }

// lm_head_loss' with N rows, V classes, E features: the logits recomputed (2NVE, + NV bias), per
// logit exp(z - lse) and the scale by the row's factor (3NV), minus the one-hot and the factor per
// row (2N), dh = G W (2NVE), dW = G^T h (2NVE), d_bias column sums (NV); the factor (1).
int64_t LmHeadLossGradOp::getFlops() {
  ArrayRef<int64_t> hidden = getHidden().getType().getShape();
  int64_t n = hidden[0], e = hidden[1], v = getWeight().getType().getDimSize(0);
  return 6 * n * v * e + 3 * n * v + (getBias() ? 2 * n * v : 0) + 2 * n + 1;
}

// softmax': grad * y (1), row sum (1), grad - sum (1), times y (1) = 4 per element.
int64_t SoftmaxGradOp::getFlops() { return 4 * numElements(getResult()); }

// layer_norm' per element: xhat (2), d_scale += grad*xhat (2), d_bias += grad (1),
// g = grad*scale (1), sum g (1), sum g*xhat (2), d_input = rstd (g - mean g - xhat mean(g xhat))
// (4) = 13; per row: the two means (2).
int64_t LayerNormGradOp::getFlops() {
  auto input = getInput().getType();
  int64_t rows = cast<RankedTensorType>(getMean().getType()).getNumElements();
  return 13 * input.getNumElements() + 2 * rows;
}

// attention' per (batch, head) with P pairs: scores q.k (2PD), probabilities scale/-lse/exp
// (3P), dV += p^T dO (2PD), dP = dO v^T (2PD), dS = p (dP - delta) (2P), dQ += dS k (2PD),
// dK += dS^T q (2PD), and delta = rowsum(dO * O) (2 Tq D): 10PD + 5P + 2TqD, per query head
// (the group sums of dK, dV are part of the accumulations); P as in the forward.
int64_t AttentionGradOp::getFlops() {
  ArrayRef<int64_t> q = getQuery().getType().getShape();
  int64_t seqK = getKey().getType().getDimSize(2);
  int64_t pairs = AttentionOp::countAttendedPairs(q[2], seqK, getCausal());
  int64_t headDim = q[3];
  return q[0] * q[1] * (10 * pairs * headDim + 5 * pairs + 2 * q[2] * headDim);
}

// mse': subtract (1) and multiply by 2 grad / N (1) per element; the factor itself (2).
int64_t MseLossGradOp::getFlops() { return 2 * numElements(getResult()) + 2; }

// cross-entropy': softmax recomputed (5 per element: max, subtract, exp, sum, divide), minus the
// one-hot (1 per row), times grad / rows (1 per element); the factor (1).
int64_t SoftmaxCrossEntropyGradOp::getFlops() {
  return 6 * numElements(getResult()) + numElements(getLabels()) + 1;
}

// Summing a gradient down: (in - out) additions.
int64_t ReduceToShapeOp::getFlops() { return numElements(getInput()) - numElements(getResult()); }

// Broadcasting copies; fill writes a constant; neither computes.
int64_t BroadcastOp::getFlops() { return 0; }
int64_t FillOp::getFlops() { return 0; }

int64_t ScaleOp::getFlops() { return numElements(getResult()); }

// SGD per element: p - lr g (2), + weight decay (2), momentum mu v + g (2).
int64_t SgdUpdateOp::getFlops() {
  int64_t perElement = 2;
  if (getWeightDecay().convertToDouble() != 0.0)
    perElement += 2;
  if (getVelocity())
    perElement += 2;
  return perElement * numElements(getParam());
}

// sum_squares: a multiply and an add per element, plus the accumulator's add.
int64_t SumSquaresOp::getFlops() {
  return 2 * numElements(getInput()) + (getAccumulator() ? 1 : 0);
}

// clip_coefficient: sqrt, + 1e-6, divide, min.
int64_t ClipCoefficientOp::getFlops() { return 4; }

// Adam per element: m' (3), v' (4), bias corrections (2), sqrt + epsilon (2), divide (1),
// times lr (1), subtract (1) = 14; weight decay adds 2.
int64_t AdamUpdateOp::getFlops() {
  int64_t perElement = getWeightDecay().convertToDouble() != 0.0 ? 16 : 14;
  return perElement * numElements(getParam());
}

// split: one box copy per result, no arithmetic.
int64_t SplitOp::getFlops() { return 0; }

// where: one select (a compare of the condition with 0) per output element.
int64_t WhereOp::getFlops() { return numElements(getResult()); }

// reduce_max: one compare per input element beyond the first of each line (in - out);
// reduce_max_grad rescans every line for its first maximum (in compares).
int64_t ReduceMaxOp::getFlops() { return numElements(getInput()) - numElements(getResult()); }
int64_t ReduceMaxGradOp::getFlops() { return numElements(getInput()); }

// cast: one conversion per element (counted as one FLOP, like a compare).
int64_t CastOp::getFlops() { return numElements(getInput()); }
