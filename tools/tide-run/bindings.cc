// Input binding, label discovery, and weights in/out for tide-run.
#include "bindings.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <variant>

#include "runtime/core/file_io.h"
#include "runtime/plan/loaded_plan.h"

namespace tidemark {
namespace tiderun {
namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string describe(const std::string &name, DType dtype, const std::vector<int64_t> &shape) {
  return "'" + name + "' " + DTypeName(dtype) + " " + shapeText(shape);
}

uint64_t fnv1a64(const std::string &text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text)
    hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

// splitmix64: a tiny, well-mixed generator whose sequence is fixed by its definition.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

// The plan file's bytes: a regular file, at most `max_bytes` and the format's 2 GiB limit.
Status readPlanFile(const std::string &path, uint64_t max_bytes, std::vector<uint8_t> *bytes) {
  RegularFile file;
  TIDEMARK_RETURN_IF_ERROR(OpenRegularFile(path, "plan file", &file));
  if (file.size() > max_bytes)
    return ResourceExhausted("plan file '" + path + "' has " + std::to_string(file.size()) +
                             " bytes, more than the memory cap of " + std::to_string(max_bytes) +
                             " bytes (--max-memory)");
  return ReadWholeFile(file, kMaxPlanBytes, "a plan can have (the FlatBuffers limit)", bytes);
}

void fillRandom(const TensorInfo &input, int64_t classes, uint64_t seed, void *data) {
  SplitMix64 rng{seed ^ fnv1a64(input.name)};
  const size_t count = input.size_bytes / DTypeSize(input.dtype);
  if (input.dtype == DType::kF32) {
    float *values = static_cast<float *>(data);
    for (size_t i = 0; i < count; ++i) // 24 random bits -> [0, 1) -> [-1, 1).
      values[i] = static_cast<float>(rng.next() >> 40) * (2.0f / 16777216.0f) - 1.0f;
  } else {
    int32_t *labels = static_cast<int32_t *>(data);
    for (size_t i = 0; i < count; ++i)
      labels[i] = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(classes));
  }
}

// `ignore`: a label value accepted besides [0, classes) (an LM head's ignore_index), or none.
Status checkLabels(const TensorInfo &input, int64_t classes, const int32_t *labels,
                   std::optional<int64_t> ignore) {
  const size_t count = input.size_bytes / sizeof(int32_t);
  for (size_t i = 0; i < count; ++i)
    if ((labels[i] < 0 || labels[i] >= classes) && !(ignore && labels[i] == *ignore))
      return OutOfRange("input '" + input.name + "' element " + std::to_string(i) + " is " +
                        std::to_string(labels[i]) + ", outside the " + std::to_string(classes) +
                        " classes [0, " + std::to_string(classes) + ")" +
                        (ignore ? " and not the ignore index " + std::to_string(*ignore) : ""));
  return Status::Ok();
}

Status copyFromFile(const TensorInfo &input, const WeightsFile &file, int64_t classes,
                    std::optional<int64_t> ignore, void *data) {
  const WeightTensor *tensor = file.Find(input.name);
  if (!tensor)
    return NotFound("the inputs file has no tensor '" + input.name + "' for the plan's input " +
                    describe(input.name, input.dtype, input.shape));
  if (tensor->dtype != input.dtype || tensor->shape != input.shape)
    return InvalidArgument("input " + describe(input.name, input.dtype, input.shape) +
                           " but the inputs file has " +
                           describe(tensor->name, tensor->dtype, tensor->shape));
  if (classes > 0)
    TIDEMARK_RETURN_IF_ERROR(checkLabels(
        input, classes, reinterpret_cast<const int32_t *>(tensor->bytes.data()), ignore));
  std::memcpy(data, tensor->bytes.data(), input.size_bytes);
  return Status::Ok();
}

// A file tensor that matches no entry of `infos` (an unexpected or misspelt name).
Status rejectUnknownNames(const WeightsFile &file, const std::vector<TensorInfo> &infos,
                          const std::string &what) {
  for (const WeightTensor &tensor : file.tensors) {
    bool known = false;
    for (const TensorInfo &info : infos)
      known = known || info.name == tensor.name;
    if (!known)
      return NotFound("the " + what + " file has tensor " +
                      describe(tensor.name, tensor.dtype, tensor.shape) + " but the plan has no " +
                      what + " of that name");
  }
  return Status::Ok();
}

} // namespace

Status FindLabelClasses(const std::string &plan_path, uint64_t max_bytes,
                        std::map<std::string, int64_t> *classes, std::set<std::string> *id_inputs,
                        std::map<std::string, int64_t> *ignore_indices) {
  std::vector<uint8_t> bytes;
  TIDEMARK_RETURN_IF_ERROR(readPlanFile(plan_path, max_bytes, &bytes));
  LoadedPlan plan;
  TIDEMARK_RETURN_IF_ERROR(LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan));
  // The smallest valid range among the steps reading an input as labels or ids.
  auto consider = [&](int labels_id, int64_t count) {
    const LoadedTensor &labels = plan.tensors[size_t(labels_id)];
    if (labels.location != TensorLocation::kInput)
      return;
    auto [it, inserted] = classes->emplace(labels.name, count);
    if (!inserted)
      it->second = std::min(it->second, count);
  };
  std::map<std::string, int64_t> ignore; // LmHeadLoss labels: their ignore_index
  std::set<std::string> strict;          // read by a step without an ignore index
  auto markIds = [&](int ids_id) {
    const LoadedTensor &ids = plan.tensors[size_t(ids_id)];
    if (id_inputs != nullptr && ids.location == TensorLocation::kInput)
      id_inputs->insert(ids.name);
  };
  for (const LoadedStep &step : plan.steps) {
    const auto &shape = [&](int operand) -> const kernels::Shape & {
      return plan.tensors[size_t(step.operands[size_t(operand)])].shape;
    };
    switch (step.kernel) {
    case KernelId::kSoftmaxCrossEntropy:
    case KernelId::kSoftmaxCrossEntropyGrad:
      if (shape(0).rank > 0)
        consider(step.operands[1], shape(0).dims[shape(0).rank - 1]);
      strict.insert(plan.tensors[size_t(step.operands[1])].name);
      break;
    case KernelId::kGather: // Token ids: the table's rows.
      consider(step.operands[1], shape(0).dims[0]);
      markIds(step.operands[1]);
      strict.insert(plan.tensors[size_t(step.operands[1])].name);
      break;
    case KernelId::kGatherGrad:
      consider(step.operands[0], plan.tensors[size_t(step.results[0])].shape.dims[0]);
      markIds(step.operands[0]);
      strict.insert(plan.tensors[size_t(step.operands[0])].name);
      break;
    case KernelId::kLmHeadLoss: // Next-token labels: the vocabulary (weight rows).
    case KernelId::kLmHeadLossGrad:
      consider(step.operands[2], shape(1).dims[0]);
      if (const auto *a = std::get_if<LmHeadLossAttributes>(&step.attrs)) {
        const std::string &name = plan.tensors[size_t(step.operands[2])].name;
        auto [it, inserted] = ignore.emplace(name, a->ignore_index);
        if (!inserted && it->second != a->ignore_index)
          strict.insert(name); // Two different ignore indices: accept neither.
      }
      break;
    case KernelId::kAttention: // Key lengths (the optional last operand): [0, Tk], Tk + 1 values.
    case KernelId::kAttentionGrad: {
      const size_t lengths = step.kernel == KernelId::kAttention ? 3 : 6;
      if (step.operands.size() > lengths)
        consider(step.operands[lengths], shape(1).dims[2] + 1);
      break;
    }
    default:
      break;
    }
  }
  if (ignore_indices != nullptr)
    for (const auto &[name, index] : ignore)
      if (!strict.count(name) && classes->count(name))
        ignore_indices->emplace(name, index);
  return Status::Ok();
}

Status BindInputs(Runtime *runtime, const WeightsFile *inputs_file, uint64_t seed,
                  const std::map<std::string, int64_t> &label_classes,
                  const std::map<std::string, int64_t> *ignore_indices) {
  const std::vector<TensorInfo> inputs = runtime->inputs();
  if (inputs_file)
    TIDEMARK_RETURN_IF_ERROR(rejectUnknownNames(*inputs_file, inputs, "inputs"));
  for (const TensorInfo &input : inputs) {
    auto it = label_classes.find(input.name);
    const int64_t classes = it == label_classes.end() ? 0 : it->second;
    void *data = nullptr;
    TIDEMARK_RETURN_IF_ERROR(runtime->InputBuffer(input.name, &data));
    if (inputs_file) {
      std::optional<int64_t> ignore;
      if (ignore_indices != nullptr && ignore_indices->count(input.name))
        ignore = ignore_indices->at(input.name);
      TIDEMARK_RETURN_IF_ERROR(copyFromFile(input, *inputs_file, classes, ignore, data));
      continue;
    }
    if (input.dtype == DType::kI32 && classes <= 0)
      return InvalidArgument("input " + describe(input.name, input.dtype, input.shape) +
                             " is not the labels of a softmax cross-entropy or LM head loss nor "
                             "the ids of a gather, so tide-run cannot make valid random values "
                             "for it: give it with --inputs");
    fillRandom(input, classes, seed, data);
  }
  return Status::Ok();
}

Status ApplyWeights(Runtime *runtime, const WeightsFile &weights, bool partial,
                    std::vector<std::string> *kept) {
  const std::vector<TensorInfo> state = runtime->parameters();
  TIDEMARK_RETURN_IF_ERROR(rejectUnknownNames(weights, state, "state tensor"));
  std::vector<std::string> missing;
  for (const TensorInfo &info : state) {
    const WeightTensor *tensor = weights.Find(info.name);
    if (!tensor) {
      missing.push_back(info.name);
      continue;
    }
    if (tensor->dtype != info.dtype || tensor->shape != info.shape)
      return InvalidArgument("state tensor " + describe(info.name, info.dtype, info.shape) +
                             " but the weights file has " +
                             describe(tensor->name, tensor->dtype, tensor->shape));
  }
  if (!missing.empty() && !partial) {
    std::string names;
    for (size_t i = 0; i < missing.size() && i < 5; ++i)
      names += (i ? ", '" : "'") + missing[i] + "'";
    if (missing.size() > 5)
      names += ", ...";
    return NotFound("the weights file lacks " + std::to_string(missing.size()) + " of the plan's " +
                    std::to_string(state.size()) + " state tensors (" + names +
                    "); pass --weights-partial to keep the plan's values for those");
  }
  for (const TensorInfo &info : state)
    if (const WeightTensor *tensor = weights.Find(info.name))
      TIDEMARK_RETURN_IF_ERROR(
          runtime->WriteParameter(info.name, tensor->bytes.data(), tensor->bytes.size()));
  auto steps = weights.metadata.find("tidemark.optimizer_steps");
  if (steps != weights.metadata.end()) {
    char *end = nullptr;
    unsigned long long count = std::strtoull(steps->second.c_str(), &end, 10);
    if (steps->second.empty() || *end != '\0')
      return DataLoss("weights metadata tidemark.optimizer_steps is not a count: '" +
                      steps->second + "'");
    runtime->SetOptimizerSteps(count);
  }
  *kept = missing;
  return Status::Ok();
}

Status SaveWeights(const Runtime &runtime, const std::string &plan_path, const std::string &path) {
  WeightsFile file;
  for (const TensorInfo &info : runtime.parameters()) {
    WeightTensor tensor;
    tensor.name = info.name;
    tensor.dtype = info.dtype;
    tensor.shape = info.shape;
    tensor.bytes.resize(info.size_bytes);
    TIDEMARK_RETURN_IF_ERROR(
        runtime.ReadParameter(info.name, tensor.bytes.data(), tensor.bytes.size()));
    file.tensors.push_back(std::move(tensor));
  }
  file.metadata["generator"] = "tide-run";
  file.metadata["plan"] = plan_path;
  file.metadata["tidemark.optimizer_steps"] = std::to_string(runtime.optimizer_steps());
  return WriteSafetensors(path, file);
}

Status SaveOutputs(const Runtime &runtime, const std::string &plan_path, const std::string &path) {
  WeightsFile file;
  for (const TensorInfo &info : runtime.outputs()) {
    WeightTensor tensor;
    tensor.name = info.name;
    tensor.dtype = info.dtype;
    tensor.shape = info.shape;
    tensor.bytes.resize(info.size_bytes);
    if (info.size_bytes > 0) // An empty output has no buffer to read.
      TIDEMARK_RETURN_IF_ERROR(
          runtime.ReadOutput(info.name, tensor.bytes.data(), tensor.bytes.size()));
    file.tensors.push_back(std::move(tensor));
  }
  file.metadata["generator"] = "tide-run";
  file.metadata["plan"] = plan_path;
  return WriteSafetensors(path, file);
}

} // namespace tiderun
} // namespace tidemark
