// fuzz_plan: libFuzzer target for the plan loader, the verifier and one executed step.
//
// Each input is a plan file. It is decoded and verified (DecodePlan + VerifyPlan, the loader's
// two passes); a plan that passes and fits the harness's memory and work caps is then loaded
// through the public API (Runtime::LoadFromMemory), its inputs are filled (or bound to caller
// memory), and one step runs. Plans with external weights are verified but not loaded: loading
// would open whatever path the input names.
//
// Findings besides sanitizer reports (each aborts with a message, so libFuzzer saves the input):
//   - a failed status with an empty message, or a code that the API does not document there;
//   - the verifier accepts a plan that LoadFromMemory then rejects for anything but memory;
//   - Run() returns Internal (the API: "a bug: the plan was verified");
//   - the runtime reports region sizes that differ from the plan's.
// The structure-aware mutator that produces most inputs is in plan_mutator.cc.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "runtime/executor/kernel_dispatch.h"
#include "runtime/plan/loaded_plan.h"
#include "tidemark/plan_generated.h"
#include "tidemark/runtime.h"

namespace {

using tidemark::DType;
using tidemark::KernelId;
using tidemark::LoadedPlan;
using tidemark::LoadedStep;
using tidemark::LoadedTensor;
using tidemark::Status;
using tidemark::StatusCode;

// What one input may cost: every region and buffer the runtime allocates, and the element
// operations of one step (a step that fits runs in well under 100 ms under ASan).
constexpr uint64_t kMemoryCapBytes = uint64_t{64} << 20;
constexpr uint64_t kWorkCap = uint64_t{1} << 25;

[[noreturn]] void finding(const char *what, const Status &status) {
  std::fprintf(stderr, "fuzz_plan finding: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

void checkFailure(const char *call, const Status &status) {
  if (status.ok())
    return;
  if (status.message().empty())
    finding(call, Status(status.code(), "(failed with an empty message)"));
}

uint64_t saturatingAdd(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }
uint64_t saturatingMul(uint64_t a, uint64_t b) {
  return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

uint64_t elements(const LoadedTensor &t) { return t.size_bytes / tidemark::DTypeSize(t.dtype); }

// Element operations of one step, an upper bound good enough to skip slow inputs.
uint64_t stepWork(const LoadedPlan &plan, const LoadedStep &step) {
  auto tensor = [&](int id) -> const LoadedTensor & { return plan.tensors[size_t(id)]; };
  uint64_t work = 0;
  for (int id : step.operands)
    work = saturatingAdd(work, elements(tensor(id)));
  for (int id : step.results)
    work = saturatingAdd(work, elements(tensor(id)));
  if (step.kernel == KernelId::kMatMul) {
    const LoadedTensor &a = tensor(step.operands[0]);
    int64_t inner = 1;
    for (int i = a.shape.rank - 2; i < a.shape.rank; ++i)
      if (i >= 0 && a.shape.dims[i] > inner)
        inner = a.shape.dims[i];
    work = saturatingAdd(work, saturatingMul(elements(tensor(step.results[0])), uint64_t(inner)));
  } else if (step.kernel == KernelId::kAttention || step.kernel == KernelId::kAttentionGrad) {
    const LoadedTensor &k = tensor(step.operands[1]);
    const uint64_t keys = k.shape.rank >= 3 ? uint64_t(k.shape.dims[2]) : 1;
    work = saturatingAdd(work, saturatingMul(elements(tensor(step.operands[0])), 4 * keys));
  }
  return work;
}

bool withinCaps(const LoadedPlan &plan, int threads) {
  uint64_t bytes = saturatingAdd(plan.arena_bytes, plan.state_bytes);
  for (const LoadedTensor &t : plan.tensors) {
    if (t.view_of != -1)
      continue;
    if (t.location == tidemark::TensorLocation::kInput ||
        t.location == tidemark::TensorLocation::kOutput ||
        t.location == tidemark::TensorLocation::kConstant)
      bytes = saturatingAdd(bytes, t.size_bytes + 64);
  }
  uint64_t work = 0;
  for (const LoadedStep &step : plan.steps) {
    bytes = saturatingAdd(bytes, tidemark::StepScratchBytes(plan, step, threads));
    work = saturatingAdd(work, stepWork(plan, step));
  }
  return bytes <= kMemoryCapBytes && work <= kWorkCap;
}

// Deterministic choices from the input bytes (libFuzzer needs the same input to behave the same).
uint64_t hashOf(const uint8_t *data, size_t size) {
  uint64_t h = 1469598103934665603ull ^ size;
  for (size_t i = 0; i < size; i += 1 + size / 64)
    h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

void fillPattern(uint8_t *bytes, uint64_t size, DType dtype, uint64_t seed) {
  if (dtype == DType::kI32) {
    auto *values = reinterpret_cast<int32_t *>(bytes);
    for (uint64_t i = 0; i < size / 4; ++i)
      values[i] = int32_t((seed + i) % 5) - (seed % 7 == 0 ? 1 : 0); // Sometimes a bad label.
    return;
  }
  auto *values = reinterpret_cast<float *>(bytes);
  for (uint64_t i = 0; i < size / 4; ++i)
    values[i] = float(int64_t((seed + i * 37) % 17) - 8) * 0.25f;
}

void runOneStep(const uint8_t *data, size_t size, const LoadedPlan &plan, uint64_t seed,
                int threads) {
  tidemark::RuntimeOptions options;
  options.num_threads = threads;
  const tidemark::PlanMemory memory =
      (seed & 2) ? tidemark::PlanMemory::kBorrow : tidemark::PlanMemory::kCopy;
  std::unique_ptr<tidemark::Runtime> runtime;
  Status status = tidemark::Runtime::LoadFromMemory(data, size, memory, options, &runtime);
  checkFailure("LoadFromMemory", status);
  if (!status.ok()) {
    // Borrowed constants must be element-aligned in the caller's bytes (documented).
    bool borrowAlignment = memory == tidemark::PlanMemory::kBorrow &&
                           status.code() == StatusCode::kInvalidArgument &&
                           status.message().find("cannot be borrowed") != std::string::npos;
    if (status.code() != StatusCode::kResourceExhausted && !borrowAlignment)
      finding("the verifier accepted a plan that LoadFromMemory rejects", status);
    return;
  }
  if (runtime->arena_bytes() != plan.arena_bytes || runtime->state_bytes() != plan.state_bytes)
    finding("region sizes", Status(StatusCode::kInternal, "the runtime reports other sizes than "
                                                          "the plan declares"));
  // Inputs: every other one bound to caller memory, the rest filled in the runtime's buffers.
  std::vector<std::vector<uint64_t>> caller;
  for (const tidemark::TensorInfo &input : runtime->inputs()) {
    if ((seed >> caller.size()) & 1) {
      caller.emplace_back(input.size_bytes / 8 + 1);
      auto *bytes = reinterpret_cast<uint8_t *>(caller.back().data());
      fillPattern(bytes, input.size_bytes, input.dtype, seed);
      status = runtime->BindInput(input.name, bytes, input.size_bytes, input.dtype, input.shape);
    } else {
      void *buffer = nullptr;
      status = runtime->InputBuffer(input.name, &buffer);
      if (status.ok())
        fillPattern(static_cast<uint8_t *>(buffer), input.size_bytes, input.dtype, seed);
    }
    if (!status.ok())
      finding("binding an input the runtime listed", status);
  }
  status = runtime->Run();
  checkFailure("Run", status);
  if (status.code() == StatusCode::kInternal)
    finding("Run() after a successful load", status);
  for (const tidemark::TensorInfo &output : runtime->outputs()) {
    std::vector<uint8_t> bytes(output.size_bytes + 1); // Never a null pointer (empty outputs).
    Status read = runtime->ReadOutput(output.name, bytes.data(), output.size_bytes);
    if (!read.ok())
      finding("ReadOutput of an output the runtime listed", read);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  LoadedPlan plan;
  Status status = tidemark::LoadAndVerifyPlan(data, size, &plan);
  checkFailure("LoadAndVerifyPlan", status);
  if (!status.ok()) {
    if (status.code() == StatusCode::kInternal)
      finding("the loader reports a broken invariant", status);
    return 0;
  }
  const uint64_t seed = hashOf(data, size);
  const int threads = 1 + int(seed % 2);
  if (plan.has_external_weights || !withinCaps(plan, threads))
    return 0;
  runOneStep(data, size, plan, seed, threads);
  return 0;
}
