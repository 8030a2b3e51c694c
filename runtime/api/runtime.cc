// Runtime: the embedding API (include/tidemark/runtime.h) over the loader and the Executor.
#include "tidemark/runtime.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <unordered_map>

#include "runtime/executor/executor.h"
#include "runtime/plan/loaded_plan.h"

namespace tidemark {

struct Runtime::Impl {
  std::unique_ptr<Executor> executor;
  std::unordered_map<std::string, int> inputs, outputs, parameters;
  std::vector<int> input_order, output_order, parameter_order;
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

Status checkBuffer(const LoadedTensor &t, const void *data, size_t size_bytes, DType dtype,
                   const std::vector<int64_t> &shape) {
  const std::string what = "'" + t.name + "'";
  if (data == nullptr)
    return InvalidArgument(what + ": data pointer is null");
  if (reinterpret_cast<uintptr_t>(data) % DTypeSize(t.dtype) != 0)
    return InvalidArgument(what + ": data pointer is not aligned to " +
                           std::to_string(DTypeSize(t.dtype)) + " bytes");
  if (dtype != t.dtype)
    return InvalidArgument(what + " is " + DTypeName(t.dtype) + ", the buffer is " +
                           DTypeName(dtype));
  const TensorInfo info = infoOf(t);
  if (shape != info.shape)
    return InvalidArgument(what + " has shape " + shapeText(info.shape) + ", the buffer has " +
                           shapeText(shape));
  if (size_bytes < t.size_bytes)
    return InvalidArgument(what + " needs " + std::to_string(t.size_bytes) +
                           " bytes, the buffer has " + std::to_string(size_bytes));
  return Status::Ok();
}

bool overlaps(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size) {
  return a < b + b_size && b < a + a_size;
}

Status readWholeFile(const std::string &path, std::vector<uint8_t> *bytes) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return NotFound("cannot open plan file '" + path + "'");
  std::vector<uint8_t> data;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    data.insert(data.end(), chunk, chunk + got);
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed)
    return DataLoss("error while reading plan file '" + path + "'");
  *bytes = std::move(data);
  return Status::Ok();
}

} // namespace

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Status Runtime::LoadFromFile(const std::string &path, const RuntimeOptions &options,
                             std::unique_ptr<Runtime> *out) {
  if (out == nullptr)
    return InvalidArgument("output pointer is null");
  std::vector<uint8_t> bytes;
  try {
    TIDEMARK_RETURN_IF_ERROR(readWholeFile(path, &bytes));
  } catch (const std::bad_alloc &) {
    return ResourceExhausted("out of memory while reading plan file '" + path + "'");
  }
  const size_t slash = path.find_last_of('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash);
  Status status;
  try {
    status =
        LoadFromMemoryImpl(bytes.data(), bytes.size(), PlanMemory::kCopy, options, directory, out);
  } catch (const std::bad_alloc &) {
    status = ResourceExhausted("out of memory while loading the plan");
  } catch (const std::exception &e) {
    status = ResourceExhausted(std::string("cannot set up the runtime: ") + e.what());
  }
  if (!status.ok())
    return Status(status.code(), path + ": " + status.message());
  return status;
}

// Loading allocates (plan copy, names, threads): allocation or thread-creation failures arrive
// as exceptions from the standard library and leave here as statuses.
Status Runtime::LoadFromMemory(const void *data, size_t size, PlanMemory memory,
                               const RuntimeOptions &options, std::unique_ptr<Runtime> *out) {
  try {
    return LoadFromMemoryImpl(data, size, memory, options, "", out);
  } catch (const std::bad_alloc &) {
    return ResourceExhausted("out of memory while loading the plan");
  } catch (const std::exception &e) {
    return ResourceExhausted(std::string("cannot set up the runtime: ") + e.what());
  }
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
  impl->bound.resize(plan.tensors.size());
  ExecutorOptions exec_options;
  exec_options.num_threads = options.num_threads;
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

static std::vector<TensorInfo> infos(const Executor &e, const std::vector<int> &ids) {
  std::vector<TensorInfo> result;
  for (int id : ids)
    result.push_back(infoOf(e.plan().tensors[static_cast<size_t>(id)]));
  return result;
}

std::vector<TensorInfo> Runtime::inputs() const {
  return infos(*impl_->executor, impl_->input_order);
}
std::vector<TensorInfo> Runtime::outputs() const {
  return infos(*impl_->executor, impl_->output_order);
}
std::vector<TensorInfo> Runtime::parameters() const {
  return infos(*impl_->executor, impl_->parameter_order);
}

Status Runtime::BindInput(const std::string &name, const void *data, size_t size_bytes, DType dtype,
                          const std::vector<int64_t> &shape) {
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
}

Status Runtime::BindOutput(const std::string &name, void *data, size_t size_bytes, DType dtype,
                           const std::vector<int64_t> &shape) {
  int id;
  TIDEMARK_RETURN_IF_ERROR(lookup(impl_->outputs, name, "output", &id));
  const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
  TIDEMARK_RETURN_IF_ERROR(checkBuffer(t, data, size_bytes, dtype, shape));
  const auto *bytes = static_cast<const uint8_t *>(data);
  for (size_t other = 0; other < impl_->bound.size(); ++other) {
    const Impl::Bound &b = impl_->bound[other];
    if (other != static_cast<size_t>(id) && b.data && overlaps(bytes, t.size_bytes, b.data, b.size))
      return InvalidArgument("'" + name + "': the buffer overlaps the one bound to '" +
                             impl_->executor->plan().tensors[other].name + "'");
  }
  impl_->bound[static_cast<size_t>(id)] = {bytes, t.size_bytes};
  impl_->executor->Rebind(id, static_cast<uint8_t *>(data));
  return Status::Ok();
}

Status Runtime::InputBuffer(const std::string &name, void **data) {
  int id;
  TIDEMARK_RETURN_IF_ERROR(lookup(impl_->inputs, name, "input", &id));
  if (data == nullptr)
    return InvalidArgument("'" + name + "': result pointer is null");
  impl_->bound[static_cast<size_t>(id)] = {};
  impl_->executor->Rebind(id, nullptr);
  *data = impl_->executor->OwnedBuffer(id);
  return Status::Ok();
}

Status Runtime::OutputBuffer(const std::string &name, void **data) {
  int id;
  TIDEMARK_RETURN_IF_ERROR(lookup(impl_->outputs, name, "output", &id));
  if (data == nullptr)
    return InvalidArgument("'" + name + "': result pointer is null");
  impl_->bound[static_cast<size_t>(id)] = {};
  impl_->executor->Rebind(id, nullptr);
  *data = impl_->executor->OwnedBuffer(id);
  return Status::Ok();
}

Status Runtime::Run() {
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
  int id;
  TIDEMARK_RETURN_IF_ERROR(lookup(impl_->outputs, name, "output", &id));
  const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
  TIDEMARK_RETURN_IF_ERROR(checkCopySize(t, dst, size_bytes));
  std::memmove(dst, impl_->executor->TensorData(id), size_bytes);
  return Status::Ok();
}

Status Runtime::ReadParameter(const std::string &name, void *dst, size_t size_bytes) const {
  int id;
  TIDEMARK_RETURN_IF_ERROR(lookup(impl_->parameters, name, "parameter", &id));
  const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
  TIDEMARK_RETURN_IF_ERROR(checkCopySize(t, dst, size_bytes));
  std::memcpy(dst, impl_->executor->TensorData(id), size_bytes);
  return Status::Ok();
}

Status Runtime::WriteParameter(const std::string &name, const void *src, size_t size_bytes) {
  int id;
  TIDEMARK_RETURN_IF_ERROR(lookup(impl_->parameters, name, "parameter", &id));
  const LoadedTensor &t = impl_->executor->plan().tensors[static_cast<size_t>(id)];
  TIDEMARK_RETURN_IF_ERROR(checkCopySize(t, src, size_bytes));
  std::memmove(impl_->executor->TensorData(id), src, size_bytes);
  return Status::Ok();
}

uint64_t Runtime::optimizer_steps() const { return impl_->executor->optimizer_steps(); }
void Runtime::SetOptimizerSteps(uint64_t completed_updates) {
  impl_->executor->set_optimizer_steps(completed_updates);
}

RuntimeStatistics Runtime::statistics() const { return impl_->stats; }

} // namespace tidemark
