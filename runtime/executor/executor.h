// Executor: owns the memory of a verified plan (arena, state, I/O buffers, constants, scratch)
// and a thread pool, all created once at load, and runs the plan's steps with no heap allocation.
//
// Memory layout at load (each block 64-byte aligned, allocated once, after the total has been
// computed from the plan and compared with the caller's cap; see MemoryRequirement):
//   arena (plan.arena_bytes), state (plan.state_bytes, zeroed then initialized from the plan or
//   the external weights file), one runtime-owned buffer per input and output (zeroed),
//   a copy of the constants (unless borrowed from caller memory that outlives the executor), and
//   one scratch block sized as the maximum over steps of what each step's kernel asks for.
// A step resolves each tensor to root pointer + byte delta (views share their root's bytes), so
// rebinding an input or output to caller memory is one pointer store.
//
// Thread-safety: not thread-safe; one thread at a time may call any method. Kernels inside a step
// use the executor's own thread pool.
#ifndef TIDEMARK_RUNTIME_EXECUTOR_EXECUTOR_H_
#define TIDEMARK_RUNTIME_EXECUTOR_EXECUTOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/file_io.h"
#include "runtime/core/thread_pool.h"
#include "runtime/plan/loaded_plan.h"
#include "tidemark/status.h"

namespace tidemark {

// A 64-byte aligned heap block, freed on destruction.
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  ~AlignedBuffer();
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  // Allocates `bytes` (>= 1 byte is always allocated), zeroed when `zero`. Returns
  // ResourceExhausted when the allocator fails.
  Status Allocate(size_t bytes, bool zero, const char *what);
  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

struct ExecutorOptions {
  // In [1, kMaxThreads] (tidemark/runtime.h).
  int num_threads = 1;
  // Most bytes Create may allocate for the plan's memory (MemoryRequirement::total); 0 means the
  // machine's physical memory, UINT64_MAX no cap (the values of RuntimeOptions).
  uint64_t max_memory_bytes = 0;
  // Tests only: how the thread pool starts its workers (null: std::thread).
  ThreadPool::ThreadStarter thread_starter;
  // When true, constants point into the plan bytes instead of being copied (the caller
  // guarantees those bytes outlive the executor).
  bool borrow_constants = false;
  // Directory that a relative external weights path is resolved against ("" : the current
  // directory). LoadFromFile passes the plan file's directory.
  std::string weights_base_dir;
};

// What Create allocates for a plan, each block rounded up to 64 bytes. Computed with checked
// arithmetic from the plan's declared sizes, before anything is allocated.
struct MemoryRequirement {
  uint64_t arena = 0, state = 0;
  uint64_t io = 0;        // Runtime-owned input and output buffers.
  uint64_t constants = 0; // The copy of the constants (0 when borrowed).
  uint64_t scratch = 0;   // Kernel scratch: the maximum over steps.
  uint64_t total = 0;
};

// The memory of a verified plan run on `num_threads` threads. OutOfRange if a sum overflows.
Status ComputeMemoryRequirement(const LoadedPlan &plan, int num_threads, bool borrow_constants,
                                MemoryRequirement *out);

// The cap a max_memory_bytes value stands for: 0 -> the machine's physical memory
// (sysconf(_SC_PHYS_PAGES) x page size; no cap if unknown), anything else itself.
uint64_t ResolveMemoryCap(uint64_t max_memory_bytes);

// ResourceExhausted naming every part, the total and the cap when the requirement exceeds `cap`.
Status CheckMemoryCap(const MemoryRequirement &need, uint64_t cap);

class Executor {
public:
  // Takes a plan that passed VerifyPlan. Checks, before allocating anything: the options, that
  // every kernel is available in this runtime (Unimplemented otherwise), the memory the plan
  // declares against the cap (ResourceExhausted), and that an external weights file is a regular
  // file holding the declared range (NotFound, InvalidArgument, DataLoss). Then starts the thread
  // pool (ResourceExhausted when a worker thread cannot be created; the ones started are joined)
  // and allocates and initializes all memory. Never throws.
  static Status Create(LoadedPlan plan, const ExecutorOptions &options,
                       std::unique_ptr<Executor> *out);
  ~Executor();

  // Runs every step once, in order. No heap allocation. Token ids read straight from an input are
  // checked first (CheckInputIds): a bad one fails before any step runs, so nothing is written
  // and the optimizer step count stays. On a kernel error, returns it with the step named; later
  // steps do not run.
  Status RunStep();

  const LoadedPlan &plan() const { return plan_; }
  int num_threads() const { return pool_.num_threads(); }
  uint64_t steps_run() const { return steps_run_; }
  // Optimizer updates already applied (starts at 0; +1 per successful step). Adam's bias
  // correction uses update number optimizer_steps() + 1.
  uint64_t optimizer_steps() const { return optimizer_steps_; }
  void set_optimizer_steps(uint64_t steps) { optimizer_steps_ = steps; }
  size_t scratch_bytes() const { return scratch_.size(); }
  size_t io_bytes() const { return io_bytes_; }

  // The bytes of tensor `id` as the next step sees them.
  uint8_t *TensorData(int id) const {
    return root_data_[static_cast<size_t>(root_[static_cast<size_t>(id)])] +
           delta_[static_cast<size_t>(id)];
  }
  // Input / output roots only: points the tensor (and its views) at `data`, or back at the
  // runtime-owned buffer when `data` is null.
  void Rebind(int id, uint8_t *data);
  // The runtime-owned buffer of an input or output root.
  uint8_t *OwnedBuffer(int id) const { return owned_io_[static_cast<size_t>(id)]; }
  uint8_t *state_data() const { return state_.data(); }

private:
  Executor(LoadedPlan plan, const ExecutorOptions &options);
  Status AllocateMemory(const MemoryRequirement &need, const ExecutorOptions &options);
  Status InitializeState(const RegularFile &weights);
  void ResolveTensors();

  LoadedPlan plan_;
  ThreadPool pool_;
  AlignedBuffer arena_, state_, io_, constants_, scratch_;
  size_t io_bytes_ = 0;
  std::vector<int> root_;                // Root tensor of every tensor (itself when not a view).
  std::vector<uint64_t> delta_;          // Byte offset from the root's start.
  std::vector<uint8_t *> root_data_;     // Current start of every root's bytes.
  std::vector<uint8_t *> owned_io_;      // Runtime-owned buffer per input/output root.
  std::vector<uint8_t *> constant_data_; // Constant roots: copied or borrowed bytes.
  uint64_t steps_run_ = 0;
  uint64_t optimizer_steps_ = 0;
};

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_EXECUTOR_EXECUTOR_H_
