// DecodePlan: FlatBuffers verification and decoding of a plan file into a LoadedPlan.
#include <cstring>

#include "runtime/plan/loaded_plan.h"
#include "tidemark/plan_generated.h"

namespace tidemark {
namespace fb = ::tidemark::plan;

namespace {

// Dims beyond this are rejected so that element counts and byte sizes cannot overflow.
constexpr int64_t kMaxDim = int64_t{1} << 40;

Status checkIdentifier(const uint8_t *bytes, size_t size) {
  if (size < 8)
    return DataLoss("plan is truncated: " + std::to_string(size) +
                    " bytes, a plan file has at least 8");
  if (!fb::PlanBufferHasIdentifier(bytes)) {
    std::string found;
    for (int i = 4; i < 8; ++i) {
      char c = static_cast<char>(bytes[i]);
      found += (c >= 32 && c < 127) ? c : '?';
    }
    return InvalidArgument("not a Tidemark plan: file identifier is '" + found +
                           "', expected 'TMPL'");
  }
  return Status::Ok();
}

Status decodeShape(const fb::Tensor &t, LoadedTensor *out, const std::string &what) {
  const auto *shape = t.shape();
  size_t rank = shape ? shape->size() : 0;
  if (rank > static_cast<size_t>(kernels::kMaxRank))
    return InvalidArgument(what + " has rank " + std::to_string(rank) + ", at most " +
                           std::to_string(kernels::kMaxRank) + " is supported");
  out->shape.rank = static_cast<int>(rank);
  int64_t elements = 1;
  for (size_t i = 0; i < rank; ++i) {
    // The verifier guarantees 4-byte alignment of vectors only; a corrupt offset can leave 8-byte
    // elements misaligned, so read them bytewise.
    int64_t d;
    std::memcpy(&d, shape->Data() + i * sizeof(int64_t), sizeof(d));
    if (d < 0 || d > kMaxDim)
      return InvalidArgument(what + " has dimension " + std::to_string(i) + " = " +
                             std::to_string(d) + ", expected 0.." + std::to_string(kMaxDim));
    out->shape.dims[i] = d;
    if (d != 0 && elements > static_cast<int64_t>(kMaxRegionBytes) / d)
      return OutOfRange(what + " has more elements than any region can hold");
    elements *= d;
  }
  out->size_bytes = static_cast<uint64_t>(elements) * DTypeSize(out->dtype);
  return Status::Ok();
}

Status decodeTensor(const fb::Tensor &t, int id, LoadedTensor *out) {
  std::string what = "tensor " + std::to_string(id);
  if (t.name())
    out->name = t.name()->str();
  if (!out->name.empty())
    what += " '" + out->name + "'";
  if (t.dtype() < fb::DType::MIN || t.dtype() > fb::DType::MAX)
    return InvalidArgument(what + " has unknown dtype " +
                           std::to_string(static_cast<int>(t.dtype())));
  if (t.location() < fb::Location::MIN || t.location() > fb::Location::MAX)
    return InvalidArgument(what + " has unknown location " +
                           std::to_string(static_cast<int>(t.location())));
  out->dtype = static_cast<DType>(t.dtype());
  out->location = static_cast<TensorLocation>(t.location());
  out->offset = t.offset();
  out->view_of = t.view_of();
  out->live_first = t.live_first();
  out->live_last = t.live_last();
  if (t.constant_data()) {
    out->constant_data = t.constant_data()->data();
    out->constant_size = t.constant_data()->size();
  }
  return decodeShape(t, out, what);
}

template <typename T> std::vector<T> toVector(const flatbuffers::Vector<T> *v) {
  return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>();
}

StepAttributes decodeAttrs(const fb::Step &s) {
  switch (s.attrs_type()) {
  case fb::Attrs::MatMulAttrs: {
    const auto *a = s.attrs_as_MatMulAttrs();
    return MatMulAttributes{a->transpose_a(), a->transpose_b(), a->alpha(), a->accumulate()};
  }
  case fb::Attrs::LayerNormAttrs:
    return LayerNormAttributes{s.attrs_as_LayerNormAttrs()->epsilon()};
  case fb::Attrs::ReduceAttrs: {
    const auto *a = s.attrs_as_ReduceAttrs();
    return ReduceAttributes{toVector(a->axes()), a->keep_dims()};
  }
  case fb::Attrs::TransposeAttrs:
    return TransposeAttributes{toVector(s.attrs_as_TransposeAttrs()->perm())};
  case fb::Attrs::SgdAttrs: {
    const auto *a = s.attrs_as_SgdAttrs();
    return SgdAttributes{a->learning_rate(), a->momentum(), a->weight_decay()};
  }
  case fb::Attrs::AdamAttrs: {
    const auto *a = s.attrs_as_AdamAttrs();
    return AdamAttributes{a->learning_rate(), a->beta1(),        a->beta2(),
                          a->epsilon(),       a->weight_decay(), a->decoupled_weight_decay()};
  }
  case fb::Attrs::AttentionAttrs: {
    const auto *a = s.attrs_as_AttentionAttrs();
    return AttentionAttributes{a->causal(), a->scale(), a->q_chunk(), a->k_chunk()};
  }
  case fb::Attrs::FillAttrs:
    return FillAttributes{s.attrs_as_FillAttrs()->value()};
  case fb::Attrs::BinaryGradAttrs:
    return BinaryGradAttributes{s.attrs_as_BinaryGradAttrs()->operand()};
  case fb::Attrs::SoftmaxAttrs:
    return SoftmaxAttributes{s.attrs_as_SoftmaxAttrs()->axis()};
  default:
    return std::monostate();
  }
}

Status decodeStep(const fb::Step &s, int id, LoadedStep *out) {
  if (s.kernel() < fb::KernelId::MIN || s.kernel() > fb::KernelId::MAX)
    return Unimplemented("step " + std::to_string(id) + " uses kernel id " +
                         std::to_string(static_cast<int>(s.kernel())) +
                         ", unknown to this runtime (newest kernel id is " +
                         std::to_string(static_cast<int>(fb::KernelId::MAX)) + ")");
  if (s.attrs_type() > fb::Attrs::MAX)
    return Unimplemented("step " + std::to_string(id) + " has attribute type " +
                         std::to_string(static_cast<int>(s.attrs_type())) +
                         ", unknown to this runtime");
  out->kernel = static_cast<KernelId>(s.kernel());
  out->operands = toVector(s.operands());
  out->results = toVector(s.results());
  out->attrs = decodeAttrs(s);
  if (s.name())
    out->name = s.name()->str();
  return Status::Ok();
}

void decodeRegions(const fb::Plan &p, LoadedPlan *out) {
  out->version = p.version();
  out->arena_bytes = p.arena_bytes();
  out->arena_alignment = p.arena_alignment();
  out->state_bytes = p.state_bytes();
  out->state_alignment = p.state_alignment();
  if (p.state_init()) {
    for (const fb::StateInit *init : *p.state_init()) {
      LoadedStateInit loaded;
      loaded.offset = init->offset();
      if (init->data()) {
        loaded.data = init->data()->data();
        loaded.size = init->data()->size();
      }
      out->state_inits.push_back(loaded);
    }
  }
  if (const fb::ExternalWeights *w = p.external_weights()) {
    out->has_external_weights = true;
    out->weights_path = w->path() ? w->path()->str() : "";
    out->weights_file_offset = w->file_offset();
    out->weights_byte_size = w->byte_size();
  }
  if (const fb::PlanStats *s = p.stats())
    out->stats = PlanStatistics{s->load_bytes(),  s->values_kept(),  s->ops_recomputed(),
                                s->extra_flops(), s->bytes_reused(), s->peak_step()};
  if (p.producer())
    out->producer = p.producer()->str();
}

} // namespace

Status DecodePlan(const void *data, size_t size, LoadedPlan *out) {
  if (data == nullptr && size > 0)
    return InvalidArgument("plan data is null");
  const auto *bytes = static_cast<const uint8_t *>(data);
  TIDEMARK_RETURN_IF_ERROR(checkIdentifier(bytes, size));
  flatbuffers::Verifier verifier(bytes, size);
  if (!fb::VerifyPlanBuffer(verifier))
    return DataLoss("plan is truncated or corrupt: the FlatBuffers verifier rejected its " +
                    std::to_string(size) + " bytes");
  const fb::Plan *plan = fb::GetPlan(bytes);
  if (plan->version() != kPlanFormatVersion)
    return Unimplemented("plan format version " + std::to_string(plan->version()) +
                         " is not supported: this runtime reads version " +
                         std::to_string(kPlanFormatVersion));
  *out = LoadedPlan();
  decodeRegions(*plan, out);
  if (plan->tensors()) {
    out->tensors.resize(plan->tensors()->size());
    for (size_t i = 0; i < out->tensors.size(); ++i)
      TIDEMARK_RETURN_IF_ERROR(
          decodeTensor(*plan->tensors()->Get(static_cast<flatbuffers::uoffset_t>(i)),
                       static_cast<int>(i), &out->tensors[i]));
  }
  if (plan->steps()) {
    out->steps.resize(plan->steps()->size());
    for (size_t i = 0; i < out->steps.size(); ++i)
      TIDEMARK_RETURN_IF_ERROR(
          decodeStep(*plan->steps()->Get(static_cast<flatbuffers::uoffset_t>(i)),
                     static_cast<int>(i), &out->steps[i]));
  }
  return Status::Ok();
}

Status LoadAndVerifyPlan(const void *data, size_t size, LoadedPlan *out) {
  TIDEMARK_RETURN_IF_ERROR(DecodePlan(data, size, out));
  return VerifyPlan(*out);
}

} // namespace tidemark
