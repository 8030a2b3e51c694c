//===- OnnxConstants.h - Tensors known at import time, and folding them --*- C++ -*-===//
//
// The ONNX importer folds what does not depend on the graph inputs: Constant nodes, integer
// initializers, and the shape arithmetic PyTorch exports around Reshape (Shape -> Gather ->
// Unsqueeze -> Concat, Cast, Add/Mul on shapes). A HostTensor holds such a value; the functions
// here read ONNX TensorProtos into it and evaluate the ops on it, with ONNX's semantics (NumPy
// broadcasting, negative axes and indices). Plain C++, no MLIR. Each fold is O(result size).
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_ONNX_ONNXCONSTANTS_H
#define TIDEMARK_COMPILER_ONNX_ONNXCONSTANTS_H

#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace tidemark::onnximport {

/// The ONNX element types the importer reads. BOOL tensors (masks) are held as 0/1 integers and
/// are i32 in tide, as tide.where's condition.
enum class ElementKind { F32, I32, I64, Bool };

/// The ElementKind of an ONNX TensorProto::DataType; false for the others.
bool elementKindOf(int32_t onnxType, ElementKind *kind);
/// "FLOAT", "INT64", "BOOL", ... for an ONNX TensorProto::DataType.
std::string onnxTypeName(int32_t onnxType);

/// A tensor known at import time: floats for F32, ints (int64) for I32 and I64.
struct HostTensor {
  ElementKind kind = ElementKind::F32;
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  bool isFloat() const { return kind == ElementKind::F32; }
  int64_t numElements() const;
  /// Element i as a double (either storage).
  double at(int64_t i) const { return isFloat() ? floats[i] : static_cast<double>(ints[i]); }
  static HostTensor intVector(const std::vector<int64_t> &values);
};

/// product(shape), or -1 if a dimension is negative or the product exceeds 2^40.
int64_t elementCount(const std::vector<int64_t> &shape);

/// Reads an ONNX tensor (raw_data or the typed fields). Returns an error or "".
std::string fromTensorProto(const onnx::TensorProto &proto, HostTensor *out);

/// NumPy broadcasting of two shapes; false if they do not broadcast.
bool broadcastShapes(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                     std::vector<int64_t> *out);

/// a OP b elementwise with broadcasting, OP one of + - * / (integers: division truncates, a zero
/// divisor is an error) or = (ONNX Equal: a Bool result). Both operands have the same kind.
/// Returns an error or "".
std::string foldBinary(char op, const HostTensor &a, const HostTensor &b, HostTensor *out);

/// ONNX Where: cond ? a : b elementwise, the three broadcasting together (a and b of one kind).
std::string whereHost(const HostTensor &cond, const HostTensor &a, const HostTensor &b,
                      HostTensor *out);

/// Element conversion (float -> int truncates toward zero, as a C cast; to Bool: nonzero is 1).
HostTensor castHost(const HostTensor &input, ElementKind to);

/// The permutation of `input` (perm is a permutation of [0, rank)).
HostTensor transposeHost(const HostTensor &input, const std::vector<int64_t> &perm);

/// ONNX Gather along `axis` (already in [0, rank)); indices may be negative. Returns an error
/// (an index out of range) or "".
std::string gatherHost(const HostTensor &data, const HostTensor &indices, int64_t axis,
                       HostTensor *out);

/// ONNX Concat along `axis` (in [0, rank)); all inputs of the same kind and rank, equal outside
/// the axis. Returns an error or "".
std::string concatHost(const std::vector<const HostTensor *> &inputs, int64_t axis,
                       HostTensor *out);

/// The box of `input` starting at `start` with extent `sizes` (one entry per dimension, in
/// range).
HostTensor sliceHost(const HostTensor &input, const std::vector<int64_t> &start,
                     const std::vector<int64_t> &sizes);

/// "2x3x4" ("(scalar)" for rank 0).
std::string describeShape(const std::vector<int64_t> &shape);

} // namespace tidemark::onnximport

#endif // TIDEMARK_COMPILER_ONNX_ONNXCONSTANTS_H
