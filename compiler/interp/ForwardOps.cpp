//===- ForwardOps.cpp - Semantics of the forward tide ops (TideOps.td) ----===//
//
// Plain double loops, one function per op, each a literal reading of the op's description.
// No blocking or vectorization: clarity is the point, the runtime is the fast path.
//
//===----------------------------------------------------------------------===//

#include "compiler/interp/OpSemantics.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::interp;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

ArrayRef<int64_t> mlir::tide::interp::shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

int64_t mlir::tide::interp::normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

void mlir::tide::interp::forEachLine(
    ArrayRef<int64_t> shape, int64_t axis,
    function_ref<void(int64_t base, int64_t stride, int64_t length)> visit) {
  int64_t outer = countElements(shape.take_front(axis));
  int64_t length = shape[axis];
  int64_t inner = countElements(shape.drop_front(axis + 1));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      visit(o * length * inner + i, inner, length);
}

FailureOr<int64_t> mlir::tide::interp::readLabel(Operation *op, const Tensor &labels, int64_t row,
                                                 int64_t classes) {
  double label = labels[row];
  if (label >= 0.0 && label < static_cast<double>(classes) && label == std::floor(label))
    return static_cast<int64_t>(label);
  InFlightDiagnostic diagnostic = op->emitError("label ");
  // Integral labels print as integers (the verifier-checked i32/i64 type they came from).
  if (label == std::floor(label) && std::fabs(label) < 0x1.0p53)
    diagnostic << static_cast<int64_t>(label);
  else
    diagnostic << label;
  return diagnostic << " at row " << row << " is out of range [0, " << classes << ")";
}

double mlir::tide::interp::logSumExp(const Tensor &x, int64_t base, int64_t stride,
                                     int64_t length) {
  double maximum = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < length; ++i)
    maximum = std::max(maximum, x[base + i * stride]);
  double sum = 0.0;
  for (int64_t i = 0; i < length; ++i)
    sum += std::exp(x[base + i * stride] - maximum);
  return maximum + std::log(sum);
}

double mlir::tide::interp::attentionScore(const Tensor &query, const Tensor &key, int64_t queryRow,
                                          int64_t keyRow, int64_t headDim, double scale) {
  double dot = 0.0;
  for (int64_t d = 0; d < headDim; ++d)
    dot += query[queryRow * headDim + d] * key[keyRow * headDim + d];
  return scale * dot;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

/// c[m x n] = op(a) op(b), op(a) [m x k] (stored [k x m] when transposed), op(b) [k x n] (stored
/// [n x k] when transposed). The i-p-j order walks b and c contiguously when not transposed.
static void multiplyMatrices(const double *a, const double *b, double *c, int64_t m, int64_t n,
                             int64_t k, bool transposeA, bool transposeB) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      double aip = transposeA ? a[p * m + i] : a[i * k + p];
      for (int64_t j = 0; j < n; ++j)
        c[i * n + j] += aip * (transposeB ? b[j * k + p] : b[p * n + j]);
    }
}

OpResults mlir::tide::interp::evaluate(MatmulOp op, const OpInputs &in) {
  const Tensor &lhs = in[0], &rhs = in[1];
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  int64_t m = shape[shape.size() - 2], n = shape.back();
  int64_t k = op.getTransposeLhs() ? lhs.shape[lhs.rank() - 2] : lhs.shape.back();
  // Batch dimensions broadcast; the strides count whole matrices of each operand.
  ArrayRef<int64_t> batch = shape.drop_back(2);
  auto lhsBatchStrides = broadcastStrides(ArrayRef<int64_t>(lhs.shape).drop_back(2), batch);
  auto rhsBatchStrides = broadcastStrides(ArrayRef<int64_t>(rhs.shape).drop_back(2), batch);
  Tensor result(shape);
  forEachIndex(batch, [&](ArrayRef<int64_t> index, int64_t linear) {
    multiplyMatrices(lhs.data.data() + dotOffset(index, lhsBatchStrides) * m * k,
                     rhs.data.data() + dotOffset(index, rhsBatchStrides) * k * n,
                     result.data.data() + linear * m * n, m, n, k, op.getTransposeLhs(),
                     op.getTransposeRhs());
  });
  return singleResult(std::move(result));
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(AddOp op, const OpInputs &in) {
  return evaluateBinary(op.getResult(), in, [](double a, double b) { return a + b; });
}
OpResults mlir::tide::interp::evaluate(SubOp op, const OpInputs &in) {
  return evaluateBinary(op.getResult(), in, [](double a, double b) { return a - b; });
}
OpResults mlir::tide::interp::evaluate(MulOp op, const OpInputs &in) {
  return evaluateBinary(op.getResult(), in, [](double a, double b) { return a * b; });
}
OpResults mlir::tide::interp::evaluate(DivOp op, const OpInputs &in) {
  return evaluateBinary(op.getResult(), in, [](double a, double b) { return a / b; });
}

template <typename Fn> static OpResults evaluateUnary(const Tensor &input, Fn fn) {
  Tensor out(input.shape);
  for (int64_t i = 0; i < input.numElements(); ++i)
    out[i] = fn(input[i]);
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(ReluOp, const OpInputs &in) {
  return evaluateUnary(in[0], [](double x) { return x > 0.0 ? x : 0.0; });
}
OpResults mlir::tide::interp::evaluate(TanhOp, const OpInputs &in) {
  return evaluateUnary(in[0], [](double x) { return std::tanh(x); });
}
OpResults mlir::tide::interp::evaluate(ExpOp, const OpInputs &in) {
  return evaluateUnary(in[0], [](double x) { return std::exp(x); });
}

OpResults mlir::tide::interp::evaluate(GeluOp op, const OpInputs &in) {
  if (op.getApproximation() == GeluApproximation::Exact)
    return evaluateUnary(in[0],
                         [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); });
  return evaluateUnary(in[0], [](double x) {
    double inner = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
    return 0.5 * x * (1.0 + std::tanh(inner));
  });
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(SoftmaxOp op, const OpInputs &in) {
  const Tensor &x = in[0];
  Tensor out(x.shape);
  forEachLine(x.shape, op.getNormalizedAxis(), [&](int64_t base, int64_t stride, int64_t length) {
    double lse = logSumExp(x, base, stride, length);
    for (int64_t i = 0; i < length; ++i)
      out[base + i * stride] = std::exp(x[base + i * stride] - lse);
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(LayerNormOp op, const OpInputs &in) {
  const Tensor &x = in[0], &scale = in[1], &bias = in[2];
  int64_t axis = op.getNormalizedAxis();
  ArrayRef<int64_t> rowShape = ArrayRef<int64_t>(x.shape).take_front(axis);
  int64_t rows = countElements(rowShape), width = scale.numElements();
  double epsilon = op.getEpsilon().convertToDouble();
  Tensor y(x.shape), mean(rowShape), rstd(rowShape);
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * width;
    double sum = 0.0, squares = 0.0;
    for (int64_t j = 0; j < width; ++j)
      sum += row[j];
    mean[r] = sum / width;
    for (int64_t j = 0; j < width; ++j)
      squares += (row[j] - mean[r]) * (row[j] - mean[r]);
    rstd[r] = 1.0 / std::sqrt(squares / width + epsilon);
    for (int64_t j = 0; j < width; ++j)
      y[r * width + j] = (row[j] - mean[r]) * rstd[r] * scale[j] + bias[j];
  }
  SmallVector<Tensor> results;
  results.push_back(std::move(y));
  if (op.getWithStats()) {
    results.push_back(std::move(mean));
    results.push_back(std::move(rstd));
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Sums `input` over `axes` into a tensor of `resultShape` (with or without kept dims: the
/// element order is the same), dividing by the reduced count when `mean`.
static Tensor reduceOver(const Tensor &input, ArrayRef<int64_t> axes, ArrayRef<int64_t> resultShape,
                         bool mean) {
  SmallVector<int64_t> keptShape(input.shape.begin(), input.shape.end());
  int64_t reducedCount = 1;
  for (int64_t axis : axes) {
    reducedCount *= keptShape[axis];
    keptShape[axis] = 1;
  }
  auto outStrides = broadcastStrides(keptShape, input.shape);
  Tensor out(resultShape);
  forEachIndex(input.shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    out[dotOffset(index, outStrides)] += input[linear];
  });
  if (mean)
    for (double &value : out.data)
      value /= static_cast<double>(reducedCount);
  return out;
}

OpResults mlir::tide::interp::evaluate(ReduceSumOp op, const OpInputs &in) {
  return singleResult(reduceOver(in[0], op.getNormalizedAxes(), shapeOf(op.getResult()), false));
}
OpResults mlir::tide::interp::evaluate(ReduceMeanOp op, const OpInputs &in) {
  return singleResult(reduceOver(in[0], op.getNormalizedAxes(), shapeOf(op.getResult()), true));
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(TransposeOp op, const OpInputs &in) {
  const Tensor &input = in[0];
  auto inputStrides = rowMajorStrides(input.shape);
  // result[index] = input[index'] with index'[permutation[i]] = index[i].
  SmallVector<int64_t> strides;
  for (int64_t dim : op.getPermutation())
    strides.push_back(inputStrides[dim]);
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  Tensor out(shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    out[linear] = input[dotOffset(index, strides)];
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(ReshapeOp op, const OpInputs &in) {
  return singleResult(Tensor(shapeOf(op.getResult()), in[0].data));
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
mlir::tide::interp::attentionKeyLengths(Operation *op, const OpInputs &in, unsigned operand,
                                        int64_t batch, int64_t seqK) {
  SmallVector<int64_t> lengths(batch, seqK);
  if (op->getNumOperands() <= operand)
    return lengths;
  const Tensor &given = in[operand];
  for (int64_t b = 0; b < batch; ++b) {
    double length = given[b];
    if (!(length >= 0.0 && length <= static_cast<double>(seqK)))
      return op->emitError("key_lengths[") << b << "] = " << length << " is outside [0, " << seqK
                                           << "] (the key sequence length)";
    lengths[b] = static_cast<int64_t>(length);
  }
  return lengths;
}

OpResults mlir::tide::interp::evaluate(AttentionOp op, const OpInputs &in) {
  const Tensor &query = in[0], &key = in[1], &value = in[2];
  int64_t batch = query.shape[0], heads = query.shape[1], kvHeads = key.shape[1];
  int64_t pairs = batch * heads, group = heads / kvHeads;
  int64_t seqQ = query.shape[2], seqK = key.shape[2], headDim = query.shape[3];
  double scale = op.getScale().convertToDouble();
  auto keyLengths = attentionKeyLengths(op, in, /*operand=*/3, batch, seqK);
  if (failed(keyLengths))
    return failure();
  Tensor out(query.shape);
  Tensor lse(ArrayRef<int64_t>(query.shape).take_front(3));
  std::vector<double> scores(seqK);
  for (int64_t bh = 0; bh < pairs; ++bh)
    for (int64_t i = 0; i < seqQ; ++i) {
      int64_t queryRow = bh * seqQ + i;
      // Query head h of batch b reads kv head h / group of the same batch item.
      int64_t b = bh / heads, kvPair = b * kvHeads + (bh % heads) / group;
      double maximum = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < seqK; ++j) {
        bool visible =
            j < (*keyLengths)[b] && (!op.getCausal() || causallyVisible(i, j, seqQ, seqK));
        scores[j] = visible
                        ? attentionScore(query, key, queryRow, kvPair * seqK + j, headDim, scale)
                        : -std::numeric_limits<double>::infinity();
        maximum = std::max(maximum, scores[j]);
      }
      // A fully masked row: output 0 and lse -inf (no key contributes).
      if (maximum == -std::numeric_limits<double>::infinity()) {
        lse[queryRow] = maximum;
        continue;
      }
      double sum = 0.0;
      for (int64_t j = 0; j < seqK; ++j)
        sum += std::exp(scores[j] - maximum);
      lse[queryRow] = maximum + std::log(sum);
      for (int64_t j = 0; j < seqK; ++j) {
        double probability = std::exp(scores[j] - lse[queryRow]);
        for (int64_t d = 0; d < headDim; ++d)
          out[queryRow * headDim + d] += probability * value[(kvPair * seqK + j) * headDim + d];
      }
    }
  SmallVector<Tensor> results;
  results.push_back(std::move(out));
  if (op.getWithLse())
    results.push_back(std::move(lse));
  return results;
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(MseLossOp, const OpInputs &in) {
  const Tensor &prediction = in[0], &target = in[1];
  double sum = 0.0;
  for (int64_t i = 0; i < prediction.numElements(); ++i)
    sum += (prediction[i] - target[i]) * (prediction[i] - target[i]);
  return singleResult(Tensor::scalar(sum / prediction.numElements()));
}

OpResults mlir::tide::interp::evaluate(SoftmaxCrossEntropyOp op, const OpInputs &in) {
  const Tensor &logits = in[0], &labels = in[1];
  int64_t classes = logits.shape.back(), rows = labels.numElements();
  double sum = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    FailureOr<int64_t> label = readLabel(op, labels, r, classes);
    if (failed(label))
      return failure();
    sum += logSumExp(logits, r * classes, 1, classes) - logits[r * classes + *label];
  }
  return singleResult(Tensor::scalar(sum / rows));
}
