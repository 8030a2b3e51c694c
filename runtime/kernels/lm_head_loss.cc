// Fused LM head + cross-entropy: per-target row updates, the chunk loops around the GEMMs.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/lm_head_loss.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tidemark {
namespace kernels {
namespace HWY_NAMESPACE {

// Rows [first, first + count) of a logits slice z (row stride n): adds bias, then updates the
// running max m and sum s, and picks the label's logit when it is in [v0, v0 + n).
HWY_NOINLINE void LseUpdateRows(float *z, const float *bias, int64_t n, int64_t v0,
                                const int32_t *labels, float *m, float *s, float *target,
                                int64_t first, int64_t count) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r = first; r < first + count; ++r) {
    float *row = z + r * n;
    if (bias != nullptr)
      for (int64_t j = 0; j < n; j += lanes)
        StorePartial(d, hn::Add(LoadPartial(d, row + j, n - j), LoadPartial(d, bias + j, n - j)),
                     row + j, n - j);
    const float chunk_max = MaxRow(row, n);
    const float new_max = chunk_max > m[r] ? chunk_max : m[r];
    const float rescale = m[r] == -HUGE_VALF ? 0.0f : std::exp(m[r] - new_max);
    s[r] = s[r] * rescale + ExpSumRow(row, new_max, nullptr, n);
    m[r] = new_max;
    const int64_t label = labels[r];
    if (label >= v0 && label < v0 + n)
      target[r] = row[label - v0];
  }
}

// Rows [first, first + count) of the slice become G = (exp(z + bias - lse) - onehot) * g_r.
HWY_NOINLINE void GradRows(float *z, const float *bias, int64_t n, int64_t v0,
                           const int32_t *labels, const float *lse, const float *g, int64_t first,
                           int64_t count) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r = first; r < first + count; ++r) {
    float *row = z + r * n;
    const auto shift = hn::Set(d, lse[r]);
    const auto scale = hn::Set(d, g[r]);
    for (int64_t j = 0; j < n; j += lanes) {
      auto v = LoadPartial(d, row + j, n - j);
      if (bias != nullptr)
        v = hn::Add(v, LoadPartial(d, bias + j, n - j));
      StorePartial(d, hn::Mul(hn::Exp(d, hn::Sub(v, shift)), scale), row + j, n - j);
    }
    const int64_t label = labels[r];
    if (g[r] != 0.0f && label >= v0 && label < v0 + n)
      row[label - v0] -= g[r];
  }
}

// out[j] (+)= sum over rows of z[r * n + j], rows in order, for columns [c0, c0 + width <= 256):
// the rows are summed in double and added to out with one rounding, so d_bias carries one rounding
// per row chunk instead of one per row.
HWY_NOINLINE void ColumnSums(const float *z, int64_t rows, int64_t n, bool accumulate, float *out,
                             int64_t c0, int64_t width) {
  double acc[256];
  for (int64_t j = 0; j < width; ++j)
    acc[j] = accumulate ? static_cast<double>(out[c0 + j]) : 0.0;
  for (int64_t r = 0; r < rows; ++r)
    AccumulateRowDouble(z + r * n + c0, acc, width);
  for (int64_t j = 0; j < width; ++j)
    out[c0 + j] = static_cast<float>(acc[j]);
}

} // namespace HWY_NAMESPACE
} // namespace kernels
} // namespace tidemark
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/lm_head_loss.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(LseUpdateRows);
HWY_EXPORT(GradRows);
HWY_EXPORT(ColumnSums);

namespace {

constexpr int64_t kRowsPerTask = 16;
constexpr int64_t kColumnsPerTask = 256; // ColumnSums' double accumulator holds this many
constexpr int64_t kMaxElements = int64_t{1} << 40;

int64_t RowChunk(const LmHeadLossParams &p) { return std::min(p.row_chunk, p.rows); }
int64_t VocabChunk(const LmHeadLossParams &p) { return std::min(p.vocab_chunk, p.vocab); }

// Scratch layout: [Z: row_chunk x vocab_chunk][m, s, target, g: row_chunk each][GEMM packing].
size_t ZBytes(const LmHeadLossParams &p) {
  const size_t floats = static_cast<size_t>(RowChunk(p) * VocabChunk(p) + 4 * RowChunk(p));
  return (floats * sizeof(float) + 63) / 64 * 64;
}

Status CheckLabels(const LmHeadLossParams &p, const int32_t *labels, int64_t *valid) {
  *valid = 0;
  for (int64_t r = 0; r < p.rows; ++r) {
    if (labels[r] == p.ignore_index)
      continue;
    if (labels[r] < 0 || labels[r] >= p.vocab)
      return Status(StatusCode::kOutOfRange,
                    "lm head loss: label " + std::to_string(labels[r]) + " of row " +
                        std::to_string(r) + " is outside [0, " + std::to_string(p.vocab) +
                        ") and is not the ignore index " + std::to_string(p.ignore_index));
    ++*valid;
  }
  return Status::Ok();
}

Status CheckPointers(const void *a, const void *b, const void *c, const void *scratch) {
  if (a == nullptr || b == nullptr || c == nullptr || scratch == nullptr)
    return InvalidArgument("lm head loss: null input, label, output or scratch pointer");
  return Status::Ok();
}

// Z[nr, nv] = h[r0 : r0 + nr] W[v0 : v0 + nv]^T.
void Logits(const LmHeadLossParams &p, const float *h, const float *w, int64_t r0, int64_t nr,
            int64_t v0, int64_t nv, float *z, void *gemm_scratch, ThreadPool *pool) {
  GemmParams g;
  g.m = nr;
  g.n = nv;
  g.k = p.hidden;
  g.trans_b = true;
  Gemm(g, h + r0 * p.hidden, w + v0 * p.hidden, z, gemm_scratch, pool);
}

} // namespace

Status ValidateLmHeadLoss(const LmHeadLossParams &p) {
  if (p.rows < 1 || p.hidden < 1 || p.vocab < 1 || p.row_chunk < 1 || p.vocab_chunk < 1)
    return InvalidArgument("lm head loss: rows, hidden, vocab and the chunks must be >= 1 (got " +
                           std::to_string(p.rows) + ", " + std::to_string(p.hidden) + ", " +
                           std::to_string(p.vocab) + ", " + std::to_string(p.row_chunk) + ", " +
                           std::to_string(p.vocab_chunk) + ")");
  if (p.rows > kMaxElements / p.hidden || p.vocab > kMaxElements / p.hidden ||
      p.row_chunk > kMaxElements / p.vocab_chunk)
    return InvalidArgument("lm head loss: sizes too large to index");
  return Status::Ok();
}

size_t LmHeadLossScratchBytes(const LmHeadLossParams &p, int num_threads) {
  if (!ValidateLmHeadLoss(p).ok())
    return 0;
  return ZBytes(p) + GemmScratchBytes(std::max(1, num_threads));
}

Status LmHeadLoss(const LmHeadLossParams &p, const float *h, const float *w, const float *bias,
                  const int32_t *labels, float *loss, float *lse, void *scratch, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateLmHeadLoss(p));
  TIDEMARK_RETURN_IF_ERROR(CheckPointers(h, w, labels, scratch));
  if (loss == nullptr || lse == nullptr)
    return InvalidArgument("lm head loss: null loss or lse");
  int64_t valid = 0;
  TIDEMARK_RETURN_IF_ERROR(CheckLabels(p, labels, &valid));
  const int64_t rc = RowChunk(p), vc = VocabChunk(p);
  float *z = static_cast<float *>(scratch);
  float *m = z + rc * vc;
  float *s = m + rc;
  float *target = s + rc;
  void *gemm_scratch = static_cast<unsigned char *>(scratch) + ZBytes(p);
  auto *update = HWY_DYNAMIC_DISPATCH(LseUpdateRows);
  double total = 0.0;
  for (int64_t r0 = 0; r0 < p.rows; r0 += rc) {
    const int64_t nr = std::min(rc, p.rows - r0);
    std::fill(m, m + nr, -HUGE_VALF);
    std::fill(s, s + nr, 0.0f);
    std::fill(target, target + nr, 0.0f);
    for (int64_t v0 = 0; v0 < p.vocab; v0 += vc) {
      const int64_t nv = std::min(vc, p.vocab - v0);
      Logits(p, h, w, r0, nr, v0, nv, z, gemm_scratch, pool);
      RunTasks(pool, (nr + kRowsPerTask - 1) / kRowsPerTask, [&](int64_t task) {
        const int64_t first = task * kRowsPerTask;
        update(z, bias ? bias + v0 : nullptr, nv, v0, labels + r0, m, s, target, first,
               std::min(kRowsPerTask, nr - first));
      });
    }
    for (int64_t r = 0; r < nr; ++r) {
      lse[r0 + r] = m[r] + std::log(s[r]);
      if (labels[r0 + r] != p.ignore_index) // (m - z_label) + log s: no rounding of m + log s
        total += static_cast<double>(m[r] - target[r]) + std::log(static_cast<double>(s[r]));
    }
  }
  *loss = static_cast<float>(total / static_cast<double>(valid)); // NaN when nothing is valid
  return Status::Ok();
}

Status LmHeadLossGrad(const LmHeadLossParams &p, const float *h, const float *w, const float *bias,
                      const int32_t *labels, const float *lse, const float *d_loss, float *dh,
                      float *dw, float *d_bias, void *scratch, ThreadPool *pool) {
  TIDEMARK_RETURN_IF_ERROR(ValidateLmHeadLoss(p));
  TIDEMARK_RETURN_IF_ERROR(CheckPointers(h, w, labels, scratch));
  if (lse == nullptr || d_loss == nullptr || dh == nullptr || dw == nullptr ||
      (bias != nullptr && d_bias == nullptr))
    return InvalidArgument("lm head loss grad: null lse, d_loss or gradient pointer");
  int64_t valid = 0;
  TIDEMARK_RETURN_IF_ERROR(CheckLabels(p, labels, &valid));
  const int64_t rc = RowChunk(p), vc = VocabChunk(p);
  float *z = static_cast<float *>(scratch);
  float *g = z + rc * vc + 3 * rc;
  void *gemm_scratch = static_cast<unsigned char *>(scratch) + ZBytes(p);
  const float per_row = valid > 0 ? *d_loss / static_cast<float>(valid) : 0.0f;
  auto *grad_rows = HWY_DYNAMIC_DISPATCH(GradRows);
  auto *column_sums = HWY_DYNAMIC_DISPATCH(ColumnSums);
  for (int64_t r0 = 0; r0 < p.rows; r0 += rc) {
    const int64_t nr = std::min(rc, p.rows - r0);
    for (int64_t r = 0; r < nr; ++r)
      g[r] = labels[r0 + r] == p.ignore_index ? 0.0f : per_row;
    for (int64_t v0 = 0; v0 < p.vocab; v0 += vc) {
      const int64_t nv = std::min(vc, p.vocab - v0);
      Logits(p, h, w, r0, nr, v0, nv, z, gemm_scratch, pool);
      RunTasks(pool, (nr + kRowsPerTask - 1) / kRowsPerTask, [&](int64_t task) {
        const int64_t first = task * kRowsPerTask;
        grad_rows(z, bias ? bias + v0 : nullptr, nv, v0, labels + r0, lse + r0, g, first,
                  std::min(kRowsPerTask, nr - first));
      });
      GemmParams dh_gemm; // dh_block (+)= G W_slice
      dh_gemm.m = nr;
      dh_gemm.n = p.hidden;
      dh_gemm.k = nv;
      dh_gemm.beta = v0 == 0 ? 0.0f : 1.0f;
      Gemm(dh_gemm, z, w + v0 * p.hidden, dh + r0 * p.hidden, gemm_scratch, pool);
      GemmParams dw_gemm; // dW_slice (+)= G^T h_block
      dw_gemm.m = nv;
      dw_gemm.n = p.hidden;
      dw_gemm.k = nr;
      dw_gemm.trans_a = true;
      dw_gemm.beta = r0 == 0 ? 0.0f : 1.0f;
      Gemm(dw_gemm, z, h + r0 * p.hidden, dw + v0 * p.hidden, gemm_scratch, pool);
      if (d_bias != nullptr && bias != nullptr)
        RunTasks(pool, (nv + kColumnsPerTask - 1) / kColumnsPerTask, [&](int64_t task) {
          const int64_t c0 = task * kColumnsPerTask;
          column_sums(z, nr, nv, r0 != 0, d_bias + v0, c0, std::min(kColumnsPerTask, nv - c0));
        });
    }
  }
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
