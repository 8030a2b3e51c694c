// DecodePlan: FlatBuffers verification and decoding of a plan file into a LoadedPlan.
#include <cstring>
#include <new>

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

// What decoding may copy: every copied string or list must be backed by its own bytes of the
// plan (see DecodePlan in loaded_plan.h). Starts at the plan's size and is charged per copy.
class CopyBudget {
public:
  explicit CopyBudget(uint64_t plan_bytes) : left_(plan_bytes), plan_bytes_(plan_bytes) {}
  Status charge(uint64_t bytes, const std::string &what) {
    if (bytes <= left_) {
      left_ -= bytes;
      return Status::Ok();
    }
    return DataLoss(what + " would make the decoded plan larger than the " +
                    std::to_string(plan_bytes_) +
                    " bytes of the file (tables share one string or vector; the writer never "
                    "does that)");
  }

private:
  uint64_t left_;
  const uint64_t plan_bytes_;
};

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
  // elements <= 2^40 and the element size is 4: no overflow.
  out->size_bytes = static_cast<uint64_t>(elements) * DTypeSize(out->dtype);
  return Status::Ok();
}

Status decodeTensor(const fb::Tensor &t, int id, CopyBudget *budget, LoadedTensor *out) {
  std::string what = "tensor " + std::to_string(id);
  if (t.name()) {
    TIDEMARK_RETURN_IF_ERROR(budget->charge(t.name()->size(), what + "'s name"));
    out->name = t.name()->str();
  }
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
    // The executor copies constant data once per tensor: charge it like a copy.
    TIDEMARK_RETURN_IF_ERROR(budget->charge(t.constant_data()->size(), what + "'s constant data"));
    out->constant_data = t.constant_data()->data();
    out->constant_size = t.constant_data()->size();
  }
  return decodeShape(t, out, what);
}

// Copies a list of at most `max_size` ints (tensor ids, axes), charging the budget.
Status decodeIntList(const flatbuffers::Vector<int32_t> *v, size_t max_size,
                     const std::string &what, CopyBudget *budget, std::vector<int> *out) {
  out->clear();
  if (!v)
    return Status::Ok();
  if (v->size() > max_size)
    return InvalidArgument(what + " has " + std::to_string(v->size()) + " entries, at most " +
                           std::to_string(max_size) + " are allowed");
  TIDEMARK_RETURN_IF_ERROR(budget->charge(uint64_t{v->size()} * sizeof(int32_t), what));
  out->assign(v->begin(), v->end());
  return Status::Ok();
}

// Copies a list of at most `max_size` int64s (box starts, pads), charging the budget.
Status decodeLongList(const flatbuffers::Vector<int64_t> *v, size_t max_size,
                      const std::string &what, CopyBudget *budget, std::vector<int64_t> *out) {
  out->clear();
  if (!v)
    return Status::Ok();
  if (v->size() > max_size)
    return InvalidArgument(what + " has " + std::to_string(v->size()) + " entries, at most " +
                           std::to_string(max_size) + " are allowed");
  TIDEMARK_RETURN_IF_ERROR(budget->charge(uint64_t{v->size()} * sizeof(int64_t), what));
  // Byte copies, not int64 loads: the FlatBuffers verifier checks a vector's 4-byte length field
  // only, so an edited plan can place 8-byte elements at an address that is 4 mod 8 (a misaligned
  // load is undefined behaviour; UBSan reports it).
  out->resize(v->size());
  for (size_t i = 0; i < v->size(); ++i)
    std::memcpy(&(*out)[i], v->Data() + i * sizeof(int64_t), sizeof(int64_t));
  return Status::Ok();
}

// The step's attributes. A union value is present exactly when its type is not NONE (the
// FlatBuffers verifier accepts a type without a value, and a value whose type is NONE).
Status decodeAttrs(const fb::Step &s, const std::string &what, CopyBudget *budget,
                   StepAttributes *out) {
  const fb::Attrs type = s.attrs_type();
  if (type > fb::Attrs::MAX)
    return Unimplemented(what + " has attribute type " + std::to_string(static_cast<int>(type)) +
                         ", unknown to this runtime");
  if (type == fb::Attrs::NONE) {
    if (s.attrs() != nullptr)
      return DataLoss(what + " has an attribute table but attribute type NONE");
    *out = std::monostate();
    return Status::Ok();
  }
  if (s.attrs() == nullptr)
    return DataLoss(what + " declares attribute type " + fb::EnumNameAttrs(type) +
                    " but carries no attribute table");
  const size_t max_axes = static_cast<size_t>(kernels::kMaxRank);
  switch (type) {
  case fb::Attrs::MatMulAttrs: {
    const auto *a = s.attrs_as_MatMulAttrs();
    *out = MatMulAttributes{a->transpose_a(), a->transpose_b(), a->alpha(), a->accumulate()};
    return Status::Ok();
  }
  case fb::Attrs::LayerNormAttrs:
    *out = LayerNormAttributes{s.attrs_as_LayerNormAttrs()->epsilon()};
    return Status::Ok();
  case fb::Attrs::ReduceAttrs: {
    const auto *a = s.attrs_as_ReduceAttrs();
    ReduceAttributes attrs;
    attrs.keep_dims = a->keep_dims();
    TIDEMARK_RETURN_IF_ERROR(
        decodeIntList(a->axes(), max_axes, what + "'s reduce axes", budget, &attrs.axes));
    *out = std::move(attrs);
    return Status::Ok();
  }
  case fb::Attrs::TransposeAttrs: {
    TransposeAttributes attrs;
    TIDEMARK_RETURN_IF_ERROR(decodeIntList(s.attrs_as_TransposeAttrs()->perm(), max_axes,
                                           what + "'s transpose perm", budget, &attrs.perm));
    *out = std::move(attrs);
    return Status::Ok();
  }
  case fb::Attrs::SgdAttrs: {
    const auto *a = s.attrs_as_SgdAttrs();
    *out = SgdAttributes{
        a->learning_rate(), a->momentum(), a->weight_decay(),
        LrScheduleAttributes{a->cosine(), a->warmup_steps(), a->total_steps(), a->min_lr()}};
    return Status::Ok();
  }
  case fb::Attrs::AdamAttrs: {
    const auto *a = s.attrs_as_AdamAttrs();
    *out = AdamAttributes{
        a->learning_rate(),
        a->beta1(),
        a->beta2(),
        a->epsilon(),
        a->weight_decay(),
        a->decoupled_weight_decay(),
        LrScheduleAttributes{a->cosine(), a->warmup_steps(), a->total_steps(), a->min_lr()}};
    return Status::Ok();
  }
  case fb::Attrs::AttentionAttrs: {
    const auto *a = s.attrs_as_AttentionAttrs();
    *out = AttentionAttributes{a->causal(), a->scale(), a->q_chunk(), a->k_chunk()};
    return Status::Ok();
  }
  case fb::Attrs::FillAttrs:
    *out = FillAttributes{s.attrs_as_FillAttrs()->value()};
    return Status::Ok();
  case fb::Attrs::BinaryGradAttrs:
    *out = BinaryGradAttributes{s.attrs_as_BinaryGradAttrs()->operand()};
    return Status::Ok();
  case fb::Attrs::SoftmaxAttrs:
    *out = SoftmaxAttributes{s.attrs_as_SoftmaxAttrs()->axis()};
    return Status::Ok();
  case fb::Attrs::UnaryAttrs:
    *out = UnaryAttributes{s.attrs_as_UnaryAttrs()->a(), s.attrs_as_UnaryAttrs()->b()};
    return Status::Ok();
  case fb::Attrs::SliceAttrs: {
    SliceAttributes attrs;
    TIDEMARK_RETURN_IF_ERROR(decodeLongList(s.attrs_as_SliceAttrs()->start(), max_axes,
                                            what + "'s slice start", budget, &attrs.start));
    *out = std::move(attrs);
    return Status::Ok();
  }
  case fb::Attrs::PadAttrs: {
    PadAttributes attrs;
    attrs.value = s.attrs_as_PadAttrs()->value();
    TIDEMARK_RETURN_IF_ERROR(decodeLongList(s.attrs_as_PadAttrs()->low(), max_axes,
                                            what + "'s pad low", budget, &attrs.low));
    *out = std::move(attrs);
    return Status::Ok();
  }
  case fb::Attrs::ConcatAttrs:
    *out = ConcatAttributes{s.attrs_as_ConcatAttrs()->axis()};
    return Status::Ok();
  case fb::Attrs::RopeAttrs: {
    const auto *a = s.attrs_as_RopeAttrs();
    *out = RopeAttributes{a->layout(), a->rot_dim(), a->inverse()};
    return Status::Ok();
  }
  case fb::Attrs::DropoutAttrs:
    *out = DropoutAttributes{s.attrs_as_DropoutAttrs()->p(), s.attrs_as_DropoutAttrs()->site()};
    return Status::Ok();
  case fb::Attrs::LmHeadLossAttrs: {
    const auto *a = s.attrs_as_LmHeadLossAttrs();
    *out = LmHeadLossAttributes{a->ignore_index(), a->row_chunk(), a->vocab_chunk()};
    return Status::Ok();
  }
  case fb::Attrs::ClipAttrs:
    *out = ClipAttributes{s.attrs_as_ClipAttrs()->max_norm()};
    return Status::Ok();
  default: // NONE and unknown types were handled above.
    return Internal(what + ": unhandled attribute type " + fb::EnumNameAttrs(type));
  }
}

Status decodeStep(const fb::Step &s, int id, CopyBudget *budget, LoadedStep *out) {
  const std::string what = "step " + std::to_string(id);
  if (s.kernel() < fb::KernelId::MIN || s.kernel() > fb::KernelId::MAX)
    return Unimplemented(what + " uses kernel id " + std::to_string(static_cast<int>(s.kernel())) +
                         ", unknown to this runtime (newest kernel id is " +
                         std::to_string(static_cast<int>(fb::KernelId::MAX)) + ")");
  out->kernel = static_cast<KernelId>(s.kernel());
  TIDEMARK_RETURN_IF_ERROR(decodeIntList(s.operands(), kMaxStepOperands, what + "'s operand list",
                                         budget, &out->operands));
  TIDEMARK_RETURN_IF_ERROR(
      decodeIntList(s.results(), kMaxStepResults, what + "'s result list", budget, &out->results));
  TIDEMARK_RETURN_IF_ERROR(decodeAttrs(s, what, budget, &out->attrs));
  if (s.name()) {
    TIDEMARK_RETURN_IF_ERROR(budget->charge(s.name()->size(), what + "'s name"));
    out->name = s.name()->str();
  }
  return Status::Ok();
}

Status decodeRegions(const fb::Plan &p, CopyBudget *budget, LoadedPlan *out) {
  out->version = p.version();
  out->arena_bytes = p.arena_bytes();
  out->arena_alignment = p.arena_alignment();
  out->state_bytes = p.state_bytes();
  out->state_alignment = p.state_alignment();
  if (p.state_init()) {
    out->state_inits.reserve(p.state_init()->size());
    for (flatbuffers::uoffset_t i = 0; i < p.state_init()->size(); ++i) {
      const fb::StateInit *init = p.state_init()->Get(i);
      LoadedStateInit loaded;
      loaded.offset = init->offset();
      if (init->data()) {
        // Copied into the state at load: charge it so that shared blocks cannot multiply the work.
        TIDEMARK_RETURN_IF_ERROR(
            budget->charge(init->data()->size(), "state initializer " + std::to_string(i)));
        loaded.data = init->data()->data();
        loaded.size = init->data()->size();
      }
      out->state_inits.push_back(loaded);
    }
  }
  if (const fb::ExternalWeights *w = p.external_weights()) {
    out->has_external_weights = true;
    if (w->path()) {
      TIDEMARK_RETURN_IF_ERROR(budget->charge(w->path()->size(), "the external weights path"));
      out->weights_path = w->path()->str();
    }
    out->weights_file_offset = w->file_offset();
    out->weights_byte_size = w->byte_size();
  }
  if (const fb::PlanStats *s = p.stats())
    out->stats = PlanStatistics{s->load_bytes(),  s->values_kept(),  s->ops_recomputed(),
                                s->extra_flops(), s->bytes_reused(), s->peak_step()};
  if (p.producer()) {
    TIDEMARK_RETURN_IF_ERROR(budget->charge(p.producer()->size(), "the producer string"));
    out->producer = p.producer()->str();
  }
  out->seed = p.seed();
  return Status::Ok();
}

Status decodeTables(const fb::Plan &plan, CopyBudget *budget, LoadedPlan *out) {
  TIDEMARK_RETURN_IF_ERROR(decodeRegions(plan, budget, out));
  // The FlatBuffers verifier visits at most 1,000,000 tables, which bounds both counts.
  if (plan.tensors()) {
    out->tensors.resize(plan.tensors()->size());
    for (size_t i = 0; i < out->tensors.size(); ++i)
      TIDEMARK_RETURN_IF_ERROR(
          decodeTensor(*plan.tensors()->Get(static_cast<flatbuffers::uoffset_t>(i)),
                       static_cast<int>(i), budget, &out->tensors[i]));
  }
  if (plan.steps()) {
    out->steps.resize(plan.steps()->size());
    for (size_t i = 0; i < out->steps.size(); ++i)
      TIDEMARK_RETURN_IF_ERROR(
          decodeStep(*plan.steps()->Get(static_cast<flatbuffers::uoffset_t>(i)),
                     static_cast<int>(i), budget, &out->steps[i]));
  }
  return Status::Ok();
}

} // namespace

Status DecodePlan(const void *data, size_t size, LoadedPlan *out) {
  if (data == nullptr && size > 0)
    return InvalidArgument("plan data is null");
  if (size > kMaxPlanBytes)
    return OutOfRange("plan of " + std::to_string(size) + " bytes exceeds the format's limit of " +
                      std::to_string(kMaxPlanBytes) + " bytes (FlatBuffers 32-bit offsets)");
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
  CopyBudget budget(size);
  // Decoding allocates O(size); an allocation failure must not leave as an exception.
  try {
    *out = LoadedPlan();
    return decodeTables(*plan, &budget, out);
  } catch (const std::bad_alloc &) {
    return ResourceExhausted("out of memory while decoding the plan");
  }
}

Status LoadAndVerifyPlan(const void *data, size_t size, LoadedPlan *out) {
  TIDEMARK_RETURN_IF_ERROR(DecodePlan(data, size, out));
  return VerifyPlan(*out);
}

} // namespace tidemark
