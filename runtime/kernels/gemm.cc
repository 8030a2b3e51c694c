// Gemm dispatch: compiles gemm-inl.h once per Highway target and picks the best one at run time.
#include "runtime/kernels/gemm.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/gemm.cc"
#include "hwy/foreach_target.h" // IWYU pragma: keep

#include "hwy/highway.h"
#include "runtime/kernels/gemm-inl.h"

#if HWY_ONCE
#include <cassert>

#include "hwy/targets.h"
#include "runtime/kernels/gemm_blocking.h"

namespace tidemark {
namespace kernels {

HWY_EXPORT(GemmImpl);
HWY_EXPORT(GemmCompiledTarget);

size_t GemmScratchBytes(int num_threads) {
  const size_t slots = num_threads < 1 ? 1 : static_cast<size_t>(num_threads);
  return slots * gemm_blocking::kTaskScratchFloats * sizeof(float);
}

void Gemm(const GemmParams &p, const float *a, const float *b, float *c, void *scratch,
          ThreadPool *pool) {
  assert(p.batch >= 0 && p.m >= 0 && p.n >= 0 && p.k >= 0);
  // Batch items may share C only when C is empty (m or n is 0: nothing is written).
  assert(p.batch <= 1 || p.stride_c != 0 || p.m == 0 || p.n == 0);
  assert(scratch != nullptr && reinterpret_cast<uintptr_t>(scratch) % 64 == 0);
  HWY_DYNAMIC_DISPATCH(GemmImpl)(p, a, b, c, scratch, pool);
}

void GemmReference(const GemmParams &p, const float *a, const float *b, float *c) {
  for (int64_t item = 0; item < p.batch; ++item) {
    const float *a_item = a + item * p.stride_a;
    const float *b_item = b + item * p.stride_b;
    float *c_item = c + item * p.stride_c;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        double sum = 0.0;
        for (int64_t kk = 0; kk < p.k; ++kk) {
          const float a_value = p.trans_a ? a_item[kk * p.m + i] : a_item[i * p.k + kk];
          const float b_value = p.trans_b ? b_item[j * p.k + kk] : b_item[kk * p.n + j];
          sum += static_cast<double>(a_value) * static_cast<double>(b_value);
        }
        float &out = c_item[i * p.n + j];
        const double scaled_old = p.beta == 0.0f ? 0.0 : static_cast<double>(p.beta) * out;
        out = static_cast<float>(static_cast<double>(p.alpha) * sum + scaled_old);
      }
    }
  }
}

const char *GemmTargetName() { return hwy::TargetName(HWY_DYNAMIC_DISPATCH(GemmCompiledTarget)()); }

} // namespace kernels
} // namespace tidemark
#endif // HWY_ONCE
