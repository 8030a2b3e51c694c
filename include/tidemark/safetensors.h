// Weights files: read and write the safetensors format (what PyTorch and others exchange).
//
// Layout of a file: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON
//   {"<name>": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"<key>": "<string value>", ...}}
// (padded with spaces so the data starts 8-byte aligned); then the data: every tensor's raw
// little-endian bytes at [begin, end) relative to the start of the data. Tidemark reads and
// writes the dtypes F32 and I32.
//
// Validation on read (each failure a Status with a message naming the tensor and the numbers):
// file shorter than 8 bytes or than its header length (DataLoss); header not a JSON object, a
// tensor entry with missing, extra, duplicate or mistyped fields, a negative or overflowing
// shape (DataLoss); a dtype that is not a safetensors dtype (DataLoss) or one Tidemark does not
// read, e.g. F16 (Unimplemented); data_offsets beyond the data, with begin > end, not matching
// the shape's byte size, overlapping another tensor, or leaving a gap or trailing bytes
// (DataLoss); a name used twice (DataLoss). A corrupt file never crashes the reader.
//
// Thread-safety: the functions share no state. Ownership: results are returned by value.
#ifndef TIDEMARK_SAFETENSORS_H_
#define TIDEMARK_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tidemark/status.h"
#include "tidemark/types.h"

namespace tidemark {

// One named tensor: element type, shape and raw little-endian bytes.
struct WeightTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes; // product(shape) * DTypeSize(dtype) bytes.

  // An F32 tensor holding `values` (values.size() must equal product(shape); checked on write).
  static WeightTensor FromFloats(std::string name, std::vector<int64_t> shape,
                                 const std::vector<float> &values);
  // Copies the elements into `out` (resized). FailedPrecondition unless dtype is F32.
  Status ToFloats(std::vector<float> *out) const;
  // product(shape) (1 for a scalar).
  int64_t NumElements() const;
};

// The tensors of a file in data order, and the string metadata.
struct WeightsFile {
  std::vector<WeightTensor> tensors;
  std::map<std::string, std::string> metadata;

  // The tensor named `name`, or nullptr. O(number of tensors).
  const WeightTensor *Find(const std::string &name) const;
};

// Parses a complete safetensors image held in memory. On error `*out` is left empty.
Status ParseSafetensors(const uint8_t *data, size_t size, WeightsFile *out);

// Reads `path` (NotFound when it cannot be opened). Reads each tensor straight into its buffer,
// so the peak memory is the file size plus the header.
Status ReadSafetensors(const std::string &path, WeightsFile *out);

// Serializes `file` (InvalidArgument for an empty, duplicate or reserved name, an unsupported
// shape, or a byte count that does not match the shape). Tensors are laid out in vector order.
Status SerializeSafetensors(const WeightsFile &file, std::vector<uint8_t> *out);

// Writes `file` to `path` atomically: to a temporary file in the same directory, then renamed
// over `path`; on any error `path` is untouched and the temporary file removed.
Status WriteSafetensors(const std::string &path, const WeightsFile &file);

} // namespace tidemark

#endif // TIDEMARK_SAFETENSORS_H_
