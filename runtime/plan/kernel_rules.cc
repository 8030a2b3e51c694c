// CheckStepRules: what every kernel id accepts (arity, dtypes, shapes, attributes).
#include "runtime/plan/kernel_rules.h"

#include <cmath>
#include <string>

#include "runtime/kernels/attention.h"
#include "runtime/kernels/copy_box.h"
#include "runtime/kernels/elementwise.h"
#include "runtime/kernels/lm_head_loss.h"
#include "runtime/kernels/rope.h"
#include "runtime/kernels/where.h"

namespace tidemark {
namespace {

using kernels::Shape;

std::string shapeText(const Shape &shape) {
  std::string text = "[";
  for (int i = 0; i < shape.rank; ++i)
    text += (i ? "," : "") + std::to_string(shape.dims[i]);
  return text + "]";
}

// Expected arity and attribute kind of one kernel id.
struct Signature {
  int min_operands, max_operands, min_results, max_results;
  int attrs_index;     // Index of the expected alternative in StepAttributes (0: none).
  bool attrs_required; // False: a missing attribute table means "all defaults".
};

constexpr int kNoAttrs = 0, kMatMul = 1, kLayerNorm = 2, kReduce = 3, kTranspose = 4, kSgd = 5,
              kAdam = 6, kAttention = 7, kFill = 8, kBinaryGrad = 9, kSoftmax = 10, kUnary = 11,
              kSlice = 12, kPad = 13, kConcat = 14, kRope = 15, kDropout = 16, kLmHeadLoss = 17,
              kClip = 18;

Signature signatureOf(KernelId kernel) {
  switch (kernel) {
  case KernelId::kMatMul:
    return {2, 2, 1, 1, kMatMul, false};
  case KernelId::kAdd:
  case KernelId::kSub:
  case KernelId::kMul:
  case KernelId::kDiv:
    return {2, 2, 1, 1, kNoAttrs, false};
  case KernelId::kAddGrad:
  case KernelId::kSubGrad:
  case KernelId::kMulGrad:
  case KernelId::kDivGrad:
    return {3, 3, 1, 1, kBinaryGrad, true};
  case KernelId::kRelu:
  case KernelId::kTanh:
  case KernelId::kExp:
  case KernelId::kGeluTanh:
  case KernelId::kGeluErf:
  case KernelId::kReshape:
  case KernelId::kCopy:
  case KernelId::kReduceToShape:
    return {1, 1, 1, 1, kNoAttrs, false};
  case KernelId::kReluGrad:
  case KernelId::kTanhGrad:
  case KernelId::kExpGrad:
  case KernelId::kGeluTanhGrad:
  case KernelId::kGeluErfGrad:
    return {2, 2, 1, 1, kNoAttrs, false};
  case KernelId::kSoftmax:
    return {1, 1, 1, 1, kSoftmax, false};
  case KernelId::kSoftmaxGrad:
    return {2, 2, 1, 1, kSoftmax, false};
  case KernelId::kLayerNorm:
    return {3, 3, 3, 3, kLayerNorm, false};
  case KernelId::kLayerNormGrad:
    return {5, 5, 3, 3, kNoAttrs, false};
  case KernelId::kReduceSum:
  case KernelId::kReduceMean:
  case KernelId::kReduceSumGrad:
  case KernelId::kReduceMeanGrad:
    return {1, 1, 1, 1, kReduce, true};
  case KernelId::kTranspose:
    return {1, 1, 1, 1, kTranspose, true};
  case KernelId::kMseLoss:
  case KernelId::kSoftmaxCrossEntropy:
    return {2, 2, 1, 1, kNoAttrs, false};
  case KernelId::kMseLossGrad:
  case KernelId::kSoftmaxCrossEntropyGrad:
    return {3, 3, 1, 1, kNoAttrs, false};
  case KernelId::kSgdUpdate:
    return {2, 3, 1, 2, kSgd, true};
  case KernelId::kAdamUpdate:
    return {4, 4, 3, 3, kAdam, true};
  case KernelId::kAttention: // q, k, v[, key_lengths]
    return {3, 4, 2, 2, kAttention, false};
  case KernelId::kAttentionGrad: // q, k, v, out, lse, d_out[, key_lengths]
    return {6, 7, 3, 3, kAttention, false};
  case KernelId::kFill:
    return {0, 0, 1, 1, kFill, false};
  case KernelId::kNeg:
  case KernelId::kAbs:
  case KernelId::kSqrt:
  case KernelId::kRsqrt:
  case KernelId::kLog:
  case KernelId::kSigmoid:
  case KernelId::kSilu:
  case KernelId::kErf:
    return {1, 1, 1, 1, kNoAttrs, false};
  case KernelId::kAbsGrad:
  case KernelId::kSqrtGrad:
  case KernelId::kRsqrtGrad:
  case KernelId::kLogGrad:
  case KernelId::kSigmoidGrad:
  case KernelId::kSiluGrad:
  case KernelId::kErfGrad:
    return {2, 2, 1, 1, kNoAttrs, false};
  case KernelId::kPow:
  case KernelId::kClamp:
    return {1, 1, 1, 1, kUnary, true};
  case KernelId::kPowGrad:
  case KernelId::kClampGrad:
    return {2, 2, 1, 1, kUnary, true};
  case KernelId::kMin:
  case KernelId::kMax:
    return {2, 2, 1, 1, kNoAttrs, false};
  case KernelId::kMinGrad:
  case KernelId::kMaxGrad:
    return {3, 3, 1, 1, kBinaryGrad, true};
  case KernelId::kRmsNorm:
    return {2, 2, 1, 2, kLayerNorm, false};
  case KernelId::kRmsNormGrad:
    return {4, 4, 2, 2, kNoAttrs, false};
  case KernelId::kSlice:
    return {1, 1, 1, 1, kSlice, true};
  case KernelId::kPad:
    return {1, 1, 1, 1, kPad, true};
  case KernelId::kConcat:
    return {1, kMaxStepOperands, 1, 1, kConcat, true};
  case KernelId::kGather:
  case KernelId::kGatherGrad:
    return {2, 2, 1, 1, kNoAttrs, false};
  case KernelId::kRope:
    return {2, 2, 1, 1, kRope, true};
  case KernelId::kDropout:
    return {1, 1, 1, 1, kDropout, true};
  case KernelId::kLmHeadLoss:
    return {3, 4, 2, 2, kLmHeadLoss, true};
  case KernelId::kLmHeadLossGrad:
    return {5, 6, 2, 3, kLmHeadLoss, true};
  case KernelId::kSplit:
    return {1, 1, 1, kMaxStepResults, kConcat, true};
  case KernelId::kSumSquares: // x[, acc] -> acc + sum(x^2)
    return {1, 2, 1, 1, kNoAttrs, false};
  case KernelId::kClipCoefficient:
    return {1, 1, 1, 1, kClip, true};
  case KernelId::kWhere:
    return {3, 3, 1, 1, kNoAttrs, false};
  case KernelId::kReduceMax:
    return {1, 1, 1, 1, kReduce, true};
  case KernelId::kReduceMaxGrad:
    return {2, 2, 1, 1, kReduce, true};
  case KernelId::kCastF32ToI32:
  case KernelId::kCastI32ToF32:
    return {1, 1, 1, 1, kNoAttrs, false};
  }
  return {0, 0, 0, 0, kNoAttrs, false};
}

// One step under check, with helpers that name it in every message.
class StepCheck {
public:
  StepCheck(const LoadedPlan &plan, int step)
      : plan_(plan), id_(step), step_(plan.steps[static_cast<size_t>(step)]) {}

  const LoadedStep &step() const { return step_; }
  const LoadedTensor &operand(int i) const { return tensor(step_.operands[size_t(i)]); }
  const LoadedTensor &result(int i) const { return tensor(step_.results[size_t(i)]); }
  const Shape &in(int i) const { return operand(i).shape; }
  const Shape &out(int i) const { return result(i).shape; }
  int numOperands() const { return static_cast<int>(step_.operands.size()); }
  int numResults() const { return static_cast<int>(step_.results.size()); }

  Status fail(const std::string &message) const {
    return InvalidArgument(DescribeStep(plan_, id_) + ": " + message);
  }
  Status requireShape(const char *what, const Shape &actual, const Shape &expected) const {
    if (actual == expected)
      return Status::Ok();
    return fail(std::string(what) + " has shape " + shapeText(actual) + ", expected " +
                shapeText(expected));
  }
  Status requireSameShape(const char *what, const Shape &actual, const char *other,
                          const Shape &expected) const {
    if (actual == expected)
      return Status::Ok();
    return fail(std::string(what) + " shape " + shapeText(actual) + " differs from " + other +
                " shape " + shapeText(expected));
  }
  Status requireSameTensor(int result, int operand) const {
    if (step_.results[size_t(result)] == step_.operands[size_t(operand)])
      return Status::Ok();
    return fail("result " + std::to_string(result) + " must be operand " + std::to_string(operand) +
                " (updated in place)");
  }

private:
  const LoadedTensor &tensor(int id) const { return plan_.tensors[static_cast<size_t>(id)]; }
  const LoadedPlan &plan_;
  int id_;
  const LoadedStep &step_;
};

Status checkIdsAndArity(const LoadedPlan &plan, const StepCheck &c, const Signature &sig) {
  const LoadedStep &s = c.step();
  if (c.numOperands() < sig.min_operands || c.numOperands() > sig.max_operands ||
      c.numResults() < sig.min_results || c.numResults() > sig.max_results)
    return c.fail(
        "has " + std::to_string(c.numOperands()) + " operands and " +
        std::to_string(c.numResults()) + " results, expected " + std::to_string(sig.min_operands) +
        (sig.max_operands != sig.min_operands ? "-" + std::to_string(sig.max_operands) : "") +
        " operands and " + std::to_string(sig.min_results) +
        (sig.max_results != sig.min_results ? "-" + std::to_string(sig.max_results) : "") +
        " results");
  const int num_tensors = static_cast<int>(plan.tensors.size());
  for (const std::vector<int> *ids : {&s.operands, &s.results})
    for (int id : *ids)
      if (id < 0 || id >= num_tensors)
        return c.fail("names tensor " + std::to_string(id) + ", but the plan has " +
                      std::to_string(num_tensors) + " tensors");
  for (int i = 0; i < c.numResults(); ++i) {
    TensorLocation loc = c.result(i).location;
    if (loc == TensorLocation::kInput || loc == TensorLocation::kConstant)
      return c.fail("writes " + DescribeTensor(plan, s.results[size_t(i)]) +
                    ", which is read-only (an input or a constant)");
    for (int j = 0; j < i; ++j)
      if (s.results[size_t(i)] == s.results[size_t(j)])
        return c.fail("names " + DescribeTensor(plan, s.results[size_t(i)]) + " as two results");
  }
  return Status::Ok();
}

Status checkAttrsKind(const StepCheck &c, const Signature &sig) {
  int index = static_cast<int>(c.step().attrs.index());
  if (index == sig.attrs_index || (index == kNoAttrs && !sig.attrs_required))
    return Status::Ok();
  if (index == kNoAttrs)
    return c.fail("needs its attribute table and has none");
  return c.fail("carries attributes of the wrong kind for this kernel");
}

// Whether operand `i` of `kernel` holds i32 labels or ids.
bool isIndexOperand(KernelId kernel, int i) {
  switch (kernel) {
  case KernelId::kSoftmaxCrossEntropy:
  case KernelId::kSoftmaxCrossEntropyGrad:
  case KernelId::kGather:
    return i == 1;
  case KernelId::kGatherGrad:
  case KernelId::kWhere: // the mask
  case KernelId::kCastI32ToF32:
    return i == 0;
  case KernelId::kLmHeadLoss:
  case KernelId::kLmHeadLossGrad:
    return i == 2;
  case KernelId::kAttention: // key_lengths
    return i == 3;
  case KernelId::kAttentionGrad:
    return i == 6;
  default:
    return false;
  }
}

// Every tensor f32, except labels, ids and masks (isIndexOperand) and a cast's i32 side.
Status checkDtypes(const StepCheck &c) {
  for (int i = 0; i < c.numOperands(); ++i) {
    DType expected = isIndexOperand(c.step().kernel, i) ? DType::kI32 : DType::kF32;
    if (c.operand(i).dtype != expected)
      return c.fail("operand " + std::to_string(i) + " is " + DTypeName(c.operand(i).dtype) +
                    ", expected " + DTypeName(expected));
  }
  for (int i = 0; i < c.numResults(); ++i) {
    // Only a cast into i32 writes an i32 tensor.
    DType expected = c.step().kernel == KernelId::kCastF32ToI32 ? DType::kI32 : DType::kF32;
    if (c.result(i).dtype != expected)
      return c.fail("result " + std::to_string(i) + " is " + DTypeName(c.result(i).dtype) +
                    ", expected " + DTypeName(expected));
  }
  return Status::Ok();
}

Shape rowsShape(const Shape &x) {
  Shape rows;
  for (int i = 0; i + 1 < x.rank; ++i)
    rows.dims[rows.rank++] = x.dims[i];
  return rows;
}

Shape batchDims(const Shape &s) {
  Shape batch;
  for (int i = 0; i + 2 < s.rank; ++i)
    batch.dims[batch.rank++] = s.dims[i];
  return batch;
}

Status checkMatMul(const StepCheck &c) {
  MatMulAttributes attrs;
  if (auto *a = std::get_if<MatMulAttributes>(&c.step().attrs))
    attrs = *a;
  const Shape &a = c.in(0), &b = c.in(1), &out = c.out(0);
  if (a.rank < 2 || b.rank < 2 || out.rank < 2)
    return c.fail("operands and result need rank >= 2, got " + shapeText(a) + " x " + shapeText(b) +
                  " -> " + shapeText(out));
  const int64_t m = attrs.transpose_a ? a.dims[a.rank - 1] : a.dims[a.rank - 2];
  const int64_t ka = attrs.transpose_a ? a.dims[a.rank - 2] : a.dims[a.rank - 1];
  const int64_t kb = attrs.transpose_b ? b.dims[b.rank - 1] : b.dims[b.rank - 2];
  const int64_t n = attrs.transpose_b ? b.dims[b.rank - 2] : b.dims[b.rank - 1];
  if (ka != kb)
    return c.fail("inner dimensions differ: " + shapeText(a) + " x " + shapeText(b) + " (" +
                  std::to_string(ka) + " vs " + std::to_string(kb) + ")");
  const Shape batch = batchDims(out);
  for (const Shape *operand : {&a, &b})
    if (operand->rank != 2 && batchDims(*operand) != batch)
      return c.fail("operand batch dims " + shapeText(batchDims(*operand)) +
                    " match neither the result's " + shapeText(batch) + " nor rank 2");
  if (out.dims[out.rank - 2] != m || out.dims[out.rank - 1] != n)
    return c.fail("result " + shapeText(out) + " is not " + std::to_string(m) + " x " +
                  std::to_string(n));
  return Status::Ok();
}

Status checkBinary(const StepCheck &c) {
  Shape expected;
  if (!BroadcastShape(c.in(0), c.in(1), &expected))
    return c.fail("operand shapes " + shapeText(c.in(0)) + " and " + shapeText(c.in(1)) +
                  " do not broadcast");
  return c.requireShape("result", c.out(0), expected);
}

Status checkBinaryGrad(const StepCheck &c) {
  int operand = std::get<BinaryGradAttributes>(c.step().attrs).operand;
  if (operand != 0 && operand != 1)
    return c.fail("gradient operand must be 0 or 1, got " + std::to_string(operand));
  Shape forward;
  if (!BroadcastShape(c.in(0), c.in(1), &forward))
    return c.fail("operand shapes " + shapeText(c.in(0)) + " and " + shapeText(c.in(1)) +
                  " do not broadcast");
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dy (operand 2)", c.in(2), forward));
  return c.requireShape("result", c.out(0), c.in(operand));
}

Status checkReduce(const StepCheck &c, bool grad) {
  const ReduceAttributes &attrs = std::get<ReduceAttributes>(c.step().attrs);
  const Shape &full = grad ? c.out(0) : c.in(0);
  const Shape &reduced = grad ? c.in(0) : c.out(0);
  uint32_t mask = 0;
  if (!ReduceAxesMask(attrs.axes, full.rank, &mask))
    return c.fail("reduce axes must be distinct and in [0, " + std::to_string(full.rank) + ")");
  Shape expected;
  for (int i = 0; i < full.rank; ++i) {
    if (!(mask & (1u << i)))
      expected.dims[expected.rank++] = full.dims[i];
    else if (attrs.keep_dims)
      expected.dims[expected.rank++] = 1;
  }
  return c.requireShape(grad ? "dy" : "result", reduced, expected);
}

Status checkTranspose(const StepCheck &c) {
  const std::vector<int> &perm = std::get<TransposeAttributes>(c.step().attrs).perm;
  const Shape &x = c.in(0);
  uint32_t seen = 0;
  if (static_cast<int>(perm.size()) != x.rank || !ReduceAxesMask(perm, x.rank, &seen))
    return c.fail("perm must be a permutation of [0, " + std::to_string(x.rank) + ")");
  Shape expected;
  expected.rank = x.rank;
  for (int i = 0; i < x.rank; ++i)
    expected.dims[i] = x.dims[perm[size_t(i)]];
  return c.requireShape("result", c.out(0), expected);
}

Status checkElementCount(const StepCheck &c) {
  if (c.in(0).NumElements() == c.out(0).NumElements())
    return Status::Ok();
  return c.fail("result " + shapeText(c.out(0)) + " does not have the " +
                std::to_string(c.in(0).NumElements()) + " elements of operand " +
                shapeText(c.in(0)));
}

Status checkReduceToShape(const StepCheck &c) {
  Shape merged;
  if (!BroadcastShape(c.out(0), c.in(0), &merged) || merged != c.in(0))
    return c.fail("result " + shapeText(c.out(0)) + " does not broadcast to operand " +
                  shapeText(c.in(0)));
  return Status::Ok();
}

Status checkAllSameShape(const StepCheck &c) {
  for (int i = 1; i < c.numOperands(); ++i)
    TIDEMARK_RETURN_IF_ERROR(c.requireSameShape("operand", c.in(i), "operand 0", c.in(0)));
  for (int i = 0; i < c.numResults(); ++i)
    TIDEMARK_RETURN_IF_ERROR(c.requireSameShape("result", c.out(i), "operand 0", c.in(0)));
  const KernelId kernel = c.step().kernel;
  if (kernel == KernelId::kSoftmax || kernel == KernelId::kSoftmaxGrad) {
    int axis = -1;
    if (!SoftmaxAxis(c.step().attrs, c.in(0).rank, &axis))
      return c.fail("softmax axis must be in [-rank, rank) for shape " + shapeText(c.in(0)));
  }
  return Status::Ok();
}

// LayerNorm (x, gamma, beta) -> (y, mean, rstd); LayerNormGrad (x, gamma, mean, rstd, dy) ->
// (dx, dgamma, dbeta). Normalizes over the last axis; mean and rstd have the leading dims.
Status checkLayerNorm(const StepCheck &c, bool grad) {
  const Shape &x = c.in(0);
  if (x.rank < 1 || x.dims[x.rank - 1] < 1)
    return c.fail("layer norm needs rank >= 1 and a non-empty last axis");
  if (auto *a = std::get_if<LayerNormAttributes>(&c.step().attrs))
    if (!(a->epsilon >= 0.0f) || !std::isfinite(a->epsilon))
      return c.fail("epsilon must be finite and >= 0");
  const Shape feature{x.dims[x.rank - 1]};
  const Shape rows = rowsShape(x);
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("gamma", c.in(1), feature));
  if (!grad) {
    TIDEMARK_RETURN_IF_ERROR(c.requireShape("beta", c.in(2), feature));
    TIDEMARK_RETURN_IF_ERROR(c.requireShape("y", c.out(0), x));
    TIDEMARK_RETURN_IF_ERROR(c.requireShape("mean", c.out(1), rows));
    return c.requireShape("rstd", c.out(2), rows);
  }
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("mean", c.in(2), rows));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("rstd", c.in(3), rows));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dy", c.in(4), x));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dx", c.out(0), x));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dgamma", c.out(1), feature));
  return c.requireShape("dbeta", c.out(2), feature);
}

Status requireScalar(const StepCheck &c, const char *what, const Shape &shape) {
  if (shape.NumElements() == 1)
    return Status::Ok();
  return c.fail(std::string(what) + " must hold one element, has shape " + shapeText(shape));
}

// MseLoss (pred, target) -> loss [1]; MseLossGrad (pred, target, d_loss [1]) -> d_pred.
Status checkMse(const StepCheck &c, bool grad) {
  TIDEMARK_RETURN_IF_ERROR(c.requireSameShape("target", c.in(1), "prediction", c.in(0)));
  if (c.in(0).NumElements() < 1)
    return c.fail("mean-squared error needs at least one element");
  if (grad) {
    TIDEMARK_RETURN_IF_ERROR(requireScalar(c, "d_loss (operand 2)", c.in(2)));
    return c.requireShape("gradient", c.out(0), c.in(0));
  }
  if (c.out(0).NumElements() != 1)
    return c.fail("loss result must hold one element, has shape " + shapeText(c.out(0)));
  return Status::Ok();
}

// SoftmaxCrossEntropy (logits [..., C], labels i32 [...]) -> loss [1];
// ...Grad (logits, labels, d_loss [1]) -> d_logits [..., C]. Label values are checked by the
// kernel at run time (they are data).
Status checkCrossEntropy(const StepCheck &c, bool grad) {
  const Shape &logits = c.in(0);
  if (logits.rank < 1 || logits.dims[logits.rank - 1] < 1 || logits.NumElements() < 1)
    return c.fail("logits must be [..., C] with at least one row and C >= 1, got " +
                  shapeText(logits));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("labels", c.in(1), rowsShape(logits)));
  if (grad) {
    TIDEMARK_RETURN_IF_ERROR(requireScalar(c, "d_loss (operand 2)", c.in(2)));
    return c.requireShape("gradient", c.out(0), logits);
  }
  if (c.out(0).NumElements() != 1)
    return c.fail("loss result must hold one element, has shape " + shapeText(c.out(0)));
  return Status::Ok();
}

// SumSquares (x[, acc [1]]) -> acc [1]; ClipCoefficient (squares [1]) -> coefficient [1].
Status checkSumSquares(const StepCheck &c) {
  if (c.numOperands() == 2)
    TIDEMARK_RETURN_IF_ERROR(requireScalar(c, "accumulator (operand 1)", c.in(1)));
  return requireScalar(c, "sum of squares (result 0)", c.out(0));
}

Status checkClipCoefficient(const StepCheck &c) {
  const float max_norm = std::get<ClipAttributes>(c.step().attrs).max_norm;
  if (!(max_norm > 0.0f) || !std::isfinite(max_norm))
    return c.fail("clip max_norm must be positive and finite, got " + std::to_string(max_norm));
  TIDEMARK_RETURN_IF_ERROR(requireScalar(c, "sum of squares (operand 0)", c.in(0)));
  return requireScalar(c, "coefficient (result 0)", c.out(0));
}

Status checkOptimizer(const StepCheck &c, bool adam) {
  if (!adam && c.numOperands() != c.numResults() + 1)
    return c.fail("SGD takes (param, grad[, velocity]) -> (param[, velocity])");
  for (int i = 1; i < c.numOperands(); ++i)
    TIDEMARK_RETURN_IF_ERROR(c.requireSameShape("operand", c.in(i), "parameter", c.in(0)));
  for (int i = 0; i < c.numResults(); ++i)
    TIDEMARK_RETURN_IF_ERROR(c.requireSameTensor(i, i == 0 ? 0 : i + 1));
  float lr = adam ? std::get<AdamAttributes>(c.step().attrs).learning_rate
                  : std::get<SgdAttributes>(c.step().attrs).learning_rate;
  if (!std::isfinite(lr) || lr < 0.0f)
    return c.fail("learning rate must be finite and >= 0");
  const LrScheduleAttributes &schedule = adam ? std::get<AdamAttributes>(c.step().attrs).schedule
                                              : std::get<SgdAttributes>(c.step().attrs).schedule;
  if (schedule.cosine &&
      !(std::isfinite(schedule.min_lr) && schedule.min_lr >= 0.0f && schedule.min_lr <= lr))
    return c.fail("lr schedule: min_lr must be finite and in [0, learning rate]");
  Status valid = kernels::ValidateLrSchedule(ToLrSchedule(schedule, lr));
  if (!valid.ok())
    return c.fail(valid.message());
  if (adam) {
    const AdamAttributes &a = std::get<AdamAttributes>(c.step().attrs);
    if (!(a.beta1 >= 0.0f && a.beta1 < 1.0f && a.beta2 >= 0.0f && a.beta2 < 1.0f &&
          a.epsilon > 0.0f && std::isfinite(a.epsilon) && std::isfinite(a.weight_decay) &&
          a.weight_decay >= 0.0f))
      return c.fail("Adam needs 0 <= beta1, beta2 < 1, finite epsilon > 0 and a finite weight "
                    "decay >= 0");
    return Status::Ok();
  }
  const SgdAttributes &s = std::get<SgdAttributes>(c.step().attrs);
  if (!(s.momentum >= 0.0f && s.momentum <= 1.0f) || !std::isfinite(s.weight_decay) ||
      s.weight_decay < 0.0f)
    return c.fail("SGD needs momentum in [0, 1] and a finite weight decay >= 0");
  if (s.momentum != 0.0f && (c.numOperands() != 3 || c.numResults() != 2))
    return c.fail("SGD with momentum needs (param, grad, velocity) -> (param, velocity)");
  return Status::Ok();
}

Status checkAttention(const StepCheck &c, bool grad) {
  AttentionAttributes attrs;
  if (auto *a = std::get_if<AttentionAttributes>(&c.step().attrs))
    attrs = *a;
  const Shape &q = c.in(0), &k = c.in(1);
  if (q.rank != 4 || k.rank != 4)
    return c.fail("q and k must be [B, H, T, D], got " + shapeText(q) + " and " + shapeText(k));
  if (q.dims[0] != k.dims[0] || q.dims[3] != k.dims[3])
    return c.fail("q " + shapeText(q) + " and k " + shapeText(k) + " disagree on B or D");
  for (int i = 0; i < 4; ++i)
    if (q.dims[i] < 1 || k.dims[i] < 1)
      return c.fail("attention dimensions must be >= 1");
  // Grouped-query attention: k and v have KVH heads, a divisor of q's H.
  if (q.dims[1] % k.dims[1] != 0)
    return c.fail("q heads " + std::to_string(q.dims[1]) + " are not a multiple of k/v heads " +
                  std::to_string(k.dims[1]));
  // Key padding: the optional last operand, i32 [B]. Its values are data, checked when the step
  // runs (ValidateAttentionParams: each in [0, Tk]).
  const int key_lengths_operand = grad ? 6 : 3;
  if (c.numOperands() > key_lengths_operand)
    TIDEMARK_RETURN_IF_ERROR(
        c.requireShape("key_lengths", c.in(key_lengths_operand), Shape{q.dims[0]}));
  if (attrs.q_chunk < 1 || attrs.k_chunk < 1)
    return c.fail("chunk sizes must be positive, got q_chunk " + std::to_string(attrs.q_chunk) +
                  " and k_chunk " + std::to_string(attrs.k_chunk));
  if (!std::isfinite(attrs.scale))
    return c.fail("attention scale must be finite");
  // The kernel's own limits (e.g. Tq x Tk <= 2^40), so a verified step never fails at run time.
  kernels::AttentionParams params;
  params.batch = q.dims[0];
  params.heads = q.dims[1];
  params.seq_q = q.dims[2];
  params.seq_k = k.dims[2];
  params.head_dim = q.dims[3];
  params.causal = attrs.causal;
  params.scale = AttentionScale(attrs, params.head_dim);
  params.q_chunk = attrs.q_chunk;
  params.k_chunk = attrs.k_chunk;
  params.kv_heads = k.dims[1];
  Status kernel_check = kernels::ValidateAttentionParams(params);
  if (!kernel_check.ok())
    return c.fail(kernel_check.message());
  const Shape lse{q.dims[0], q.dims[1], q.dims[2]};
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("v", c.in(2), k));
  if (!grad) {
    TIDEMARK_RETURN_IF_ERROR(c.requireShape("out", c.out(0), q));
    return c.requireShape("lse", c.out(1), lse);
  }
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("out", c.in(3), q));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("lse", c.in(4), lse));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("d_out", c.in(5), q));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dq", c.out(0), q));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dk", c.out(1), k));
  return c.requireShape("dv", c.out(2), k);
}

// Pow / Clamp (and their gradients): the constants the kernel accepts, then equal shapes.
Status checkUnaryParams(const StepCheck &c) {
  const UnaryAttributes &a = std::get<UnaryAttributes>(c.step().attrs);
  const KernelId kernel = c.step().kernel;
  const bool pow = kernel == KernelId::kPow || kernel == KernelId::kPowGrad;
  Status valid = kernels::ValidateUnaryParams(
      pow ? kernels::UnaryOp::kPow : kernels::UnaryOp::kClamp, kernels::UnaryParams{a.a, a.b});
  if (!valid.ok())
    return c.fail(valid.message());
  return checkAllSameShape(c);
}

// RmsNorm (x, scale) -> (y[, rstd]); RmsNormGrad (x, scale, rstd, dy) -> (dx, dscale). Over the
// last axis; rstd has the leading dims.
Status checkRmsNorm(const StepCheck &c, bool grad) {
  const Shape &x = c.in(0);
  if (x.rank < 1 || x.dims[x.rank - 1] < 1)
    return c.fail("rms norm needs rank >= 1 and a non-empty last axis");
  if (auto *a = std::get_if<LayerNormAttributes>(&c.step().attrs))
    if (!(a->epsilon >= 0.0f) || !std::isfinite(a->epsilon))
      return c.fail("epsilon must be finite and >= 0");
  const Shape feature{x.dims[x.rank - 1]};
  const Shape rows = rowsShape(x);
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("scale", c.in(1), feature));
  if (!grad) {
    TIDEMARK_RETURN_IF_ERROR(c.requireShape("y", c.out(0), x));
    return c.numResults() == 2 ? c.requireShape("rstd", c.out(1), rows) : Status::Ok();
  }
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("rstd", c.in(2), rows));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dy", c.in(3), x));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dx", c.out(0), x));
  return c.requireShape("dscale", c.out(1), feature);
}

// Slice: out = the box of x at `start` with out's shape. Pad: out = value, x copied in at `low`.
Status checkBox(const StepCheck &c, bool pad) {
  const std::vector<int64_t> &start = pad ? std::get<PadAttributes>(c.step().attrs).low
                                          : std::get<SliceAttributes>(c.step().attrs).start;
  const Shape &x = c.in(0), &out = c.out(0);
  if (static_cast<int>(start.size()) != x.rank || x.rank != out.rank)
    return c.fail(std::string(pad ? "pad low" : "slice start") + " needs one entry per axis of " +
                  shapeText(x) + " and a result of the same rank, got " +
                  std::to_string(start.size()) + " entries and " + shapeText(out));
  if (pad && !std::isfinite(std::get<PadAttributes>(c.step().attrs).value))
    return c.fail("pad value must be finite");
  const int64_t zero[kernels::kMaxRank] = {0, 0, 0, 0, 0, 0};
  Status box = pad ? kernels::ValidateCopyBox(x, zero, out, start.data(), x.dims)
                   : kernels::ValidateCopyBox(x, start.data(), out, zero, out.dims);
  return box.ok() ? Status::Ok() : c.fail(box.message());
}

// Concat: every operand has the result's rank and dims except along `axis`, whose sizes add up.
Status checkConcat(const StepCheck &c) {
  const int axis = std::get<ConcatAttributes>(c.step().attrs).axis;
  const Shape &out = c.out(0);
  if (axis < 0 || axis >= out.rank)
    return c.fail("concat axis " + std::to_string(axis) + " is outside [0, " +
                  std::to_string(out.rank) + ")");
  int64_t total = 0;
  for (int i = 0; i < c.numOperands(); ++i) {
    const Shape &x = c.in(i);
    bool fits = x.rank == out.rank;
    for (int a = 0; fits && a < out.rank; ++a)
      fits = a == axis || x.dims[a] == out.dims[a];
    if (!fits)
      return c.fail("concat operand " + std::to_string(i) + " " + shapeText(x) +
                    " does not match the result " + shapeText(out) + " off axis " +
                    std::to_string(axis));
    total += x.dims[axis]; // Each <= 2^40 (decoder), at most 32 operands: no overflow.
  }
  if (total != out.dims[axis])
    return c.fail("concat operands add up to " + std::to_string(total) + " along axis " +
                  std::to_string(axis) + ", the result has " + std::to_string(out.dims[axis]));
  return Status::Ok();
}

// Gather (table [V, E], ids i32 [...]) -> [..., E]; GatherGrad (ids, dy [..., E]) -> [V, E]. The
// id values are data: the kernel checks them before it reads anything.
Status checkGather(const StepCheck &c, bool grad) {
  const Shape &table = grad ? c.out(0) : c.in(0);
  const Shape &ids = grad ? c.in(0) : c.in(1);
  const Shape &rows = grad ? c.in(1) : c.out(0);
  if (table.rank != 2)
    return c.fail("the table must be [rows, dim], got " + shapeText(table));
  if (ids.rank + 1 > kernels::kMaxRank)
    return c.fail("ids of rank " + std::to_string(ids.rank) + " give more than " +
                  std::to_string(kernels::kMaxRank) + " dimensions");
  Shape expected = ids;
  expected.dims[expected.rank++] = table.dims[1];
  return c.requireShape(grad ? "dy" : "result", rows, expected);
}

// Rope (x [B, T, H, D] or [B, H, T, D], table [T, rot_dim]) -> y of x's shape.
Status checkRope(const StepCheck &c) {
  const RopeAttributes &a = std::get<RopeAttributes>(c.step().attrs);
  const Shape &x = c.in(0);
  if (a.layout != 0 && a.layout != 1)
    return c.fail("rope layout must be 0 ([B, T, H, D]) or 1 ([B, H, T, D]), got " +
                  std::to_string(a.layout));
  if (x.rank != 4)
    return c.fail("rope input must have rank 4, got " + shapeText(x));
  kernels::RopeShape shape;
  shape.outer = a.layout == 0 ? x.dims[0] : x.dims[0] * x.dims[1];
  shape.positions = a.layout == 0 ? x.dims[1] : x.dims[2];
  shape.inner = a.layout == 0 ? x.dims[2] : 1;
  shape.head_dim = x.dims[3];
  shape.rot_dim = a.rot_dim;
  Status valid = kernels::ValidateRope(shape);
  if (!valid.ok() || a.rot_dim < 2)
    return c.fail(valid.ok() ? "rope rot_dim must be even and >= 2" : valid.message());
  TIDEMARK_RETURN_IF_ERROR(
      c.requireShape("table (operand 1)", c.in(1), Shape{shape.positions, int64_t{a.rot_dim}}));
  return c.requireShape("result", c.out(0), x);
}

Status checkDropout(const StepCheck &c) {
  const float p = std::get<DropoutAttributes>(c.step().attrs).p;
  if (!(p >= 0.0f && p < 1.0f))
    return c.fail("dropout p must be in [0, 1), got " + std::to_string(p));
  return c.requireShape("result", c.out(0), c.in(0));
}

// LmHeadLoss (h [N, E], w [V, E], labels i32 [N][, bias [V]]) -> (loss [1], lse [N]);
// LmHeadLossGrad (h, w, labels, lse, d_loss [1][, bias]) -> (dh, dw[, d_bias]). Label values are
// data: the kernel checks them before it writes anything.
Status checkLmHeadLoss(const StepCheck &c, bool grad) {
  const LmHeadLossAttributes &a = std::get<LmHeadLossAttributes>(c.step().attrs);
  const Shape &h = c.in(0), &w = c.in(1);
  if (h.rank != 2 || w.rank != 2 || h.dims[1] != w.dims[1])
    return c.fail("hidden must be [rows, dim] and weight [vocab, dim], got " + shapeText(h) +
                  " and " + shapeText(w));
  kernels::LmHeadLossParams params;
  params.rows = h.dims[0];
  params.hidden = h.dims[1];
  params.vocab = w.dims[0];
  params.row_chunk = a.row_chunk;
  params.vocab_chunk = a.vocab_chunk;
  params.ignore_index = a.ignore_index;
  Status valid = kernels::ValidateLmHeadLoss(params);
  if (!valid.ok())
    return c.fail(valid.message());
  const Shape rows{h.dims[0]}, vocab{w.dims[0]};
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("labels (operand 2)", c.in(2), rows));
  const int bias = grad ? 5 : 3;
  if (c.numOperands() > bias)
    TIDEMARK_RETURN_IF_ERROR(c.requireShape("bias", c.in(bias), vocab));
  if (!grad) {
    TIDEMARK_RETURN_IF_ERROR(requireScalar(c, "loss (result 0)", c.out(0)));
    return c.requireShape("lse (result 1)", c.out(1), rows);
  }
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("lse (operand 3)", c.in(3), rows));
  TIDEMARK_RETURN_IF_ERROR(requireScalar(c, "d_loss (operand 4)", c.in(4)));
  if (c.numResults() != (c.numOperands() > bias ? 3 : 2))
    return c.fail("the bias gradient (result 2) is written exactly when a bias (operand 5) is "
                  "given");
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dh", c.out(0), h));
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dw", c.out(1), w));
  return c.numResults() == 3 ? c.requireShape("d_bias", c.out(2), vocab) : Status::Ok();
}

// Split: every result has the operand's rank and dims except along `axis`, whose sizes add up
// to the operand's (each >= 1).
Status checkSplit(const StepCheck &c) {
  const int axis = std::get<ConcatAttributes>(c.step().attrs).axis;
  const Shape &x = c.in(0);
  if (axis < 0 || axis >= x.rank)
    return c.fail("split axis " + std::to_string(axis) + " is outside [0, " +
                  std::to_string(x.rank) + ")");
  int64_t total = 0;
  for (int i = 0; i < c.numResults(); ++i) {
    const Shape &out = c.out(i);
    bool fits = out.rank == x.rank && out.dims[axis] >= 1;
    for (int a = 0; fits && a < x.rank; ++a)
      fits = a == axis || out.dims[a] == x.dims[a];
    if (!fits)
      return c.fail("split result " + std::to_string(i) + " " + shapeText(out) +
                    " does not match the operand " + shapeText(x) + " off axis " +
                    std::to_string(axis) + " (or is empty along it)");
    total += out.dims[axis]; // Each <= 2^40 (decoder), at most 32 results: no overflow.
  }
  if (total != x.dims[axis])
    return c.fail("split results add up to " + std::to_string(total) + " along axis " +
                  std::to_string(axis) + ", the operand has " + std::to_string(x.dims[axis]));
  return Status::Ok();
}

// Where (cond i32, a, b) -> out: out is the broadcast shape of all three.
Status checkWhere(const StepCheck &c) {
  Shape expected;
  Status shape = kernels::WhereShape(c.in(0), c.in(1), c.in(2), &expected);
  if (!shape.ok())
    return c.fail(shape.message());
  return c.requireShape("result", c.out(0), expected);
}

// ReduceMax (x) -> y; ReduceMaxGrad (x, dy) -> dx: exactly one axis, of size >= 1; y / dy have
// x's shape without it (kept as 1 with keep_dims), dx has x's shape.
Status checkReduceMax(const StepCheck &c, bool grad) {
  const ReduceAttributes &attrs = std::get<ReduceAttributes>(c.step().attrs);
  const Shape &x = c.in(0);
  if (attrs.axes.size() != 1 || attrs.axes[0] < 0 || attrs.axes[0] >= x.rank)
    return c.fail("reduce max takes exactly one axis in [0, " + std::to_string(x.rank) + ")");
  const int axis = attrs.axes[0];
  if (x.dims[axis] < 1)
    return c.fail("reduce max over an empty axis " + std::to_string(axis) + " of " + shapeText(x));
  Shape reduced;
  for (int i = 0; i < x.rank; ++i)
    if (i != axis)
      reduced.dims[reduced.rank++] = x.dims[i];
    else if (attrs.keep_dims)
      reduced.dims[reduced.rank++] = 1;
  if (!grad)
    return c.requireShape("result", c.out(0), reduced);
  TIDEMARK_RETURN_IF_ERROR(c.requireShape("dy (operand 1)", c.in(1), reduced));
  return c.requireShape("dx", c.out(0), x);
}

Status checkShapes(const StepCheck &c) {
  switch (c.step().kernel) {
  case KernelId::kMatMul:
    return checkMatMul(c);
  case KernelId::kAdd:
  case KernelId::kSub:
  case KernelId::kMul:
  case KernelId::kDiv:
    return checkBinary(c);
  case KernelId::kAddGrad:
  case KernelId::kSubGrad:
  case KernelId::kMulGrad:
  case KernelId::kDivGrad:
    return checkBinaryGrad(c);
  case KernelId::kReduceSum:
  case KernelId::kReduceMean:
    return checkReduce(c, /*grad=*/false);
  case KernelId::kReduceSumGrad:
  case KernelId::kReduceMeanGrad:
    return checkReduce(c, /*grad=*/true);
  case KernelId::kTranspose:
    return checkTranspose(c);
  case KernelId::kReshape:
  case KernelId::kCopy:
    return checkElementCount(c);
  case KernelId::kReduceToShape:
    return checkReduceToShape(c);
  case KernelId::kLayerNorm:
    return checkLayerNorm(c, /*grad=*/false);
  case KernelId::kLayerNormGrad:
    return checkLayerNorm(c, /*grad=*/true);
  case KernelId::kMseLoss:
    return checkMse(c, /*grad=*/false);
  case KernelId::kMseLossGrad:
    return checkMse(c, /*grad=*/true);
  case KernelId::kSoftmaxCrossEntropy:
    return checkCrossEntropy(c, /*grad=*/false);
  case KernelId::kSoftmaxCrossEntropyGrad:
    return checkCrossEntropy(c, /*grad=*/true);
  case KernelId::kSgdUpdate:
    return checkOptimizer(c, /*adam=*/false);
  case KernelId::kAdamUpdate:
    return checkOptimizer(c, /*adam=*/true);
  case KernelId::kAttention:
    return checkAttention(c, /*grad=*/false);
  case KernelId::kAttentionGrad:
    return checkAttention(c, /*grad=*/true);
  case KernelId::kFill:
    return Status::Ok();
  case KernelId::kMin:
  case KernelId::kMax:
    return checkBinary(c);
  case KernelId::kMinGrad:
  case KernelId::kMaxGrad:
    return checkBinaryGrad(c);
  case KernelId::kPow:
  case KernelId::kPowGrad:
  case KernelId::kClamp:
  case KernelId::kClampGrad:
    return checkUnaryParams(c);
  case KernelId::kRmsNorm:
    return checkRmsNorm(c, /*grad=*/false);
  case KernelId::kRmsNormGrad:
    return checkRmsNorm(c, /*grad=*/true);
  case KernelId::kSlice:
    return checkBox(c, /*pad=*/false);
  case KernelId::kPad:
    return checkBox(c, /*pad=*/true);
  case KernelId::kConcat:
    return checkConcat(c);
  case KernelId::kGather:
    return checkGather(c, /*grad=*/false);
  case KernelId::kGatherGrad:
    return checkGather(c, /*grad=*/true);
  case KernelId::kRope:
    return checkRope(c);
  case KernelId::kDropout:
    return checkDropout(c);
  case KernelId::kLmHeadLoss:
    return checkLmHeadLoss(c, /*grad=*/false);
  case KernelId::kLmHeadLossGrad:
    return checkLmHeadLoss(c, /*grad=*/true);
  case KernelId::kSplit:
    return checkSplit(c);
  case KernelId::kSumSquares:
    return checkSumSquares(c);
  case KernelId::kClipCoefficient:
    return checkClipCoefficient(c);
  case KernelId::kWhere:
    return checkWhere(c);
  case KernelId::kCastF32ToI32:
  case KernelId::kCastI32ToF32:
    return c.requireShape("result", c.out(0), c.in(0));
  case KernelId::kReduceMax:
    return checkReduceMax(c, /*grad=*/false);
  case KernelId::kReduceMaxGrad:
    return checkReduceMax(c, /*grad=*/true);
  default: // Unary ops, their gradients, softmax and its gradient: every shape equal.
    return checkAllSameShape(c);
  }
}

} // namespace

bool BroadcastShape(const Shape &a, const Shape &b, Shape *out) {
  Shape result;
  result.rank = a.rank > b.rank ? a.rank : b.rank;
  for (int i = 0; i < result.rank; ++i) {
    int ia = a.rank - result.rank + i, ib = b.rank - result.rank + i;
    int64_t da = ia >= 0 ? a.dims[ia] : 1, db = ib >= 0 ? b.dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return false;
    result.dims[i] = da == 1 ? db : da;
  }
  *out = result;
  return true;
}

bool ReduceAxesMask(const std::vector<int> &axes, int rank, uint32_t *mask) {
  uint32_t bits = 0;
  for (int axis : axes) {
    if (axis < 0 || axis >= rank || axis >= 32 || (bits & (1u << axis)))
      return false;
    bits |= 1u << axis;
  }
  *mask = bits;
  return true;
}

bool SoftmaxAxis(const StepAttributes &attrs, int rank, int *axis) {
  int value = -1;
  if (auto *a = std::get_if<SoftmaxAttributes>(&attrs))
    value = a->axis;
  if (value < -rank || value >= rank)
    return false;
  *axis = value < 0 ? value + rank : value;
  return true;
}

kernels::LrSchedule ToLrSchedule(const LrScheduleAttributes &attrs, float base) {
  kernels::LrSchedule schedule;
  if (!attrs.cosine)
    return schedule;
  schedule.kind = kernels::LrSchedule::Kind::kWarmupCosine;
  schedule.warmup_steps = attrs.warmup_steps;
  schedule.total_steps = attrs.total_steps;
  schedule.min_ratio = base > 0.0f            ? static_cast<double>(attrs.min_lr) / base
                       : attrs.min_lr == 0.0f ? 0.0
                                              : -1.0; // Rejected by ValidateLrSchedule.
  return schedule;
}

float AttentionScale(const AttentionAttributes &attrs, int64_t head_dim) {
  if (attrs.scale != 0.0f)
    return attrs.scale;
  return 1.0f / std::sqrt(static_cast<float>(head_dim));
}

Status CheckStepRules(const LoadedPlan &plan, int step) {
  StepCheck check(plan, step);
  const Signature sig = signatureOf(check.step().kernel);
  TIDEMARK_RETURN_IF_ERROR(checkIdsAndArity(plan, check, sig));
  TIDEMARK_RETURN_IF_ERROR(checkAttrsKind(check, sig));
  TIDEMARK_RETURN_IF_ERROR(checkDtypes(check));
  return checkShapes(check);
}

} // namespace tidemark
