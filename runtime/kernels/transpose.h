// Transpose: any axis permutation of a dense f32 tensor up to rank 6 (the backward of a
// transpose is the transpose by the inverse permutation).
//
// Algorithm:
//   1. Validate the permutation; output axis i has size in.dims[perm[i]] and input stride
//      in_stride[perm[i]].
//   2. Drop size-1 output axes and merge neighbouring output axes that are also neighbours, in
//      order, in the input (their elements stay contiguous).
//   3. If the innermost remaining output axis is contiguous in the input, every output row is a
//      plain copy. Otherwise the 2-D plane (input-innermost axis p, output-innermost axis q) is
//      transposed in 16 x 16 cache tiles made of 4 x 4 SIMD register transposes, once per
//      combination of the other axes.
// Complexity: O(elements) time; each tile's 4 KiB input and output stay in L1. No extra memory.
#ifndef TIDEMARK_RUNTIME_KERNELS_TRANSPOSE_H_
#define TIDEMARK_RUNTIME_KERNELS_TRANSPOSE_H_

#include <cstdint>

#include "runtime/kernels/shape.h"
#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// InvalidArgument unless perm[0, rank) is a permutation of 0..rank-1 and rank <= kMaxRank.
Status ValidatePermutation(int rank, const int *perm);

// out.dims[i] = in.dims[perm[i]] (perm must be valid).
Shape TransposedShape(const Shape &in_shape, const int *perm);

// inverse[perm[i]] = i: the permutation that undoes perm (the transpose's backward).
void InversePermutation(int rank, const int *perm, int *inverse);

// out (TransposedShape(in_shape, perm)) = in with its axes permuted; out must not overlap in.
// Errors: InvalidArgument for a bad shape or permutation (nothing written).
Status Transpose(const Shape &in_shape, const float *in, const int *perm, float *out,
                 ThreadPool *pool);

// Scalar reference (tests): walks the output in order and gathers from the input.
template <typename T>
Status TransposeReference(const Shape &in_shape, const T *in, const int *perm, T *out) {
  TIDEMARK_RETURN_IF_ERROR(ValidatePermutation(in_shape.rank, perm));
  const Shape out_shape = TransposedShape(in_shape, perm);
  int64_t in_strides[kMaxRank];
  int64_t stride = 1;
  for (int axis = in_shape.rank - 1; axis >= 0; --axis) {
    in_strides[axis] = stride;
    stride *= in_shape.dims[axis];
  }
  const int64_t n = out_shape.NumElements();
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i, offset = 0;
    for (int axis = out_shape.rank - 1; axis >= 0; --axis) {
      offset += (rest % out_shape.dims[axis]) * in_strides[perm[axis]];
      rest /= out_shape.dims[axis];
    }
    out[i] = in[offset];
  }
  return Status::Ok();
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_TRANSPOSE_H_
