// PlanBuilder: records tensors and steps and serializes them with the generated FlatBuffers API.
#include "tidemark/plan_builder.h"

#include <algorithm>
#include <cstring>

#include "tidemark/plan_generated.h"

namespace tidemark {
namespace fb = ::tidemark::plan;

// The public mirrors must keep the schema's values.
static_assert(static_cast<int>(KernelId::kReduceMeanGrad) ==
                  static_cast<int>(fb::KernelId::ReduceMeanGrad),
              "KernelId out of sync with plan.fbs");
static_assert(static_cast<int>(KernelId::kNeg) == static_cast<int>(fb::KernelId::Neg),
              "KernelId out of sync with plan.fbs");
static_assert(static_cast<int>(KernelId::kRope) == static_cast<int>(fb::KernelId::Rope),
              "KernelId out of sync with plan.fbs");
static_assert(static_cast<int>(kLastKernelId) == static_cast<int>(fb::KernelId::MAX),
              "kLastKernelId must be the schema's last kernel id");
static_assert(static_cast<int>(KernelId::kAttention) == static_cast<int>(fb::KernelId::Attention),
              "KernelId out of sync with plan.fbs");
static_assert(static_cast<int>(KernelId::kSgdUpdate) == static_cast<int>(fb::KernelId::SgdUpdate),
              "KernelId out of sync with plan.fbs");
static_assert(static_cast<int>(TensorLocation::kConstant) ==
                  static_cast<int>(fb::Location::Constant),
              "TensorLocation out of sync with plan.fbs");
static_assert(static_cast<int>(DType::kI32) == static_cast<int>(fb::DType::I32),
              "DType out of sync with plan.fbs");

const char *KernelIdName(KernelId kernel) {
  auto value = static_cast<fb::KernelId>(kernel);
  if (value < fb::KernelId::MIN || value > fb::KernelId::MAX)
    return "unknown";
  return fb::EnumNameKernelId(value);
}

void PlanBuilder::SetArena(uint64_t bytes, uint32_t alignment) {
  arena_bytes_ = bytes;
  arena_alignment_ = alignment;
}

void PlanBuilder::SetState(uint64_t bytes, uint32_t alignment) {
  state_bytes_ = bytes;
  state_alignment_ = alignment;
}

int PlanBuilder::AddTensor(TensorSpec spec) {
  tensors_.push_back(std::move(spec));
  return static_cast<int>(tensors_.size()) - 1;
}

int PlanBuilder::AddArenaTensor(const std::string &name, std::vector<int64_t> shape,
                                uint64_t offset, int live_first, int live_last, DType dtype) {
  TensorSpec spec;
  spec.name = name;
  spec.shape = std::move(shape);
  spec.dtype = dtype;
  spec.location = TensorLocation::kArena;
  spec.offset = offset;
  spec.live_first = live_first;
  spec.live_last = live_last;
  return AddTensor(std::move(spec));
}

int PlanBuilder::AddStateTensor(const std::string &name, std::vector<int64_t> shape,
                                uint64_t offset, DType dtype) {
  TensorSpec spec;
  spec.name = name;
  spec.shape = std::move(shape);
  spec.dtype = dtype;
  spec.location = TensorLocation::kState;
  spec.offset = offset;
  return AddTensor(std::move(spec));
}

int PlanBuilder::AddInput(const std::string &name, std::vector<int64_t> shape, DType dtype) {
  TensorSpec spec;
  spec.name = name;
  spec.shape = std::move(shape);
  spec.dtype = dtype;
  spec.location = TensorLocation::kInput;
  return AddTensor(std::move(spec));
}

int PlanBuilder::AddOutput(const std::string &name, std::vector<int64_t> shape, DType dtype) {
  TensorSpec spec;
  spec.name = name;
  spec.shape = std::move(shape);
  spec.dtype = dtype;
  spec.location = TensorLocation::kOutput;
  return AddTensor(std::move(spec));
}

int PlanBuilder::AddConstant(const std::string &name, std::vector<int64_t> shape,
                             const std::vector<float> &values) {
  TensorSpec spec;
  spec.name = name;
  spec.shape = std::move(shape);
  spec.location = TensorLocation::kConstant;
  spec.constant_data.resize(values.size() * sizeof(float));
  if (!values.empty())
    std::memcpy(spec.constant_data.data(), values.data(), spec.constant_data.size());
  return AddTensor(std::move(spec));
}

int PlanBuilder::AddView(const std::string &name, std::vector<int64_t> shape, int base,
                         uint64_t byte_offset, int live_first, int live_last) {
  TensorSpec spec;
  spec.name = name;
  spec.shape = std::move(shape);
  spec.view_of = base;
  if (base >= 0 && base < num_tensors()) {
    const TensorSpec &base_spec = tensors_[static_cast<size_t>(base)];
    spec.dtype = base_spec.dtype;
    spec.location = base_spec.location;
    spec.offset = base_spec.offset + byte_offset;
  }
  spec.live_first = live_first;
  spec.live_last = live_last;
  return AddTensor(std::move(spec));
}

int PlanBuilder::AddStep(KernelId kernel, std::vector<int> operands, std::vector<int> results,
                         StepAttributes attrs, const std::string &name) {
  steps_.push_back({kernel, std::move(operands), std::move(results), std::move(attrs), name});
  return static_cast<int>(steps_.size()) - 1;
}

void PlanBuilder::AddStateInit(uint64_t offset, const void *data, size_t size) {
  StateInitSpec init{offset, std::vector<uint8_t>(size)};
  if (size > 0)
    std::memcpy(init.data.data(), data, size);
  state_inits_.push_back(std::move(init));
}

void PlanBuilder::SetStateTensorValues(int tensor, const std::vector<float> &values) {
  AddStateInit(tensors_.at(static_cast<size_t>(tensor)).offset, values.data(),
               values.size() * sizeof(float));
}

void PlanBuilder::SetExternalWeights(const std::string &path, uint64_t file_offset,
                                     uint64_t byte_size) {
  has_external_weights_ = true;
  weights_path_ = path;
  weights_file_offset_ = file_offset;
  weights_byte_size_ = byte_size;
}

void PlanBuilder::AssignLiveIntervalsFromSteps() {
  std::vector<int> first(tensors_.size(), -1), last(tensors_.size(), -1);
  auto touch = [&](int id, int step) {
    // A use of a view is a use of the view and of every tensor it is a view of.
    for (int hops = 0; id >= 0 && id < num_tensors() && hops <= num_tensors(); ++hops) {
      size_t i = static_cast<size_t>(id);
      if (first[i] < 0)
        first[i] = step;
      last[i] = std::max(last[i], step);
      id = tensors_[i].view_of;
    }
  };
  for (int s = 0; s < num_steps(); ++s) {
    for (int id : steps_[static_cast<size_t>(s)].operands)
      touch(id, s);
    for (int id : steps_[static_cast<size_t>(s)].results)
      touch(id, s);
  }
  for (size_t i = 0; i < tensors_.size(); ++i) {
    TensorSpec &spec = tensors_[i];
    if (spec.location != TensorLocation::kArena || spec.live_first >= 0)
      continue;
    spec.live_first = first[i];
    spec.live_last = last[i];
  }
}

namespace {

using Fbb = flatbuffers::FlatBufferBuilder;

std::pair<fb::Attrs, flatbuffers::Offset<void>> serializeAttrs(Fbb &fbb,
                                                               const StepAttributes &attrs) {
  if (auto *a = std::get_if<MatMulAttributes>(&attrs))
    return {fb::Attrs::MatMulAttrs,
            fb::CreateMatMulAttrs(fbb, a->transpose_a, a->transpose_b, a->alpha, a->accumulate)
                .Union()};
  if (auto *a = std::get_if<LayerNormAttributes>(&attrs))
    return {fb::Attrs::LayerNormAttrs, fb::CreateLayerNormAttrs(fbb, a->epsilon).Union()};
  if (auto *a = std::get_if<ReduceAttributes>(&attrs))
    return {fb::Attrs::ReduceAttrs,
            fb::CreateReduceAttrs(fbb, fbb.CreateVector(a->axes), a->keep_dims).Union()};
  if (auto *a = std::get_if<TransposeAttributes>(&attrs))
    return {fb::Attrs::TransposeAttrs,
            fb::CreateTransposeAttrs(fbb, fbb.CreateVector(a->perm)).Union()};
  if (auto *a = std::get_if<SgdAttributes>(&attrs))
    return {fb::Attrs::SgdAttrs,
            fb::CreateSgdAttrs(fbb, a->learning_rate, a->momentum, a->weight_decay,
                               a->schedule.cosine, a->schedule.warmup_steps,
                               a->schedule.total_steps, a->schedule.min_lr)
                .Union()};
  if (auto *a = std::get_if<AdamAttributes>(&attrs))
    return {fb::Attrs::AdamAttrs,
            fb::CreateAdamAttrs(fbb, a->learning_rate, a->beta1, a->beta2, a->epsilon,
                                a->weight_decay, a->decoupled_weight_decay, a->schedule.cosine,
                                a->schedule.warmup_steps, a->schedule.total_steps,
                                a->schedule.min_lr)
                .Union()};
  if (auto *a = std::get_if<AttentionAttributes>(&attrs))
    return {fb::Attrs::AttentionAttrs,
            fb::CreateAttentionAttrs(fbb, a->causal, a->scale, a->q_chunk, a->k_chunk).Union()};
  if (auto *a = std::get_if<FillAttributes>(&attrs))
    return {fb::Attrs::FillAttrs, fb::CreateFillAttrs(fbb, a->value).Union()};
  if (auto *a = std::get_if<BinaryGradAttributes>(&attrs))
    return {fb::Attrs::BinaryGradAttrs, fb::CreateBinaryGradAttrs(fbb, a->operand).Union()};
  if (auto *a = std::get_if<SoftmaxAttributes>(&attrs))
    return {fb::Attrs::SoftmaxAttrs, fb::CreateSoftmaxAttrs(fbb, a->axis).Union()};
  if (auto *a = std::get_if<UnaryAttributes>(&attrs))
    return {fb::Attrs::UnaryAttrs, fb::CreateUnaryAttrs(fbb, a->a, a->b).Union()};
  if (auto *a = std::get_if<SliceAttributes>(&attrs))
    return {fb::Attrs::SliceAttrs, fb::CreateSliceAttrs(fbb, fbb.CreateVector(a->start)).Union()};
  if (auto *a = std::get_if<PadAttributes>(&attrs))
    return {fb::Attrs::PadAttrs,
            fb::CreatePadAttrs(fbb, fbb.CreateVector(a->low), a->value).Union()};
  if (auto *a = std::get_if<ConcatAttributes>(&attrs))
    return {fb::Attrs::ConcatAttrs, fb::CreateConcatAttrs(fbb, a->axis).Union()};
  if (auto *a = std::get_if<RopeAttributes>(&attrs))
    return {
        fb::Attrs::RopeAttrs,
        fb::CreateRopeAttrs(fbb, static_cast<int8_t>(a->layout), a->rot_dim, a->inverse).Union()};
  if (auto *a = std::get_if<DropoutAttributes>(&attrs))
    return {fb::Attrs::DropoutAttrs, fb::CreateDropoutAttrs(fbb, a->p, a->site).Union()};
  if (auto *a = std::get_if<LmHeadLossAttributes>(&attrs))
    return {fb::Attrs::LmHeadLossAttrs,
            fb::CreateLmHeadLossAttrs(fbb, a->ignore_index, a->row_chunk, a->vocab_chunk).Union()};
  if (auto *a = std::get_if<ClipAttributes>(&attrs))
    return {fb::Attrs::ClipAttrs, fb::CreateClipAttrs(fbb, a->max_norm).Union()};
  return {fb::Attrs::NONE, 0};
}

flatbuffers::Offset<fb::Tensor> serializeTensor(Fbb &fbb, const TensorSpec &spec) {
  auto name = fbb.CreateString(spec.name);
  auto shape = fbb.CreateVector(spec.shape);
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> data = 0;
  if (spec.location == TensorLocation::kConstant || !spec.constant_data.empty())
    data = fbb.CreateVector(spec.constant_data);
  return fb::CreateTensor(fbb, name, shape, static_cast<fb::DType>(spec.dtype),
                          static_cast<fb::Location>(spec.location), spec.offset, spec.view_of,
                          spec.live_first, spec.live_last, data);
}

} // namespace

std::vector<uint8_t> PlanBuilder::Finish() const {
  Fbb fbb(1024);
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const TensorSpec &spec : tensors_)
    tensors.push_back(serializeTensor(fbb, spec));
  std::vector<flatbuffers::Offset<fb::Step>> steps;
  for (const StepSpec &step : steps_) {
    auto operands = fbb.CreateVector(step.operands);
    auto results = fbb.CreateVector(step.results);
    auto attrs = serializeAttrs(fbb, step.attrs);
    auto name = fbb.CreateString(step.name);
    steps.push_back(fb::CreateStep(fbb, static_cast<fb::KernelId>(step.kernel), operands, results,
                                   attrs.first, attrs.second, name));
  }
  std::vector<flatbuffers::Offset<fb::StateInit>> inits;
  for (const StateInitSpec &init : state_inits_)
    inits.push_back(fb::CreateStateInit(fbb, init.offset, fbb.CreateVector(init.data)));
  flatbuffers::Offset<fb::ExternalWeights> weights = 0;
  if (has_external_weights_)
    weights = fb::CreateExternalWeights(fbb, fbb.CreateString(weights_path_), weights_file_offset_,
                                        weights_byte_size_);
  auto stats =
      fb::CreatePlanStats(fbb, stats_.load_bytes, stats_.values_kept, stats_.ops_recomputed,
                          stats_.extra_flops, stats_.bytes_reused, stats_.peak_step);
  auto plan =
      fb::CreatePlan(fbb, version_, arena_bytes_, arena_alignment_, state_bytes_, state_alignment_,
                     fbb.CreateVector(inits), weights, fbb.CreateVector(tensors),
                     fbb.CreateVector(steps), stats, fbb.CreateString(producer_), seed_);
  fb::FinishPlanBuffer(fbb, plan);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

} // namespace tidemark
