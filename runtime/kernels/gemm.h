// Gemm: batched f32 matrix multiply C = alpha * op(A) op(B) + beta * C (packed, cache-blocked,
// multi-threaded, Highway dynamic dispatch). Design and measurements: docs/kernels-gemm.md.
//
// Algorithm (per batch item; the classic Goto/BLIS loop nest):
//   1. Threads split the work into one fixed task each: whole batch items when the batch divides
//      evenly, else rectangles of C along M (multiples of MR rows, when m >= n) or along N
//      (multiples of NR columns). Task t owns its share and scratch slot t.
//   2. For each NC-wide column block and each KC-deep slice of k, the task packs op(B) into
//      k-major panels of NR columns (the transpose of B is absorbed here).
//   3. For each MC-tall row block it packs op(A) into k-major panels of MR rows (absorbing the
//      transpose of A), then runs the MR x NR register-blocked FMA micro-kernel over every
//      (A panel, B panel) pair, adding alpha * partial into C.
// Complexity: 2*m*n*k flops per batch item; packing moves O(m*k*ceil(n/NC) + k*n*T) floats, where
// T is the number of tasks. Each C element's sum over k runs in the same order (KC slices in
// ascending k, ascending k inside a slice) whatever the thread count, so results are bit-identical
// across runs AND across thread counts.
#ifndef TIDEMARK_RUNTIME_KERNELS_GEMM_H_
#define TIDEMARK_RUNTIME_KERNELS_GEMM_H_

#include <cstddef>
#include <cstdint>

namespace tidemark {
class ThreadPool;
namespace kernels {

struct GemmParams {
  int64_t batch = 1;
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false; // false: A[b] is m x k row-major; true: A[b] is k x m (use its transpose)
  bool trans_b = false; // false: B[b] is k x n row-major; true: B[b] is n x k
  int64_t stride_a = 0, stride_b = 0, stride_c = 0; // elements between batch items (0: broadcast
                                                    // the same matrix to every batch item; C
                                                    // must not be broadcast when batch > 1)
  float alpha = 1.0f;
  float beta = 0.0f; // C = alpha * op(A) op(B) + beta * C; beta == 0 never reads C (NaN-safe)
};

// Bytes of scratch Gemm needs when run on a pool of `num_threads` threads (packing buffers, one
// slot per thread). Shape-free upper bound; the executor allocates it once, 64-byte aligned.
size_t GemmScratchBytes(int num_threads);

// Computes C[b] = alpha * op(A[b]) op(B[b]) + beta * C[b] for every batch item b.
// `scratch`: at least GemmScratchBytes(pool ? pool->num_threads() : 1) bytes, 64-byte aligned,
// owned by the caller and not used concurrently by another call. `pool` may be nullptr (single
// thread). No heap allocation. Deterministic: bit-identical for the same inputs regardless of the
// run and of the number of threads. Shapes are not validated beyond debug asserts (the plan loader
// checks them before anything runs). Not reentrant on the same scratch.
void Gemm(const GemmParams &p, const float *a, const float *b, float *c, void *scratch,
          ThreadPool *pool);

// Plain triple loop with a double accumulator: the reference for tests. Same contract as Gemm.
void GemmReference(const GemmParams &p, const float *a, const float *b, float *c);

// Name of the Highway target Gemm dispatches to on this machine (e.g. "AVX3").
const char *GemmTargetName();

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_GEMM_H_
