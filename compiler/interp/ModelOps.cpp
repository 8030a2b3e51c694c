//===- ModelOps.cpp - Semantics of the transformer-building tide ops ------===//
//
// Plain double loops for the ops of TideModelOps.cpp and the extra elementwise ops: each a
// literal reading of the op's description in the ODS, written from the math and independent of
// the runtime's kernels. The one thing shared with the runtime is the definition of dropout's
// random stream: Philox4x32-10 from runtime/kernels/dropout.h (a header-only constexpr function),
// so the interpreter reproduces the runtime's masks bit for bit.
//
//===----------------------------------------------------------------------===//

#include "compiler/interp/OpSemantics.h"

#include "runtime/kernels/dropout.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::interp;

namespace {

template <typename Fn> OpResults mapElements(const Tensor &input, Fn fn) {
  Tensor out(input.shape);
  for (int64_t i = 0; i < input.numElements(); ++i)
    out[i] = fn(input[i]);
  return singleResult(std::move(out));
}

/// result[i] = grad[i] * derivative(input[i]).
template <typename Fn> OpResults mapDerivative(const OpInputs &in, Fn derivative) {
  const Tensor &input = in[0], &grad = in[1];
  Tensor out(input.shape);
  for (int64_t i = 0; i < input.numElements(); ++i)
    out[i] = grad[i] * derivative(input[i]);
  return singleResult(std::move(out));
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// min / max with NaN propagation: a NaN operand wins.
double minimum(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); }
double maximum(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); }

/// Reads element `position` of an i32 id / label tensor as an integer.
int64_t readIndex(const Tensor &indices, int64_t position) {
  return static_cast<int64_t>(indices[position]);
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(MinimumOp op, const OpInputs &in) {
  return evaluateBinary(op.getResult(), in, minimum);
}
OpResults mlir::tide::interp::evaluate(MaximumOp op, const OpInputs &in) {
  return evaluateBinary(op.getResult(), in, maximum);
}

OpResults mlir::tide::interp::evaluate(NegOp, const OpInputs &in) {
  return mapElements(in[0], [](double x) { return -x; });
}
OpResults mlir::tide::interp::evaluate(AbsOp, const OpInputs &in) {
  return mapElements(in[0], [](double x) { return std::fabs(x); });
}
OpResults mlir::tide::interp::evaluate(SqrtOp, const OpInputs &in) {
  return mapElements(in[0], [](double x) { return std::sqrt(x); });
}
OpResults mlir::tide::interp::evaluate(RsqrtOp, const OpInputs &in) {
  return mapElements(in[0], [](double x) { return 1.0 / std::sqrt(x); });
}
OpResults mlir::tide::interp::evaluate(LogOp, const OpInputs &in) {
  return mapElements(in[0], [](double x) { return std::log(x); });
}
OpResults mlir::tide::interp::evaluate(SigmoidOp, const OpInputs &in) {
  return mapElements(in[0], sigmoid);
}
OpResults mlir::tide::interp::evaluate(SiluOp, const OpInputs &in) {
  return mapElements(in[0], [](double x) { return x * sigmoid(x); });
}
OpResults mlir::tide::interp::evaluate(ErfOp, const OpInputs &in) {
  return mapElements(in[0], [](double x) { return std::erf(x); });
}
OpResults mlir::tide::interp::evaluate(PowOp op, const OpInputs &in) {
  double exponent = op.getExponent().convertToDouble();
  return mapElements(in[0], [&](double x) { return std::pow(x, exponent); });
}
OpResults mlir::tide::interp::evaluate(ClampOp op, const OpInputs &in) {
  double low = op.getMin().convertToDouble(), high = op.getMax().convertToDouble();
  return mapElements(
      in[0], [&](double x) { return std::isnan(x) ? x : std::min(std::max(x, low), high); });
}

//===----------------------------------------------------------------------===//
// Elementwise gradients
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(AbsGradOp, const OpInputs &in) {
  return mapDerivative(in, [](double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); });
}
OpResults mlir::tide::interp::evaluate(SqrtGradOp, const OpInputs &in) {
  return mapDerivative(in, [](double x) { return 0.5 / std::sqrt(x); });
}
OpResults mlir::tide::interp::evaluate(RsqrtGradOp, const OpInputs &in) {
  return mapDerivative(in, [](double x) { return -0.5 / (x * std::sqrt(x)); });
}
OpResults mlir::tide::interp::evaluate(LogGradOp, const OpInputs &in) {
  return mapDerivative(in, [](double x) { return 1.0 / x; });
}
OpResults mlir::tide::interp::evaluate(SigmoidGradOp, const OpInputs &in) {
  return mapDerivative(in, [](double x) { return sigmoid(x) * (1.0 - sigmoid(x)); });
}
OpResults mlir::tide::interp::evaluate(SiluGradOp, const OpInputs &in) {
  return mapDerivative(in, [](double x) {
    double s = sigmoid(x);
    return s * (1.0 + x * (1.0 - s));
  });
}
OpResults mlir::tide::interp::evaluate(ErfGradOp, const OpInputs &in) {
  return mapDerivative(in, [](double x) { return 2.0 / std::sqrt(M_PI) * std::exp(-x * x); });
}
OpResults mlir::tide::interp::evaluate(PowGradOp op, const OpInputs &in) {
  double a = op.getExponent().convertToDouble();
  return mapDerivative(in, [&](double x) { return a == 0.0 ? 0.0 : a * std::pow(x, a - 1.0); });
}
OpResults mlir::tide::interp::evaluate(ClampGradOp op, const OpInputs &in) {
  double low = op.getMin().convertToDouble(), high = op.getMax().convertToDouble();
  return mapDerivative(in, [&](double x) { return x >= low && x <= high ? 1.0 : 0.0; });
}

/// d(operand) of min / max: dy where the operand wins, dy / 2 on a tie, summed to its shape.
static OpResults evaluateMinMaxGrad(Operation *op, const OpInputs &in, int64_t operand,
                                    bool isMax) {
  const Tensor &lhs = in[0], &rhs = in[1], &grad = in[2];
  ArrayRef<int64_t> shape = grad.shape;
  auto lhsStrides = broadcastStrides(lhs.shape, shape);
  auto rhsStrides = broadcastStrides(rhs.shape, shape);
  Tensor out(operand == 0 ? lhs.shape : rhs.shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t lhsAt = dotOffset(index, lhsStrides), rhsAt = dotOffset(index, rhsStrides);
    double mine = operand == 0 ? lhs[lhsAt] : rhs[rhsAt];
    double other = operand == 0 ? rhs[rhsAt] : lhs[lhsAt];
    bool wins = isMax ? mine > other : mine < other;
    double share = wins ? 1.0 : (mine == other ? 0.5 : 0.0);
    out[operand == 0 ? lhsAt : rhsAt] += share * grad[linear];
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(MinimumGradOp op, const OpInputs &in) {
  return evaluateMinMaxGrad(op, in, op.getOperandAttr().getInt(), /*isMax=*/false);
}
OpResults mlir::tide::interp::evaluate(MaximumGradOp op, const OpInputs &in) {
  return evaluateMinMaxGrad(op, in, op.getOperandAttr().getInt(), /*isMax=*/true);
}

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(RmsNormOp op, const OpInputs &in) {
  const Tensor &x = in[0], &scale = in[1];
  ArrayRef<int64_t> rowShape = ArrayRef<int64_t>(x.shape).take_front(op.getNormalizedAxis());
  int64_t rows = countElements(rowShape), width = scale.numElements();
  double epsilon = op.getEpsilon().convertToDouble();
  Tensor y(x.shape), rstd(rowShape);
  for (int64_t r = 0; r < rows; ++r) {
    double squares = 0.0;
    for (int64_t j = 0; j < width; ++j)
      squares += x[r * width + j] * x[r * width + j];
    rstd[r] = 1.0 / std::sqrt(squares / width + epsilon);
    for (int64_t j = 0; j < width; ++j)
      y[r * width + j] = x[r * width + j] * rstd[r] * scale[j];
  }
  SmallVector<Tensor> results;
  results.push_back(std::move(y));
  if (op.getWithRstd())
    results.push_back(std::move(rstd));
  return results;
}

OpResults mlir::tide::interp::evaluate(RmsNormGradOp, const OpInputs &in) {
  const Tensor &x = in[0], &scale = in[1], &rstd = in[2], &grad = in[3];
  int64_t rows = rstd.numElements(), width = scale.numElements();
  Tensor dInput(x.shape), dScale(scale.shape);
  for (int64_t r = 0; r < rows; ++r) {
    double meanGXhat = 0.0;
    for (int64_t j = 0; j < width; ++j) {
      int64_t at = r * width + j;
      double xhat = x[at] * rstd[r];
      meanGXhat += grad[at] * scale[j] * xhat / width;
      dScale[j] += grad[at] * xhat;
    }
    for (int64_t j = 0; j < width; ++j) {
      int64_t at = r * width + j;
      dInput[at] = rstd[r] * (grad[at] * scale[j] - x[at] * rstd[r] * meanGXhat);
    }
  }
  SmallVector<Tensor> results;
  results.push_back(std::move(dInput));
  results.push_back(std::move(dScale));
  return results;
}

//===----------------------------------------------------------------------===//
// Slices, concatenation, padding
//===----------------------------------------------------------------------===//

/// Copies all of `source` into `target` at `offset` (per dimension).
static void copyInto(const Tensor &source, Tensor &target, ArrayRef<int64_t> offset) {
  auto targetStrides = rowMajorStrides(target.shape);
  forEachIndex(source.shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t at = 0;
    for (size_t d = 0; d < index.size(); ++d)
      at += (index[d] + offset[d]) * targetStrides[d];
    target[at] = source[linear];
  });
}

OpResults mlir::tide::interp::evaluate(SliceOp op, const OpInputs &in) {
  const Tensor &input = in[0];
  auto strides = rowMajorStrides(input.shape);
  ArrayRef<int64_t> start = op.getStart();
  Tensor out(op.getSizes());
  forEachIndex(out.shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    int64_t at = 0;
    for (size_t d = 0; d < index.size(); ++d)
      at += (index[d] + start[d]) * strides[d];
    out[linear] = input[at];
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(ConcatOp op, const OpInputs &in) {
  Tensor out(shapeOf(op.getResult()));
  int64_t axis = op.getNormalizedAxis();
  SmallVector<int64_t> offset(out.shape.size(), 0);
  for (unsigned i = 0; i < in.operands.size(); ++i) {
    copyInto(in[i], out, offset);
    offset[axis] += in[i].shape[axis];
  }
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(PadOp op, const OpInputs &in) {
  Tensor out(shapeOf(op.getResult()), op.getValue().convertToDouble());
  copyInto(in[0], out, op.getLow());
  return singleResult(std::move(out));
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

/// Checks every id against the table's rows; the first bad one is reported.
static LogicalResult checkIds(Operation *op, const Tensor &ids, int64_t rows) {
  for (int64_t i = 0; i < ids.numElements(); ++i) {
    int64_t id = readIndex(ids, i);
    if (id < 0 || id >= rows)
      return op->emitError("id ") << id << " at position " << i
                                  << " of the ids is out of range [0, " << rows
                                  << ") (the table has " << rows << " rows)";
  }
  return success();
}

OpResults mlir::tide::interp::evaluate(GatherOp op, const OpInputs &in) {
  const Tensor &table = in[0], &ids = in[1];
  int64_t rows = table.shape[0], dim = table.shape[1];
  if (failed(checkIds(op, ids, rows)))
    return failure();
  Tensor out(shapeOf(op.getResult()));
  for (int64_t i = 0; i < ids.numElements(); ++i)
    for (int64_t j = 0; j < dim; ++j)
      out[i * dim + j] = table[readIndex(ids, i) * dim + j];
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(GatherGradOp op, const OpInputs &in) {
  const Tensor &ids = in[0], &grad = in[1];
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  if (failed(checkIds(op, ids, shape[0])))
    return failure();
  Tensor out(shape);
  int64_t dim = shape[1];
  for (int64_t i = 0; i < ids.numElements(); ++i)
    for (int64_t j = 0; j < dim; ++j)
      out[readIndex(ids, i) * dim + j] += grad[i * dim + j];
  return singleResult(std::move(out));
}

//===----------------------------------------------------------------------===//
// Rope
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(RopeOp op, const OpInputs &in) {
  const Tensor &x = in[0];
  ArrayRef<int64_t> shape = x.shape;
  int64_t positionAxis = op.getLayout() == RopeLayout::BTHD ? 1 : 2;
  int64_t headDim = shape[3], rotDim = op.getRotDimAttr().getInt(), half = rotDim / 2;
  double base = op.getBase().convertToDouble(), sign = op.getInverse() ? -1.0 : 1.0;
  int64_t offset = op.getOffsetAttr().getInt();
  Tensor y(shape);
  int64_t vectors = x.numElements() / headDim;
  auto strides = rowMajorStrides(shape);
  for (int64_t v = 0; v < vectors; ++v) {
    int64_t row = v * headDim;
    // The sequence index of this head vector.
    int64_t t = (row / strides[positionAxis]) % shape[positionAxis];
    double position = static_cast<double>(offset + t);
    for (int64_t i = 0; i < half; ++i) {
      double angle = position * std::pow(base, -2.0 * static_cast<double>(i) / rotDim);
      double c = std::cos(angle), s = sign * std::sin(angle);
      double a = x[row + i], b = x[row + i + half];
      y[row + i] = a * c - b * s;
      y[row + i + half] = a * s + b * c;
    }
    for (int64_t j = rotDim; j < headDim; ++j)
      y[row + j] = x[row + j];
  }
  return singleResult(std::move(y));
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

/// Dropout of `input` by the stream (seed, step, site), p rounded to f32: the mask is the
/// runtime's, bit for bit (the same Philox words, the same 24-bit uniform, the same compare).
static OpResults applyDropout(Operation *op, const Tensor &input, double p, int64_t site,
                              const InterpreterOptions &options) {
  if (options.step < 1 || options.step > std::numeric_limits<uint32_t>::max())
    return op->emitError("dropout needs a training step in [1, 2^32 - 1], got ") << options.step;
  tidemark::kernels::DropoutStream stream{options.dropoutSeed, static_cast<uint32_t>(options.step),
                                          static_cast<uint32_t>(site)};
  float p32 = static_cast<float>(p);
  double scale = 1.0 / (1.0 - static_cast<double>(p32));
  Tensor out(input.shape);
  for (int64_t i = 0; i < input.numElements(); ++i) {
    float uniform = tidemark::kernels::DropoutUniform(tidemark::kernels::DropoutDraw(stream, i));
    out[i] = uniform >= p32 ? input[i] * scale : 0.0;
  }
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(DropoutOp op, const OpInputs &in) {
  return applyDropout(op, in[0], op.getP().convertToDouble(), op.getSiteAttr().getInt(),
                      in.options);
}

OpResults mlir::tide::interp::evaluate(DropoutGradOp op, const OpInputs &in) {
  return applyDropout(op, in[0], op.getP().convertToDouble(), op.getSiteAttr().getInt(),
                      in.options);
}

//===----------------------------------------------------------------------===//
// Fused LM head loss
//===----------------------------------------------------------------------===//

namespace {

/// The logits of one row: hidden[r] . weight[c] (+ bias[c]).
void rowLogits(const Tensor &hidden, const Tensor &weight, const Tensor *bias, int64_t r,
               std::vector<double> &logits) {
  int64_t vocab = weight.shape[0], dim = weight.shape[1];
  for (int64_t c = 0; c < vocab; ++c) {
    double z = bias ? (*bias)[c] : 0.0;
    for (int64_t k = 0; k < dim; ++k)
      z += hidden[r * dim + k] * weight[c * dim + k];
    logits[c] = z;
  }
}

double lineLogSumExp(ArrayRef<double> logits) {
  double maximum = -std::numeric_limits<double>::infinity();
  for (double z : logits)
    maximum = std::max(maximum, z);
  double sum = 0.0;
  for (double z : logits)
    sum += std::exp(z - maximum);
  return maximum + std::log(sum);
}

/// Checks the labels: each is the ignore index or in [0, vocab). Returns the valid row count.
FailureOr<int64_t> countValidRows(Operation *op, const Tensor &labels, int64_t vocab,
                                  int64_t ignoreIndex) {
  int64_t valid = 0;
  for (int64_t r = 0; r < labels.numElements(); ++r) {
    int64_t label = readIndex(labels, r);
    if (label == ignoreIndex)
      continue;
    if (label < 0 || label >= vocab)
      return op->emitError("label ") << label << " at row " << r << " is out of range [0, " << vocab
                                     << ") and is not the ignore_index " << ignoreIndex;
    ++valid;
  }
  return valid;
}

} // namespace

OpResults mlir::tide::interp::evaluate(LmHeadLossOp op, const OpInputs &in) {
  const Tensor &hidden = in[0], &weight = in[1], &labels = in[2];
  const Tensor *bias = op.getBias() ? &in[3] : nullptr;
  int64_t rows = hidden.shape[0], vocab = weight.shape[0];
  FailureOr<int64_t> valid = countValidRows(op, labels, vocab, op.getIgnoreIndexAttr().getInt());
  if (failed(valid))
    return failure();
  std::vector<double> logits(vocab);
  Tensor lse(ArrayRef<int64_t>{rows});
  double sum = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    rowLogits(hidden, weight, bias, r, logits);
    lse[r] = lineLogSumExp(logits);
    int64_t label = readIndex(labels, r);
    if (label != op.getIgnoreIndexAttr().getInt())
      sum += lse[r] - logits[label];
  }
  SmallVector<Tensor> results;
  // No valid row: 0 / 0 = NaN, as PyTorch's mean reduction.
  results.push_back(Tensor::scalar(*valid ? sum / *valid : std::nan("")));
  if (op.getWithLse())
    results.push_back(std::move(lse));
  return results;
}

OpResults mlir::tide::interp::evaluate(LmHeadLossGradOp op, const OpInputs &in) {
  const Tensor &hidden = in[0], &weight = in[1], &labels = in[2], &lse = in[3];
  const Tensor *bias = op.getBias() ? &in[5] : nullptr;
  int64_t rows = hidden.shape[0], dim = hidden.shape[1], vocab = weight.shape[0];
  FailureOr<int64_t> valid = countValidRows(op, labels, vocab, op.getIgnoreIndexAttr().getInt());
  if (failed(valid))
    return failure();
  double factor = *valid ? in[4][0] / *valid : 0.0;
  Tensor dHidden(hidden.shape), dWeight(weight.shape), dBias(ArrayRef<int64_t>{vocab});
  std::vector<double> logits(vocab);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t label = readIndex(labels, r);
    if (label == op.getIgnoreIndexAttr().getInt())
      continue;
    rowLogits(hidden, weight, bias, r, logits);
    for (int64_t c = 0; c < vocab; ++c) {
      double g = (std::exp(logits[c] - lse[r]) - (c == label ? 1.0 : 0.0)) * factor;
      for (int64_t k = 0; k < dim; ++k) {
        dHidden[r * dim + k] += g * weight[c * dim + k];
        dWeight[c * dim + k] += g * hidden[r * dim + k];
      }
      dBias[c] += g;
    }
  }
  SmallVector<Tensor> results;
  results.push_back(std::move(dHidden));
  results.push_back(std::move(dWeight));
  if (bias)
    results.push_back(std::move(dBias));
  return results;
}
