// PlanBuilder: a C++ API that writes Tidemark plan files (.tplan) without touching FlatBuffers.
//
// The builder records exactly what it is given and checks nothing, so tests can also build
// invalid plans; the runtime's loader (Runtime::LoadFromMemory) is what verifies a plan. Typical
// use: describe the arena and state region, add tensors (each returns its id), add steps in
// execution order, then Finish() to get the bytes.
//
// Thread-safety: a PlanBuilder is a plain value; use one per thread.
#ifndef TIDEMARK_PLAN_BUILDER_H_
#define TIDEMARK_PLAN_BUILDER_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tidemark/types.h"

namespace tidemark {

// The plan format version this runtime writes and reads.
constexpr uint32_t kPlanFormatVersion = 1;

// Mirrors `tidemark.plan.KernelId` in plan.fbs (same values, checked at compile time).
enum class KernelId : uint16_t {
  kMatMul = 0,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kRelu,
  kReluGrad,
  kTanh,
  kTanhGrad,
  kExp,
  kExpGrad,
  kGeluTanh,
  kGeluTanhGrad,
  kGeluErf,
  kGeluErfGrad,
  kSoftmax,
  kSoftmaxGrad,
  kLayerNorm,
  kLayerNormGrad,
  kReduceSum,
  kReduceMean,
  kTranspose,
  kReshape,
  kMseLoss,
  kMseLossGrad,
  kSoftmaxCrossEntropy,
  kSoftmaxCrossEntropyGrad,
  kSgdUpdate,
  kAdamUpdate,
  kAttention,
  kAttentionGrad,
  kReduceToShape,
  kCopy,
  kFill,
  kAddGrad,
  kSubGrad,
  kMulGrad,
  kDivGrad,
  kReduceSumGrad,
  kReduceMeanGrad,
  kNeg,
  kAbs,
  kAbsGrad,
  kSqrt,
  kSqrtGrad,
  kRsqrt,
  kRsqrtGrad,
  kLog,
  kLogGrad,
  kSigmoid,
  kSigmoidGrad,
  kSilu,
  kSiluGrad,
  kErf,
  kErfGrad,
  kPow,
  kPowGrad,
  kClamp,
  kClampGrad,
  kMin,
  kMax,
  kMinGrad,
  kMaxGrad,
  kRmsNorm,
  kRmsNormGrad,
  kSlice,
  kPad,
  kConcat,
  kGather,
  kGatherGrad,
  kRope,
  kDropout,
  kLmHeadLoss,
  kLmHeadLossGrad,
  kSplit,
  kSumSquares,
  kClipCoefficient,
  kWhere,
  kReduceMax,
  kReduceMaxGrad,
  kCastF32ToI32,
  kCastI32ToF32,
};

// The last kernel id of this format version.
constexpr KernelId kLastKernelId = KernelId::kCastI32ToF32;

// The kernel's name as written in plan.fbs ("MatMul"), or "unknown".
const char *KernelIdName(KernelId kernel);

// Mirrors `tidemark.plan.Location`.
enum class TensorLocation : uint8_t { kArena = 0, kState, kInput, kOutput, kConstant };

// Everything a plan records about one tensor (see plan.fbs `Tensor`).
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kF32;
  TensorLocation location = TensorLocation::kArena;
  uint64_t offset = 0;                // Arena / State only.
  int view_of = -1;                   // Id of the base tensor, or -1.
  int live_first = -1;                // Arena only: first step that touches the bytes.
  int live_last = -1;                 // Arena only: last step that needs the bytes.
  std::vector<uint8_t> constant_data; // Constant only.
};

// Per-kernel-family attributes (plan.fbs `Attrs`).
struct MatMulAttributes {
  bool transpose_a = false;
  bool transpose_b = false;
  float alpha = 1.0f;
  bool accumulate = false;
};
struct LayerNormAttributes {
  float epsilon = 1e-5f;
};
struct ReduceAttributes {
  std::vector<int> axes;
  bool keep_dims = false;
};
struct TransposeAttributes {
  std::vector<int> perm;
};
// A learning-rate schedule (plan.fbs SgdAttrs): constant, or warm-up + cosine to min_lr.
struct LrScheduleAttributes {
  bool cosine = false;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;
  float min_lr = 0.0f;
};
struct SgdAttributes {
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
  LrScheduleAttributes schedule;
};
struct AdamAttributes {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled_weight_decay = false; // true: AdamW.
  LrScheduleAttributes schedule;
};
struct ClipAttributes {
  float max_norm = 1.0f;
};
struct AttentionAttributes {
  bool causal = false;
  float scale = 0.0f; // 0: 1/sqrt(head_dim).
  int q_chunk = 64;
  int k_chunk = 64;
};
struct FillAttributes {
  float value = 0.0f;
};
struct SoftmaxAttributes {
  int axis = -1; // Negative: counted from the end.
};
struct BinaryGradAttributes {
  int operand = 0; // 0: gradient for a, 1: for b.
};
struct UnaryAttributes { // Pow: x^a; Clamp: [a, b].
  float a = 0.0f;
  float b = 0.0f;
};
struct SliceAttributes {
  std::vector<int64_t> start;
};
struct PadAttributes {
  std::vector<int64_t> low;
  float value = 0.0f;
};
struct ConcatAttributes {
  int axis = 0;
};
struct RopeAttributes {
  int layout = 0; // 0: [B, T, H, D]; 1: [B, H, T, D].
  int rot_dim = 0;
  bool inverse = false;
};
struct DropoutAttributes {
  float p = 0.0f;
  uint32_t site = 0;
};
struct LmHeadLossAttributes {
  int ignore_index = -100;
  int row_chunk = 512;
  int vocab_chunk = 2048;
};
using StepAttributes =
    std::variant<std::monostate, MatMulAttributes, LayerNormAttributes, ReduceAttributes,
                 TransposeAttributes, SgdAttributes, AdamAttributes, AttentionAttributes,
                 FillAttributes, BinaryGradAttributes, SoftmaxAttributes, UnaryAttributes,
                 SliceAttributes, PadAttributes, ConcatAttributes, RopeAttributes,
                 DropoutAttributes, LmHeadLossAttributes, ClipAttributes>;

// The planner's statistics (plan.fbs `PlanStats`), reported by the runtime, never trusted by it.
struct PlanStatistics {
  uint64_t load_bytes = 0;
  uint32_t values_kept = 0;
  uint32_t ops_recomputed = 0;
  uint64_t extra_flops = 0;
  uint64_t bytes_reused = 0;
  int peak_step = -1;
};

class PlanBuilder {
public:
  PlanBuilder() = default;

  // Region sizes and alignments (alignment: a power of two >= 4, 64 by default).
  void SetArena(uint64_t bytes, uint32_t alignment = 64);
  void SetState(uint64_t bytes, uint32_t alignment = 64);

  // Adds a tensor and returns its id (0, 1, 2, ... in order of addition).
  int AddTensor(TensorSpec spec);
  // Shorthands for AddTensor.
  int AddArenaTensor(const std::string &name, std::vector<int64_t> shape, uint64_t offset,
                     int live_first = -1, int live_last = -1, DType dtype = DType::kF32);
  int AddStateTensor(const std::string &name, std::vector<int64_t> shape, uint64_t offset,
                     DType dtype = DType::kF32);
  int AddInput(const std::string &name, std::vector<int64_t> shape, DType dtype = DType::kF32);
  int AddOutput(const std::string &name, std::vector<int64_t> shape, DType dtype = DType::kF32);
  int AddConstant(const std::string &name, std::vector<int64_t> shape,
                  const std::vector<float> &values);
  // A view of `base` (same location, `byte_offset` bytes past the base's start).
  int AddView(const std::string &name, std::vector<int64_t> shape, int base,
              uint64_t byte_offset = 0, int live_first = -1, int live_last = -1);

  // Adds a step (run after every step added before it) and returns its id.
  int AddStep(KernelId kernel, std::vector<int> operands, std::vector<int> results,
              StepAttributes attrs = {}, const std::string &name = "");

  // Initial bytes for part of the state region (may be called several times).
  void AddStateInit(uint64_t offset, const void *data, size_t size);
  // Initial floats for a state tensor added with AddStateTensor.
  void SetStateTensorValues(int tensor, const std::vector<float> &values);
  // The state region's initial image comes from a raw file instead (see plan.fbs).
  void SetExternalWeights(const std::string &path, uint64_t file_offset, uint64_t byte_size);

  void SetStatistics(const PlanStatistics &stats) { stats_ = stats; }
  void SetProducer(const std::string &producer) { producer_ = producer; }
  // The key of every Dropout step's random stream (plan.fbs `Plan.seed`; 0 by default).
  void SetSeed(uint64_t seed) { seed_ = seed; }
  // For tests of the loader's version check; the default is kPlanFormatVersion.
  void SetVersion(uint32_t version) { version_ = version; }

  // For every Arena tensor (and view) whose live_first is -1: sets [live_first, live_last] to the
  // first and last step that names it, or that names a view of it. Tensors no step uses keep -1.
  void AssignLiveIntervalsFromSteps();

  // Direct access, e.g. for tests that corrupt one field.
  TensorSpec &tensor(int id) { return tensors_.at(static_cast<size_t>(id)); }
  int num_tensors() const { return static_cast<int>(tensors_.size()); }
  int num_steps() const { return static_cast<int>(steps_.size()); }

  // Serializes the plan (file identifier "TMPL"). The builder stays usable afterwards.
  std::vector<uint8_t> Finish() const;

private:
  struct StepSpec {
    KernelId kernel;
    std::vector<int> operands;
    std::vector<int> results;
    StepAttributes attrs;
    std::string name;
  };
  struct StateInitSpec {
    uint64_t offset;
    std::vector<uint8_t> data;
  };

  uint32_t version_ = kPlanFormatVersion;
  uint64_t arena_bytes_ = 0;
  uint32_t arena_alignment_ = 64;
  uint64_t state_bytes_ = 0;
  uint32_t state_alignment_ = 64;
  std::vector<TensorSpec> tensors_;
  std::vector<StepSpec> steps_;
  std::vector<StateInitSpec> state_inits_;
  bool has_external_weights_ = false;
  std::string weights_path_;
  uint64_t weights_file_offset_ = 0;
  uint64_t weights_byte_size_ = 0;
  PlanStatistics stats_;
  std::string producer_;
  uint64_t seed_ = 0;
};

} // namespace tidemark

#endif // TIDEMARK_PLAN_BUILDER_H_
