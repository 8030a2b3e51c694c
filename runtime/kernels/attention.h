// Attention kernels: chunked (FlashAttention-style) forward and backward, plus a naive reference.
//
// Layout: q, out, d_out, dq are [B, H, Tq, D]; k, v, dk, dv are [B, KVH, Tk, D] (KVH = kv_heads,
// H a multiple of it: grouped-query attention, query head h reads kv head h / (H / KVH); KVH = H
// is plain multi-head, KVH = 1 multi-query); lse is [B, H, Tq]; dense row-major f32.
// scores = scale * q k^T, masked, softmax over keys, out = softmax(scores) v, and
// lse[i] = log(sum_j exp(score[i, j])) over the keys row i may see. Query i of batch b sees key j
// iff j < key_lengths[b] (key padding, when key_lengths is given) and, with causal,
// j <= i + (Tk - Tq) (bottom-right aligned): the intersection of both masks.
//
// Chunked forward (online softmax), per (b, h, query chunk), with Bq = q_chunk, Bk = k_chunk:
//   1. Transpose the query chunk once into scratch (Qt, D x Bq).
//   2. For each key chunk the masks allow: St = K_chunk Qt (Bk x Bq register-blocked
//      micro-kernel), per query column the running max m, rescale factor exp(m_old - m_new),
//      P = exp(St - m_new), l = l * alpha + colsum(P), O = O * alpha + P^T V_chunk.
//   3. out = O / l, lse = m + log(l).
// Chunked backward (recomputes P from q, k and lse; delta_i = dot(dO_i, O_i) recomputed per chunk):
//   per (b, kv head, key chunk), looping over the group's query heads in order and, for each, over
//   the query chunks in order: S, P, dP = dO V^T, dS = scale * P * (dP - delta), dV += P^T dO,
//   dK += dS^T Q, and (one-pass schedule) dQ += dS K. When there are fewer (b, kv head) pairs than
//   threads can share evenly, dQ gets its own parallel pass over (b, h, query chunk) instead. Both
//   schedules give bit-identical results.
// Cost: forward 4*B*H*Tq*Tk*D flops (about half with causal, less with padding: masked key chunks
// are skipped), backward 10 (one-pass) or 14 (two-pass) times B*H*Tq*Tk*D. Extra memory: the
// scratch below, a function of the chunk sizes, head_dim and thread count only (never of Tq, Tk,
// kv_heads or the key lengths once T >= chunk), plus lse (B*H*Tq floats).
//
// Rows that can see no key (causal with Tq > Tk: query i < Tq - Tk; every row of a batch with
// key length 0) get out = 0, lse = -infinity, and zero gradients; never NaN. Keys at or past
// key_lengths[b] are never read (they may hold anything, NaN included); their dk, dv rows are 0.
//
// Determinism: what a task computes depends only on its index, and every sum (dk, dv over a group
// of query heads included) is taken in a fixed order, so results are bit-identical run to run and
// across thread counts, for a given Highway target.
#ifndef TIDEMARK_RUNTIME_KERNELS_ATTENTION_H_
#define TIDEMARK_RUNTIME_KERNELS_ATTENTION_H_

#include <cstddef>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

struct AttentionParams {
  int64_t batch = 0, heads = 0, seq_q = 0, seq_k = 0,
          head_dim = 0; // q: [B,H,Tq,D], k/v: [B,KVH,Tk,D]
  bool causal = false;  // query i attends keys j <= i + (seq_k - seq_q) (bottom-right aligned)
  float scale = 0.0f;   // scores = scale * q k^T (the compiler passes 1/sqrt(D) by default)
  int64_t q_chunk = 64, k_chunk = 64; // any positive values; need not divide the sequence
  // Key/value heads KVH (grouped-query attention); 0 means heads. heads must be a multiple of it.
  int64_t kv_heads = 0;
  // Key padding: null (every key visible) or `batch` lengths in [0, seq_k]; keys
  // j >= key_lengths[b] are masked for every query of batch b (right padding). Not owned: it must
  // stay valid and unchanged for the duration of each call that receives these params.
  const int32_t *key_lengths = nullptr;
};

// Checks the parameters: every size >= 1, chunk sizes >= 1, kv_heads 0 or a divisor of heads,
// scale finite, the tensor sizes small enough to index without overflow, and (when key_lengths is
// given) every key length in [0, seq_k]. Every kernel below runs this check first.
Status ValidateAttentionParams(const AttentionParams &p);

// Bytes of scratch (64-byte aligned) the chunked kernels need when run with `num_threads`
// threads (pass pool->num_threads(), or 1 without a pool). Depends on q_chunk, k_chunk, head_dim
// and num_threads only (chunks larger than the sequence are clamped to it). 0 for invalid sizes;
// key_lengths is not read (the lengths may be data that does not exist yet when sizing).
size_t AttentionScratchBytes(const AttentionParams &p, int num_threads);
size_t AttentionBackwardScratchBytes(const AttentionParams &p, int num_threads);

// Chunked forward. Writes out [B,H,Tq,D] and lse [B,H,Tq]. `scratch`: at least
// AttentionScratchBytes(p, threads) bytes, 64-byte aligned, owned by the caller, not used
// concurrently by another call. `pool` may be null (runs on the calling thread). Inputs must not
// alias outputs. Returns InvalidArgument (and writes nothing) for bad params or pointers.
Status AttentionForward(const AttentionParams &p, const float *q, const float *k, const float *v,
                        float *out, float *lse, void *scratch, ThreadPool *pool);

// Chunked backward: recomputes scores chunk by chunk from q, k and lse (as written by the
// forward); dq, dk, dv are written (not accumulated). Same scratch/pool rules as the forward, with
// AttentionBackwardScratchBytes.
Status AttentionBackward(const AttentionParams &p, const float *q, const float *k, const float *v,
                         const float *out, const float *lse, const float *d_out, float *dq,
                         float *dk, float *dv, void *scratch, ThreadPool *pool);

// Naive reference kernels: materialise the full [Tq, Tk] score matrix (and, backward, the
// [Tq, Tk] gradient matrix) per (b, h) in scratch, so their memory grows as T^2. Parallel over
// (b, h). Same SIMD micro-kernel as the chunked kernels, so a benchmark compares algorithms.
size_t NaiveAttentionScratchBytes(const AttentionParams &p, int num_threads);
Status NaiveAttentionForward(const AttentionParams &p, const float *q, const float *k,
                             const float *v, float *out, float *lse, void *scratch,
                             ThreadPool *pool);
Status NaiveAttentionBackward(const AttentionParams &p, const float *q, const float *k,
                              const float *v, const float *out, const float *lse,
                              const float *d_out, float *dq, float *dk, float *dv, void *scratch,
                              ThreadPool *pool);

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_ATTENTION_H_
