// Executor: load-time allocation and initialization, and the allocation-free step loop.
#include "runtime/executor/executor.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/executor/kernel_dispatch.h"

namespace tidemark {

namespace {
constexpr size_t kAlignment = 64;

size_t roundUp(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }
} // namespace

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

Executor::Executor(LoadedPlan plan, int num_threads) : plan_(std::move(plan)), pool_(num_threads) {}

Executor::~Executor() = default;

Status Executor::Create(LoadedPlan plan, const ExecutorOptions &options,
                        std::unique_ptr<Executor> *out) {
  if (options.num_threads < 1 || options.num_threads > 1024)
    return InvalidArgument("num_threads must be in [1, 1024], got " +
                           std::to_string(options.num_threads));
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    Status available = CheckKernelAvailable(plan.steps[s].kernel);
    if (!available.ok())
      return Status(available.code(),
                    DescribeStep(plan, static_cast<int>(s)) + ": " + available.message());
  }
  std::unique_ptr<Executor> executor(new (std::nothrow)
                                         Executor(std::move(plan), options.num_threads));
  if (!executor)
    return ResourceExhausted("cannot allocate the executor");
  TIDEMARK_RETURN_IF_ERROR(executor->AllocateMemory(options));
  TIDEMARK_RETURN_IF_ERROR(executor->InitializeState(options.weights_base_dir));
  executor->ResolveTensors();
  *out = std::move(executor);
  return Status::Ok();
}

Status Executor::AllocateMemory(const ExecutorOptions &options) {
  TIDEMARK_RETURN_IF_ERROR(arena_.Allocate(plan_.arena_bytes, /*zero=*/false, "arena"));
  TIDEMARK_RETURN_IF_ERROR(state_.Allocate(plan_.state_bytes, /*zero=*/true, "state region"));
  size_t io_bytes = 0, constant_bytes = 0, scratch_bytes = 0;
  for (const LoadedTensor &t : plan_.tensors) {
    if (t.view_of != -1)
      continue;
    if (t.location == TensorLocation::kInput || t.location == TensorLocation::kOutput)
      io_bytes += roundUp(t.size_bytes);
    if (t.location == TensorLocation::kConstant)
      constant_bytes += roundUp(t.size_bytes);
  }
  for (const LoadedStep &step : plan_.steps) {
    size_t bytes = StepScratchBytes(plan_, step, pool_.num_threads());
    scratch_bytes = bytes > scratch_bytes ? bytes : scratch_bytes;
  }
  io_bytes_ = io_bytes;
  TIDEMARK_RETURN_IF_ERROR(io_.Allocate(io_bytes, /*zero=*/true, "input and output buffers"));
  TIDEMARK_RETURN_IF_ERROR(scratch_.Allocate(scratch_bytes, /*zero=*/false, "kernel scratch"));
  if (!options.borrow_constants)
    TIDEMARK_RETURN_IF_ERROR(constants_.Allocate(constant_bytes, /*zero=*/false, "constants"));

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

Status Executor::InitializeState(const std::string &weights_base_dir) {
  if (plan_.has_external_weights) {
    std::string path = plan_.weights_path;
    if (!weights_base_dir.empty() && path[0] != '/')
      path = weights_base_dir + "/" + path;
    std::FILE *file = std::fopen(path.c_str(), "rb");
    if (!file)
      return NotFound("cannot open the plan's external weights file '" + path + "'");
    bool ok =
        std::fseek(file, static_cast<long>(plan_.weights_file_offset), SEEK_SET) == 0 &&
        std::fread(state_.data(), 1, plan_.weights_byte_size, file) == plan_.weights_byte_size;
    std::fclose(file);
    if (!ok)
      return DataLoss("external weights file '" + path + "' is shorter than the " +
                      std::to_string(plan_.weights_byte_size) + " bytes at offset " +
                      std::to_string(plan_.weights_file_offset) + " the plan expects");
  }
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
  KernelContext context{&pool_, scratch_.data(), optimizer_steps_ + 1};
  uint8_t *operands[kMaxStepOperands];
  uint8_t *results[kMaxStepResults];
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
