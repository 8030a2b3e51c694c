// plan_mutator: the structure-aware libFuzzer mutator and cross-over of the fuzz_plan target.
//
// A byte-level mutation of a FlatBuffer almost always breaks an offset, so the FlatBuffers
// verifier rejects it and the fuzzer never reaches the plan verifier or the kernels. Instead this
// mutator decodes the plan with the FlatBuffers object API (tidemark::fuzzplan: plan.fbs
// compiled with --gen-object-api under its own namespace, for this target only), edits one to
// three fields and serializes it again:
//   - a plan scalar (version, region sizes, alignments) or optional table (stats, external
//     weights, state initializers: dropped, added, moved);
//   - a tensor field (a dim, the rank, dtype, location, offset, view_of, live interval, constant
//     data, name) or a step field (kernel id, one operand or result id, the operand order);
//   - the attribute union: dropped, replaced by another kind (with random fields), retagged so
//     the type byte names a different table than the one stored, a type with no table, or an
//     unknown type; one attribute field;
//   - a vector (tensors, steps, state initializers, operands, results): two elements swapped,
//     one dropped or duplicated.
// Integers are set to boundary values (0, -1, 2^31, 2^32, 2^40, 2^63, ...) or to nearby valid
// values (another tensor id, another step), floats to 0, -0, NaN, +-inf, tiny, huge. When the
// input does not decode (or one time in eight, to keep exploring the raw encoding), the mutation
// is libFuzzer's own byte mutation.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "plan_object_api_generated.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

namespace {

namespace fp = ::tidemark::fuzzplan;

constexpr int64_t kBoundaries[] = {0,
                                   1,
                                   -1,
                                   2,
                                   3,
                                   4,
                                   7,
                                   63,
                                   64,
                                   65,
                                   4096,
                                   8192,
                                   int64_t{1} << 20,
                                   std::numeric_limits<int32_t>::max(),
                                   int64_t{1} << 31,
                                   (int64_t{1} << 32) - 1,
                                   int64_t{1} << 32,
                                   int64_t{1} << 40,
                                   (int64_t{1} << 40) + 1,
                                   std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int32_t>::min()};

// One decoded plan plus what the object API cannot express: per step, a union type byte to
// write instead of the stored table's own (retagging), or -1.
struct EditablePlan {
  std::unique_ptr<fp::PlanT> plan;
  std::vector<int> retag;
};

class Mutator {
public:
  explicit Mutator(unsigned seed) : rng_(seed) {}

  uint64_t pick(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool oneIn(uint64_t n) { return pick(n) == 0; }

  int64_t boundary() {
    int64_t value = kBoundaries[pick(sizeof(kBoundaries) / sizeof(kBoundaries[0]))];
    if (oneIn(4)) // Just past a boundary: 2^32 + 1, 2^31 - 1, ... (wrapping at 2^63).
      value = int64_t(uint64_t(value) + pick(3) - 1);
    return value;
  }
  template <typename T> T boundaryAs() { return static_cast<T>(boundary()); }
  float boundaryFloat() {
    const float values[] = {0.0f,
                            -0.0f,
                            1.0f,
                            -1.0f,
                            0.5f,
                            1e-8f,
                            1e30f,
                            std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
    return values[pick(sizeof(values) / sizeof(values[0]))];
  }
  // An id that is often valid (in [0, count)), sometimes just outside, sometimes a boundary.
  int32_t idNear(size_t count) {
    switch (pick(4)) {
    case 0:
      return boundaryAs<int32_t>();
    case 1:
      return int32_t(count) - int32_t(pick(2)); // count or count - 1
    default:
      return int32_t(pick(count == 0 ? 1 : count));
    }
  }

  // A vector edit: swap two elements, drop one, duplicate one (via `copy`) or clear it.
  template <typename T, typename Copy> void editVector(std::vector<T> &v, Copy copy) {
    switch (v.empty() ? 3 : pick(5)) {
    case 0:
    case 1:
      std::swap(v[pick(v.size())], v[pick(v.size())]);
      break;
    case 2:
      v.erase(v.begin() + long(pick(v.size())));
      break;
    case 3:
      if (!v.empty() && v.size() < 4096)
        v.insert(v.begin() + long(pick(v.size() + 1)), copy(v[pick(v.size())]));
      break;
    default:
      if (oneIn(4))
        v.clear();
      break;
    }
  }

  void mutate(EditablePlan &p) {
    const int edits = 1 + int(pick(3));
    for (int i = 0; i < edits; ++i) {
      switch (pick(10)) {
      case 0:
        mutatePlanScalar(*p.plan);
        break;
      case 1:
        mutateOptionalTables(*p.plan);
        break;
      case 2:
      case 3:
      case 4:
        mutateTensor(*p.plan);
        break;
      case 5:
      case 6:
        mutateStep(p);
        break;
      case 7:
        mutateAttrs(p);
        break;
      default:
        mutateTopVectors(p);
        break;
      }
    }
  }

  // Appends a copy of a tensor or a step of `other` to `p` (a structural cross-over).
  void crossOver(EditablePlan &p, const fp::PlanT &other) {
    if (oneIn(2) && !other.tensors.empty()) {
      const fp::TensorT &t = *other.tensors[pick(other.tensors.size())];
      p.plan->tensors.insert(p.plan->tensors.begin() + long(pick(p.plan->tensors.size() + 1)),
                             std::make_unique<fp::TensorT>(t));
    } else if (!other.steps.empty()) {
      size_t at = pick(p.plan->steps.size() + 1);
      p.plan->steps.insert(p.plan->steps.begin() + long(at),
                           cloneStep(*other.steps[pick(other.steps.size())]));
      p.retag.insert(p.retag.begin() + long(at), -1);
    }
  }

  static std::unique_ptr<fp::StepT> cloneStep(const fp::StepT &s) {
    auto copy = std::make_unique<fp::StepT>();
    copy->kernel = s.kernel;
    copy->operands = s.operands;
    copy->results = s.results;
    copy->name = s.name;
    // AttrsUnion's copy constructor dereferences the value; a type without a table (which this
    // mutator creates) has none.
    if (s.attrs.value)
      copy->attrs = s.attrs;
    else
      copy->attrs.type = s.attrs.type;
    return copy;
  }

private:
  void mutatePlanScalar(fp::PlanT &plan) {
    switch (pick(6)) {
    case 0:
      plan.version = oneIn(2) ? uint32_t(pick(4)) : boundaryAs<uint32_t>();
      break;
    case 1:
      plan.arena_bytes = oneIn(2) ? plan.arena_bytes + 64 * pick(3) - 64 : boundaryAs<uint64_t>();
      break;
    case 2:
      plan.state_bytes = oneIn(2) ? plan.state_bytes + 64 * pick(3) - 64 : boundaryAs<uint64_t>();
      break;
    case 3:
      plan.arena_alignment = oneIn(2) ? uint32_t(1) << pick(14) : boundaryAs<uint32_t>();
      break;
    case 4:
      plan.state_alignment = oneIn(2) ? uint32_t(1) << pick(14) : boundaryAs<uint32_t>();
      break;
    default:
      plan.producer = oneIn(2) ? "" : plan.producer + "x";
      break;
    }
  }

  void mutateOptionalTables(fp::PlanT &plan) {
    switch (pick(6)) {
    case 0:
      plan.stats.reset(oneIn(2) ? nullptr : new fp::PlanStatsT());
      if (plan.stats)
        plan.stats->peak_step = boundaryAs<int32_t>();
      break;
    case 1:
      if (plan.external_weights) {
        plan.external_weights.reset();
      } else {
        plan.external_weights = std::make_unique<fp::ExternalWeightsT>();
        plan.external_weights->path = oneIn(2) ? "weights.bin" : "";
        plan.external_weights->byte_size = oneIn(2) ? plan.state_bytes : boundaryAs<uint64_t>();
      }
      break;
    case 2:
      if (plan.external_weights)
        (oneIn(2) ? plan.external_weights->file_offset : plan.external_weights->byte_size) =
            boundaryAs<uint64_t>();
      break;
    case 3: {
      auto init = std::make_unique<fp::StateInitT>();
      init->offset = oneIn(2) ? 64 * pick(4) : boundaryAs<uint64_t>();
      init->data.assign(size_t(pick(3)) * 64 + pick(2), uint8_t(pick(256)));
      plan.state_init.push_back(std::move(init));
      break;
    }
    case 4:
      if (!plan.state_init.empty()) {
        fp::StateInitT &init = *plan.state_init[pick(plan.state_init.size())];
        if (oneIn(2))
          init.offset = boundaryAs<uint64_t>();
        else
          init.data.resize(size_t(pick(init.data.size() + 65)));
      }
      break;
    default:
      editVector(plan.state_init, [](const std::unique_ptr<fp::StateInitT> &s) {
        return std::make_unique<fp::StateInitT>(*s);
      });
      break;
    }
  }

  void mutateShape(std::vector<int64_t> &shape) {
    switch (shape.empty() ? 1 : pick(5)) {
    case 0:
      shape[pick(shape.size())] = oneIn(2) ? int64_t(pick(9)) : boundary();
      break;
    case 1:
      shape.insert(shape.begin() + long(pick(shape.size() + 1)), oneIn(2) ? 1 : int64_t(pick(9)));
      break;
    case 2:
      shape.erase(shape.begin() + long(pick(shape.size())));
      break;
    case 3:
      std::swap(shape[pick(shape.size())], shape[pick(shape.size())]);
      break;
    default:
      shape.resize(size_t(pick(9)), 1); // Up to rank 8 (the runtime takes 6).
      break;
    }
  }

  void mutateTensor(fp::PlanT &plan) {
    if (plan.tensors.empty()) {
      plan.tensors.push_back(std::make_unique<fp::TensorT>());
      return;
    }
    fp::TensorT &t = *plan.tensors[pick(plan.tensors.size())];
    const size_t steps = plan.steps.size();
    switch (pick(10)) {
    case 0:
    case 1:
      mutateShape(t.shape);
      break;
    case 2:
      t.dtype = static_cast<fp::DType>(oneIn(2) ? int8_t(pick(3)) : boundaryAs<int8_t>());
      break;
    case 3:
      t.location = static_cast<fp::Location>(oneIn(2) ? int8_t(pick(6)) : boundaryAs<int8_t>());
      break;
    case 4:
      t.offset = oneIn(2) ? 64 * pick(8) + (oneIn(4) ? pick(64) : 0) : boundaryAs<uint64_t>();
      break;
    case 5:
      t.view_of = oneIn(3) ? -1 : idNear(plan.tensors.size());
      break;
    case 6:
      t.live_first = oneIn(3) ? -1 : idNear(steps);
      break;
    case 7:
      t.live_last = oneIn(3) ? -1 : idNear(steps);
      break;
    case 8:
      if (oneIn(3))
        t.constant_data.clear();
      else if (oneIn(2) && !t.constant_data.empty())
        t.constant_data.resize(t.constant_data.size() - 1); // One byte short.
      else
        t.constant_data.resize(oneIn(2) ? pick(9) * 4 : t.constant_data.size() + 1,
                               uint8_t(pick(256)));
      break;
    default:
      if (oneIn(2))
        t.name.clear();
      else
        t.name = plan.tensors[pick(plan.tensors.size())]->name; // Often a duplicate.
      break;
    }
  }

  void mutateStep(EditablePlan &p) {
    fp::PlanT &plan = *p.plan;
    if (plan.steps.empty()) {
      plan.steps.push_back(std::make_unique<fp::StepT>());
      p.retag.push_back(-1);
      return;
    }
    fp::StepT &s = *plan.steps[pick(plan.steps.size())];
    const size_t tensors = plan.tensors.size();
    switch (pick(6)) {
    case 0:
      s.kernel = static_cast<fp::KernelId>(
          oneIn(4) ? boundaryAs<uint16_t>() : uint16_t(pick(uint64_t(fp::KernelId::MAX) + 2)));
      break;
    case 1:
    case 2: {
      std::vector<int32_t> &ids = oneIn(2) ? s.operands : s.results;
      if (!ids.empty() && oneIn(2))
        ids[pick(ids.size())] = idNear(tensors);
      else
        editVector(ids, [](int32_t id) { return id; });
      break;
    }
    case 3:
      std::swap(s.operands, s.results);
      break;
    case 4:
      if (!s.operands.empty() && !s.results.empty())
        s.results[pick(s.results.size())] = s.operands[pick(s.operands.size())]; // In place.
      break;
    default:
      s.name = oneIn(2) ? "" : s.name + "'";
      break;
    }
  }

  void randomAttrs(fp::AttrsUnion &attrs, fp::Attrs type) {
    attrs.Reset();
    switch (type) {
    case fp::Attrs::MatMulAttrs: {
      fp::MatMulAttrsT a;
      a.transpose_a = oneIn(2);
      a.transpose_b = oneIn(2);
      a.accumulate = oneIn(2);
      a.alpha = oneIn(2) ? 1.0f : boundaryFloat();
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::LayerNormAttrs: {
      fp::LayerNormAttrsT a;
      a.epsilon = oneIn(2) ? 1e-5f : boundaryFloat();
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::ReduceAttrs: {
      fp::ReduceAttrsT a;
      for (uint64_t i = 0, n = pick(4); i < n; ++i)
        a.axes.push_back(oneIn(4) ? boundaryAs<int32_t>() : int32_t(pick(7)));
      a.keep_dims = oneIn(2);
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::TransposeAttrs: {
      fp::TransposeAttrsT a;
      for (uint64_t i = 0, n = pick(7); i < n; ++i)
        a.perm.push_back(oneIn(6) ? boundaryAs<int32_t>() : int32_t(pick(n)));
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::SgdAttrs: {
      fp::SgdAttrsT a;
      a.learning_rate = oneIn(2) ? 0.01f : boundaryFloat();
      a.momentum = oneIn(2) ? 0.0f : boundaryFloat();
      a.weight_decay = oneIn(2) ? 0.0f : boundaryFloat();
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::AdamAttrs: {
      fp::AdamAttrsT a;
      a.learning_rate = oneIn(2) ? 1e-3f : boundaryFloat();
      a.beta1 = oneIn(2) ? 0.9f : boundaryFloat();
      a.beta2 = oneIn(2) ? 0.999f : boundaryFloat();
      a.epsilon = oneIn(2) ? 1e-8f : boundaryFloat();
      a.weight_decay = oneIn(2) ? 0.0f : boundaryFloat();
      a.decoupled_weight_decay = oneIn(2);
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::AttentionAttrs: {
      fp::AttentionAttrsT a;
      a.causal = oneIn(2);
      a.scale = oneIn(2) ? 0.0f : boundaryFloat();
      a.q_chunk = oneIn(2) ? int32_t(1 + pick(8)) : boundaryAs<int32_t>();
      a.k_chunk = oneIn(2) ? int32_t(1 + pick(8)) : boundaryAs<int32_t>();
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::FillAttrs: {
      fp::FillAttrsT a;
      a.value = boundaryFloat();
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::BinaryGradAttrs: {
      fp::BinaryGradAttrsT a;
      a.operand = oneIn(2) ? int32_t(pick(2)) : boundaryAs<int32_t>();
      attrs.Set(std::move(a));
      break;
    }
    case fp::Attrs::SoftmaxAttrs: {
      fp::SoftmaxAttrsT a;
      a.axis = oneIn(2) ? int32_t(pick(9)) - 4 : boundaryAs<int32_t>();
      attrs.Set(std::move(a));
      break;
    }
    default:
      break;
    }
  }

  void mutateAttrs(EditablePlan &p) {
    if (p.plan->steps.empty())
      return;
    const size_t index = pick(p.plan->steps.size());
    fp::AttrsUnion &attrs = p.plan->steps[index]->attrs;
    const uint64_t kinds = uint64_t(fp::Attrs::MAX) + 1;
    switch (pick(6)) {
    case 0:
      attrs.Reset(); // Absent table: the kernel's defaults, or an error where attrs are needed.
      break;
    case 1:
    case 2: // Same kind with new values, or another kind.
      randomAttrs(attrs, oneIn(2) && attrs.type != fp::Attrs::NONE
                             ? attrs.type
                             : static_cast<fp::Attrs>(pick(kinds)));
      break;
    case 3: // The type byte names another table than the one stored.
      p.retag[index] = int(pick(kinds + 2));
      break;
    case 4: // A type with no table.
      attrs.Reset();
      attrs.type = static_cast<fp::Attrs>(1 + pick(kinds - 1));
      break;
    default: // An unknown type (a newer writer).
      attrs.Reset();
      attrs.type = static_cast<fp::Attrs>(kinds + pick(256 - kinds));
      break;
    }
  }

  void mutateTopVectors(EditablePlan &p) {
    fp::PlanT &plan = *p.plan;
    if (oneIn(2)) {
      editVector(plan.tensors, [](const std::unique_ptr<fp::TensorT> &t) {
        return std::make_unique<fp::TensorT>(*t);
      });
      return;
    }
    // Steps and their retag entries move together.
    std::vector<std::pair<std::unique_ptr<fp::StepT>, int>> steps;
    for (size_t i = 0; i < plan.steps.size(); ++i)
      steps.emplace_back(std::move(plan.steps[i]), p.retag[i]);
    editVector(steps, [](const std::pair<std::unique_ptr<fp::StepT>, int> &s) {
      return std::make_pair(cloneStep(*s.first), s.second);
    });
    plan.steps.clear();
    p.retag.clear();
    for (auto &s : steps) {
      plan.steps.push_back(std::move(s.first));
      p.retag.push_back(s.second);
    }
  }

  std::mt19937_64 rng_;
};

// The FlatBuffers verifier checks a vector's 4-byte length prefix only, so a [long] vector may be
// misaligned for its 8-byte elements; the object API would read them in place (the runtime's
// loader reads shapes bytewise). Such an input is left to the byte mutator.
bool alignedShapes(const fp::Plan &plan) {
  const auto *tensors = plan.tensors();
  for (flatbuffers::uoffset_t i = 0; tensors && i < tensors->size(); ++i) {
    const auto *shape = tensors->Get(i)->shape();
    if (shape && reinterpret_cast<uintptr_t>(shape->Data()) % alignof(int64_t) != 0)
      return false;
  }
  return true;
}

bool decode(const uint8_t *data, size_t size, EditablePlan *out) {
  flatbuffers::Verifier verifier(data, size);
  if (!fp::VerifyPlanBuffer(verifier) || !alignedShapes(*fp::GetPlan(data)))
    return false;
  out->plan = fp::UnPackPlan(data);
  out->retag.assign(out->plan->steps.size(), -1);
  return true;
}

// Serializes like the generated Pack functions, except for a step's attributes: a retagged type
// byte, or a type with no table.
std::vector<uint8_t> encode(const EditablePlan &p) {
  const fp::PlanT &plan = *p.plan;
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fp::Tensor>> tensors;
  for (const auto &t : plan.tensors)
    tensors.push_back(fp::CreateTensor(fbb, t.get()));
  std::vector<flatbuffers::Offset<fp::Step>> steps;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const fp::StepT &s = *plan.steps[i];
    auto operands = s.operands.empty() ? 0 : fbb.CreateVector(s.operands);
    auto results = s.results.empty() ? 0 : fbb.CreateVector(s.results);
    flatbuffers::Offset<void> value = s.attrs.value ? s.attrs.Pack(fbb) : 0;
    fp::Attrs type = p.retag[i] >= 0 ? static_cast<fp::Attrs>(p.retag[i]) : s.attrs.type;
    auto name = s.name.empty() ? 0 : fbb.CreateString(s.name);
    steps.push_back(fp::CreateStep(fbb, s.kernel, operands, results, type, value, name));
  }
  std::vector<flatbuffers::Offset<fp::StateInit>> inits;
  for (const auto &init : plan.state_init)
    inits.push_back(fp::CreateStateInit(fbb, init.get()));
  auto root = fp::CreatePlan(
      fbb, plan.version, plan.arena_bytes, plan.arena_alignment, plan.state_bytes,
      plan.state_alignment, inits.empty() ? 0 : fbb.CreateVector(inits),
      plan.external_weights ? fp::CreateExternalWeights(fbb, plan.external_weights.get()) : 0,
      tensors.empty() ? 0 : fbb.CreateVector(tensors), steps.empty() ? 0 : fbb.CreateVector(steps),
      plan.stats ? fp::CreatePlanStats(fbb, plan.stats.get()) : 0,
      plan.producer.empty() ? 0 : fbb.CreateString(plan.producer));
  fp::FinishPlanBuffer(fbb, root);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

size_t emit(const std::vector<uint8_t> &bytes, uint8_t *data, size_t size, size_t max_size) {
  if (bytes.size() > max_size)
    return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                                          unsigned int seed) {
  Mutator mutator(seed);
  EditablePlan plan;
  if (mutator.oneIn(8) || !decode(data, size, &plan))
    return LLVMFuzzerMutate(data, size, max_size);
  mutator.mutate(plan);
  return emit(encode(plan), data, size, max_size);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
                                            const uint8_t *data2, size_t size2, uint8_t *out,
                                            size_t max_out_size, unsigned int seed) {
  Mutator mutator(seed);
  EditablePlan first, second;
  if (!decode(data1, size1, &first) || !decode(data2, size2, &second)) {
    size_t n = size1 < max_out_size ? size1 : max_out_size;
    std::memcpy(out, data1, n);
    return n;
  }
  mutator.crossOver(first, *second.plan);
  std::vector<uint8_t> bytes = encode(first);
  if (bytes.size() > max_out_size) {
    size_t n = size1 < max_out_size ? size1 : max_out_size;
    std::memcpy(out, data1, n);
    return n;
  }
  std::memcpy(out, bytes.data(), bytes.size());
  return bytes.size();
}
