// Rotary position embedding (RoPE, Su et al. 2021) in the half-split pairing of Llama and
// GPT-NeoX: feature i of a head is rotated together with feature i + rot_dim / 2.
//
// x is viewed as [outer, positions, inner, head_dim] (e.g. [batch, seq, heads, head_dim], or
// [batch * heads, seq, 1, head_dim]). For position p = position_offset + t and i < rot_dim / 2,
// with angle a = p * base^(-2i / rot_dim):
//   y[i]             = x[i] cos a - x[i + rot_dim/2] sin a
//   y[i + rot_dim/2] = x[i] sin a + x[i + rot_dim/2] cos a
// and features rot_dim..head_dim pass through unchanged (partial rotary). The rotation is
// orthogonal, so the backward is the inverse rotation (angle -a) of dy: Rope with inverse = true.
// The cos/sin table is computed once per plan (RopeTable, angles in double then rounded), so the
// kernel is two FMAs per feature pair.
// Complexity: O(elements); the table holds positions * rot_dim floats.
#ifndef TIDEMARK_RUNTIME_KERNELS_ROPE_H_
#define TIDEMARK_RUNTIME_KERNELS_ROPE_H_

#include <cmath>
#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

struct RopeShape {
  int64_t outer = 1;
  int64_t positions = 0;
  int64_t inner = 1;
  int64_t head_dim = 0;
  int64_t rot_dim = 0; // even, <= head_dim
};

// Checks sizes: all >= 0, rot_dim even and in (0, head_dim] when there are elements.
Status ValidateRope(const RopeShape &shape);

// Floats RopeTable writes: positions * rot_dim (cos rows then sin rows, rot_dim / 2 each).
inline int64_t RopeTableFloats(int64_t positions, int64_t rot_dim) { return positions * rot_dim; }

// table[t * half + i] = cos(a), table[positions * half + t * half + i] = sin(a), half =
// rot_dim / 2, a = (position_offset + t) * base^(-2i / rot_dim), computed in double.
// Errors: InvalidArgument for a bad size, base <= 0 or non-finite, negative offset.
Status RopeTable(int64_t positions, int64_t rot_dim, double base, int64_t position_offset,
                 float *table);

// y = the rotation of x (inverse: by -a, the backward). y may alias x. `table` from RopeTable
// for shape.positions and shape.rot_dim.
Status Rope(const RopeShape &shape, const float *table, const float *x, float *y, bool inverse,
            ThreadPool *pool);

// Scalar reference (tests), angles computed directly in T.
template <typename T>
void RopeReference(const RopeShape &s, double base, int64_t position_offset, const T *x, T *y,
                   bool inverse) {
  const int64_t half = s.rot_dim / 2;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t t = 0; t < s.positions; ++t)
      for (int64_t h = 0; h < s.inner; ++h) {
        const int64_t row = ((o * s.positions + t) * s.inner + h) * s.head_dim;
        for (int64_t i = 0; i < half; ++i) {
          const double angle =
              static_cast<double>(position_offset + t) *
              std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(s.rot_dim));
          const T c = static_cast<T>(std::cos(angle));
          const T sn = static_cast<T>(inverse ? -std::sin(angle) : std::sin(angle));
          const T a = x[row + i], b = x[row + i + half];
          y[row + i] = a * c - b * sn;
          y[row + i + half] = a * sn + b * c;
        }
        for (int64_t j = s.rot_dim; j < s.head_dim; ++j)
          y[row + j] = x[row + j];
      }
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_ROPE_H_
