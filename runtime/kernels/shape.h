// Shape: the dense row-major tensor shape every kernel takes (rank <= kMaxRank, static dims).
#ifndef TIDEMARK_RUNTIME_KERNELS_SHAPE_H_
#define TIDEMARK_RUNTIME_KERNELS_SHAPE_H_

#include <cstdint>
#include <initializer_list>

namespace tidemark {
namespace kernels {

constexpr int kMaxRank = 6;

struct Shape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};

  Shape() = default;
  Shape(std::initializer_list<int64_t> list) {
    for (int64_t d : list) {
      if (rank < kMaxRank)
        dims[rank++] = d;
    }
  }
  int64_t NumElements() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i)
      n *= dims[i];
    return n;
  }
  bool operator==(const Shape &other) const {
    if (rank != other.rank)
      return false;
    for (int i = 0; i < rank; ++i)
      if (dims[i] != other.dims[i])
        return false;
    return true;
  }
  bool operator!=(const Shape &other) const { return !(*this == other); }
};

} // namespace kernels
} // namespace tidemark

#endif // TIDEMARK_RUNTIME_KERNELS_SHAPE_H_
