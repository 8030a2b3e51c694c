// Attention internals shared by every Highway target: sizes, heads, masks, scratch, tasks.
#ifndef TIDEMARK_RUNTIME_KERNELS_ATTENTION_INTERNAL_H_
#define TIDEMARK_RUNTIME_KERNELS_ATTENTION_INTERNAL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/attention.h"

namespace tidemark {
namespace kernels {
namespace attention_internal {

// Scratch rows are padded to 16 floats (64 bytes): a whole number of vectors on every x86 target,
// so micro-kernels load padded operands with full-width loads and never need a tail.
constexpr size_t kPadFloats = 16;
inline size_t PadFloats(size_t n) { return (n + kPadFloats - 1) / kPadFloats * kPadFloats; }

// The problem in the units the kernels use. Chunks are clamped to the sequence lengths.
struct Dims {
  size_t batch = 0, heads = 0, kv_heads = 0; // kv_heads divides heads
  size_t group = 0;                          // heads / kv_heads: query heads per kv head
  size_t bh = 0, bkv = 0;                    // batch * heads, batch * kv_heads
  size_t tq = 0, tk = 0, d = 0;              // sequence lengths, head_dim
  size_t bq = 0, bk = 0;                     // chunk sizes, <= tq and <= tk
  size_t d_pad = 0, bq_pad = 0, bk_pad = 0;
  size_t num_q_chunks = 0, num_k_chunks = 0;
  int64_t diag = 0; // tk - tq: with causal, query i sees key j iff j <= i + diag
  bool causal = false;
  float scale = 0.0f;
  const int32_t *key_lengths = nullptr; // per batch, already checked to be in [0, tk]; or null
  // Rows of width d are a whole number of padded vectors, so tensors are usable as padded operands
  // in place; otherwise they are copied into padded scratch first.
  bool RowsArePadded() const { return d == d_pad; }
};

inline Dims MakeDims(const AttentionParams &p) {
  Dims dims;
  dims.batch = static_cast<size_t>(p.batch);
  dims.heads = static_cast<size_t>(p.heads);
  dims.kv_heads = static_cast<size_t>(p.kv_heads == 0 ? p.heads : p.kv_heads);
  dims.group = dims.heads / dims.kv_heads;
  dims.bh = dims.batch * dims.heads;
  dims.bkv = dims.batch * dims.kv_heads;
  dims.tq = static_cast<size_t>(p.seq_q);
  dims.tk = static_cast<size_t>(p.seq_k);
  dims.d = static_cast<size_t>(p.head_dim);
  dims.bq = static_cast<size_t>(std::min(p.q_chunk, p.seq_q));
  dims.bk = static_cast<size_t>(std::min(p.k_chunk, p.seq_k));
  dims.d_pad = PadFloats(dims.d);
  dims.bq_pad = PadFloats(dims.bq);
  dims.bk_pad = PadFloats(dims.bk);
  dims.num_q_chunks = (dims.tq + dims.bq - 1) / dims.bq;
  dims.num_k_chunks = (dims.tk + dims.bk - 1) / dims.bk;
  dims.diag = p.seq_k - p.seq_q;
  dims.causal = p.causal;
  dims.scale = p.scale;
  dims.key_lengths = p.key_lengths;
  return dims;
}

// Head indices: q/out/lse rows are per query head bh = b * heads + h, k/v rows per kv head
// bkv = b * kv_heads + h / group. The query heads of kv head bkv are FirstQueryHead(bkv) + [0,
// group), consecutive.
inline size_t KvHeadOf(const Dims &dims, size_t bh) {
  return (bh / dims.heads) * dims.kv_heads + (bh % dims.heads) / dims.group;
}
inline size_t FirstQueryHead(const Dims &dims, size_t bkv) {
  return (bkv / dims.kv_heads) * dims.heads + (bkv % dims.kv_heads) * dims.group;
}

// The tensors of one call, already checked non-null.
struct ForwardArgs {
  const float *q, *k, *v;
  float *out, *lse;
};
struct BackwardArgs {
  const float *q, *k, *v, *out, *lse, *d_out;
  float *dq, *dk, *dv;
};

// Keys of batch `b` that are not padding: [0, KeyCount). Every mask below is a prefix of it.
inline size_t KeyCount(const Dims &dims, size_t b) {
  return dims.key_lengths == nullptr ? dims.tk : static_cast<size_t>(dims.key_lengths[b]);
}

// Number of keys query row `i` sees when its batch has `key_count` unpadded keys: [0, KeyLimit).
inline size_t KeyLimit(const Dims &dims, size_t key_count, size_t i) {
  if (!dims.causal)
    return key_count;
  const int64_t limit = static_cast<int64_t>(i) + dims.diag + 1;
  return static_cast<size_t>(std::clamp<int64_t>(limit, 0, static_cast<int64_t>(key_count)));
}

// First query row that sees key `j` (tq when none does: j is padding or above every row's limit).
inline size_t FirstQueryOf(const Dims &dims, size_t key_count, size_t j) {
  if (j >= key_count)
    return dims.tq;
  if (!dims.causal)
    return 0;
  const int64_t first = static_cast<int64_t>(j) - dims.diag;
  return static_cast<size_t>(std::clamp<int64_t>(first, 0, static_cast<int64_t>(dims.tq)));
}

// Hands out consecutive 64-byte aligned float regions. With a null base it only counts, so the
// same carving code computes both the scratch size and the pointers.
class ScratchCarver {
public:
  explicit ScratchCarver(float *base) : base_(base) {}
  float *Take(size_t floats) {
    const size_t offset = used_;
    used_ += PadFloats(floats);
    return base_ == nullptr ? nullptr : base_ + offset;
  }
  size_t used_floats() const { return used_; }

private:
  float *base_;
  size_t used_ = 0;
};

// Per-thread scratch of the chunked forward.
struct ForwardScratch {
  float *qt, *v_pad, *st, *o, *m, *l, *alpha;
};
inline ForwardScratch CarveForward(const Dims &dims, ScratchCarver &carver) {
  ForwardScratch s;
  s.qt = carver.Take(dims.d * dims.bq_pad);                               // Q chunk transposed
  s.v_pad = carver.Take(dims.RowsArePadded() ? 0 : dims.bk * dims.d_pad); // V chunk, padded
  s.st = carver.Take(dims.bk * dims.bq_pad);                              // scores, keys x queries
  s.o = carver.Take(dims.bq * dims.d_pad);                                // output accumulator
  s.m = carver.Take(dims.bq_pad);
  s.l = carver.Take(dims.bq_pad);
  s.alpha = carver.Take(dims.bq_pad);
  return s;
}

// Per-thread scratch of the chunked backward. The key-chunk pass (row form: queries x keys) and
// the dq pass (column form: keys x queries) run one after the other, so they share the region.
// k_pad holds a key chunk's rows minus k_center (the mean key of the (batch, kv head)) for dq; see
// KeyCenter in attention_chunked-inl.h.
struct BackwardKeyScratch {
  float *kt, *vt, *k_pad, *k_center, *dk_acc, *dv_acc, *q_pad, *do_pad, *s, *ds, *delta;
};
inline BackwardKeyScratch CarveBackwardKey(const Dims &dims, ScratchCarver &carver) {
  const size_t copy_rows = dims.RowsArePadded() ? 0 : dims.d_pad;
  BackwardKeyScratch s;
  s.kt = carver.Take(dims.d * dims.bk_pad);
  s.vt = carver.Take(dims.d * dims.bk_pad);
  s.k_pad = carver.Take(dims.bk * dims.d_pad);
  s.k_center = carver.Take(dims.d_pad);
  s.dk_acc = carver.Take(dims.bk * dims.d_pad);
  s.dv_acc = carver.Take(dims.bk * dims.d_pad);
  s.q_pad = carver.Take(dims.bq * copy_rows);
  s.do_pad = carver.Take(dims.bq * copy_rows);
  s.s = carver.Take(dims.bq * dims.bk_pad);
  s.ds = carver.Take(dims.bq * dims.bk_pad);
  s.delta = carver.Take(dims.bq_pad);
  return s;
}
struct BackwardQueryScratch {
  float *qt, *dot, *k_pad, *k_center, *st, *dst, *delta, *lse;
};
inline BackwardQueryScratch CarveBackwardQuery(const Dims &dims, ScratchCarver &carver) {
  BackwardQueryScratch s;
  s.qt = carver.Take(dims.d * dims.bq_pad);
  s.dot = carver.Take(dims.d * dims.bq_pad);
  s.k_pad = carver.Take(dims.bk * dims.d_pad);
  s.k_center = carver.Take(dims.d_pad);
  s.st = carver.Take(dims.bk * dims.bq_pad);
  s.dst = carver.Take(dims.bk * dims.bq_pad);
  s.delta = carver.Take(dims.bq_pad);
  s.lse = carver.Take(dims.bq_pad);
  return s;
}

// Per-thread scratch of the naive kernels: whole sequences, so it grows with Tq * Tk.
struct NaiveScratch {
  float *kt, *vt, *k_pad, *v_pad, *q_pad, *do_pad, *s, *ds, *delta;
};
inline NaiveScratch CarveNaive(const Dims &dims, ScratchCarver &carver) {
  const size_t copy_rows = dims.RowsArePadded() ? 0 : dims.d_pad;
  const size_t tk_pad = PadFloats(dims.tk);
  NaiveScratch s;
  s.kt = carver.Take(dims.d * tk_pad);
  s.vt = carver.Take(dims.d * tk_pad);
  s.k_pad = carver.Take(dims.tk * copy_rows);
  s.v_pad = carver.Take(dims.tk * copy_rows);
  s.q_pad = carver.Take(dims.tq * copy_rows);
  s.do_pad = carver.Take(dims.tq * copy_rows);
  s.s = carver.Take(dims.tq * tk_pad);
  s.ds = carver.Take(dims.tq * tk_pad);
  s.delta = carver.Take(PadFloats(dims.tq));
  return s;
}

// Floats of per-thread scratch of each kernel (the carving functions run in counting mode).
inline size_t ForwardFloatsPerThread(const Dims &dims) {
  ScratchCarver counter(nullptr);
  CarveForward(dims, counter);
  return counter.used_floats();
}
inline size_t BackwardFloatsPerThread(const Dims &dims) {
  ScratchCarver key_counter(nullptr), query_counter(nullptr);
  CarveBackwardKey(dims, key_counter);
  CarveBackwardQuery(dims, query_counter);
  return std::max(key_counter.used_floats(), query_counter.used_floats());
}
inline size_t NaiveFloatsPerThread(const Dims &dims) {
  ScratchCarver counter(nullptr);
  CarveNaive(dims, counter);
  return counter.used_floats();
}

// Runs fn(task, thread_scratch) for every task in [0, num_tasks). Each of at most
// pool->num_threads() workers owns one slice of `floats_per_thread` floats and claims tasks from
// a shared counter; results depend only on the task index, never on the worker.
template <class TaskFn>
void RunTasks(ThreadPool *pool, size_t num_tasks, float *scratch, size_t floats_per_thread,
              const TaskFn &fn) {
  const size_t threads = pool == nullptr ? 1 : static_cast<size_t>(pool->num_threads());
  const size_t workers = std::min(threads, num_tasks);
  if (workers <= 1) {
    for (size_t task = 0; task < num_tasks; ++task)
      fn(task, scratch);
    return;
  }
  std::atomic<size_t> next_task{0};
  pool->ParallelFor(static_cast<int64_t>(workers), [&](int64_t worker) {
    float *mine = scratch + static_cast<size_t>(worker) * floats_per_thread;
    for (size_t task = next_task.fetch_add(1); task < num_tasks; task = next_task.fetch_add(1))
      fn(task, mine);
  });
}

// The one-pass backward (dq accumulated inside the key-chunk tasks) needs one task per
// (b, kv head); it is used when those tasks keep every thread busy, otherwise dq gets its own pass.
inline bool UseOnePassBackward(const Dims &dims, size_t threads) {
  return threads <= 1 || dims.bkv % threads == 0 || dims.bkv >= 4 * threads;
}

} // namespace attention_internal
} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_ATTENTION_INTERNAL_H_
