// Attention kernels: argument checks, scratch sizes and Highway dynamic dispatch (see attention.h).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/attention.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/attention-inl.h"
#include "runtime/kernels/attention_chunked-inl.h"
#include "runtime/kernels/attention_naive-inl.h"

#if HWY_ONCE

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "runtime/kernels/attention.h"
#include "runtime/kernels/attention_internal.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(ChunkedForward);
HWY_EXPORT(ChunkedBackward);
HWY_EXPORT(NaiveForward);
HWY_EXPORT(NaiveBackward);

namespace {
namespace ai = attention_internal;

// Tensors are limited to 2^40 floats (4 TiB) so every index product fits in 64 bits.
constexpr int64_t kMaxElements = int64_t{1} << 40;

Status CheckPositive(const char *name, int64_t value) {
  if (value >= 1)
    return Status::Ok();
  return InvalidArgument(std::string("attention: ") + name + " must be >= 1, got " +
                         std::to_string(value));
}

// a * b * c * d <= kMaxElements, without overflowing on the way (all factors >= 1).
bool ProductFits(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t product = 1;
  for (int64_t factor : {a, b, c, d}) {
    if (factor > kMaxElements / product)
      return false;
    product *= factor;
  }
  return true;
}

Status CheckPointers(std::initializer_list<std::pair<const char *, const void *>> pointers,
                     const void *scratch) {
  for (const auto &[name, pointer] : pointers)
    if (pointer == nullptr)
      return InvalidArgument(std::string("attention: tensor '") + name + "' is null");
  if (scratch == nullptr)
    return InvalidArgument("attention: scratch is null (size it with the *ScratchBytes function)");
  if (reinterpret_cast<uintptr_t>(scratch) % 64 != 0)
    return InvalidArgument("attention: scratch must be 64-byte aligned");
  return Status::Ok();
}

// The sizes, chunks, heads and scale; not the key lengths (data that the scratch size ignores).
Status ValidateShape(const AttentionParams &p) {
  TIDEMARK_RETURN_IF_ERROR(CheckPositive("batch", p.batch));
  TIDEMARK_RETURN_IF_ERROR(CheckPositive("heads", p.heads));
  TIDEMARK_RETURN_IF_ERROR(CheckPositive("seq_q", p.seq_q));
  TIDEMARK_RETURN_IF_ERROR(CheckPositive("seq_k", p.seq_k));
  TIDEMARK_RETURN_IF_ERROR(CheckPositive("head_dim", p.head_dim));
  TIDEMARK_RETURN_IF_ERROR(CheckPositive("q_chunk", p.q_chunk));
  TIDEMARK_RETURN_IF_ERROR(CheckPositive("k_chunk", p.k_chunk));
  if (!std::isfinite(p.scale))
    return InvalidArgument("attention: scale must be finite, got " + std::to_string(p.scale));
  if (p.kv_heads < 0 || (p.kv_heads > 0 && p.heads % p.kv_heads != 0))
    return InvalidArgument("attention: kv_heads must be 0 (= heads) or a divisor of heads (" +
                           std::to_string(p.heads) + "), got " + std::to_string(p.kv_heads));
  if (!ProductFits(p.batch, p.heads, p.seq_q, p.head_dim) ||
      !ProductFits(p.batch, p.heads, p.seq_k, p.head_dim) || !ProductFits(p.seq_q, p.seq_k, 1, 1))
    return InvalidArgument("attention: tensors larger than 2^40 elements are not supported");
  return Status::Ok();
}

Status ValidateKeyLengths(const AttentionParams &p) {
  if (p.key_lengths == nullptr)
    return Status::Ok();
  for (int64_t b = 0; b < p.batch; ++b)
    if (p.key_lengths[b] < 0 || p.key_lengths[b] > p.seq_k)
      return InvalidArgument("attention: key length of batch " + std::to_string(b) + " is " +
                             std::to_string(p.key_lengths[b]) +
                             ", outside [0, seq_k = " + std::to_string(p.seq_k) + "]");
  return Status::Ok();
}

size_t PerThreadBytes(int num_threads, size_t floats_per_thread) {
  if (num_threads < 1)
    return 0;
  return floats_per_thread * sizeof(float) * static_cast<size_t>(num_threads);
}

} // namespace

Status ValidateAttentionParams(const AttentionParams &p) {
  TIDEMARK_RETURN_IF_ERROR(ValidateShape(p));
  return ValidateKeyLengths(p);
}

size_t AttentionScratchBytes(const AttentionParams &p, int num_threads) {
  if (!ValidateShape(p).ok())
    return 0;
  return PerThreadBytes(num_threads, ai::ForwardFloatsPerThread(ai::MakeDims(p)));
}

size_t AttentionBackwardScratchBytes(const AttentionParams &p, int num_threads) {
  if (!ValidateShape(p).ok())
    return 0;
  return PerThreadBytes(num_threads, ai::BackwardFloatsPerThread(ai::MakeDims(p)));
}

size_t NaiveAttentionScratchBytes(const AttentionParams &p, int num_threads) {
  if (!ValidateShape(p).ok())
    return 0;
  return PerThreadBytes(num_threads, ai::NaiveFloatsPerThread(ai::MakeDims(p)));
}

namespace {

Status CheckForward(const AttentionParams &p, const float *q, const float *k, const float *v,
                    const float *out, const float *lse, const void *scratch) {
  TIDEMARK_RETURN_IF_ERROR(ValidateAttentionParams(p));
  return CheckPointers({{"q", q}, {"k", k}, {"v", v}, {"out", out}, {"lse", lse}}, scratch);
}

Status CheckBackward(const AttentionParams &p, const ai::BackwardArgs &a, const void *scratch) {
  TIDEMARK_RETURN_IF_ERROR(ValidateAttentionParams(p));
  return CheckPointers({{"q", a.q},
                        {"k", a.k},
                        {"v", a.v},
                        {"out", a.out},
                        {"lse", a.lse},
                        {"d_out", a.d_out},
                        {"dq", a.dq},
                        {"dk", a.dk},
                        {"dv", a.dv}},
                       scratch);
}

} // namespace

Status AttentionForward(const AttentionParams &p, const float *q, const float *k, const float *v,
                        float *out, float *lse, void *scratch, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(CheckForward(p, q, k, v, out, lse, scratch));
  HWY_DYNAMIC_DISPATCH(ChunkedForward)
  (ai::MakeDims(p), ai::ForwardArgs{q, k, v, out, lse}, static_cast<float *>(scratch), pool);
  return Status::Ok();
}

Status AttentionBackward(const AttentionParams &p, const float *q, const float *k, const float *v,
                         const float *out, const float *lse, const float *d_out, float *dq,
                         float *dk, float *dv, void *scratch, ThreadPool *pool) {
  const ai::BackwardArgs args{q, k, v, out, lse, d_out, dq, dk, dv};
  TIDEMARK_RETURN_IF_ERROR(CheckBackward(p, args, scratch));
  HWY_DYNAMIC_DISPATCH(ChunkedBackward)(ai::MakeDims(p), args, static_cast<float *>(scratch), pool);
  return Status::Ok();
}

Status NaiveAttentionForward(const AttentionParams &p, const float *q, const float *k,
                             const float *v, float *out, float *lse, void *scratch,
                             ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(CheckForward(p, q, k, v, out, lse, scratch));
  HWY_DYNAMIC_DISPATCH(NaiveForward)
  (ai::MakeDims(p), ai::ForwardArgs{q, k, v, out, lse}, static_cast<float *>(scratch), pool);
  return Status::Ok();
}

Status NaiveAttentionBackward(const AttentionParams &p, const float *q, const float *k,
                              const float *v, const float *out, const float *lse,
                              const float *d_out, float *dq, float *dk, float *dv, void *scratch,
                              ThreadPool *pool) {
  const ai::BackwardArgs args{q, k, v, out, lse, d_out, dq, dk, dv};
  TIDEMARK_RETURN_IF_ERROR(CheckBackward(p, args, scratch));
  HWY_DYNAMIC_DISPATCH(NaiveBackward)(ai::MakeDims(p), args, static_cast<float *>(scratch), pool);
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark

#endif // HWY_ONCE
