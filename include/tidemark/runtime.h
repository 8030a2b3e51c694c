// The Tidemark embedding API: load a verified plan, bind inputs and outputs, run steps.
//
// Typical use:
//   std::unique_ptr<tidemark::Runtime> rt;
//   tidemark::Status s = tidemark::Runtime::LoadFromFile("model.tplan", {}, &rt);
//   if (!s.ok()) { /* s.ToString() says what is wrong with the file */ }
//   rt->BindInput("x", x_data, sizeof(x_data), tidemark::DType::kF32, {8, 784});
//   rt->Run();
//   rt->ReadOutput("loss", &loss, sizeof(loss));
//
// Errors: every call returns a Status (include/tidemark/status.h); nothing throws across this
// API and bad input never aborts. Calls check all their arguments before changing any state, so a
// failed call leaves the runtime exactly as it was.
//
// Thread-safety: a Runtime is not thread-safe: at most one thread may call its methods at a time
// (the const queries included, while another thread runs a mutating call). Distinct Runtime
// objects are independent and may be used from different threads concurrently. Each Runtime owns
// a thread pool of RuntimeOptions::num_threads threads (the calling thread counts as one) that
// its kernels use inside Run().
//
// Memory: everything (arena, state, runtime-owned I/O buffers, kernel scratch, thread pool) is
// allocated by the Load call; Run() performs no heap allocation. The plan decides how much; the
// load compares what the plan declares with RuntimeOptions::max_memory_bytes before it allocates
// anything, so an untrusted plan cannot make the runtime allocate more than the caller allows.
#ifndef TIDEMARK_RUNTIME_H_
#define TIDEMARK_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tidemark/status.h"
#include "tidemark/types.h"

namespace tidemark {

class Executor;

// Most threads a Runtime may use (RuntimeOptions::num_threads, tide-run --threads).
constexpr int kMaxThreads = 1024;

// RuntimeOptions::max_memory_bytes values with a special meaning.
constexpr uint64_t kMemoryCapPhysical = 0;    // The machine's physical memory (the default).
constexpr uint64_t kNoMemoryCap = UINT64_MAX; // No cap: whatever the plan declares.

struct RuntimeOptions {
  // Threads that run kernels, the calling thread included; in [1, kMaxThreads].
  int num_threads = 1;
  // Most bytes a load may allocate for the plan: state + arena + runtime-owned input/output
  // buffers + the copy of the constants + kernel scratch for num_threads (each rounded up to 64
  // bytes). The load computes these from the plan's declared sizes (checked arithmetic) and
  // refuses a plan that needs more with ResourceExhausted, naming every part and the cap, before
  // allocating any of it; LoadFromFile also refuses a plan file larger than the cap unread.
  // kMemoryCapPhysical (0, the default): the machine's physical memory (sysconf(_SC_PHYS_PAGES)
  // x page size), since a plan needing more could not run anyway; kNoMemoryCap: no cap. An app
  // that loads plans it did not make should set its own, e.g. 512 << 20.
  uint64_t max_memory_bytes = kMemoryCapPhysical;
};

// The byte cap a RuntimeOptions::max_memory_bytes value stands for: kMemoryCapPhysical resolved
// to the machine's physical memory (kNoMemoryCap if that is unknown), any other value itself.
// Never fails; thread-safe.
uint64_t MemoryCapBytes(uint64_t max_memory_bytes);

// How LoadFromMemory treats the caller's plan bytes.
enum class PlanMemory {
  // The bytes are read during the call only; the caller may free them as soon as it returns.
  kCopy,
  // Constant tensors are used in place (no copy; e.g. a plan embedded in the executable): the
  // bytes must stay alive and unchanged for the Runtime's whole lifetime.
  kBorrow,
};

// What the runtime measured and what the plan declared.
struct RuntimeStatistics {
  uint64_t steps_run = 0;          // Successful Run() calls.
  double last_step_seconds = 0.0;  // Wall time of the latest successful Run().
  double total_step_seconds = 0.0; // Sum over all successful Run() calls.
  double mean_step_seconds = 0.0;  // total / steps_run (0 before the first step).
  uint64_t arena_bytes = 0;        // Planned arena (transient values).
  uint64_t state_bytes = 0;        // Persistent state (parameters, optimizer state).
  uint64_t io_bytes = 0;           // Runtime-owned input and output buffers.
  uint64_t scratch_bytes = 0;      // Kernel scratch (the maximum over steps).
  uint64_t planned_load_bytes = 0; // The planner's LOAD (lower bound on the arena), 0 if unknown.
  int num_threads = 1;
};

class Runtime {
public:
  // Reads, verifies and prepares the plan in file `path`. A relative external weights path in the
  // plan is resolved against the plan file's directory. The file (and the external weights file)
  // must be a regular file; it is read exactly to the size fstat reports, at most 2 GiB - 1 bytes
  // (the FlatBuffers limit) and at most the memory cap.
  // Ownership: on success *out owns the new Runtime; the file is not used after the call.
  // Errors: NotFound (no such file), InvalidArgument (a directory, FIFO, device or socket; not
  // readable; not a plan, or a plan that fails verification: the message names the tensor or
  // step), DataLoss (truncated, corrupt, or shrank while read), Unimplemented (unknown format
  // version, or a kernel missing from this build), OutOfRange (a file or size over a limit), and
  // ResourceExhausted (the plan needs more than options.max_memory_bytes; memory or a worker
  // thread could not be obtained). *out is untouched on error. Thread-safe (no shared state).
  static Status LoadFromFile(const std::string &path, const RuntimeOptions &options,
                             std::unique_ptr<Runtime> *out);

  // Verifies and prepares the plan in [data, data + size). See PlanMemory for how long the bytes
  // must live. A relative external weights path is resolved against the current directory.
  // Errors and ownership as LoadFromFile (InvalidArgument for a null pointer). Any byte string is
  // safe to pass (this is the entry point to fuzz): decoding allocates O(size), and what the plan
  // then allocates is bounded by options.max_memory_bytes.
  // Thread-safe; the bytes may be shared by concurrent loads (they are only read).
  static Status LoadFromMemory(const void *data, size_t size, PlanMemory memory,
                               const RuntimeOptions &options, std::unique_ptr<Runtime> *out);

  ~Runtime();
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;

  // Region sizes in bytes (the same values as in statistics()). Never fail.
  // Thread-safety (this and every method below): not concurrently with a mutating call on the
  // same Runtime; const methods may run concurrently with each other.
  uint64_t arena_bytes() const;
  uint64_t state_bytes() const;

  // Name, dtype, shape and byte size of every input, output, and parameter (named state tensor),
  // in plan order. Built at load; the references stay valid (and unchanged) as long as the
  // Runtime. Never fail, never allocate.
  const std::vector<TensorInfo> &inputs() const;
  const std::vector<TensorInfo> &outputs() const;
  const std::vector<TensorInfo> &parameters() const;

  // Every method below that returns a Status also turns an allocation failure (only possible
  // while building an error message) into ResourceExhausted; none throws.

  // Makes the next steps read input `name` from caller memory `data` (at least `size_bytes`
  // bytes, aligned to the element size). `dtype` and `shape` must match the plan exactly.
  // Lifetime: the runtime keeps the pointer (not a copy) until the input is bound again or the
  // Runtime is destroyed; the caller keeps the memory alive and unchanged during Run().
  // Errors: NotFound (no such input), InvalidArgument (null or misaligned data, dtype or shape
  // mismatch, buffer smaller than the tensor, overlap with a bound output). No allocation.
  Status BindInput(const std::string &name, const void *data, size_t size_bytes, DType dtype,
                   const std::vector<int64_t> &shape);
  // Makes the next steps write output `name` into caller memory; same rules, lifetime and errors
  // as BindInput (the memory must not overlap any other bound buffer). The runtime writes it
  // during Run() only.
  Status BindOutput(const std::string &name, void *data, size_t size_bytes, DType dtype,
                    const std::vector<int64_t> &shape);

  // Rebinds input (or output) `name` to its runtime-owned buffer and returns that buffer, which
  // lives as long as the Runtime (zero-filled at load). Fill inputs / read outputs through it.
  // Ownership: the runtime's; valid until the Runtime is destroyed. Errors: NotFound,
  // InvalidArgument (null `data`).
  Status InputBuffer(const std::string &name, void **data);
  Status OutputBuffer(const std::string &name, void **data);

  // Runs one step of the plan (all its kernels, in order). No heap allocation on success.
  // Errors: OutOfRange when input data is invalid for a kernel (a class label outside
  // [0, classes): the message names the step, row and value; a token id outside its table:
  // the message names the ids input, the first bad position and the id, and this is checked
  // before any kernel runs, so nothing at all is written); Internal if a kernel rejects its
  // arguments otherwise (a bug: the plan was verified). A failed step is not counted in the
  // statistics; after a label error, outputs, arena and any state the step had already updated
  // are unspecified.
  // Uses the Runtime's thread pool; the calling thread blocks until the step is done.
  Status Run();

  // Copies output `name` (from wherever it is bound) into `dst`, which holds `size_bytes` bytes:
  // exactly the output's size (`dst` stays the caller's). Errors: NotFound, InvalidArgument
  // (null dst, wrong size).
  Status ReadOutput(const std::string &name, void *dst, size_t size_bytes) const;

  // Copies parameter `name` (a named tensor of the persistent state) to or from caller memory of
  // exactly its size. Writes take effect at the next Run(). Errors: NotFound, InvalidArgument.
  Status ReadParameter(const std::string &name, void *dst, size_t size_bytes) const;
  Status WriteParameter(const std::string &name, const void *src, size_t size_bytes);

  // The number of optimizer updates already applied to the state (0 after load, +1 per
  // successful Run()). Adam's bias correction uses update number optimizer_steps() + 1; an app
  // that resumes training from saved parameters and optimizer state sets it back to where the
  // saved run stopped. Never fails.
  uint64_t optimizer_steps() const;
  void SetOptimizerSteps(uint64_t completed_updates);

  // Measurements so far; never fails.
  RuntimeStatistics statistics() const;

private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  static Status LoadFromMemoryImpl(const void *data, size_t size, PlanMemory memory,
                                   const RuntimeOptions &options,
                                   const std::string &weights_base_dir,
                                   std::unique_ptr<Runtime> *out);
  std::unique_ptr<Impl> impl_;
};

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_H_
