// Chunked (FlashAttention-style) attention forward and backward for one Highway target.
//
// Forward, per task (b*h, query chunk), Bq queries, keys in chunks of Bk (of the query head's kv
// head, only up to the last row's key limit: chunks masked by causal or padding are skipped):
//   St = K_chunk Q^T (keys x queries, so the online-softmax state of each query is one vector
//   lane), m' = max(m, colmax(St)), alpha = exp(m - m'), P = exp(St - m'), l = l * alpha +
//   colsum(P), O = O * alpha + P^T V_chunk; at the end out = O / l and lse = m + log(l). Cost O(Bq
//   * Tk * D) per task; scratch O((Bq + Bk) * D + Bq * Bk).
// Backward, per task (b*kv_heads, key chunk), over the group's query heads in order and, for each,
//   the query chunks that see the chunk, in order: S = Q K^T, P = exp(S - lse), dP = dO V^T,
//   delta = rowsum(dO * O), dS = scale * P * (dP - delta), dV += P^T dO, dK += dS^T Q, and in the
//   one-pass schedule dQ += dS (K - mean key) (then the task is a whole (b, kv head), so dk, dv and
//   the dq rows of its query heads have one writer, and every sum runs in a fixed order). The
//   two-pass schedule instead computes dq per (b*h, query chunk) in column form with the same
//   operations in the same order: bit-identical results.

#if defined(TIDEMARK_RUNTIME_KERNELS_ATTENTION_CHUNKED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_ATTENTION_CHUNKED_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_ATTENTION_CHUNKED_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_ATTENTION_CHUNKED_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hwy/highway.h"
#include "runtime/kernels/attention-inl.h"
#include "runtime/kernels/attention_internal.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace ai = attention_internal;

// Lane (query offset within a chunk starting at query i0) of the first query that sees key j of a
// batch with `key_count` unpadded keys.
HWY_INLINE size_t FirstQueryLane(const ai::Dims &dims, size_t key_count, size_t j, size_t i0) {
  const size_t first = ai::FirstQueryOf(dims, key_count, j);
  return first > i0 ? first - i0 : 0;
}

// Online-softmax update for one key chunk in column form. St (keys x bq_pad) holds raw scores on
// entry and P on exit; m, l and alpha are per-query vectors of bq_pad floats. The keys are
// [j0, j0 + keys), all below the batch's key count: only the causal mask applies inside a chunk.
HWY_INLINE void OnlineSoftmaxUpdate(const ai::Dims &dims, size_t key_count, size_t j0, size_t keys,
                                    size_t i0, const ai::ForwardScratch &s) {
  const DF d;
  const size_t lanes = hn::Lanes(d);
  const VF scale = hn::Set(d, dims.scale);
  const VF neg_inf = hn::Set(d, kNegInf);
  for (size_t c = 0; c < dims.bq_pad; c += lanes) {
    const VF m_old = hn::Load(d, s.m + c);
    VF m_new = m_old;
    for (size_t j = 0; j < keys; ++j) {
      float *score = s.st + j * dims.bq_pad + c;
      const auto sees = LanesAtOrAfter(d, c, FirstQueryLane(dims, key_count, j0 + j, i0));
      const VF scaled = hn::IfThenElse(sees, hn::Mul(hn::Load(d, score), scale), neg_inf);
      hn::Store(scaled, d, score);
      m_new = hn::Max(m_new, scaled);
    }
    // A query that has seen no key yet keeps m = -inf; shift by 0 so exp(-inf - 0) = 0, not NaN.
    const VF shift = hn::IfThenElse(hn::Eq(m_new, neg_inf), hn::Zero(d), m_new);
    VF col_sum = hn::Zero(d);
    for (size_t j = 0; j < keys; ++j) {
      float *score = s.st + j * dims.bq_pad + c;
      const VF p = hn::Exp(d, hn::Sub(hn::Load(d, score), shift));
      hn::Store(p, d, score);
      col_sum = hn::Add(col_sum, p);
    }
    const VF alpha = hn::Exp(d, hn::Sub(m_old, shift));
    hn::Store(alpha, d, s.alpha + c);
    hn::Store(hn::MulAdd(hn::Load(d, s.l + c), alpha, col_sum), d, s.l + c);
    hn::Store(m_new, d, s.m + c);
  }
}

// out rows = O / l and lse = m + log(l); rows that saw no key get zeros and -inf.
HWY_INLINE void FinishForwardRows(const ai::Dims &dims, size_t rows, const ai::ForwardScratch &s,
                                  float *out, float *lse) {
  for (size_t r = 0; r < rows; ++r) {
    float *out_row = out + r * dims.d;
    if (s.l[r] == 0.0f) {
      std::fill(out_row, out_row + dims.d, 0.0f);
      lse[r] = kNegInf;
      continue;
    }
    StoreScaledRow(s.o + r * dims.d_pad, dims.d, 1.0f / s.l[r], out_row);
    lse[r] =
        static_cast<float>(static_cast<double>(s.m[r]) + std::log(static_cast<double>(s.l[r])));
  }
}

// Forward of query chunk `qc` of query head `bh`.
HWY_INLINE void ForwardQueryChunk(const ai::Dims &dims, const ai::ForwardArgs &args, size_t bh,
                                  size_t qc, const ai::ForwardScratch &s) {
  const size_t i0 = qc * dims.bq;
  const size_t rows = std::min(dims.bq, dims.tq - i0);
  const size_t kv_row0 = ai::KvHeadOf(dims, bh) * dims.tk * dims.d;
  const float *k = args.k + kv_row0;
  const float *v = args.v + kv_row0;
  const size_t key_count = ai::KeyCount(dims, bh / dims.heads);
  TransposeToPadded(args.q + (bh * dims.tq + i0) * dims.d, dims.d, rows, dims.d, s.qt, dims.bq_pad);
  std::fill(s.m, s.m + dims.bq_pad, kNegInf);
  std::fill(s.l, s.l + dims.bq_pad, 0.0f);
  std::fill(s.o, s.o + rows * dims.d_pad, 0.0f);
  // Keys past the last row's limit (causal or padding) are masked for the whole chunk: skip them.
  // The partial chunk at the end is trimmed, so padded keys are never read.
  const size_t key_end = ai::KeyLimit(dims, key_count, i0 + rows - 1);
  for (size_t j0 = 0; j0 < key_end; j0 += dims.bk) {
    const size_t keys = std::min(dims.bk, key_end - j0);
    MatMulAdd(ScalarOperand{k + j0 * dims.d, dims.d, 1}, VectorOperand{s.qt, dims.bq_pad}, s.st,
              dims.bq_pad, keys, dims.bq_pad, dims.d, /*zero_init=*/true);
    OnlineSoftmaxUpdate(dims, key_count, j0, keys, i0, s);
    for (size_t r = 0; r < rows; ++r)
      ScaleRow(s.o + r * dims.d_pad, dims.d_pad, s.alpha[r]);
    const VectorOperand v_rows = PaddedRows(v + j0 * dims.d, keys, dims.d, dims.d_pad, s.v_pad);
    // O[query][:] += sum over keys of P[key][query] * V[key][:] (A = St read transposed).
    MatMulAdd(ScalarOperand{s.st, 1, dims.bq_pad}, v_rows, s.o, dims.d_pad, rows, dims.d_pad, keys,
              /*zero_init=*/false);
  }
  FinishForwardRows(dims, rows, s, args.out + (bh * dims.tq + i0) * dims.d,
                    args.lse + bh * dims.tq + i0);
}

// The mean of the first `key_count` keys (rows of width d at `k`), accumulated in double: the
// point dq takes its key rows about. Each softmax row's dS sums to 0 in exact arithmetic, so
// dq_i = scale * sum_j dS_ij k_j = scale * sum_j dS_ij (k_j - c) for any c; but the computed rows
// do not sum to exactly 0 (delta = dO . O and P = exp(s - lse) each carry their own rounding), and
// with raw keys that residual multiplies whatever the keys share (a key bias, a component common
// to the tokens), which the true dq does not depend on. About the mean key it multiplies only the
// keys' spread: measured on keys sharing a component twice their spread, dq's error against
// float64 drops from 2.0x to about 1x PyTorch float32's (bench/accuracy/audit.py). Cost: one
// pass over K per (batch, kv head) and a copy of each key chunk (the copy existed already when
// d is not a multiple of the vector width).
HWY_INLINE void KeyCenter(const ai::Dims &dims, const float *k, size_t key_count, float *center) {
  for (size_t t = 0; t < dims.d; ++t) {
    double sum = 0.0;
    for (size_t j = 0; j < key_count; ++j)
      sum += static_cast<double>(k[j * dims.d + t]);
    center[t] = key_count == 0 ? 0.0f : static_cast<float>(sum / static_cast<double>(key_count));
  }
}

// `count` key rows minus `center`, zero-padded to d_pad columns, as dq's B operand.
HWY_INLINE VectorOperand CenteredRows(const ai::Dims &dims, const float *rows, size_t count,
                                      const float *center, float *copy) {
  for (size_t r = 0; r < count; ++r) {
    float *dst = copy + r * dims.d_pad;
    for (size_t t = 0; t < dims.d; ++t)
      dst[t] = rows[r * dims.d + t] - center[t];
    std::fill(dst + dims.d, dst + dims.d_pad, 0.0f);
  }
  return VectorOperand{copy, dims.d_pad};
}

// A key chunk's position and its K rows as a padded operand (its transposed K and V are in the
// task's scratch); prepared once for all the query heads and chunks that see it. `keys` counts
// only the chunk's unpadded keys (>= 1); `key_count` is the batch's number of unpadded keys.
// k_rows (only with dq) are the rows minus the mean key (KeyCenter).
struct KeyChunk {
  size_t j0, keys, key_count;
  VectorOperand k_rows{nullptr, 0};
};

// One (query chunk of query head bh, key chunk) pair of the backward in row form; updates dk_acc,
// dv_acc and, when `with_dq`, the dq rows of the query chunk.
HWY_INLINE void BackwardPair(const ai::Dims &dims, const ai::BackwardArgs &args, size_t bh,
                             const KeyChunk &kc, size_t i0, bool with_dq,
                             const ai::BackwardKeyScratch &s) {
  const size_t rows = std::min(dims.bq, dims.tq - i0);
  const size_t row0 = (bh * dims.tq + i0) * dims.d;
  const float *lse = args.lse + bh * dims.tq + i0;
  MatMulAdd(ScalarOperand{args.q + row0, dims.d, 1}, VectorOperand{s.kt, dims.bk_pad}, s.s,
            dims.bk_pad, rows, dims.bk_pad, dims.d, /*zero_init=*/true);
  for (size_t r = 0; r < rows; ++r) {
    const size_t limit = ai::KeyLimit(dims, kc.key_count, i0 + r);
    const size_t valid = limit <= kc.j0 ? 0 : std::min(limit - kc.j0, kc.keys);
    ExpRowShifted(s.s + r * dims.bk_pad, dims.bk_pad, valid, dims.scale, lse[r]);
  }
  MatMulAdd(ScalarOperand{args.d_out + row0, dims.d, 1}, VectorOperand{s.vt, dims.bk_pad}, s.ds,
            dims.bk_pad, rows, dims.bk_pad, dims.d, /*zero_init=*/true);
  const DF d;
  for (size_t r = 0; r < rows; ++r) {
    const float delta = Dot(args.d_out + row0 + r * dims.d, args.out + row0 + r * dims.d, dims.d);
    SoftmaxGradRow(s.s + r * dims.bk_pad, s.ds + r * dims.bk_pad, dims.bk_pad, hn::Set(d, delta),
                   hn::Set(d, dims.scale));
  }
  const VectorOperand q_rows = PaddedRows(args.q + row0, rows, dims.d, dims.d_pad, s.q_pad);
  const VectorOperand do_rows = PaddedRows(args.d_out + row0, rows, dims.d, dims.d_pad, s.do_pad);
  // dV[key] += sum over queries of P[query][key] dO[query] (A = P read transposed); same for dK.
  MatMulAdd(ScalarOperand{s.s, 1, dims.bk_pad}, do_rows, s.dv_acc, dims.d_pad, kc.keys, dims.d_pad,
            rows, /*zero_init=*/false);
  MatMulAdd(ScalarOperand{s.ds, 1, dims.bk_pad}, q_rows, s.dk_acc, dims.d_pad, kc.keys, dims.d_pad,
            rows, /*zero_init=*/false);
  if (with_dq)
    MatMulAdd(ScalarOperand{s.ds, dims.bk_pad, 1}, kc.k_rows, args.dq + row0, dims.d, rows, dims.d,
              kc.keys, /*zero_init=*/false);
}

// Backward of key chunk `kc_index` of kv head `bkv`: writes its dk and dv rows, sums over the
// group's query heads (ascending) and, within each, over its query chunks (ascending).
HWY_INLINE void BackwardKeyChunk(const ai::Dims &dims, const ai::BackwardArgs &args, size_t bkv,
                                 size_t kc_index, bool with_dq, const ai::BackwardKeyScratch &s) {
  const size_t j0 = kc_index * dims.bk;
  const size_t chunk_rows = std::min(dims.bk, dims.tk - j0);
  const size_t key_row0 = (bkv * dims.tk + j0) * dims.d;
  float *dk = args.dk + key_row0, *dv = args.dv + key_row0;
  const size_t key_count = ai::KeyCount(dims, bkv / dims.kv_heads);
  const size_t first_query = ai::FirstQueryOf(dims, key_count, j0);
  if (first_query >= dims.tq) { // padding, or above every row's causal limit: no work
    std::fill(dk, dk + chunk_rows * dims.d, 0.0f);
    std::fill(dv, dv + chunk_rows * dims.d, 0.0f);
    return;
  }
  KeyChunk kc;
  kc.j0 = j0;
  kc.keys = std::min(chunk_rows, key_count - j0); // padded keys are never read
  kc.key_count = key_count;
  TransposeToPadded(args.k + key_row0, dims.d, kc.keys, dims.d, s.kt, dims.bk_pad);
  TransposeToPadded(args.v + key_row0, dims.d, kc.keys, dims.d, s.vt, dims.bk_pad);
  if (with_dq) // s.k_center holds the mean key of this (batch, kv head)
    kc.k_rows = CenteredRows(dims, args.k + key_row0, kc.keys, s.k_center, s.k_pad);
  std::fill(s.dk_acc, s.dk_acc + kc.keys * dims.d_pad, 0.0f);
  std::fill(s.dv_acc, s.dv_acc + kc.keys * dims.d_pad, 0.0f);
  const size_t bh0 = ai::FirstQueryHead(dims, bkv);
  for (size_t bh = bh0; bh < bh0 + dims.group; ++bh)
    for (size_t qc = first_query / dims.bq; qc < dims.num_q_chunks; ++qc)
      BackwardPair(dims, args, bh, kc, qc * dims.bq, with_dq, s);
  for (size_t r = 0; r < kc.keys; ++r) {
    std::memcpy(dk + r * dims.d, s.dk_acc + r * dims.d_pad, dims.d * sizeof(float));
    std::memcpy(dv + r * dims.d, s.dv_acc + r * dims.d_pad, dims.d * sizeof(float));
  }
  std::fill(dk + kc.keys * dims.d, dk + chunk_rows * dims.d, 0.0f);
  std::fill(dv + kc.keys * dims.d, dv + chunk_rows * dims.d, 0.0f);
}

// P and dS of one key chunk in column form (keys x bq_pad): st holds raw scores and dst holds dP
// on entry; dst holds dS on exit. Same lane operations as ExpRowShifted and SoftmaxGradRow.
HWY_INLINE void SoftmaxGradColumns(const ai::Dims &dims, size_t key_count, size_t j0, size_t keys,
                                   size_t i0, const ai::BackwardQueryScratch &s) {
  const DF d;
  const VF scale = hn::Set(d, dims.scale);
  for (size_t c = 0; c < dims.bq_pad; c += hn::Lanes(d)) {
    const VF lse = hn::Load(d, s.lse + c);
    const VF delta = hn::Load(d, s.delta + c);
    for (size_t j = 0; j < keys; ++j) {
      const size_t at = j * dims.bq_pad + c;
      const auto sees = LanesAtOrAfter(d, c, FirstQueryLane(dims, key_count, j0 + j, i0));
      const VF shifted = hn::Sub(hn::Mul(hn::Load(d, s.st + at), scale), lse);
      const VF p = hn::IfThenElseZero(sees, hn::Exp(d, shifted));
      const VF centered = hn::Sub(hn::Load(d, s.dst + at), delta);
      hn::Store(hn::Mul(hn::Mul(centered, p), scale), d, s.dst + at);
    }
  }
}

// dq rows of query chunk `qc` of query head `bh` (the two-pass schedule's second pass).
HWY_INLINE void BackwardQueryChunk(const ai::Dims &dims, const ai::BackwardArgs &args, size_t bh,
                                   size_t qc, const ai::BackwardQueryScratch &s) {
  const size_t i0 = qc * dims.bq;
  const size_t rows = std::min(dims.bq, dims.tq - i0);
  const size_t row0 = (bh * dims.tq + i0) * dims.d;
  TransposeToPadded(args.q + row0, dims.d, rows, dims.d, s.qt, dims.bq_pad);
  TransposeToPadded(args.d_out + row0, dims.d, rows, dims.d, s.dot, dims.bq_pad);
  std::fill(s.delta, s.delta + dims.bq_pad, 0.0f);
  std::fill(s.lse, s.lse + dims.bq_pad, 0.0f);
  for (size_t r = 0; r < rows; ++r) {
    s.delta[r] = Dot(args.d_out + row0 + r * dims.d, args.out + row0 + r * dims.d, dims.d);
    s.lse[r] = args.lse[bh * dims.tq + i0 + r];
  }
  float *dq = args.dq + row0;
  std::fill(dq, dq + rows * dims.d, 0.0f);
  const size_t bkv = ai::KvHeadOf(dims, bh);
  const size_t key_count = ai::KeyCount(dims, bh / dims.heads);
  const size_t key_end = ai::KeyLimit(dims, key_count, i0 + rows - 1);
  KeyCenter(dims, args.k + bkv * dims.tk * dims.d, key_count, s.k_center);
  for (size_t j0 = 0; j0 < key_end; j0 += dims.bk) {
    // Whole chunks (not trimmed to key_end), trimmed only at the key count like the one-pass
    // schedule's chunks, so the FMA chains match.
    const size_t keys = std::min(dims.bk, key_count - j0);
    const size_t key_row0 = (bkv * dims.tk + j0) * dims.d;
    MatMulAdd(ScalarOperand{args.k + key_row0, dims.d, 1}, VectorOperand{s.qt, dims.bq_pad}, s.st,
              dims.bq_pad, keys, dims.bq_pad, dims.d, /*zero_init=*/true);
    MatMulAdd(ScalarOperand{args.v + key_row0, dims.d, 1}, VectorOperand{s.dot, dims.bq_pad}, s.dst,
              dims.bq_pad, keys, dims.bq_pad, dims.d, /*zero_init=*/true);
    SoftmaxGradColumns(dims, key_count, j0, keys, i0, s);
    const VectorOperand k_rows = CenteredRows(dims, args.k + key_row0, keys, s.k_center, s.k_pad);
    MatMulAdd(ScalarOperand{s.dst, 1, dims.bq_pad}, k_rows, dq, dims.d, rows, dims.d, keys,
              /*zero_init=*/false);
  }
}

void ChunkedForward(const ai::Dims &dims, const ai::ForwardArgs &args, float *scratch,
                    ThreadPool *pool) {
  const size_t per_thread = ai::ForwardFloatsPerThread(dims);
  const size_t chunks = dims.num_q_chunks;
  ai::RunTasks(pool, dims.bh * chunks, scratch, per_thread, [&](size_t task, float *mine) {
    ai::ScratchCarver carver(mine);
    const ai::ForwardScratch s = ai::CarveForward(dims, carver);
    // Last query chunks first: with a causal mask they are the longest tasks.
    ForwardQueryChunk(dims, args, task / chunks, chunks - 1 - task % chunks, s);
  });
}

void ChunkedBackward(const ai::Dims &dims, const ai::BackwardArgs &args, float *scratch,
                     ThreadPool *pool) {
  const size_t per_thread = ai::BackwardFloatsPerThread(dims);
  const size_t threads = pool == nullptr ? 1 : static_cast<size_t>(pool->num_threads());
  const size_t key_chunks = dims.num_k_chunks, query_chunks = dims.num_q_chunks;
  if (ai::UseOnePassBackward(dims, threads)) {
    ai::RunTasks(pool, dims.bkv, scratch, per_thread, [&](size_t bkv, float *mine) {
      ai::ScratchCarver carver(mine);
      const ai::BackwardKeyScratch s = ai::CarveBackwardKey(dims, carver);
      // The group's query heads are consecutive, so their dq rows are one range.
      float *dq = args.dq + ai::FirstQueryHead(dims, bkv) * dims.tq * dims.d;
      std::fill(dq, dq + dims.group * dims.tq * dims.d, 0.0f);
      KeyCenter(dims, args.k + bkv * dims.tk * dims.d, ai::KeyCount(dims, bkv / dims.kv_heads),
                s.k_center);
      for (size_t kc = 0; kc < key_chunks; ++kc)
        BackwardKeyChunk(dims, args, bkv, kc, /*with_dq=*/true, s);
    });
    return;
  }
  ai::RunTasks(pool, dims.bkv * key_chunks, scratch, per_thread, [&](size_t task, float *mine) {
    ai::ScratchCarver carver(mine);
    const ai::BackwardKeyScratch s = ai::CarveBackwardKey(dims, carver);
    BackwardKeyChunk(dims, args, task / key_chunks, task % key_chunks, /*with_dq=*/false, s);
  });
  ai::RunTasks(pool, dims.bh * query_chunks, scratch, per_thread, [&](size_t task, float *mine) {
    ai::ScratchCarver carver(mine);
    const ai::BackwardQueryScratch s = ai::CarveBackwardQuery(dims, carver);
    BackwardQueryChunk(dims, args, task / query_chunks, query_chunks - 1 - task % query_chunks, s);
  });
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard
