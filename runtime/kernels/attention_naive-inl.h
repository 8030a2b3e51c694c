// Naive attention forward and backward for one Highway target: the full score matrix per (b, h).
//
// Forward per (b, h): S = Q K^T (Tq x Tk), row softmax with mask, lse, out = P V.
// Backward per (b, kv head), for each query head of its group in order: S and P = exp(scale * S -
// lse) again, dP = dO V^T, dS = scale * P * (dP - rowsum(dO * O)), dV += P^T dO, dK += dS^T Q,
// dQ = dS K. Keys past the batch's key length are never read.
// Cost: the chunked kernels' flops (forward 4, backward 10 times Tq*Tk*D per head, masked keys
// included) and O(Tq * Tk) scratch per thread. The matrix products use the same register-blocked
// micro-kernel (depth-blocked) as the chunked kernels, so only the algorithm differs.

#if defined(TIDEMARK_RUNTIME_KERNELS_ATTENTION_NAIVE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TIDEMARK_RUNTIME_KERNELS_ATTENTION_NAIVE_INL_H_
#undef TIDEMARK_RUNTIME_KERNELS_ATTENTION_NAIVE_INL_H_
#else
#define TIDEMARK_RUNTIME_KERNELS_ATTENTION_NAIVE_INL_H_
#endif

#include <cmath>

#include "hwy/highway.h"
#include "runtime/kernels/attention-inl.h"
#include "runtime/kernels/attention_internal.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {
namespace ai = attention_internal;

// Softmax of each masked, scaled score row in place; writes lse (-inf for rows that see no key).
HWY_INLINE void NaiveSoftmaxRows(const ai::Dims &dims, size_t key_count, float *scores,
                                 size_t tk_pad, float *lse) {
  for (size_t i = 0; i < dims.tq; ++i) {
    float *row = scores + i * tk_pad;
    const size_t valid = ai::KeyLimit(dims, key_count, i);
    if (valid == 0) {
      std::fill(row, row + tk_pad, 0.0f);
      lse[i] = kNegInf;
      continue;
    }
    const float row_max = MaxScaledPrefix(row, valid, dims.scale);
    ExpRowShifted(row, tk_pad, valid, dims.scale, row_max);
    const float sum = SumRow(row, tk_pad);
    ScaleRow(row, tk_pad, 1.0f / sum);
    lse[i] = row_max + std::log(sum);
  }
}

// Forward of query head `bh`. Only the batch's `key_count` unpadded keys are read (transposed K
// has zero columns past them; the P V product stops at them), so padded rows may hold anything.
HWY_INLINE void NaiveForwardHead(const ai::Dims &dims, const ai::ForwardArgs &args, size_t bh,
                                 const ai::NaiveScratch &s) {
  const size_t tk_pad = ai::PadFloats(dims.tk);
  const size_t key_count = ai::KeyCount(dims, bh / dims.heads);
  const float *q = args.q + bh * dims.tq * dims.d;
  const float *k = args.k + ai::KvHeadOf(dims, bh) * dims.tk * dims.d;
  const float *v = args.v + ai::KvHeadOf(dims, bh) * dims.tk * dims.d;
  TransposeToPadded(k, dims.d, key_count, dims.d, s.kt, tk_pad);
  MatMulAdd(ScalarOperand{q, dims.d, 1}, VectorOperand{s.kt, tk_pad}, s.s, tk_pad, dims.tq, tk_pad,
            dims.d, /*zero_init=*/true);
  NaiveSoftmaxRows(dims, key_count, s.s, tk_pad, args.lse + bh * dims.tq);
  const VectorOperand v_rows = PaddedRows(v, key_count, dims.d, dims.d_pad, s.v_pad);
  MatMulAdd(ScalarOperand{s.s, tk_pad, 1}, v_rows, args.out + bh * dims.tq * dims.d, dims.d,
            dims.tq, dims.d, key_count, /*zero_init=*/true);
}

// P and dS of query head `bh` into s.s and s.ds (full Tq x Tk matrices; kt, vt already hold the
// transposed K and V of its kv head), then dV += P^T dO, dK += dS^T Q (written when `first`) and
// dq = dS K.
HWY_INLINE void NaiveBackwardQueryHead(const ai::Dims &dims, const ai::BackwardArgs &args,
                                       size_t bh, size_t key_count, const VectorOperand &k_rows,
                                       bool first, const ai::NaiveScratch &s) {
  const size_t tk_pad = ai::PadFloats(dims.tk);
  const size_t q_off = bh * dims.tq * dims.d;
  const size_t k_off = ai::KvHeadOf(dims, bh) * dims.tk * dims.d;
  MatMulAdd(ScalarOperand{args.q + q_off, dims.d, 1}, VectorOperand{s.kt, tk_pad}, s.s, tk_pad,
            dims.tq, tk_pad, dims.d, /*zero_init=*/true);
  MatMulAdd(ScalarOperand{args.d_out + q_off, dims.d, 1}, VectorOperand{s.vt, tk_pad}, s.ds, tk_pad,
            dims.tq, tk_pad, dims.d, /*zero_init=*/true);
  const DF d;
  for (size_t i = 0; i < dims.tq; ++i) {
    float *p_row = s.s + i * tk_pad;
    ExpRowShifted(p_row, tk_pad, ai::KeyLimit(dims, key_count, i), dims.scale,
                  args.lse[bh * dims.tq + i]);
    const float delta = Dot(args.d_out + q_off + i * dims.d, args.out + q_off + i * dims.d, dims.d);
    SoftmaxGradRow(p_row, s.ds + i * tk_pad, tk_pad, hn::Set(d, delta), hn::Set(d, dims.scale));
  }
  const VectorOperand q_rows = PaddedRows(args.q + q_off, dims.tq, dims.d, dims.d_pad, s.q_pad);
  const VectorOperand do_rows =
      PaddedRows(args.d_out + q_off, dims.tq, dims.d, dims.d_pad, s.do_pad);
  MatMulAdd(ScalarOperand{s.s, 1, tk_pad}, do_rows, args.dv + k_off, dims.d, key_count, dims.d,
            dims.tq, /*zero_init=*/first);
  MatMulAdd(ScalarOperand{s.ds, 1, tk_pad}, q_rows, args.dk + k_off, dims.d, key_count, dims.d,
            dims.tq, /*zero_init=*/first);
  MatMulAdd(ScalarOperand{s.ds, tk_pad, 1}, k_rows, args.dq + q_off, dims.d, dims.tq, dims.d,
            key_count, /*zero_init=*/true);
}

// Backward of kv head `bkv`: its group's query heads one after the other (ascending), each adding
// into dk and dv; padded key rows of dk and dv are zero.
HWY_INLINE void NaiveBackwardKvHead(const ai::Dims &dims, const ai::BackwardArgs &args, size_t bkv,
                                    const ai::NaiveScratch &s) {
  const size_t tk_pad = ai::PadFloats(dims.tk);
  const size_t k_off = bkv * dims.tk * dims.d;
  const size_t key_count = ai::KeyCount(dims, bkv / dims.kv_heads);
  TransposeToPadded(args.k + k_off, dims.d, key_count, dims.d, s.kt, tk_pad);
  TransposeToPadded(args.v + k_off, dims.d, key_count, dims.d, s.vt, tk_pad);
  const VectorOperand k_rows = PaddedRows(args.k + k_off, key_count, dims.d, dims.d_pad, s.k_pad);
  const size_t bh0 = ai::FirstQueryHead(dims, bkv);
  for (size_t bh = bh0; bh < bh0 + dims.group; ++bh)
    NaiveBackwardQueryHead(dims, args, bh, key_count, k_rows, /*first=*/bh == bh0, s);
  std::fill(args.dk + k_off + key_count * dims.d, args.dk + k_off + dims.tk * dims.d, 0.0f);
  std::fill(args.dv + k_off + key_count * dims.d, args.dv + k_off + dims.tk * dims.d, 0.0f);
}

void NaiveForward(const ai::Dims &dims, const ai::ForwardArgs &args, float *scratch,
                  ThreadPool *pool) {
  ai::RunTasks(pool, dims.bh, scratch, ai::NaiveFloatsPerThread(dims), [&](size_t bh, float *mine) {
    ai::ScratchCarver carver(mine);
    NaiveForwardHead(dims, args, bh, ai::CarveNaive(dims, carver));
  });
}

void NaiveBackward(const ai::Dims &dims, const ai::BackwardArgs &args, float *scratch,
                   ThreadPool *pool) {
  ai::RunTasks(pool, dims.bkv, scratch, ai::NaiveFloatsPerThread(dims),
               [&](size_t bkv, float *mine) {
                 ai::ScratchCarver carver(mine);
                 NaiveBackwardKvHead(dims, args, bkv, ai::CarveNaive(dims, carver));
               });
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#endif // include guard
