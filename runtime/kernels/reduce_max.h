// ReduceMax over one axis and its backward, which routes each gradient to ONE input element.
//
// The input is viewed as [outer, len, inner] (len = the reduced axis, len >= 1). For every line
// (o, k) the selected index is
//   j* = the first j whose x[o, j, k] is NaN, if the line has a NaN;
//   j* = the first j attaining the maximum (x[j] >= x[i] for every i) otherwise,
// and out[o, k] = x[o, j*, k] exactly (so NaN propagates with its payload, and of -0 and +0 the
// first one is returned). The backward is dx = 0 except dx[o, j*, k] = dy[o, k]: the whole
// gradient goes to the first maximum (PyTorch's amax splits it evenly among ties instead).
// Algorithm (forward): SIMD running maxima (horizontal along a contiguous line when inner == 1,
// vertical across lines otherwise) with a NaN mask beside them; a line whose maximum is NaN or
// zero is resolved by a scalar scan for j*. Backward: clear dx, then for each line find j* (the
// SIMD maximum then a scan when inner == 1; a vertical scan of running best values otherwise)
// and store dy there. Tasks own disjoint outer blocks, so results do not depend on the thread
// count. Complexity: O(outer * len * inner) time for each, no extra memory.
#ifndef TIDEMARK_RUNTIME_KERNELS_REDUCE_MAX_H_
#define TIDEMARK_RUNTIME_KERNELS_REDUCE_MAX_H_

#include <cmath>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// The [outer, len, inner] view of a reduction over one axis.
struct ReduceMaxShape {
  int64_t outer = 1;
  int64_t len = 1;
  int64_t inner = 1;
};

// InvalidArgument unless outer, inner >= 0, len >= 1 and the element count fits in 2^40.
Status ValidateReduceMax(const ReduceMaxShape &shape);

// out[o, k] = x[o, j*, k]; out holds outer * inner floats and must not overlap x.
Status ReduceMax(const ReduceMaxShape &shape, const float *x, float *out, ThreadPool *pool);

// dx (x's shape) = 0 except dx[o, j*, k] = dy[o, k]. dx must not overlap x or dy.
Status ReduceMaxGrad(const ReduceMaxShape &shape, const float *x, const float *dy, float *dx,
                     ThreadPool *pool);

// The selected index j* of line (o, k) (scalar reference of both kernels).
template <typename T>
int64_t ReduceMaxIndexReference(const ReduceMaxShape &s, const T *x, int64_t o, int64_t k) {
  const T *line = x + o * s.len * s.inner + k;
  int64_t best = 0;
  for (int64_t j = 0; j < s.len; ++j) {
    const T v = line[j * s.inner];
    if (std::isnan(v))
      return j;
    if (v > line[best * s.inner])
      best = j;
  }
  return best;
}

template <typename T> void ReduceMaxReference(const ReduceMaxShape &s, const T *x, T *out) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t k = 0; k < s.inner; ++k)
      out[o * s.inner + k] = x[(o * s.len + ReduceMaxIndexReference(s, x, o, k)) * s.inner + k];
}

template <typename T>
void ReduceMaxGradReference(const ReduceMaxShape &s, const T *x, const T *dy, T *dx) {
  for (int64_t i = 0; i < s.outer * s.len * s.inner; ++i)
    dx[i] = T(0);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t k = 0; k < s.inner; ++k)
      dx[(o * s.len + ReduceMaxIndexReference(s, x, o, k)) * s.inner + k] = dy[o * s.inner + k];
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_REDUCE_MAX_H_
