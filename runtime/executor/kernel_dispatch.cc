// Kernel dispatch: one small adapter per kernel family, from a verified step to a kernel call.
#include "runtime/executor/kernel_dispatch.h"

#include <cstring>

#include "runtime/kernels/attention.h"
#include "runtime/kernels/cast.h"
#include "runtime/kernels/copy_box.h"
#include "runtime/kernels/dropout.h"
#include "runtime/kernels/elementwise.h"
#include "runtime/kernels/gather.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/layer_norm.h"
#include "runtime/kernels/lm_head_loss.h"
#include "runtime/kernels/loss.h"
#include "runtime/kernels/optimizer.h"
#include "runtime/kernels/reduce.h"
#include "runtime/kernels/reduce_max.h"
#include "runtime/kernels/rms_norm.h"
#include "runtime/kernels/rope.h"
#include "runtime/kernels/softmax.h"
#include "runtime/kernels/training_schedule.h"
#include "runtime/kernels/transpose.h"
#include "runtime/kernels/where.h"
#include "runtime/plan/kernel_rules.h"

namespace tidemark {
namespace {

using kernels::Shape;

struct StepTensors {
  const LoadedPlan &plan;
  const LoadedStep &step;
  uint8_t *const *operands;
  uint8_t *const *results;

  const Shape &inShape(int i) const { return tensor(step.operands[size_t(i)]).shape; }
  const Shape &outShape(int i) const { return tensor(step.results[size_t(i)]).shape; }
  const float *in(int i) const { return reinterpret_cast<const float *>(operands[i]); }
  float *out(int i) const { return reinterpret_cast<float *>(results[i]); }
  const LoadedTensor &tensor(int id) const { return plan.tensors[static_cast<size_t>(id)]; }
};

kernels::GemmParams gemmParams(const LoadedPlan &plan, const LoadedStep &step) {
  MatMulAttributes attrs;
  if (auto *a = std::get_if<MatMulAttributes>(&step.attrs))
    attrs = *a;
  const Shape &a = plan.tensors[size_t(step.operands[0])].shape;
  const Shape &b = plan.tensors[size_t(step.operands[1])].shape;
  const Shape &c = plan.tensors[size_t(step.results[0])].shape;
  kernels::GemmParams p;
  p.m = c.dims[c.rank - 2];
  p.n = c.dims[c.rank - 1];
  p.k = attrs.transpose_a ? a.dims[a.rank - 2] : a.dims[a.rank - 1];
  p.batch = 1;
  for (int i = 0; i + 2 < c.rank; ++i)
    p.batch *= c.dims[i];
  p.trans_a = attrs.transpose_a;
  p.trans_b = attrs.transpose_b;
  // A rank-2 operand is shared by every batch item (stride 0).
  p.stride_a = a.rank == 2 ? 0 : p.m * p.k;
  p.stride_b = b.rank == 2 ? 0 : p.k * p.n;
  p.stride_c = p.m * p.n;
  p.alpha = attrs.alpha;
  p.beta = attrs.accumulate ? 1.0f : 0.0f;
  return p;
}

kernels::AttentionParams attentionParams(const LoadedPlan &plan, const LoadedStep &step) {
  AttentionAttributes attrs;
  if (auto *a = std::get_if<AttentionAttributes>(&step.attrs))
    attrs = *a;
  const Shape &q = plan.tensors[size_t(step.operands[0])].shape;
  const Shape &k = plan.tensors[size_t(step.operands[1])].shape;
  kernels::AttentionParams p;
  p.batch = q.dims[0];
  p.heads = q.dims[1];
  p.seq_q = q.dims[2];
  p.seq_k = k.dims[2];
  p.head_dim = q.dims[3];
  p.causal = attrs.causal;
  p.scale = AttentionScale(attrs, p.head_dim);
  p.q_chunk = attrs.q_chunk;
  p.k_chunk = attrs.k_chunk;
  p.kv_heads = k.dims[1]; // Grouped-query attention: k, v are [B, KVH, Tk, D].
  return p;
}

bool binaryOp(KernelId kernel, kernels::BinaryOp *op) {
  switch (kernel) {
  case KernelId::kAdd:
  case KernelId::kAddGrad:
    *op = kernels::BinaryOp::kAdd;
    return true;
  case KernelId::kSub:
  case KernelId::kSubGrad:
    *op = kernels::BinaryOp::kSub;
    return true;
  case KernelId::kMul:
  case KernelId::kMulGrad:
    *op = kernels::BinaryOp::kMul;
    return true;
  case KernelId::kDiv:
  case KernelId::kDivGrad:
    *op = kernels::BinaryOp::kDiv;
    return true;
  case KernelId::kMin:
  case KernelId::kMinGrad:
    *op = kernels::BinaryOp::kMin;
    return true;
  case KernelId::kMax:
  case KernelId::kMaxGrad:
    *op = kernels::BinaryOp::kMax;
    return true;
  default:
    return false;
  }
}

// Forward op and whether the kernel id is its gradient.
bool unaryOp(KernelId kernel, kernels::UnaryOp *op, bool *grad) {
  using U = kernels::UnaryOp;
  struct Entry {
    KernelId forward, backward;
    U op;
  };
  // The unary kernels added with format version 1's second op set; kNeg's gradient is a Mul.
  static constexpr Entry kTable[] = {
      {KernelId::kNeg, KernelId::kNeg, U::kNeg},
      {KernelId::kAbs, KernelId::kAbsGrad, U::kAbs},
      {KernelId::kSqrt, KernelId::kSqrtGrad, U::kSqrt},
      {KernelId::kRsqrt, KernelId::kRsqrtGrad, U::kRsqrt},
      {KernelId::kLog, KernelId::kLogGrad, U::kLog},
      {KernelId::kSigmoid, KernelId::kSigmoidGrad, U::kSigmoid},
      {KernelId::kSilu, KernelId::kSiluGrad, U::kSilu},
      {KernelId::kErf, KernelId::kErfGrad, U::kErf},
      {KernelId::kPow, KernelId::kPowGrad, U::kPow},
      {KernelId::kClamp, KernelId::kClampGrad, U::kClamp},
  };
  for (const Entry &entry : kTable)
    if (kernel == entry.forward || kernel == entry.backward) {
      *op = entry.op;
      *grad = kernel == entry.backward && entry.backward != entry.forward;
      return true;
    }
  switch (kernel) {
  case KernelId::kRelu:
  case KernelId::kReluGrad:
    *op = U::kRelu;
    break;
  case KernelId::kTanh:
  case KernelId::kTanhGrad:
    *op = U::kTanh;
    break;
  case KernelId::kExp:
  case KernelId::kExpGrad:
    *op = U::kExp;
    break;
  case KernelId::kGeluTanh:
  case KernelId::kGeluTanhGrad:
    *op = U::kGeluTanh;
    break;
  case KernelId::kGeluErf:
  case KernelId::kGeluErfGrad:
    *op = U::kGeluErf;
    break;
  default:
    return false;
  }
  *grad = kernel == KernelId::kReluGrad || kernel == KernelId::kTanhGrad ||
          kernel == KernelId::kExpGrad || kernel == KernelId::kGeluTanhGrad ||
          kernel == KernelId::kGeluErfGrad;
  return true;
}

uint32_t reduceMask(const LoadedStep &step, int rank) {
  uint32_t mask = 0;
  ReduceAxesMask(std::get<ReduceAttributes>(step.attrs).axes, rank, &mask);
  return mask;
}

Status runReduce(const StepTensors &t, const KernelContext &ctx) {
  const KernelId kernel = t.step.kernel;
  const bool mean = kernel == KernelId::kReduceMean || kernel == KernelId::kReduceMeanGrad;
  const auto op = mean ? kernels::ReduceOp::kMean : kernels::ReduceOp::kSum;
  if (kernel == KernelId::kReduceSum || kernel == KernelId::kReduceMean)
    return kernels::Reduce(op, t.inShape(0), t.in(0), reduceMask(t.step, t.inShape(0).rank),
                           t.out(0), ctx.pool);
  return kernels::ReduceGrad(op, t.outShape(0), reduceMask(t.step, t.outShape(0).rank), t.in(0),
                             t.out(0), ctx.pool);
}

// Reshape is a no-op when the result is a view of the operand's bytes; otherwise a copy.
void runCopy(const StepTensors &t) {
  if (t.results[0] == t.operands[0])
    return;
  std::memmove(t.results[0], t.operands[0], t.tensor(t.step.results[0]).size_bytes);
}

void runFill(const StepTensors &t) {
  const float value = std::get_if<FillAttributes>(&t.step.attrs)
                          ? std::get<FillAttributes>(t.step.attrs).value
                          : 0.0f;
  float *out = t.out(0);
  const int64_t n = t.outShape(0).NumElements();
  for (int64_t i = 0; i < n; ++i)
    out[i] = value;
}

// Softmax over one axis: the tensor is [outer, axis_len, inner] around it.
Status runSoftmax(const StepTensors &t, const KernelContext &ctx) {
  const Shape &shape = t.inShape(0);
  int axis = 0;
  SoftmaxAxis(t.step.attrs, shape.rank, &axis);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i)
    outer *= shape.dims[i];
  for (int i = axis + 1; i < shape.rank; ++i)
    inner *= shape.dims[i];
  if (t.step.kernel == KernelId::kSoftmax)
    return kernels::Softmax(outer, shape.dims[axis], inner, t.in(0), t.out(0), ctx.pool);
  return kernels::SoftmaxGrad(outer, shape.dims[axis], inner, t.in(0), t.in(1), t.out(0), ctx.pool);
}

// Layer norm over the last axis: [rows, norm_size].
Status runLayerNorm(const StepTensors &t, const KernelContext &ctx) {
  const Shape &x = t.inShape(0);
  const int64_t norm_size = x.dims[x.rank - 1];
  const int64_t rows = x.NumElements() / norm_size;
  if (t.step.kernel == KernelId::kLayerNormGrad)
    return kernels::LayerNormGrad(rows, norm_size, t.in(0), t.in(1), t.in(2), t.in(3), t.in(4),
                                  t.out(0), t.out(1), t.out(2), ctx.scratch, ctx.pool);
  LayerNormAttributes attrs;
  if (auto *a = std::get_if<LayerNormAttributes>(&t.step.attrs))
    attrs = *a;
  return kernels::LayerNorm(rows, norm_size, t.in(0), t.in(1), t.in(2), attrs.epsilon, t.out(0),
                            t.out(1), t.out(2), ctx.pool);
}

Status runLoss(const StepTensors &t, const KernelContext &ctx) {
  const Shape &shape = t.inShape(0);
  const int64_t classes = shape.rank > 0 ? shape.dims[shape.rank - 1] : 1;
  const int64_t rows = shape.NumElements() / classes;
  const auto *labels = reinterpret_cast<const int32_t *>(t.operands[1]);
  switch (t.step.kernel) {
  case KernelId::kMseLoss:
    return kernels::MseLoss(shape.NumElements(), t.in(0), t.in(1), t.out(0), ctx.pool);
  case KernelId::kMseLossGrad:
    return kernels::MseLossGrad(shape.NumElements(), t.in(0), t.in(1), t.in(2), t.out(0), ctx.pool);
  case KernelId::kSoftmaxCrossEntropy:
    return kernels::SoftmaxCrossEntropy(rows, classes, t.in(0), labels, t.out(0), ctx.pool);
  default:
    return kernels::SoftmaxCrossEntropyGrad(rows, classes, t.in(0), labels, t.in(2), t.out(0),
                                            ctx.pool);
  }
}

// Optimizers update their results in place: results alias operands (verified).
// The learning rate of update `step_number` (1-based) under the step's schedule (verified).
float scheduledRate(float base, const LrScheduleAttributes &schedule, uint64_t step_number) {
  const int64_t completed = static_cast<int64_t>(step_number) - 1;
  return static_cast<float>(kernels::LearningRateAt(ToLrSchedule(schedule, base), base, completed));
}

Status runOptimizer(const StepTensors &t, const KernelContext &ctx) {
  const int64_t n = t.inShape(0).NumElements();
  if (t.step.kernel == KernelId::kSgdUpdate) {
    const SgdAttributes &a = std::get<SgdAttributes>(t.step.attrs);
    kernels::SgdOptions options;
    options.learning_rate = scheduledRate(a.learning_rate, a.schedule, ctx.step_number);
    options.momentum = a.momentum;
    options.weight_decay = a.weight_decay;
    float *velocity = t.step.results.size() > 1 ? t.out(1) : nullptr;
    return kernels::SgdUpdate(n, t.out(0), t.in(1), velocity, options, ctx.pool);
  }
  const AdamAttributes &a = std::get<AdamAttributes>(t.step.attrs);
  kernels::AdamOptions options;
  options.learning_rate = scheduledRate(a.learning_rate, a.schedule, ctx.step_number);
  options.beta1 = a.beta1;
  options.beta2 = a.beta2;
  options.epsilon = a.epsilon;
  options.weight_decay = a.weight_decay;
  options.decoupled_weight_decay = a.decoupled_weight_decay;
  return kernels::AdamUpdate(n, t.out(0), t.in(1), t.out(1), t.out(2), options,
                             static_cast<int64_t>(ctx.step_number), ctx.pool);
}

// RMS norm over the last axis: [rows, norm_size]; rstd is written when the step has a second
// result.
Status runRmsNorm(const StepTensors &t, const KernelContext &ctx) {
  const Shape &x = t.inShape(0);
  const int64_t norm_size = x.dims[x.rank - 1];
  const int64_t rows = x.NumElements() / norm_size;
  if (t.step.kernel == KernelId::kRmsNormGrad)
    return kernels::RmsNormGrad(rows, norm_size, t.in(0), t.in(1), t.in(2), t.in(3), t.out(0),
                                t.out(1), ctx.scratch, ctx.pool);
  LayerNormAttributes attrs;
  if (auto *a = std::get_if<LayerNormAttributes>(&t.step.attrs))
    attrs = *a;
  float *rstd = t.step.results.size() > 1 ? t.out(1) : nullptr;
  return kernels::RmsNorm(rows, norm_size, t.in(0), t.in(1), attrs.epsilon, t.out(0), rstd,
                          ctx.pool);
}

// Slice, Pad and Concat as box copies (copy_box.h).
Status runBoxCopy(const StepTensors &t, const KernelContext &ctx) {
  const int64_t zero[kernels::kMaxRank] = {0, 0, 0, 0, 0, 0};
  const Shape &out = t.outShape(0);
  switch (t.step.kernel) {
  case KernelId::kSlice:
    return kernels::CopyBox(t.inShape(0), t.in(0),
                            std::get<SliceAttributes>(t.step.attrs).start.data(), out, t.out(0),
                            zero, out.dims, ctx.pool);
  case KernelId::kPad: {
    const PadAttributes &a = std::get<PadAttributes>(t.step.attrs);
    kernels::Fill(t.out(0), out.NumElements(), a.value, ctx.pool);
    return kernels::CopyBox(t.inShape(0), t.in(0), zero, out, t.out(0), a.low.data(),
                            t.inShape(0).dims, ctx.pool);
  }
  default: { // kConcat: operand i goes to its offset along the axis.
    const int axis = std::get<ConcatAttributes>(t.step.attrs).axis;
    int64_t start[kernels::kMaxRank] = {0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < t.step.operands.size(); ++i) {
      const Shape &x = t.inShape(static_cast<int>(i));
      TIDEMARK_RETURN_IF_ERROR(kernels::CopyBox(x, t.in(static_cast<int>(i)), zero, out, t.out(0),
                                                start, x.dims, ctx.pool));
      start[axis] += x.dims[axis];
    }
    return Status::Ok();
  }
  }
}

// Split: result i is the box of the operand at offset_i along the axis (one CopyBox each).
Status runSplit(const StepTensors &t, const KernelContext &ctx) {
  const int64_t zero[kernels::kMaxRank] = {0, 0, 0, 0, 0, 0};
  const int axis = std::get<ConcatAttributes>(t.step.attrs).axis;
  int64_t start[kernels::kMaxRank] = {0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < t.step.results.size(); ++i) {
    const Shape &out = t.outShape(static_cast<int>(i));
    TIDEMARK_RETURN_IF_ERROR(kernels::CopyBox(
        t.inShape(0), t.in(0), start, out, t.out(static_cast<int>(i)), zero, out.dims, ctx.pool));
    start[axis] += out.dims[axis];
  }
  return Status::Ok();
}

// ReduceMax / ReduceMaxGrad over the one axis of ReduceAttrs, as [outer, len, inner].
Status runReduceMax(const StepTensors &t, const KernelContext &ctx) {
  const Shape &x = t.inShape(0);
  const int axis = std::get<ReduceAttributes>(t.step.attrs).axes[0];
  kernels::ReduceMaxShape shape;
  for (int i = 0; i < x.rank; ++i)
    (i < axis ? shape.outer : i > axis ? shape.inner : shape.len) *= x.dims[i];
  if (t.step.kernel == KernelId::kReduceMax)
    return kernels::ReduceMax(shape, t.in(0), t.out(0), ctx.pool);
  return kernels::ReduceMaxGrad(shape, t.in(0), t.in(1), t.out(0), ctx.pool);
}

// Gather / GatherGrad: an id out of range fails naming the ids tensor, its position and value.
Status runGather(const StepTensors &t, const KernelContext &ctx) {
  const bool grad = t.step.kernel == KernelId::kGatherGrad;
  const int ids_operand = grad ? 0 : 1;
  const Shape &table = grad ? t.outShape(0) : t.inShape(0);
  const auto *ids = reinterpret_cast<const int32_t *>(t.operands[ids_operand]);
  const int64_t count = t.inShape(ids_operand).NumElements();
  Status status =
      grad ? kernels::GatherGrad(ids, count, t.in(1), table.dims[0], table.dims[1], t.out(0),
                                 ctx.pool)
           : kernels::Gather(t.in(0), table.dims[0], table.dims[1], ids, count, t.out(0), ctx.pool);
  if (status.ok())
    return status;
  return Status(status.code(), "ids " +
                                   DescribeTensor(t.plan, t.step.operands[size_t(ids_operand)]) +
                                   ": " + status.message());
}

kernels::RopeShape ropeShape(const Shape &x, const RopeAttributes &a) {
  kernels::RopeShape shape;
  shape.outer = a.layout == 0 ? x.dims[0] : x.dims[0] * x.dims[1];
  shape.positions = a.layout == 0 ? x.dims[1] : x.dims[2];
  shape.inner = a.layout == 0 ? x.dims[2] : 1;
  shape.head_dim = x.dims[3];
  shape.rot_dim = a.rot_dim;
  return shape;
}

Status runDropout(const StepTensors &t, const KernelContext &ctx) {
  const DropoutAttributes &a = std::get<DropoutAttributes>(t.step.attrs);
  const kernels::DropoutStream stream{ctx.seed, static_cast<uint32_t>(ctx.step_number), a.site};
  return kernels::Dropout(stream, a.p, t.in(0), t.out(0), t.inShape(0).NumElements(), ctx.pool);
}

kernels::LmHeadLossParams lmHeadLossParams(const LoadedPlan &plan, const LoadedStep &step) {
  const LmHeadLossAttributes &a = std::get<LmHeadLossAttributes>(step.attrs);
  const Shape &h = plan.tensors[size_t(step.operands[0])].shape;
  kernels::LmHeadLossParams p;
  p.rows = h.dims[0];
  p.hidden = h.dims[1];
  p.vocab = plan.tensors[size_t(step.operands[1])].shape.dims[0];
  p.row_chunk = a.row_chunk;
  p.vocab_chunk = a.vocab_chunk;
  p.ignore_index = a.ignore_index;
  return p;
}

// A label out of range fails naming the labels tensor.
Status runLmHeadLoss(const StepTensors &t, const KernelContext &ctx) {
  const kernels::LmHeadLossParams p = lmHeadLossParams(t.plan, t.step);
  const auto *labels = reinterpret_cast<const int32_t *>(t.operands[2]);
  Status status;
  if (t.step.kernel == KernelId::kLmHeadLoss) {
    const float *bias = t.step.operands.size() > 3 ? t.in(3) : nullptr;
    status = kernels::LmHeadLoss(p, t.in(0), t.in(1), bias, labels, t.out(0), t.out(1), ctx.scratch,
                                 ctx.pool);
  } else {
    const float *bias = t.step.operands.size() > 5 ? t.in(5) : nullptr;
    float *d_bias = t.step.results.size() > 2 ? t.out(2) : nullptr;
    status = kernels::LmHeadLossGrad(p, t.in(0), t.in(1), bias, labels, t.in(3), t.in(4), t.out(0),
                                     t.out(1), d_bias, ctx.scratch, ctx.pool);
  }
  if (status.ok())
    return status;
  return Status(status.code(),
                "labels " + DescribeTensor(t.plan, t.step.operands[2]) + ": " + status.message());
}

// Attention / AttentionGrad, with the optional key_lengths (i32 [B]) as the last operand. A
// length outside [0, Tk] fails before anything is written, naming the tensor.
Status runAttention(const StepTensors &t, const KernelContext &ctx) {
  kernels::AttentionParams p = attentionParams(t.plan, t.step);
  const bool grad = t.step.kernel == KernelId::kAttentionGrad;
  const size_t lengths_operand = grad ? 6 : 3;
  if (t.step.operands.size() > lengths_operand)
    p.key_lengths = reinterpret_cast<const int32_t *>(t.operands[lengths_operand]);
  Status status =
      grad ? kernels::AttentionBackward(p, t.in(0), t.in(1), t.in(2), t.in(3), t.in(4), t.in(5),
                                        t.out(0), t.out(1), t.out(2), ctx.scratch, ctx.pool)
           : kernels::AttentionForward(p, t.in(0), t.in(1), t.in(2), t.out(0), t.out(1),
                                       ctx.scratch, ctx.pool);
  if (status.ok() || p.key_lengths == nullptr)
    return status;
  return Status(status.code(), "key_lengths " +
                                   DescribeTensor(t.plan, t.step.operands[lengths_operand]) + ": " +
                                   status.message());
}

} // namespace

Status CheckInputIds(const LoadedPlan &plan, const LoadedStep &step, uint8_t *const *operands) {
  if (step.kernel != KernelId::kGather && step.kernel != KernelId::kGatherGrad)
    return Status::Ok();
  const bool grad = step.kernel == KernelId::kGatherGrad;
  const int ids_id = step.operands[grad ? 0 : 1];
  const LoadedTensor &ids = plan.tensors[size_t(ids_id)];
  if (ids.location != TensorLocation::kInput)
    return Status::Ok();
  const Shape &table = plan.tensors[size_t(grad ? step.results[0] : step.operands[0])].shape;
  Status status = kernels::ValidateGather(table.dims[0], table.dims[1],
                                          reinterpret_cast<const int32_t *>(operands[grad ? 0 : 1]),
                                          ids.shape.NumElements());
  if (status.ok())
    return status;
  return Status(status.code(), "ids " + DescribeTensor(plan, ids_id) + ": " + status.message());
}

Status CheckKernelAvailable(KernelId kernel) {
  // Every kernel id of plan format version 1 has a kernel in this build.
  if (kernel > kLastKernelId)
    return Unimplemented("kernel id " + std::to_string(static_cast<int>(kernel)) +
                         " is not available in this runtime build");
  return Status::Ok();
}

size_t StepScratchBytes(const LoadedPlan &plan, const LoadedStep &step, int num_threads) {
  kernels::BinaryOp op;
  switch (step.kernel) {
  case KernelId::kMatMul:
    return kernels::GemmScratchBytes(num_threads);
  case KernelId::kAttention:
    return kernels::AttentionScratchBytes(attentionParams(plan, step), num_threads);
  case KernelId::kAttentionGrad:
    return kernels::AttentionBackwardScratchBytes(attentionParams(plan, step), num_threads);
  case KernelId::kLayerNormGrad: {
    const Shape &x = plan.tensors[size_t(step.operands[0])].shape;
    const int64_t norm_size = x.dims[x.rank - 1];
    return kernels::LayerNormGradScratchBytes(x.NumElements() / norm_size, norm_size, num_threads);
  }
  case KernelId::kRmsNormGrad: {
    const Shape &x = plan.tensors[size_t(step.operands[0])].shape;
    const int64_t norm_size = x.dims[x.rank - 1];
    return kernels::RmsNormGradScratchBytes(x.NumElements() / norm_size, norm_size, num_threads);
  }
  case KernelId::kLmHeadLoss:
  case KernelId::kLmHeadLossGrad:
    return kernels::LmHeadLossScratchBytes(lmHeadLossParams(plan, step), num_threads);
  case KernelId::kAddGrad:
  case KernelId::kSubGrad:
  case KernelId::kMulGrad:
  case KernelId::kDivGrad:
  case KernelId::kMinGrad:
  case KernelId::kMaxGrad: {
    binaryOp(step.kernel, &op);
    int operand = std::get<BinaryGradAttributes>(step.attrs).operand;
    return kernels::BinaryGradScratchBytes(
        op, plan.tensors[size_t(step.operands[size_t(operand)])].shape,
        plan.tensors[size_t(step.operands[2])].shape, num_threads);
  }
  default:
    return 0;
  }
}

Status RunKernel(const LoadedPlan &plan, const LoadedStep &step, uint8_t *const *operands,
                 uint8_t *const *results, const KernelContext &ctx) {
  const StepTensors t{plan, step, operands, results};
  kernels::BinaryOp binary;
  kernels::UnaryOp unary;
  bool grad = false;
  switch (step.kernel) {
  case KernelId::kMatMul:
    kernels::Gemm(gemmParams(plan, step), t.in(0), t.in(1), t.out(0), ctx.scratch, ctx.pool);
    return Status::Ok();
  case KernelId::kAdd:
  case KernelId::kSub:
  case KernelId::kMul:
  case KernelId::kDiv:
  case KernelId::kMin:
  case KernelId::kMax:
    binaryOp(step.kernel, &binary);
    return kernels::Binary(binary, t.inShape(0), t.in(0), t.inShape(1), t.in(1), t.outShape(0),
                           t.out(0), ctx.pool);
  case KernelId::kAddGrad:
  case KernelId::kSubGrad:
  case KernelId::kMulGrad:
  case KernelId::kDivGrad:
  case KernelId::kMinGrad:
  case KernelId::kMaxGrad:
    binaryOp(step.kernel, &binary);
    return kernels::BinaryGrad(binary, std::get<BinaryGradAttributes>(step.attrs).operand,
                               t.inShape(0), t.in(0), t.inShape(1), t.in(1), t.inShape(2), t.in(2),
                               t.out(0), ctx.scratch, ctx.pool);
  case KernelId::kReduceSum:
  case KernelId::kReduceMean:
  case KernelId::kReduceSumGrad:
  case KernelId::kReduceMeanGrad:
    return runReduce(t, ctx);
  case KernelId::kReduceToShape:
    return kernels::ReduceToShape(t.inShape(0), t.in(0), t.outShape(0), t.out(0), ctx.pool);
  case KernelId::kAttention:
  case KernelId::kAttentionGrad:
    return runAttention(t, ctx);
  case KernelId::kSoftmax:
  case KernelId::kSoftmaxGrad:
    return runSoftmax(t, ctx);
  case KernelId::kLayerNorm:
  case KernelId::kLayerNormGrad:
    return runLayerNorm(t, ctx);
  case KernelId::kMseLoss:
  case KernelId::kMseLossGrad:
  case KernelId::kSoftmaxCrossEntropy:
  case KernelId::kSoftmaxCrossEntropyGrad:
    return runLoss(t, ctx);
  case KernelId::kSgdUpdate:
  case KernelId::kAdamUpdate:
    return runOptimizer(t, ctx);
  case KernelId::kTranspose:
    return kernels::Transpose(t.inShape(0), t.in(0),
                              std::get<TransposeAttributes>(step.attrs).perm.data(), t.out(0),
                              ctx.pool);
  case KernelId::kReshape:
  case KernelId::kCopy:
    runCopy(t);
    return Status::Ok();
  case KernelId::kFill:
    runFill(t);
    return Status::Ok();
  case KernelId::kRmsNorm:
  case KernelId::kRmsNormGrad:
    return runRmsNorm(t, ctx);
  case KernelId::kSlice:
  case KernelId::kPad:
  case KernelId::kConcat:
    return runBoxCopy(t, ctx);
  case KernelId::kGather:
  case KernelId::kGatherGrad:
    return runGather(t, ctx);
  case KernelId::kRope: {
    const RopeAttributes &a = std::get<RopeAttributes>(step.attrs);
    return kernels::Rope(ropeShape(t.inShape(0), a), t.in(1), t.in(0), t.out(0), a.inverse,
                         ctx.pool);
  }
  case KernelId::kDropout:
    return runDropout(t, ctx);
  case KernelId::kLmHeadLoss:
  case KernelId::kLmHeadLossGrad:
    return runLmHeadLoss(t, ctx);
  case KernelId::kSplit:
    return runSplit(t, ctx);
  case KernelId::kSumSquares: {
    // The sum in double (deterministic for any thread count), rounded once, plus the accumulator.
    const double sum = kernels::SumOfSquares(t.in(0), t.inShape(0).NumElements(), ctx.pool);
    const double acc = t.step.operands.size() > 1 ? static_cast<double>(t.in(1)[0]) : 0.0;
    t.out(0)[0] = static_cast<float>(acc + sum);
    return Status::Ok();
  }
  case KernelId::kClipCoefficient:
    t.out(0)[0] = kernels::ClipCoefficient(static_cast<double>(t.in(0)[0]),
                                           std::get<ClipAttributes>(step.attrs).max_norm);
    return Status::Ok();
  case KernelId::kReduceMax:
  case KernelId::kReduceMaxGrad:
    return runReduceMax(t, ctx);
  case KernelId::kCastF32ToI32:
    kernels::CastF32ToI32(t.in(0), reinterpret_cast<int32_t *>(t.results[0]),
                          t.inShape(0).NumElements(), ctx.pool);
    return Status::Ok();
  case KernelId::kCastI32ToF32:
    kernels::CastI32ToF32(reinterpret_cast<const int32_t *>(t.operands[0]), t.out(0),
                          t.inShape(0).NumElements(), ctx.pool);
    return Status::Ok();
  case KernelId::kWhere:
    return kernels::Where(t.inShape(0), reinterpret_cast<const int32_t *>(t.operands[0]),
                          t.inShape(1), t.in(1), t.inShape(2), t.in(2), t.outShape(0), t.out(0),
                          ctx.pool);
  default:
    break;
  }
  if (unaryOp(step.kernel, &unary, &grad)) {
    const int64_t n = t.outShape(0).NumElements();
    kernels::UnaryParams params;
    if (auto *a = std::get_if<UnaryAttributes>(&step.attrs))
      params = kernels::UnaryParams{a->a, a->b};
    if (grad)
      kernels::UnaryGrad(unary, t.in(0), t.in(1), t.out(0), n, ctx.pool, params);
    else
      kernels::Unary(unary, t.in(0), t.out(0), n, ctx.pool, params);
    return Status::Ok();
  }
  return Unimplemented(std::string("kernel ") + KernelIdName(step.kernel) +
                       " is not available in this runtime build");
}

} // namespace tidemark
