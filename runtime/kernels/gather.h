// Embedding lookup (gather of table rows by i32 ids) and its gradient (scatter-add).
//
// Gather: out[i, :] = table[ids[i], :] for i in [0, count); every id is checked against the
// table's row count before anything is written. Tasks are blocks of ids (row copies).
// GatherGrad (scatter-add): d_table = 0, then d_table[ids[i], :] += dy[i, :] for i = 0, 1, ...
// in that order. Tasks own disjoint COLUMN chunks of the table and each walks all ids in index
// order, so every element's additions happen in the same order for any thread count: results are
// bit-identical across runs and threads without atomics or per-thread copies of the table.
// Complexity: Gather O(count * dim); GatherGrad O(rows * dim) to clear plus O(count * dim); no
// extra memory.
#ifndef TIDEMARK_RUNTIME_KERNELS_GATHER_H_
#define TIDEMARK_RUNTIME_KERNELS_GATHER_H_

#include <cstdint>

#include "tidemark/status.h"

namespace tidemark {
class ThreadPool;
namespace kernels {

// Checks sizes (>= 0) and that every id is in [0, rows): OutOfRange naming the first bad
// position and id, InvalidArgument for bad sizes or null pointers.
Status ValidateGather(int64_t rows, int64_t dim, const int32_t *ids, int64_t count);

// out (count x dim) = the table rows (rows x dim) named by ids. out must not overlap table.
Status Gather(const float *table, int64_t rows, int64_t dim, const int32_t *ids, int64_t count,
              float *out, ThreadPool *pool);

// d_table (rows x dim, overwritten) = the scatter-add of dy (count x dim) at ids.
Status GatherGrad(const int32_t *ids, int64_t count, const float *dy, int64_t rows, int64_t dim,
                  float *d_table, ThreadPool *pool);

// Scalar references (tests). T is float or double.
template <typename T>
void GatherReference(const T *table, int64_t dim, const int32_t *ids, int64_t count, T *out) {
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < dim; ++j)
      out[i * dim + j] = table[static_cast<int64_t>(ids[i]) * dim + j];
}

template <typename T>
void GatherGradReference(const int32_t *ids, int64_t count, const T *dy, int64_t rows, int64_t dim,
                         T *d_table) {
  for (int64_t k = 0; k < rows * dim; ++k)
    d_table[k] = T(0);
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < dim; ++j)
      d_table[static_cast<int64_t>(ids[i]) * dim + j] += dy[i * dim + j];
}

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_GATHER_H_
