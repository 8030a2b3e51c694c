// Runtime: the embedding API (include/tidemark/runtime.h) over the loader and the Executor.
#include "tidemark/runtime.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <unordered_map>

#include "runtime/core/file_io.h"
#include "runtime/executor/executor.h"
#include "runtime/plan/loaded_plan.h"

namespace tidemark {

struct Runtime::Impl {
  std::unique_ptr<Executor> executor;
  std::unordered_map<std::string, int> inputs, outputs, parameters;
  std::vector<int> input_order, output_order, parameter_order;
  std::vector<TensorInfo> input_infos, output_infos, parameter_infos;
  // Caller memory bound per tensor id (data null: the runtime-owned buffer). Sized at load, so
  // binding never allocates.
  struct Bound {
    const uint8_t *data = nullptr;
    size_t size = 0;
  };
  std::vector<Bound> bound;
  RuntimeStatistics stats;
};

namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

TensorInfo infoOf(const LoadedTensor &t) {
  TensorInfo info;
  info.name = t.name;
  info.dtype = t.dtype;
  info.shape.assign(t.shape.dims, t.shape.dims + t.shape.rank);
  info.size_bytes = t.size_bytes;
  return info;
}

Status lookup(const std::unordered_map<std::string, int> &names, const std::string &name,
              const char *kind, int *id) {
  auto it = names.find(name);
  if (it == names.end())
    return NotFound(std::string("the plan has no ") + kind + " named '" + name + "'");
  *id = it->second;
  return Status::Ok();
}

bool sameShape(const LoadedTensor &t, const std::vector<int64_t> &shape) {
  if (shape.size() != static_cast<size_t>(t.shape.rank))
    return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != t.shape.dims[i])
      return false;
  return true;
}

// Checks a caller buffer against tensor `t`. Allocates only to build an error message.
Status checkBuffer(const LoadedTensor &t, const void *data, size_t size_bytes, DType dtype,
                   const std::vector<int64_t> &shape) {
  auto what = [&] { return "'" + t.name + "'"; };
  if (data == nullptr)
    return InvalidArgument(what() + ": data pointer is null");
  if (reinterpret_cast<uintptr_t>(data) % DTypeSize(t.dtype) != 0)
    return InvalidArgument(what() + ": data pointer is not aligned to " +
                           std::to_string(DTypeSize(t.dtype)) + " bytes");
  if (dtype != t.dtype)
    return InvalidArgument(what() + " is " + DTypeName(t.dtype) + ", the buffer is " +
                           DTypeName(dtype));
  if (!sameShape(t, shape))
    return InvalidArgument(what() + " has shape " + shapeText(infoOf(t).shape) +
                           ", the buffer has " + shapeText(shape));
  if (size_bytes < t.size_bytes)
    return InvalidArgument(what() + " needs " + std::to_string(t.size_bytes) +
                           " bytes, the buffer has " + std::to_string(size_bytes));
  return Status::Ok();
}

bool overlaps(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size) {
  return a < b + b_size && b < a + a_size;
}

// The Status for the exception being handled. Building a message may itself fail for lack of
// memory: then a short message that fits std::string's inline buffer (no allocation).
Status statusFromException() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc &) {
    return Status(StatusCode::kResourceExhausted, "out of memory");
  } catch (const std::exception &e) {
    try {
      return Internal(std::string("unexpected exception: ") + e.what());
    } catch (...) {
      return Status(StatusCode::kInternal, "exception");
    }
  } catch (...) {
    return Status(StatusCode::kInternal, "exception");
  }
}

// Runs `body` (returning Status) so that no exception leaves the API.
template <typename Body> Status guarded(Body &&body) noexcept {
  try {
    return body();
  } catch (...) {
    return statusFromException();
  }
}

std::string withPath(const std::string &path, const Status &status) {
  return path + ": " + status.message();
}

// The plan file's bytes, after the checks of runtime/core/file_io.h and the size limits.
Status readPlanFile(const std::string &path, uint64_t memory_cap, std::vector<uint8_t> *bytes) {
  RegularFile file;
  TIDEMARK_RETURN_IF_ERROR(OpenRegularFile(path, "plan file", &file));
  if (file.size() > memory_cap)
    return ResourceExhausted("plan file '" + path + "' has " + std::to_string(file.size()) +
                             " bytes, more than the memory cap of " + std::to_string(memory_cap) +
                             " bytes (RuntimeOptions::max_memory_bytes)");
  return ReadWholeFile(file, kMaxPlanBytes, "a plan can have (the FlatBuffers limit)", bytes);
}

} // namespace

uint64_t MemoryCapBytes(uint64_t max_memory_bytes) { return ResolveMemoryCap(max_memory_bytes); }

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Status Runtime::LoadFromFile(const std::string &path, const RuntimeOptions &options,
                             std::unique_ptr<Runtime> *out) {
  if (out == nullptr)
    return InvalidArgument("output pointer is null");
  return guarded([&]() -> Status {
    std::vector<uint8_t> bytes;
    TIDEMARK_RETURN_IF_ERROR(
        readPlanFile(path, ResolveMemoryCap(options.max_memory_bytes), &bytes));
    const size_t slash = path.find_last_of('/');
    const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash);
    Status status =
        LoadFromMemoryImpl(bytes.data(), bytes.size(), PlanMemory::kCopy, options, directory, out);
    if (!status.ok())
      return Status(status.code(), withPath(path, status));
    return status;
  });
}

// Loading allocates (plan copy, names, threads): allocation failures arriving as exceptions from
// the standard library leave here as statuses.
Status Runtime::LoadFromMemory(const void *data, size_t size, PlanMemory memory,
                               const RuntimeOptions &options, std::unique_ptr<Runtime> *out) {
  return guarded([&] { return LoadFromMemoryImpl(data, size, memory, options, "", out); });
}

Status Runtime::LoadFromMemoryImpl(const void *data, size_t size, PlanMemory memory,
                                   const RuntimeOptions &options,
                                   const std::string &weights_base_dir,
                                   std::unique_ptr<Runtime> *out) {
  if (out == nullptr)
    return InvalidArgument("output pointer is null");
  LoadedPlan plan;
  TIDEMARK_RETURN_IF_ERROR(LoadAndVerifyPlan(data, size, &plan));
  std::unique_ptr<Impl> impl(new (std::nothrow) Impl());
  if (!impl)
    return ResourceExhausted("cannot allocate the runtime");
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const LoadedTensor &t = plan.tensors[i];
    if (t.view_of != -1)
      continue;
    const int id = static_cast<int>(i);
    if (t.location == TensorLocation::kInput) {
      impl->inputs[t.name] = id;
      impl->input_order.push_back(id);
    } else if (t.location == TensorLocation::kOutput) {
      impl->outputs[t.name] = id;
      impl->output_order.push_back(id);
    } else if (t.location == TensorLocation::kState) {
      impl->parameters[t.name] = id;
      impl->parameter_order.push_back(id);
    }
  }
  for (int id : impl->input_order)
    impl->input_infos.push_back(infoOf(plan.tensors[static_cast<size_t>(id)]));
  for (int id : impl->output_order)
    impl->output_infos.push_back(infoOf(plan.tensors[static_cast<size_t>(id)]));
  for (int id : impl->parameter_order)
    impl->parameter_infos.push_back(infoOf(plan.tensors[static_cast<size_t>(id)]));
  impl->bound.resize(plan.tensors.size());
  ExecutorOptions exec_options;
  exec_options.num_threads = options.num_threads;
  exec_options.max_memory_bytes = options.max_memory_bytes;
  exec_options.borrow_constants = memory == PlanMemory::kBorrow;
  exec_options.weights_base_dir = weights_base_dir;
  TIDEMARK_RETURN_IF_ERROR(Executor::Create(std::move(plan), exec_options, &impl->executor));
  const Executor &e = *impl->executor;
  RuntimeStatistics &stats = impl->stats;
  stats.arena_bytes = e.plan().arena_bytes;
  stats.state_bytes = e.plan().state_bytes;
  stats.io_bytes = e.io_bytes();
  stats.scratch_bytes = e.scratch_bytes();
  stats.planned_load_bytes = e.plan().stats.load_bytes;
  stats.num_threads = e.num_threads();
  out->reset(new (std::nothrow) Runtime(std::move(impl)));
  if (!*out)
    return ResourceExhausted("cannot allocate the runtime");
  return Status::Ok();
}

uint64_t Runtime::arena_bytes() const { return impl_->stats.arena_bytes; }
uint64_t Runtime::state_bytes() const { return impl_->stats.state_bytes; }

const std::vector<TensorInfo> &Runtime::inputs() const { return impl_->input_infos; }
const std::vector<TensorInfo> &Runtime::outputs() const { return impl_->output_infos; }
const std::vector<TensorInfo> &Runtime::parameters() const { return impl_->parameter_infos; }

Status Runtime::BindInput(const std::string &name, const void *data, size_t size_bytes, DType dtype,
                          const std::vector<int64_t> &shape) {
  return guarded([&]() -> Status {
    int id;
    TIDEMARK_RETURN_IF_ERROR(lookup(impl_->inputs, name, "input", &id));
    const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
    TIDEMARK_RETURN_IF_ERROR(checkBuffer(t, data, size_bytes, dtype, shape));
    const auto *bytes = static_cast<const uint8_t *>(data);
    for (int output : impl_->output_order) {
      const Impl::Bound &other = impl_->bound[static_cast<size_t>(output)];
      if (other.data && overlaps(bytes, t.size_bytes, other.data, other.size))
        return InvalidArgument("'" + name + "': the buffer overlaps the one bound to output '" +
                               impl_->executor->plan().tensors[size_t(output)].name + "'");
    }
    impl_->bound[static_cast<size_t>(id)] = {bytes, t.size_bytes};
    // Inputs are never written (the verifier rejects steps that would), so dropping const is safe.
    impl_->executor->Rebind(id, const_cast<uint8_t *>(bytes));
    return Status::Ok();
  });
}

Status Runtime::BindOutput(const std::string &name, void *data, size_t size_bytes, DType dtype,
                           const std::vector<int64_t> &shape) {
  return guarded([&]() -> Status {
    int id;
    TIDEMARK_RETURN_IF_ERROR(lookup(impl_->outputs, name, "output", &id));
    const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
    TIDEMARK_RETURN_IF_ERROR(checkBuffer(t, data, size_bytes, dtype, shape));
    const auto *bytes = static_cast<const uint8_t *>(data);
    for (size_t other = 0; other < impl_->bound.size(); ++other) {
      const Impl::Bound &b = impl_->bound[other];
      if (other != static_cast<size_t>(id) && b.data &&
          overlaps(bytes, t.size_bytes, b.data, b.size))
        return InvalidArgument("'" + name + "': the buffer overlaps the one bound to '" +
                               impl_->executor->plan().tensors[other].name + "'");
    }
    impl_->bound[static_cast<size_t>(id)] = {bytes, t.size_bytes};
    impl_->executor->Rebind(id, static_cast<uint8_t *>(data));
    return Status::Ok();
  });
}

Status Runtime::InputBuffer(const std::string &name, void **data) {
  return guarded([&]() -> Status {
    int id;
    TIDEMARK_RETURN_IF_ERROR(lookup(impl_->inputs, name, "input", &id));
    if (data == nullptr)
      return InvalidArgument("'" + name + "': result pointer is null");
    impl_->bound[static_cast<size_t>(id)] = {};
    impl_->executor->Rebind(id, nullptr);
    *data = impl_->executor->OwnedBuffer(id);
    return Status::Ok();
  });
}

Status Runtime::OutputBuffer(const std::string &name, void **data) {
  return guarded([&]() -> Status {
    int id;
    TIDEMARK_RETURN_IF_ERROR(lookup(impl_->outputs, name, "output", &id));
    if (data == nullptr)
      return InvalidArgument("'" + name + "': result pointer is null");
    impl_->bound[static_cast<size_t>(id)] = {};
    impl_->executor->Rebind(id, nullptr);
    *data = impl_->executor->OwnedBuffer(id);
    return Status::Ok();
  });
}

Status Runtime::Run() {
  return guarded([&]() -> Status {
    const auto start = std::chrono::steady_clock::now();
    Status status = impl_->executor->RunStep();
    if (status.code() == StatusCode::kOutOfRange) // Bad input data, e.g. a class label.
      return status;
    if (!status.ok())
      return Internal("a kernel rejected a verified plan (please report): " + status.ToString());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    RuntimeStatistics &stats = impl_->stats;
    stats.steps_run += 1;
    stats.last_step_seconds = seconds;
    stats.total_step_seconds += seconds;
    stats.mean_step_seconds = stats.total_step_seconds / static_cast<double>(stats.steps_run);
    return Status::Ok();
  });
}

static Status checkCopySize(const LoadedTensor &t, const void *ptr, size_t size_bytes) {
  if (ptr == nullptr)
    return InvalidArgument("'" + t.name + "': buffer pointer is null");
  if (size_bytes != t.size_bytes)
    return InvalidArgument("'" + t.name + "' has " + std::to_string(t.size_bytes) +
                           " bytes, the buffer " + std::to_string(size_bytes));
  return Status::Ok();
}

Status Runtime::ReadOutput(const std::string &name, void *dst, size_t size_bytes) const {
  return guarded([&]() -> Status {
    int id;
    TIDEMARK_RETURN_IF_ERROR(lookup(impl_->outputs, name, "output", &id));
    const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
    TIDEMARK_RETURN_IF_ERROR(checkCopySize(t, dst, size_bytes));
    std::memmove(dst, impl_->executor->TensorData(id), size_bytes);
    return Status::Ok();
  });
}

Status Runtime::ReadParameter(const std::string &name, void *dst, size_t size_bytes) const {
  return guarded([&]() -> Status {
    int id;
    TIDEMARK_RETURN_IF_ERROR(lookup(impl_->parameters, name, "parameter", &id));
    const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
    TIDEMARK_RETURN_IF_ERROR(checkCopySize(t, dst, size_bytes));
    std::memcpy(dst, impl_->executor->TensorData(id), size_bytes);
    return Status::Ok();
  });
}

Status Runtime::WriteParameter(const std::string &name, const void *src, size_t size_bytes) {
  return guarded([&]() -> Status {
    int id;
    TIDEMARK_RETURN_IF_ERROR(lookup(impl_->parameters, name, "parameter", &id));
    const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
    TIDEMARK_RETURN_IF_ERROR(checkCopySize(t, src, size_bytes));
    std::memmove(impl_->executor->TensorData(id), src, size_bytes);
    return Status::Ok();
  });
}

uint64_t Runtime::optimizer_steps() const { return impl_->executor->optimizer_steps(); }
void Runtime::SetOptimizerSteps(uint64_t completed_updates) {
  impl_->executor->set_optimizer_steps(completed_updates);
}

RuntimeStatistics Runtime::statistics() const { return impl_->stats; }

} // namespace tidemark
