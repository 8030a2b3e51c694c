// Executor: owns the memory of a verified plan (arena, state, I/O buffers, constants, scratch)
// and a thread pool, all created once at load, and runs the plan's steps with no heap allocation.
//
// Memory layout at load (each block 64-byte aligned, allocated once):
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
  int num_threads = 1;
  // When true, constants point into the plan bytes instead of being copied (the caller
  // guarantees those bytes outlive the executor).
  bool borrow_constants = false;
  // Directory that a relative external weights path is resolved against ("" : the current
  // directory). LoadFromFile passes the plan file's directory.
  std::string weights_base_dir;
};

class Executor {
public:
  // Takes a plan that passed VerifyPlan. Checks every kernel is available in this runtime
  // (Unimplemented otherwise), then allocates and initializes all memory.
  static Status Create(LoadedPlan plan, const ExecutorOptions &options,
                       std::unique_ptr<Executor> *out);
  ~Executor();

  // Runs every step once, in order. No heap allocation. On a kernel error, returns it with the
  // step named; later steps do not run.
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
  explicit Executor(LoadedPlan plan, int num_threads);
  Status AllocateMemory(const ExecutorOptions &options);
  Status InitializeState(const std::string &weights_base_dir);
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
