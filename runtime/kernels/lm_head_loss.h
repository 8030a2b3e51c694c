// The fused, vocabulary-chunked LM head + softmax cross-entropy: the loss of
// logits = h W^T + bias (h: [rows, hidden], W: [vocab, hidden] as nn.Linear stores it) against
// integer labels, forward and backward, without ever holding the [rows, vocab] logits.
//
// Forward, per block of `row_chunk` rows: for each `vocab_chunk` slice of the vocabulary,
//   Z = h_block W_slice^T + bias_slice (GEMM into scratch), then per row an online log-sum-exp
//   update m' = max(m, max Z), s = s exp(m - m') + sum exp(Z - m'), and the label's logit is
//   picked up when it falls in the slice. lse = m + log s is saved (rows floats) and
//   loss = (1 / valid rows) sum over valid rows of (lse - z_label), accumulated in double.
// Backward, per row block and vocabulary slice (recomputing Z): G = (exp(Z - lse) - onehot) * g
//   with g = d_loss / valid rows (0 for an ignored row), then dh_block += G W_slice,
//   dW_slice += G^T h_block, d_bias_slice += column sums of G.
// Labels equal to `ignore_index` (PyTorch's -100 by default) contribute nothing; every other label
// must be in [0, vocab) (OutOfRange before anything is written). With no valid row the loss is NaN
// (0 / 0, as PyTorch's mean reduction) and the gradients are 0.
// Cost: forward 2 rows vocab hidden flops, backward 6 (the logits are recomputed: 8 in all
// against 6 for the unfused pair, for never storing rows x vocab floats twice). Memory: scratch
// of row_chunk x vocab_chunk floats plus the GEMM's packing buffers, independent of rows and vocab.
// Determinism: fixed chunk order, deterministic GEMMs and per-row / per-column sums in index
// order: bit-identical across runs and thread counts.
#ifndef TIDEMARK_RUNTIME_KERNELS_LM_HEAD_LOSS_H_
#define TIDEMARK_RUNTIME_KERNELS_LM_HEAD_LOSS_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

struct LmHeadLossParams {
  int64_t rows = 0;   // tokens (batch x sequence)
  int64_t hidden = 0; // model width
  int64_t vocab = 0;
  int64_t row_chunk = 512;
  int64_t vocab_chunk = 2048;
  int32_t ignore_index = -100;
};

// Sizes >= 1, chunks >= 1, rows x vocab and the chunk product small enough to index.
Status ValidateLmHeadLoss(const LmHeadLossParams &p);

// 64-byte aligned scratch bytes for either direction with `num_threads` threads.
size_t LmHeadLossScratchBytes(const LmHeadLossParams &p, int num_threads);

// *loss = mean cross-entropy; lse[rows] is written for the backward. bias may be null.
Status LmHeadLoss(const LmHeadLossParams &p, const float *h, const float *w, const float *bias,
                  const int32_t *labels, float *loss, float *lse, void *scratch, ThreadPool *pool);

// dh [rows, hidden], dw [vocab, hidden] and d_bias [vocab] (when bias is non-null) are written
// (not accumulated), from the forward's lse and the scalar upstream gradient *d_loss.
Status LmHeadLossGrad(const LmHeadLossParams &p, const float *h, const float *w, const float *bias,
                      const int32_t *labels, const float *lse, const float *d_loss, float *dh,
                      float *dw, float *d_bias, void *scratch, ThreadPool *pool);

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_LM_HEAD_LOSS_H_
