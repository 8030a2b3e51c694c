// LoadedPlan: a plan file decoded into plain C++ values, and the functions that load and verify it.
//
// Loading is two passes, both returning a Status with a precise message and never crashing:
//   1. DecodePlan: size (at most kMaxPlanBytes) and file identifier, the FlatBuffers verifier
//      (every offset in bounds), the format version, then a copy of the fields into LoadedPlan
//      (enum ranges, each attribute union's type matching the presence of its table, ranks <= 6,
//      dims in [0, 2^40], bounded list lengths, byte sizes that do not overflow, copies backed
//      by the file's own bytes). O(file size) time and memory.
//   2. VerifyPlan: the semantics - regions, bounds, alignment, bindings, views, each step's arity,
//      dtypes, shapes and attributes for its kernel, live intervals consistent with the steps,
//      and the independent arena overlap check (overlap_checker.h). O(n log n) in the number of
//      tensors plus O(total operands).
#ifndef TIDEMARK_RUNTIME_PLAN_LOADED_PLAN_H_
#define TIDEMARK_RUNTIME_PLAN_LOADED_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kernels/shape.h"
#include "tidemark/plan_builder.h"
#include "tidemark/status.h"
#include "tidemark/types.h"

namespace tidemark {

struct LoadedTensor {
  std::string name;
  kernels::Shape shape;
  DType dtype = DType::kF32;
  TensorLocation location = TensorLocation::kArena;
  uint64_t offset = 0;
  uint64_t size_bytes = 0; // Elements x dtype size.
  int view_of = -1;
  int live_first = -1;
  int live_last = -1;
  // Constant only: points into the plan bytes given to DecodePlan (borrowed).
  const uint8_t *constant_data = nullptr;
  size_t constant_size = 0;
};

struct LoadedStep {
  KernelId kernel = KernelId::kMatMul;
  std::vector<int> operands;
  std::vector<int> results;
  StepAttributes attrs;
  std::string name;
};

struct LoadedStateInit {
  uint64_t offset = 0;
  const uint8_t *data = nullptr; // Borrowed from the plan bytes.
  size_t size = 0;
};

struct LoadedPlan {
  uint32_t version = 0;
  uint64_t arena_bytes = 0;
  uint32_t arena_alignment = 64;
  uint64_t state_bytes = 0;
  uint32_t state_alignment = 64;
  std::vector<LoadedStateInit> state_inits;
  bool has_external_weights = false;
  std::string weights_path;
  uint64_t weights_file_offset = 0;
  uint64_t weights_byte_size = 0;
  std::vector<LoadedTensor> tensors;
  std::vector<LoadedStep> steps;
  PlanStatistics stats;
  std::string producer;
  uint64_t seed = 0; // Dropout's Philox key.
};

// Largest arena or state region a plan may ask for (1 TiB): a corrupt size fails here instead of
// in the allocator.
constexpr uint64_t kMaxRegionBytes = uint64_t{1} << 40;

// Largest plan: FlatBuffers addresses a buffer with 32-bit signed offsets (2 GiB - 1 bytes).
constexpr uint64_t kMaxPlanBytes = (uint64_t{1} << 31) - 1;

// Most operands / results a step may list (Concat, the widest kernel, takes up to 32 operands,
// Split writes up to 32 results); the decoder refuses longer lists before copying them.
constexpr int kMaxStepOperands = 32;
constexpr int kMaxStepResults = 32;

// Pass 1. `data` must stay alive as long as `out` is used (constant and state-init data point
// into it). On error `out` is unspecified. Memory and time are O(size): every list or string the
// decoder copies (names, tensor ids, axes) and every byte block the executor will copy (constant
// data, state initializers) must be backed by its own bytes of the plan, so tables that share
// one big string or vector cannot multiply the work (a plan that tries is refused as corrupt).
// Never throws (allocation failure is ResourceExhausted).
Status DecodePlan(const void *data, size_t size, LoadedPlan *out);

// Pass 2. Checks everything the executor relies on; see the file comment. Never throws.
Status VerifyPlan(const LoadedPlan &plan);

// Both passes: the entry point for untrusted bytes (the API and the fuzz targets). Never throws,
// never aborts, allocates O(size).
Status LoadAndVerifyPlan(const void *data, size_t size, LoadedPlan *out);

// "tensor 3 'h1'": how messages name a tensor.
std::string DescribeTensor(const LoadedPlan &plan, int id);
// "step 2 (MatMul 'fc1')": how messages name a step.
std::string DescribeStep(const LoadedPlan &plan, int id);

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_PLAN_LOADED_PLAN_H_
