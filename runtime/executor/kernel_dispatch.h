// Kernel dispatch: maps a verified step (kernel id, attributes, tensor shapes) onto the kernel
// library's entry points (runtime/kernels/*.h).
//
// Shapes were checked by the plan verifier (runtime/plan/kernel_rules.cc), so dispatch only
// translates them into each kernel's parameter struct. Nothing here allocates.
#ifndef TIDEMARK_RUNTIME_EXECUTOR_KERNEL_DISPATCH_H_
#define TIDEMARK_RUNTIME_EXECUTOR_KERNEL_DISPATCH_H_

#include <cstddef>
#include <cstdint>

#include "runtime/plan/loaded_plan.h"
#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;

// Everything a kernel call needs besides its tensors.
struct KernelContext {
  ThreadPool *pool = nullptr;
  void *scratch = nullptr; // 64-byte aligned, StepScratchBytes bytes at least.
  // Optimizer update number: updates already applied + 1 (Adam's bias correction; its low 32
  // bits are the `step` word of Dropout's Philox counter).
  uint64_t step_number = 1;
  // The plan's seed: the key of Dropout's Philox stream.
  uint64_t seed = 0;
};

// Unimplemented (with the kernel named) when this runtime build has no kernel for `kernel`.
Status CheckKernelAvailable(KernelId kernel);

// Scratch bytes the step's kernel needs on `num_threads` threads (0 when none).
size_t StepScratchBytes(const LoadedPlan &plan, const LoadedStep &step, int num_threads);

// For a Gather or GatherGrad step whose ids are a plan input: checks the ids as the kernel will
// (OutOfRange naming the ids tensor, the first bad position and its value), so that a step can
// refuse bad input data before any of its steps writes anything. Ok for every other step (ids
// computed inside the step are checked by the kernel that reads them).
Status CheckInputIds(const LoadedPlan &plan, const LoadedStep &step, uint8_t *const *operands);

// Runs one step. operands[i] / results[i] are the data pointers of step.operands[i] /
// step.results[i].
Status RunKernel(const LoadedPlan &plan, const LoadedStep &step, uint8_t *const *operands,
                 uint8_t *const *results, const KernelContext &context);

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_EXECUTOR_KERNEL_DISPATCH_H_
