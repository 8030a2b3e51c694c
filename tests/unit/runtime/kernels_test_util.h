// Shared helpers of the kernel-family tests: every-target loop, aligned/misaligned buffers,
// random data, size sweeps around the vector width and tolerance checks.
#ifndef TIDEMARK_TESTS_UNIT_RUNTIME_KERNELS_TEST_UTIL_H_
#define TIDEMARK_TESTS_UNIT_RUNTIME_KERNELS_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "hwy/targets.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace kernels {
namespace testing {

// Sizes around every x86 vector width N in {4, 8, 16}: 1, N-1, N, N+1, 8N+3 and a few more.
inline const std::vector<int64_t> &SweepSizes() {
  static const std::vector<int64_t> sizes = {1,  2,  3,  4,  5,  7,  8,  9,   15,  16,
                                             17, 31, 32, 33, 35, 67, 99, 131, 259, 1031};
  return sizes;
}

// Runs `body` once per compiled-and-supported Highway target, with dispatch forced to it.
template <typename Fn> void ForEachTarget(const Fn &body) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
}

// A float buffer whose data() starts `misalign` floats after a 64-byte boundary.
class Buffer {
public:
  explicit Buffer(int64_t n, int misalign = 0) : storage_(static_cast<size_t>(n) + 32, 0.0f) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(storage_.data());
    const size_t skip = ((64 - address % 64) % 64) / sizeof(float);
    data_ = storage_.data() + skip + misalign;
    size_ = n;
  }
  float *data() { return data_; }
  const float *data() const { return data_; }
  int64_t size() const { return size_; }
  float &operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }
  std::vector<float> ToVector() const { return std::vector<float>(data_, data_ + size_); }
  std::vector<double> ToDouble() const { return std::vector<double>(data_, data_ + size_); }

private:
  std::vector<float> storage_;
  float *data_ = nullptr;
  int64_t size_ = 0;
};

// Scratch storage that hands out a 64-byte aligned pointer to at least `bytes` bytes.
struct Scratch {
  explicit Scratch(size_t bytes) : storage(bytes + 64) {}
  void *data() {
    const uintptr_t address = reinterpret_cast<uintptr_t>(storage.data());
    return storage.data() + (64 - address % 64) % 64;
  }
  std::vector<unsigned char> storage;
};

inline void FillRandom(float *x, int64_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < n; ++i)
    x[i] = dist(rng);
}

inline bool BitIdentical(const float *a, const float *b, int64_t n) {
  // memcmp's pointers must be valid even for n == 0 (an empty vector's data() may be null).
  return n <= 0 || std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
}

// Fails unless |actual[i] - expected[i]| <= abs_tol + rel_tol * |expected[i]| for every i.
template <typename T>
void ExpectAllNear(const float *actual, const T *expected, int64_t n, double abs_tol,
                   double rel_tol, const char *what) {
  int failures = 0;
  for (int64_t i = 0; i < n && failures < 5; ++i) {
    const double e = static_cast<double>(expected[i]);
    const double a = static_cast<double>(actual[i]);
    const double tol = abs_tol + rel_tol * std::fabs(e);
    if (!(std::fabs(a - e) <= tol)) {
      ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << e
                    << " (tolerance " << tol << ")";
      ++failures;
    }
  }
}

// Relative error of a gradient against finite differences, scaled by the gradient's magnitude:
// max_i |g[i] - fd[i]| / max(max_i |fd[i]|, tiny).
inline double GradientError(const float *grad, const std::vector<double> &fd) {
  double max_diff = 0.0, max_ref = 1e-12;
  for (size_t i = 0; i < fd.size(); ++i) {
    max_diff = std::fmax(max_diff, std::fabs(static_cast<double>(grad[i]) - fd[i]));
    max_ref = std::fmax(max_ref, std::fabs(fd[i]));
  }
  return max_diff / max_ref;
}

// Central finite differences in double of a scalar function f(x) at x, step h (relative).
template <typename Fn>
std::vector<double> FiniteDifferences(std::vector<double> x, const Fn &f, double h = 1e-6) {
  std::vector<double> grad(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    const double step = h * std::fmax(1.0, std::fabs(saved));
    x[i] = saved + step;
    const double up = f(x);
    x[i] = saved - step;
    const double down = f(x);
    x[i] = saved;
    grad[i] = (up - down) / (2.0 * step);
  }
  return grad;
}

} // namespace testing
} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_TESTS_UNIT_RUNTIME_KERNELS_TEST_UTIL_H_
