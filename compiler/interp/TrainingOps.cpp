//===- TrainingOps.cpp - Semantics of the gradient and optimizer tide ops -===//
//
// The ops of TideTrainingOps.td: activation, normalization, attention and loss gradients, the
// broadcasting helpers, constants, and the SGD / Adam updates (PyTorch conventions).
//
//===----------------------------------------------------------------------===//

#include "compiler/interp/OpSemantics.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::interp;

/// result[i] = grad[i] * derivative(input[i]).
template <typename Fn> static OpResults scaleByDerivative(const OpInputs &in, Fn derivative) {
  const Tensor &input = in[0], &grad = in[1];
  Tensor out(input.shape);
  for (int64_t i = 0; i < input.numElements(); ++i)
    out[i] = grad[i] * derivative(input[i]);
  return singleResult(std::move(out));
}

//===----------------------------------------------------------------------===//
// Activation gradients
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(ReluGradOp, const OpInputs &in) {
  return scaleByDerivative(in, [](double x) { return x > 0.0 ? 1.0 : 0.0; });
}

OpResults mlir::tide::interp::evaluate(TanhGradOp, const OpInputs &in) {
  return scaleByDerivative(in, [](double x) { return 1.0 - std::tanh(x) * std::tanh(x); });
}

/// d/dx of 0.5 x (1 + erf(x / sqrt 2)) = Phi(x) + x phi(x).
static double exactGeluDerivative(double x) {
  double cdf = 0.5 * (1.0 + std::erf(x / std::sqrt(2.0)));
  double density = std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
  return cdf + x * density;
}

/// d/dx of 0.5 x (1 + tanh(u)), u = c (x + a x^3):
/// 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) c (1 + 3 a x^2).
static double tanhGeluDerivative(double x) {
  const double c = std::sqrt(2.0 / M_PI), a = 0.044715;
  double t = std::tanh(c * (x + a * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * a * x * x);
}

OpResults mlir::tide::interp::evaluate(GeluGradOp op, const OpInputs &in) {
  if (op.getApproximation() == GeluApproximation::Exact)
    return scaleByDerivative(in, exactGeluDerivative);
  return scaleByDerivative(in, tanhGeluDerivative);
}

//===----------------------------------------------------------------------===//
// Normalization gradients
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(SoftmaxGradOp op, const OpInputs &in) {
  const Tensor &y = in[0], &grad = in[1];
  Tensor out(y.shape);
  int64_t axis = normalizeAxis(op.getAxis(), y.rank());
  forEachLine(y.shape, axis, [&](int64_t base, int64_t stride, int64_t length) {
    double dot = 0.0;
    for (int64_t i = 0; i < length; ++i)
      dot += grad[base + i * stride] * y[base + i * stride];
    for (int64_t i = 0; i < length; ++i)
      out[base + i * stride] = y[base + i * stride] * (grad[base + i * stride] - dot);
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(LayerNormGradOp, const OpInputs &in) {
  const Tensor &x = in[0], &scale = in[1], &mean = in[2], &rstd = in[3], &grad = in[4];
  int64_t rows = mean.numElements(), width = scale.numElements();
  Tensor dInput(x.shape), dScale(scale.shape), dBias(scale.shape);
  std::vector<double> xhat(width), g(width);
  for (int64_t r = 0; r < rows; ++r) {
    double meanG = 0.0, meanGXhat = 0.0;
    for (int64_t j = 0; j < width; ++j) {
      int64_t at = r * width + j;
      xhat[j] = (x[at] - mean[r]) * rstd[r];
      g[j] = grad[at] * scale[j];
      meanG += g[j] / width;
      meanGXhat += g[j] * xhat[j] / width;
      dScale[j] += grad[at] * xhat[j];
      dBias[j] += grad[at];
    }
    for (int64_t j = 0; j < width; ++j)
      dInput[r * width + j] = rstd[r] * (g[j] - meanG - xhat[j] * meanGXhat);
  }
  SmallVector<Tensor> results;
  results.push_back(std::move(dInput));
  results.push_back(std::move(dScale));
  results.push_back(std::move(dBias));
  return results;
}

//===----------------------------------------------------------------------===//
// Attention gradient
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(AttentionGradOp op, const OpInputs &in) {
  const Tensor &query = in[0], &key = in[1], &value = in[2], &output = in[3], &lse = in[4],
               &grad = in[5];
  int64_t batch = query.shape[0], heads = query.shape[1], kvHeads = key.shape[1];
  int64_t pairs = batch * heads, group = heads / kvHeads;
  int64_t seqQ = query.shape[2], seqK = key.shape[2], headDim = query.shape[3];
  double scale = op.getScale().convertToDouble();
  auto keyLengths = attentionKeyLengths(op, in, /*operand=*/6, batch, seqK);
  if (failed(keyLengths))
    return failure();
  // dK, dV of a kv head sum the contributions of its group's query heads (in head order).
  Tensor dQuery(query.shape), dKey(key.shape), dValue(value.shape);
  for (int64_t bh = 0; bh < pairs; ++bh)
    for (int64_t i = 0; i < seqQ; ++i) {
      int64_t queryRow = bh * seqQ + i;
      int64_t b = bh / heads, kvPair = b * kvHeads + (bh % heads) / group;
      // A fully masked row has no probabilities and contributes nothing.
      if (lse[queryRow] == -std::numeric_limits<double>::infinity())
        continue;
      // D_i = dO_i . O_i, the row's sum of p * dp.
      double rowDot = 0.0;
      for (int64_t d = 0; d < headDim; ++d)
        rowDot += grad[queryRow * headDim + d] * output[queryRow * headDim + d];
      for (int64_t j = 0; j < (*keyLengths)[b]; ++j) {
        if (op.getCausal() && !causallyVisible(i, j, seqQ, seqK))
          continue;
        int64_t keyRow = kvPair * seqK + j;
        double p =
            std::exp(attentionScore(query, key, queryRow, keyRow, headDim, scale) - lse[queryRow]);
        double dp = 0.0;
        for (int64_t d = 0; d < headDim; ++d)
          dp += grad[queryRow * headDim + d] * value[keyRow * headDim + d];
        double dScore = p * (dp - rowDot) * scale;
        for (int64_t d = 0; d < headDim; ++d) {
          dValue[keyRow * headDim + d] += p * grad[queryRow * headDim + d];
          dQuery[queryRow * headDim + d] += dScore * key[keyRow * headDim + d];
          dKey[keyRow * headDim + d] += dScore * query[queryRow * headDim + d];
        }
      }
    }
  SmallVector<Tensor> results;
  results.push_back(std::move(dQuery));
  results.push_back(std::move(dKey));
  results.push_back(std::move(dValue));
  return results;
}

//===----------------------------------------------------------------------===//
// Loss gradients
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(MseLossGradOp, const OpInputs &in) {
  const Tensor &prediction = in[0], &target = in[1];
  double factor = in[2][0] * 2.0 / prediction.numElements();
  Tensor out(prediction.shape);
  for (int64_t i = 0; i < prediction.numElements(); ++i)
    out[i] = factor * (prediction[i] - target[i]);
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(SoftmaxCrossEntropyGradOp op, const OpInputs &in) {
  const Tensor &logits = in[0], &labels = in[1];
  int64_t classes = logits.shape.back(), rows = labels.numElements();
  double factor = in[2][0] / rows;
  Tensor out(logits.shape);
  for (int64_t r = 0; r < rows; ++r) {
    FailureOr<int64_t> label = readLabel(op, labels, r, classes);
    if (failed(label))
      return failure();
    double lse = logSumExp(logits, r * classes, 1, classes);
    for (int64_t c = 0; c < classes; ++c) {
      double oneHot = c == *label ? 1.0 : 0.0;
      out[r * classes + c] = factor * (std::exp(logits[r * classes + c] - lse) - oneHot);
    }
  }
  return singleResult(std::move(out));
}

//===----------------------------------------------------------------------===//
// Broadcasting helpers and constants
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(ReduceToShapeOp op, const OpInputs &in) {
  const Tensor &input = in[0];
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  // Every input element adds into the result element it was broadcast from.
  auto strides = broadcastStrides(shape, input.shape);
  Tensor out(shape);
  forEachIndex(input.shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    out[dotOffset(index, strides)] += input[linear];
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(BroadcastOp op, const OpInputs &in) {
  const Tensor &input = in[0];
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  auto strides = broadcastStrides(input.shape, shape);
  Tensor out(shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    out[linear] = input[dotOffset(index, strides)];
  });
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(ScaleOp op, const OpInputs &in) {
  double factor = op.getFactor().convertToDouble();
  Tensor out(in[0].shape);
  for (int64_t i = 0; i < out.numElements(); ++i)
    out[i] = factor * in[0][i];
  return singleResult(std::move(out));
}

OpResults mlir::tide::interp::evaluate(FillOp op, const OpInputs &) {
  return singleResult(Tensor(shapeOf(op.getResult()), op.getValue().convertToDouble()));
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

/// The learning rate of update `step` (1-based) under the op's optional warm-up + cosine schedule
/// (the formula of tide.sgd_update's description; t = step - 1 updates already applied).
template <typename UpdateOp> static double scheduledLearningRate(UpdateOp op, int64_t step) {
  double lr = op.getLearningRate().convertToDouble();
  if (!op.getWarmupStepsAttr() || !op.getTotalStepsAttr() || !op.getMinLrAttr())
    return lr;
  int64_t t = step - 1, warmup = op.getWarmupStepsAttr().getInt();
  int64_t total = op.getTotalStepsAttr().getInt();
  double minLr = op.getMinLrAttr().getValueAsDouble();
  if (t < warmup)
    return lr * static_cast<double>(t + 1) / static_cast<double>(warmup);
  if (t >= total)
    return minLr;
  double progress = static_cast<double>(t - warmup) / static_cast<double>(total - warmup);
  return minLr + (lr - minLr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

OpResults mlir::tide::interp::evaluate(SgdUpdateOp op, const OpInputs &in) {
  const Tensor &param = in[0], &grad = in[1];
  if (in.options.step < 1)
    return op.emitError("the update step must be >= 1 (1-based), got ") << in.options.step;
  double lr = scheduledLearningRate(op, in.options.step);
  double momentum = op.getMomentum().convertToDouble();
  double weightDecay = op.getWeightDecay().convertToDouble();
  bool hasVelocity = static_cast<bool>(op.getVelocity());
  Tensor newParam(param.shape), newVelocity(param.shape);
  for (int64_t i = 0; i < param.numElements(); ++i) {
    double g = grad[i] + weightDecay * param[i];
    if (hasVelocity) {
      newVelocity[i] = momentum * in[2][i] + g;
      g = newVelocity[i];
    }
    newParam[i] = param[i] - lr * g;
  }
  SmallVector<Tensor> results;
  results.push_back(std::move(newParam));
  if (hasVelocity)
    results.push_back(std::move(newVelocity));
  return results;
}

OpResults mlir::tide::interp::evaluate(AdamUpdateOp op, const OpInputs &in) {
  int64_t step = in.options.step;
  if (step < 1)
    return op.emitError("adam step must be >= 1 (1-based), got ") << step;
  const Tensor &param = in[0], &grad = in[1], &m = in[2], &v = in[3];
  double lr = scheduledLearningRate(op, step);
  double beta1 = op.getBeta1().convertToDouble(), beta2 = op.getBeta2().convertToDouble();
  double epsilon = op.getEpsilon().convertToDouble();
  double weightDecay = op.getWeightDecay().convertToDouble();
  double correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  double correction2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  Tensor newParam(param.shape), newM(param.shape), newV(param.shape);
  bool decoupled = op.getDecoupled(); // AdamW: p *= 1 - lr wd, the gradient left alone.
  for (int64_t i = 0; i < param.numElements(); ++i) {
    double p = decoupled ? param[i] * (1.0 - lr * weightDecay) : param[i];
    double g = decoupled ? grad[i] : grad[i] + weightDecay * param[i];
    newM[i] = beta1 * m[i] + (1.0 - beta1) * g;
    newV[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
    newParam[i] = p - lr * (newM[i] / correction1) / (std::sqrt(newV[i] / correction2) + epsilon);
  }
  SmallVector<Tensor> results;
  results.push_back(std::move(newParam));
  results.push_back(std::move(newM));
  results.push_back(std::move(newV));
  return results;
}

//===----------------------------------------------------------------------===//
// Gradient clipping
//===----------------------------------------------------------------------===//

OpResults mlir::tide::interp::evaluate(SumSquaresOp op, const OpInputs &in) {
  double sum = op.getAccumulator() ? in[1][0] : 0.0;
  for (double x : in[0].data)
    sum += x * x;
  return singleResult(Tensor::scalar(sum));
}

OpResults mlir::tide::interp::evaluate(ClipCoefficientOp op, const OpInputs &in) {
  double coefficient = op.getMaxNorm().convertToDouble() / (std::sqrt(in[0][0]) + 1e-6);
  return singleResult(
      Tensor::scalar(std::isnan(coefficient) ? coefficient : std::min(coefficient, 1.0)));
}
