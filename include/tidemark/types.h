// Element types and tensor descriptions shared by the embedding API and the plan builder.
#ifndef TIDEMARK_TYPES_H_
#define TIDEMARK_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tidemark {

// Element type of a tensor. Values match the plan format's `DType` enum.
enum class DType : uint8_t { kF32 = 0, kI32 = 1 };

// Bytes per element.
inline size_t DTypeSize(DType dtype) {
  switch (dtype) {
  case DType::kF32:
    return sizeof(float);
  case DType::kI32:
    return sizeof(int32_t);
  }
  return 0;
}
// "f32" or "i32".
inline const char *DTypeName(DType dtype) { return dtype == DType::kF32 ? "f32" : "i32"; }

// Name, element type and shape of a bound tensor (input, output or parameter).
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  size_t size_bytes = 0;
};

} // namespace tidemark

#endif // TIDEMARK_TYPES_H_
