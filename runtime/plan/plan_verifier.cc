// VerifyPlan: the semantic checks of a decoded plan (regions, tensors, steps, liveness, overlap).
#include <algorithm>
#include <new>
#include <unordered_set>

#include "runtime/plan/kernel_rules.h"
#include "runtime/plan/loaded_plan.h"
#include "runtime/plan/overlap_checker.h"

namespace tidemark {

std::string DescribeTensor(const LoadedPlan &plan, int id) {
  std::string text = "tensor " + std::to_string(id);
  if (id >= 0 && static_cast<size_t>(id) < plan.tensors.size() &&
      !plan.tensors[static_cast<size_t>(id)].name.empty())
    text += " '" + plan.tensors[static_cast<size_t>(id)].name + "'";
  return text;
}

std::string DescribeStep(const LoadedPlan &plan, int id) {
  std::string text = "step " + std::to_string(id);
  if (id >= 0 && static_cast<size_t>(id) < plan.steps.size()) {
    const LoadedStep &step = plan.steps[static_cast<size_t>(id)];
    text += std::string(" (") + KernelIdName(step.kernel);
    if (!step.name.empty())
      text += " '" + step.name + "'";
    text += ")";
  }
  return text;
}

namespace {

bool isPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

Status checkRegion(const char *what, uint64_t bytes, uint32_t alignment) {
  if (!isPowerOfTwo(alignment) || alignment < 4 || alignment > 4096)
    return InvalidArgument(std::string(what) + " alignment " + std::to_string(alignment) +
                           " is not a power of two in [4, 4096]");
  if (bytes > kMaxRegionBytes)
    return OutOfRange(std::string(what) + " of " + std::to_string(bytes) +
                      " bytes exceeds the runtime's limit of " + std::to_string(kMaxRegionBytes));
  return Status::Ok();
}

// "bytes [offset, offset + size)", or "<size> bytes at offset <offset>" when the end would not
// fit in 64 bits (a corrupt plan).
std::string byteRange(uint64_t offset, uint64_t size) {
  if (offset > UINT64_MAX - size)
    return std::to_string(size) + " bytes at offset " + std::to_string(offset);
  return "bytes [" + std::to_string(offset) + ", " + std::to_string(offset + size) + ")";
}

Status checkStateInit(const LoadedPlan &plan) {
  for (size_t i = 0; i < plan.state_inits.size(); ++i) {
    const LoadedStateInit &init = plan.state_inits[i];
    if (init.offset > plan.state_bytes || init.size > plan.state_bytes - init.offset)
      return OutOfRange("state initializer " + std::to_string(i) + " covers " +
                        byteRange(init.offset, init.size) + " outside the state region of " +
                        std::to_string(plan.state_bytes) + " bytes");
  }
  if (plan.has_external_weights) {
    if (plan.weights_path.empty())
      return InvalidArgument("external weights reference has an empty path");
    if (plan.weights_path.find('\0') != std::string::npos)
      return InvalidArgument("external weights path contains a NUL byte");
    if (plan.weights_byte_size > plan.state_bytes)
      return OutOfRange("external weights of " + std::to_string(plan.weights_byte_size) +
                        " bytes exceed the state region of " + std::to_string(plan.state_bytes) +
                        " bytes");
    // A file position is a signed 64-bit off_t: the range must end below 2^63.
    constexpr uint64_t kMaxFileOffset = (uint64_t{1} << 63) - 1;
    if (plan.weights_file_offset > kMaxFileOffset - plan.weights_byte_size)
      return OutOfRange("external weights range (" + std::to_string(plan.weights_byte_size) +
                        " bytes at file offset " + std::to_string(plan.weights_file_offset) +
                        ") ends beyond any file position");
  }
  return Status::Ok();
}

// The region a located tensor must fit in, or 0 for Input/Output/Constant (own buffers).
uint64_t regionBytes(const LoadedPlan &plan, TensorLocation location) {
  if (location == TensorLocation::kArena)
    return plan.arena_bytes;
  if (location == TensorLocation::kState)
    return plan.state_bytes;
  return 0;
}

Status checkView(const LoadedPlan &plan, int id) {
  const LoadedTensor &t = plan.tensors[static_cast<size_t>(id)];
  std::string what = DescribeTensor(plan, id);
  if (t.view_of < 0 || t.view_of >= id)
    return InvalidArgument(what + " is a view of tensor " + std::to_string(t.view_of) +
                           ": a view must name an earlier tensor");
  const LoadedTensor &base = plan.tensors[static_cast<size_t>(t.view_of)];
  if (base.location != t.location || base.dtype != t.dtype)
    return InvalidArgument(what + " is a view of " + DescribeTensor(plan, t.view_of) +
                           " but differs in location or dtype");
  if (t.offset % DTypeSize(t.dtype) != 0)
    return InvalidArgument(what + " offset " + std::to_string(t.offset) +
                           " is not a multiple of its element size");
  if (t.offset < base.offset || t.offset - base.offset > base.size_bytes ||
      t.size_bytes > base.size_bytes - (t.offset - base.offset))
    return OutOfRange(what + " (" + byteRange(t.offset, t.size_bytes) +
                      ") is not inside its base " + DescribeTensor(plan, t.view_of));
  return Status::Ok();
}

Status checkPlacement(const LoadedPlan &plan, int id) {
  const LoadedTensor &t = plan.tensors[static_cast<size_t>(id)];
  std::string what = DescribeTensor(plan, id);
  if (t.view_of != -1)
    return checkView(plan, id);
  if (t.location == TensorLocation::kConstant && t.constant_size != t.size_bytes)
    return InvalidArgument(what + " is a constant of " + std::to_string(t.size_bytes) +
                           " bytes but carries " + std::to_string(t.constant_size) +
                           " bytes of data");
  if (t.location != TensorLocation::kArena && t.location != TensorLocation::kState) {
    if (t.offset != 0)
      return InvalidArgument(what + " has its own buffer and must have offset 0, not " +
                             std::to_string(t.offset));
    return Status::Ok();
  }
  const bool arena = t.location == TensorLocation::kArena;
  const uint64_t region = regionBytes(plan, t.location);
  const uint32_t alignment = arena ? plan.arena_alignment : plan.state_alignment;
  const char *region_name = arena ? "arena" : "state region";
  if (t.offset % alignment != 0)
    return InvalidArgument(what + " offset " + std::to_string(t.offset) + " in the " + region_name +
                           " is not aligned to " + std::to_string(alignment));
  if (t.offset > region || t.size_bytes > region - t.offset)
    return OutOfRange(what + " " + byteRange(t.offset, t.size_bytes) + " exceed the " +
                      region_name + " of " + std::to_string(region) + " bytes");
  return Status::Ok();
}

Status checkBindingNames(const LoadedPlan &plan) {
  std::unordered_set<std::string> names;
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const LoadedTensor &t = plan.tensors[i];
    bool bound = t.view_of == -1 &&
                 (t.location == TensorLocation::kInput || t.location == TensorLocation::kOutput ||
                  t.location == TensorLocation::kState);
    if (!bound)
      continue;
    if (t.name.empty())
      return InvalidArgument(DescribeTensor(plan, static_cast<int>(i)) +
                             " is an input, output or state tensor and needs a name");
    if (!names.insert(t.name).second)
      return InvalidArgument("binding name '" + t.name + "' is used by more than one tensor");
  }
  return Status::Ok();
}

// Per tensor, precomputed once the views are known to name earlier tensors (checkView): its root
// (the end of its view chain) and, for arena tensors, the steps at which every tensor of its chain
// is live (the intersection of their intervals). Both make later checks O(1) per use, so a long
// chain of views cannot make verification quadratic.
struct ViewChains {
  std::vector<int> root;
  std::vector<int> first, last;
};

ViewChains viewChains(const LoadedPlan &plan) {
  ViewChains chains;
  const size_t n = plan.tensors.size();
  chains.root.resize(n);
  chains.first.resize(n);
  chains.last.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const LoadedTensor &t = plan.tensors[i];
    chains.first[i] = t.live_first;
    chains.last[i] = t.live_last;
    chains.root[i] = static_cast<int>(i);
    if (t.view_of >= 0) {
      const size_t base = static_cast<size_t>(t.view_of);
      chains.root[i] = chains.root[base];
      chains.first[i] = std::max(chains.first[i], chains.first[base]);
      chains.last[i] = std::min(chains.last[i], chains.last[base]);
    }
  }
  return chains;
}

// A use at `step` of arena tensor `id` must lie in the interval of the tensor and of each of its
// bases; the error names the first tensor of the chain whose interval misses the step.
Status checkUseInInterval(const LoadedPlan &plan, const ViewChains &chains, int id, int step) {
  const size_t i = static_cast<size_t>(id);
  if (plan.tensors[i].location != TensorLocation::kArena ||
      (step >= chains.first[i] && step <= chains.last[i]))
    return Status::Ok();
  for (int v = id; v >= 0; v = plan.tensors[static_cast<size_t>(v)].view_of) {
    const LoadedTensor &t = plan.tensors[static_cast<size_t>(v)];
    if (step < t.live_first || step > t.live_last)
      return InvalidArgument(DescribeTensor(plan, v) + " is used by " + DescribeStep(plan, step) +
                             " outside its live interval [" + std::to_string(t.live_first) + ", " +
                             std::to_string(t.live_last) + "]");
  }
  return Internal("live interval check of " + DescribeTensor(plan, id) + " is inconsistent");
}

Status checkWrittenBefore(const LoadedPlan &plan, const ViewChains &chains,
                          const std::vector<char> &written, int step, int id) {
  if (plan.tensors[static_cast<size_t>(id)].location != TensorLocation::kArena ||
      written[static_cast<size_t>(chains.root[static_cast<size_t>(id)])])
    return Status::Ok();
  return InvalidArgument(DescribeStep(plan, step) + " reads " + DescribeTensor(plan, id) +
                         " before any step writes it");
}

// Every use of an arena tensor (and of its bases) lies in its interval, and no step reads an arena
// tensor that no earlier step wrote.
Status checkLiveness(const LoadedPlan &plan, const ViewChains &chains) {
  const int num_steps = static_cast<int>(plan.steps.size());
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const LoadedTensor &t = plan.tensors[i];
    if (t.location != TensorLocation::kArena || (t.live_first == -1 && t.live_last == -1))
      continue;
    if (t.live_first < 0 || t.live_first > t.live_last || t.live_last >= num_steps)
      return InvalidArgument(DescribeTensor(plan, static_cast<int>(i)) + " has live interval [" +
                             std::to_string(t.live_first) + ", " + std::to_string(t.live_last) +
                             "], expected 0 <= first <= last < " + std::to_string(num_steps));
  }
  std::vector<char> written(plan.tensors.size(), 0);
  for (int s = 0; s < num_steps; ++s) {
    const LoadedStep &step = plan.steps[static_cast<size_t>(s)];
    for (int id : step.operands) {
      TIDEMARK_RETURN_IF_ERROR(checkUseInInterval(plan, chains, id, s));
      TIDEMARK_RETURN_IF_ERROR(checkWrittenBefore(plan, chains, written, s, id));
    }
    // An accumulating MatMul also reads its result's previous contents.
    auto *matmul = std::get_if<MatMulAttributes>(&step.attrs);
    if (step.kernel == KernelId::kMatMul && matmul && matmul->accumulate)
      TIDEMARK_RETURN_IF_ERROR(checkWrittenBefore(plan, chains, written, s, step.results[0]));
    for (int id : step.results)
      TIDEMARK_RETURN_IF_ERROR(checkUseInInterval(plan, chains, id, s));
    for (int id : step.results)
      written[static_cast<size_t>(chains.root[static_cast<size_t>(id)])] = 1;
  }
  return Status::Ok();
}

// Builds one rectangle per arena root: its interval widened to cover its views' intervals.
std::vector<ArenaBuffer> arenaBuffers(const LoadedPlan &plan, const ViewChains &chains) {
  std::vector<ArenaBuffer> buffers(plan.tensors.size());
  std::vector<char> used(plan.tensors.size(), 0);
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const LoadedTensor &t = plan.tensors[i];
    if (t.location != TensorLocation::kArena || t.live_first < 0)
      continue;
    size_t root = static_cast<size_t>(chains.root[i]);
    ArenaBuffer &b = buffers[root];
    if (!used[root]) {
      const LoadedTensor &r = plan.tensors[root];
      b = {static_cast<int>(root), t.live_first, t.live_last, r.offset, r.size_bytes};
      used[root] = 1;
    }
    b.first_step = std::min(b.first_step, t.live_first);
    b.last_step = std::max(b.last_step, t.live_last);
  }
  std::vector<ArenaBuffer> live;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (used[i])
      live.push_back(buffers[i]);
  return live;
}

// Kernels that accept a result in exactly the bytes of one of their operands.
bool allowsInPlace(KernelId kernel) {
  switch (kernel) {
  case KernelId::kAdd:
  case KernelId::kSub:
  case KernelId::kMul:
  case KernelId::kDiv:
  case KernelId::kRelu:
  case KernelId::kTanh:
  case KernelId::kExp:
  case KernelId::kGeluTanh:
  case KernelId::kGeluErf:
  case KernelId::kReluGrad:
  case KernelId::kTanhGrad:
  case KernelId::kExpGrad:
  case KernelId::kGeluTanhGrad:
  case KernelId::kGeluErfGrad:
  case KernelId::kReshape:
  case KernelId::kCopy:
  case KernelId::kSgdUpdate:
  case KernelId::kAdamUpdate:
  case KernelId::kNeg:
  case KernelId::kAbs:
  case KernelId::kAbsGrad:
  case KernelId::kSqrt:
  case KernelId::kSqrtGrad:
  case KernelId::kRsqrt:
  case KernelId::kRsqrtGrad:
  case KernelId::kLog:
  case KernelId::kLogGrad:
  case KernelId::kSigmoid:
  case KernelId::kSigmoidGrad:
  case KernelId::kSilu:
  case KernelId::kSiluGrad:
  case KernelId::kErf:
  case KernelId::kErfGrad:
  case KernelId::kPow:
  case KernelId::kPowGrad:
  case KernelId::kClamp:
  case KernelId::kClampGrad:
  case KernelId::kMin:
  case KernelId::kMax:
  case KernelId::kRope:
  case KernelId::kDropout:
    return true;
  default:
    return false;
  }
}

// Within one step, a result shares no byte with another result, and shares bytes with an operand
// only when it is exactly that operand's bytes and the kernel works in place.
Status checkStepAliasing(const LoadedPlan &plan, const ViewChains &chains, int s) {
  const LoadedStep &step = plan.steps[static_cast<size_t>(s)];
  auto sameRoot = [&](int a, int b) {
    return chains.root[static_cast<size_t>(a)] == chains.root[static_cast<size_t>(b)];
  };
  auto overlap = [&](const LoadedTensor &a, const LoadedTensor &b) {
    return a.size_bytes > 0 && b.size_bytes > 0 && a.offset < b.offset + b.size_bytes &&
           b.offset < a.offset + a.size_bytes;
  };
  for (size_t i = 0; i < step.results.size(); ++i) {
    const int r = step.results[i];
    const LoadedTensor &result = plan.tensors[static_cast<size_t>(r)];
    for (size_t j = 0; j < i; ++j) {
      const int other = step.results[j];
      if (sameRoot(r, other) && overlap(result, plan.tensors[static_cast<size_t>(other)]))
        return InvalidArgument(DescribeStep(plan, s) + ": results " + DescribeTensor(plan, r) +
                               " and " + DescribeTensor(plan, other) + " share bytes");
    }
    for (int o : step.operands) {
      const LoadedTensor &operand = plan.tensors[static_cast<size_t>(o)];
      if (!sameRoot(r, o) || !overlap(result, operand))
        continue;
      const bool exact = result.offset == operand.offset && result.size_bytes == operand.size_bytes;
      if (!exact || !allowsInPlace(step.kernel))
        return InvalidArgument(DescribeStep(plan, s) + ": result " + DescribeTensor(plan, r) +
                               " shares bytes with operand " + DescribeTensor(plan, o) +
                               (exact ? ", and this kernel cannot work in place"
                                      : " without being exactly its bytes"));
    }
  }
  return Status::Ok();
}

// State tensors are all live at every step: no two roots may share bytes.
Status checkStateOverlap(const LoadedPlan &plan) {
  std::vector<ArenaBuffer> state;
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const LoadedTensor &t = plan.tensors[i];
    if (t.location == TensorLocation::kState && t.view_of == -1)
      state.push_back({static_cast<int>(i), 0, 0, t.offset, t.size_bytes});
  }
  OverlapConflict conflict;
  if (!FindArenaOverlap(state, &conflict))
    return Status::Ok();
  return InvalidArgument("state overlap: " + DescribeTensor(plan, conflict.first_id) + " and " +
                         DescribeTensor(plan, conflict.second_id) +
                         " share bytes of the state region");
}

Status checkOverlap(const LoadedPlan &plan, const ViewChains &chains) {
  OverlapConflict conflict;
  if (!FindArenaOverlap(arenaBuffers(plan, chains), &conflict))
    return Status::Ok();
  const LoadedTensor &a = plan.tensors[static_cast<size_t>(conflict.first_id)];
  const LoadedTensor &b = plan.tensors[static_cast<size_t>(conflict.second_id)];
  return InvalidArgument("arena overlap: " + DescribeTensor(plan, conflict.first_id) + " (bytes [" +
                         std::to_string(a.offset) + ", " + std::to_string(a.offset + a.size_bytes) +
                         ")) and " + DescribeTensor(plan, conflict.second_id) + " (bytes [" +
                         std::to_string(b.offset) + ", " + std::to_string(b.offset + b.size_bytes) +
                         ")) are both live at step " + std::to_string(conflict.step));
}

Status verifyPlan(const LoadedPlan &plan) {
  if (plan.version != kPlanFormatVersion)
    return Unimplemented("plan format version " + std::to_string(plan.version) +
                         " is not supported: this runtime reads version " +
                         std::to_string(kPlanFormatVersion));
  TIDEMARK_RETURN_IF_ERROR(checkRegion("arena", plan.arena_bytes, plan.arena_alignment));
  TIDEMARK_RETURN_IF_ERROR(checkRegion("state region", plan.state_bytes, plan.state_alignment));
  TIDEMARK_RETURN_IF_ERROR(checkStateInit(plan));
  if (plan.tensors.size() > (size_t{1} << 30) || plan.steps.size() > (size_t{1} << 30))
    return OutOfRange("plan has too many tensors or steps");
  // Placement checks each view against an earlier base, so the chains below are well founded.
  for (size_t i = 0; i < plan.tensors.size(); ++i)
    TIDEMARK_RETURN_IF_ERROR(checkPlacement(plan, static_cast<int>(i)));
  const ViewChains chains = viewChains(plan);
  TIDEMARK_RETURN_IF_ERROR(checkBindingNames(plan));
  TIDEMARK_RETURN_IF_ERROR(checkStateOverlap(plan));
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    TIDEMARK_RETURN_IF_ERROR(CheckStepRules(plan, static_cast<int>(s)));
    TIDEMARK_RETURN_IF_ERROR(checkStepAliasing(plan, chains, static_cast<int>(s)));
  }
  TIDEMARK_RETURN_IF_ERROR(checkLiveness(plan, chains));
  return checkOverlap(plan, chains);
}

} // namespace

Status VerifyPlan(const LoadedPlan &plan) {
  // The checks allocate O(tensors + steps); an allocation failure must not leave as an exception.
  try {
    return verifyPlan(plan);
  } catch (const std::bad_alloc &) {
    return ResourceExhausted("out of memory while verifying the plan");
  }
}

} // namespace tidemark
