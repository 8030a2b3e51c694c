// Executor: load-time allocation and initialization, and the allocation-free step loop.
#include "runtime/executor/executor.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <unistd.h>

#include "runtime/executor/kernel_dispatch.h"
#include "tidemark/runtime.h"

namespace tidemark {

namespace {
constexpr size_t kAlignment = 64;

size_t roundUp(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

// sum += roundUp(bytes), false on overflow. Every size here is far below 2^64 (tensors are at
// most 2^42 bytes), but a plan can list very many of them.
bool addBlock(uint64_t *sum, uint64_t bytes) {
  if (bytes > UINT64_MAX - (kAlignment - 1))
    return false;
  const uint64_t rounded = roundUp(bytes);
  if (rounded > UINT64_MAX - *sum)
    return false;
  *sum += rounded;
  return true;
}

std::string joinPath(const std::string &directory, const std::string &path) {
  if (directory.empty() || path[0] == '/')
    return path;
  return directory + "/" + path;
}

// Opens the plan's external weights file and checks it holds the declared range, before any
// allocation (a plan may declare a large state and point at a small or endless file).
Status openWeights(const LoadedPlan &plan, const std::string &base_dir, RegularFile *file) {
  const std::string path = joinPath(base_dir, plan.weights_path);
  TIDEMARK_RETURN_IF_ERROR(OpenRegularFile(path, "external weights file", file));
  const uint64_t end = plan.weights_file_offset + plan.weights_byte_size; // Verified: no wrap.
  if (end > file->size())
    return DataLoss("external weights file '" + path + "' (" + std::to_string(file->size()) +
                    " bytes) is shorter than the " + std::to_string(plan.weights_byte_size) +
                    " bytes at offset " + std::to_string(plan.weights_file_offset) +
                    " the plan expects");
  return Status::Ok();
}

} // namespace

Status ComputeMemoryRequirement(const LoadedPlan &plan, int num_threads, bool borrow_constants,
                                MemoryRequirement *out) {
  MemoryRequirement need;
  bool ok = addBlock(&need.arena, plan.arena_bytes) && addBlock(&need.state, plan.state_bytes);
  for (const LoadedTensor &t : plan.tensors) {
    if (!ok)
      break;
    if (t.view_of != -1)
      continue;
    if (t.location == TensorLocation::kInput || t.location == TensorLocation::kOutput)
      ok = addBlock(&need.io, t.size_bytes);
    else if (t.location == TensorLocation::kConstant && !borrow_constants)
      ok = addBlock(&need.constants, t.size_bytes);
  }
  for (const LoadedStep &step : plan.steps) {
    const uint64_t bytes = StepScratchBytes(plan, step, num_threads);
    need.scratch = bytes > need.scratch ? bytes : need.scratch;
  }
  ok = ok && addBlock(&need.total, need.arena) && addBlock(&need.total, need.state) &&
       addBlock(&need.total, need.io) && addBlock(&need.total, need.constants) &&
       addBlock(&need.total, need.scratch);
  if (!ok)
    return OutOfRange("the plan's memory (arena, state, input/output buffers and constants) "
                      "adds up to more than 2^64 bytes");
  *out = need;
  return Status::Ok();
}

uint64_t ResolveMemoryCap(uint64_t max_memory_bytes) {
  if (max_memory_bytes != 0)
    return max_memory_bytes;
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0)
    return UINT64_MAX;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

Status CheckMemoryCap(const MemoryRequirement &need, uint64_t cap) {
  if (need.total <= cap)
    return Status::Ok();
  return ResourceExhausted("the plan needs " + std::to_string(need.total) + " bytes (state " +
                           std::to_string(need.state) + " + arena " + std::to_string(need.arena) +
                           " + I/O " + std::to_string(need.io) + " + constants " +
                           std::to_string(need.constants) + " + scratch " +
                           std::to_string(need.scratch) + "), more than the memory cap of " +
                           std::to_string(cap) + " bytes (RuntimeOptions::max_memory_bytes)");
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

Status AlignedBuffer::Allocate(size_t bytes, bool zero, const char *what) {
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
  void *block = nullptr;
  if (posix_memalign(&block, kAlignment, roundUp(bytes == 0 ? 1 : bytes)) != 0 || !block)
    return ResourceExhausted(std::string("cannot allocate ") + std::to_string(bytes) +
                             " bytes for the " + what);
  data_ = static_cast<uint8_t *>(block);
  size_ = bytes;
  if (zero)
    std::memset(data_, 0, roundUp(bytes == 0 ? 1 : bytes));
  return Status::Ok();
}

Executor::Executor(LoadedPlan plan, const ExecutorOptions &options)
    : plan_(std::move(plan)), pool_(options.num_threads, options.thread_starter) {}

Executor::~Executor() = default;

Status Executor::Create(LoadedPlan plan, const ExecutorOptions &options,
                        std::unique_ptr<Executor> *out) {
  if (options.num_threads < 1 || options.num_threads > kMaxThreads)
    return InvalidArgument("num_threads must be in [1, " + std::to_string(kMaxThreads) + "], got " +
                           std::to_string(options.num_threads));
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    Status available = CheckKernelAvailable(plan.steps[s].kernel);
    if (!available.ok())
      return Status(available.code(),
                    DescribeStep(plan, static_cast<int>(s)) + ": " + available.message());
  }
  // Everything the plan declares is checked before the first allocation.
  MemoryRequirement need;
  TIDEMARK_RETURN_IF_ERROR(
      ComputeMemoryRequirement(plan, options.num_threads, options.borrow_constants, &need));
  TIDEMARK_RETURN_IF_ERROR(CheckMemoryCap(need, ResolveMemoryCap(options.max_memory_bytes)));
  RegularFile weights;
  if (plan.has_external_weights)
    TIDEMARK_RETURN_IF_ERROR(openWeights(plan, options.weights_base_dir, &weights));
  std::unique_ptr<Executor> executor(new (std::nothrow) Executor(std::move(plan), options));
  if (!executor)
    return ResourceExhausted("cannot allocate the executor");
  if (!executor->pool_.start_status().ok())
    return Status(executor->pool_.start_status().code(),
                  "cannot start " + std::to_string(options.num_threads) +
                      " threads: " + executor->pool_.start_status().message());
  TIDEMARK_RETURN_IF_ERROR(executor->AllocateMemory(need, options));
  TIDEMARK_RETURN_IF_ERROR(executor->InitializeState(weights));
  executor->ResolveTensors();
  *out = std::move(executor);
  return Status::Ok();
}

Status Executor::AllocateMemory(const MemoryRequirement &need, const ExecutorOptions &options) {
  TIDEMARK_RETURN_IF_ERROR(arena_.Allocate(plan_.arena_bytes, /*zero=*/false, "arena"));
  TIDEMARK_RETURN_IF_ERROR(state_.Allocate(plan_.state_bytes, /*zero=*/true, "state region"));
  io_bytes_ = need.io;
  TIDEMARK_RETURN_IF_ERROR(io_.Allocate(need.io, /*zero=*/true, "input and output buffers"));
  TIDEMARK_RETURN_IF_ERROR(scratch_.Allocate(need.scratch, /*zero=*/false, "kernel scratch"));
  if (!options.borrow_constants)
    TIDEMARK_RETURN_IF_ERROR(constants_.Allocate(need.constants, /*zero=*/false, "constants"));

  const size_t n = plan_.tensors.size();
  owned_io_.assign(n, nullptr);
  constant_data_.assign(n, nullptr);
  size_t io_cursor = 0, constant_cursor = 0;
  for (size_t i = 0; i < n; ++i) {
    const LoadedTensor &t = plan_.tensors[i];
    if (t.view_of != -1)
      continue;
    if (t.location == TensorLocation::kInput || t.location == TensorLocation::kOutput) {
      owned_io_[i] = io_.data() + io_cursor;
      io_cursor += roundUp(t.size_bytes);
    } else if (t.location == TensorLocation::kConstant) {
      if (options.borrow_constants) {
        // Kernels need element alignment; unaligned borrowed data cannot be used in place.
        if (reinterpret_cast<uintptr_t>(t.constant_data) % DTypeSize(t.dtype) != 0)
          return InvalidArgument(DescribeTensor(plan_, static_cast<int>(i)) +
                                 ": constant data is not element-aligned and cannot be borrowed");
        constant_data_[i] = const_cast<uint8_t *>(t.constant_data);
      } else {
        constant_data_[i] = constants_.data() + constant_cursor;
        if (t.size_bytes > 0)
          std::memcpy(constant_data_[i], t.constant_data, t.size_bytes);
        constant_cursor += roundUp(t.size_bytes);
      }
    }
  }
  return Status::Ok();
}

Status Executor::InitializeState(const RegularFile &weights) {
  if (plan_.has_external_weights)
    TIDEMARK_RETURN_IF_ERROR(ReadFileAt(weights, plan_.weights_file_offset, state_.data(),
                                        static_cast<size_t>(plan_.weights_byte_size)));
  for (const LoadedStateInit &init : plan_.state_inits)
    if (init.size > 0)
      std::memcpy(state_.data() + init.offset, init.data, init.size);
  // The plan bytes may go away after load: forget every pointer into them.
  plan_.state_inits.clear();
  return Status::Ok();
}

void Executor::ResolveTensors() {
  const size_t n = plan_.tensors.size();
  root_.assign(n, 0);
  delta_.assign(n, 0);
  root_data_.assign(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    LoadedTensor &t = plan_.tensors[i];
    if (t.view_of == -1) {
      root_[i] = static_cast<int>(i);
      if (t.location == TensorLocation::kArena)
        root_data_[i] = arena_.data() + t.offset;
      else if (t.location == TensorLocation::kState)
        root_data_[i] = state_.data() + t.offset;
      else if (t.location == TensorLocation::kConstant)
        root_data_[i] = constant_data_[i];
      else
        root_data_[i] = owned_io_[i];
    } else {
      // Views name earlier tensors (verified), so the base is already resolved.
      size_t base = static_cast<size_t>(t.view_of);
      root_[i] = root_[base];
      delta_[i] = delta_[base] + (t.offset - plan_.tensors[base].offset);
    }
    if (t.location == TensorLocation::kConstant)
      t.constant_data = root_data_[static_cast<size_t>(root_[i])] + delta_[i];
  }
}

void Executor::Rebind(int id, uint8_t *data) {
  size_t i = static_cast<size_t>(id);
  root_data_[i] = data ? data : owned_io_[i];
}

Status Executor::RunStep() {
  // Adam's update number; saturates instead of wrapping for a count set near 2^64.
  const uint64_t step_number =
      optimizer_steps_ < uint64_t{INT64_MAX} ? optimizer_steps_ + 1 : uint64_t{INT64_MAX};
  KernelContext context{&pool_, scratch_.data(), step_number, plan_.seed};
  uint8_t *operands[kMaxStepOperands];
  uint8_t *results[kMaxStepResults];
  // Bad input data (a token id outside its table) fails here, before any step writes an output,
  // the arena or the state: a failed step leaves everything as it was.
  for (size_t s = 0; s < plan_.steps.size(); ++s) {
    const LoadedStep &step = plan_.steps[s];
    for (size_t i = 0; i < step.operands.size(); ++i)
      operands[i] = TensorData(step.operands[i]);
    Status status = CheckInputIds(plan_, step, operands);
    if (!status.ok())
      return Status(status.code(),
                    DescribeStep(plan_, static_cast<int>(s)) + ": " + status.message());
  }
  for (size_t s = 0; s < plan_.steps.size(); ++s) {
    const LoadedStep &step = plan_.steps[s];
    for (size_t i = 0; i < step.operands.size(); ++i)
      operands[i] = TensorData(step.operands[i]);
    for (size_t i = 0; i < step.results.size(); ++i)
      results[i] = TensorData(step.results[i]);
    Status status = RunKernel(plan_, step, operands, results, context);
    if (!status.ok())
      return Status(status.code(),
                    DescribeStep(plan_, static_cast<int>(s)) + ": " + status.message());
  }
  ++steps_run_;
  ++optimizer_steps_;
  return Status::Ok();
}

} // namespace tidemark
