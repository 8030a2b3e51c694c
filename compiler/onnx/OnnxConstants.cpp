//===- OnnxConstants.cpp - Tensors known at import time, and folding them ---===//

#include "compiler/onnx/OnnxConstants.h"

#include "onnx/onnx_pb.h"

#include <cstring>

namespace tidemark::onnximport {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 40;

/// Row-major strides of `shape`.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

/// The flat index into a tensor of `shape` (right-aligned in `outShape`, broadcast dimensions of
/// size 1) of the output element whose multi-index is `index`.
int64_t broadcastIndex(const std::vector<int64_t> &index, const std::vector<int64_t> &shape) {
  size_t offset = index.size() - shape.size();
  int64_t flat = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    flat = flat * shape[i] + (shape[i] == 1 ? 0 : index[offset + i]);
  return flat;
}

/// Advances a multi-index over `shape` in row-major order.
void nextIndex(std::vector<int64_t> *index, const std::vector<int64_t> &shape) {
  for (size_t i = shape.size(); i-- > 0;) {
    if (++(*index)[i] < shape[i])
      return;
    (*index)[i] = 0;
  }
}

template <typename T> bool readRaw(const std::string &raw, int64_t count, std::vector<T> *out) {
  if (static_cast<int64_t>(raw.size()) != count * static_cast<int64_t>(sizeof(T)))
    return false;
  std::vector<T> values(static_cast<size_t>(count));
  if (count)
    std::memcpy(values.data(), raw.data(), raw.size()); // x86-64 and ONNX are little-endian.
  *out = std::move(values);
  return true;
}

} // namespace

bool elementKindOf(int32_t onnxType, ElementKind *kind) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    *kind = ElementKind::F32;
    return true;
  case onnx::TensorProto::INT32:
    *kind = ElementKind::I32;
    return true;
  case onnx::TensorProto::INT64:
    *kind = ElementKind::I64;
    return true;
  case onnx::TensorProto::BOOL:
    *kind = ElementKind::Bool;
    return true;
  default:
    return false;
  }
}

std::string onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(onnxType));
  return "type " + std::to_string(onnxType);
}

int64_t HostTensor::numElements() const { return elementCount(shape); }

HostTensor HostTensor::intVector(const std::vector<int64_t> &values) {
  HostTensor t;
  t.kind = ElementKind::I64;
  t.shape = {static_cast<int64_t>(values.size())};
  t.ints = values;
  return t;
}

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && count > kMaxElements / d))
      return -1;
    count *= d;
  }
  return count;
}

std::string describeShape(const std::vector<int64_t> &shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "x" : "") + std::to_string(shape[i]);
  return text.empty() ? "(scalar)" : text;
}

std::string fromTensorProto(const onnx::TensorProto &proto, HostTensor *out) {
  HostTensor t;
  if (!elementKindOf(proto.data_type(), &t.kind))
    return "tensor '" + proto.name() + "' has element type " + onnxTypeName(proto.data_type()) +
           "; the importer reads FLOAT, INT32, INT64 and BOOL";
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  int64_t count = elementCount(t.shape);
  if (count < 0)
    return "tensor '" + proto.name() + "' has a negative or too large shape " +
           describeShape(t.shape);
  bool ok = true;
  if (t.kind == ElementKind::F32) {
    if (proto.has_raw_data())
      ok = readRaw(proto.raw_data(), count, &t.floats);
    else if ((ok = proto.float_data_size() == count))
      t.floats.assign(proto.float_data().begin(), proto.float_data().end());
  } else if (t.kind == ElementKind::I64) {
    if (proto.has_raw_data())
      ok = readRaw(proto.raw_data(), count, &t.ints);
    else if ((ok = proto.int64_data_size() == count))
      t.ints.assign(proto.int64_data().begin(), proto.int64_data().end());
  } else if (t.kind == ElementKind::Bool) {
    std::vector<uint8_t> values;
    if (proto.has_raw_data())
      ok = readRaw(proto.raw_data(), count, &values);
    else if ((ok = proto.int32_data_size() == count))
      values.assign(proto.int32_data().begin(), proto.int32_data().end());
    for (uint8_t v : values)
      t.ints.push_back(v != 0);
  } else {
    std::vector<int32_t> values;
    if (proto.has_raw_data())
      ok = readRaw(proto.raw_data(), count, &values);
    else if ((ok = proto.int32_data_size() == count))
      values.assign(proto.int32_data().begin(), proto.int32_data().end());
    t.ints.assign(values.begin(), values.end());
  }
  if (!ok)
    return "tensor '" + proto.name() +
           "' holds the wrong number of bytes or values for its shape " + describeShape(t.shape);
  *out = std::move(t);
  return "";
}

bool broadcastShapes(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                     std::vector<int64_t> *out) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    shape[i] = da == 1 ? db : da;
  }
  *out = std::move(shape);
  return true;
}

std::string foldBinary(char op, const HostTensor &a, const HostTensor &b, HostTensor *out) {
  HostTensor r;
  r.kind = op == '=' ? ElementKind::Bool : a.kind;
  if (!broadcastShapes(a.shape, b.shape, &r.shape))
    return "shapes " + describeShape(a.shape) + " and " + describeShape(b.shape) +
           " do not broadcast";
  int64_t count = r.numElements();
  std::vector<int64_t> index(r.shape.size(), 0);
  if (r.isFloat())
    r.floats.resize(count);
  else
    r.ints.resize(count);
  for (int64_t i = 0; i < count; ++i, nextIndex(&index, r.shape)) {
    int64_t ia = broadcastIndex(index, a.shape), ib = broadcastIndex(index, b.shape);
    if (op == '=') {
      r.ints[i] = a.at(ia) == b.at(ib);
      continue;
    }
    if (r.isFloat()) {
      float x = a.floats[ia], y = b.floats[ib];
      r.floats[i] = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
      continue;
    }
    int64_t x = a.ints[ia], y = b.ints[ib];
    if (op == '/' && y == 0)
      return "integer division by zero";
    // Wrapping arithmetic through uint64_t: no undefined behaviour on overflow.
    uint64_t ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
    r.ints[i] = op == '+'                     ? static_cast<int64_t>(ux + uy)
                : op == '-'                   ? static_cast<int64_t>(ux - uy)
                : op == '*'                   ? static_cast<int64_t>(ux * uy)
                : (x == INT64_MIN && y == -1) ? x
                                              : x / y;
  }
  *out = std::move(r);
  return "";
}

std::string whereHost(const HostTensor &cond, const HostTensor &a, const HostTensor &b,
                      HostTensor *out) {
  HostTensor r;
  r.kind = a.kind;
  std::vector<int64_t> pair;
  if (!broadcastShapes(cond.shape, a.shape, &pair) || !broadcastShapes(pair, b.shape, &r.shape))
    return "shapes " + describeShape(cond.shape) + ", " + describeShape(a.shape) + " and " +
           describeShape(b.shape) + " do not broadcast";
  int64_t count = r.numElements();
  std::vector<int64_t> index(r.shape.size(), 0);
  for (int64_t i = 0; i < count; ++i, nextIndex(&index, r.shape)) {
    const HostTensor &from = cond.ints[broadcastIndex(index, cond.shape)] ? a : b;
    int64_t at = broadcastIndex(index, from.shape);
    if (r.isFloat())
      r.floats.push_back(from.floats[at]);
    else
      r.ints.push_back(from.ints[at]);
  }
  *out = std::move(r);
  return "";
}

HostTensor castHost(const HostTensor &input, ElementKind to) {
  HostTensor r;
  r.kind = to;
  r.shape = input.shape;
  int64_t count = input.numElements();
  if (to == ElementKind::F32) {
    r.floats.resize(count);
    for (int64_t i = 0; i < count; ++i)
      r.floats[i] = static_cast<float>(input.at(i));
    return r;
  }
  r.ints.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    if (to == ElementKind::Bool) {
      r.ints[i] = input.at(i) != 0;
      continue;
    }
    if (!input.isFloat()) {
      r.ints[i] = to == ElementKind::I32 ? static_cast<int32_t>(input.ints[i]) : input.ints[i];
      continue;
    }
    double v = input.floats[i];
    // Out-of-range and NaN conversions are undefined in C++; saturate them instead.
    r.ints[i] = v != v ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : int64_t(v);
  }
  return r;
}

HostTensor transposeHost(const HostTensor &input, const std::vector<int64_t> &perm) {
  HostTensor r;
  r.kind = input.kind;
  for (int64_t p : perm)
    r.shape.push_back(input.shape[p]);
  std::vector<int64_t> inStrides = stridesOf(input.shape);
  int64_t count = input.numElements();
  std::vector<int64_t> index(r.shape.size(), 0);
  if (r.isFloat())
    r.floats.resize(count);
  else
    r.ints.resize(count);
  for (int64_t i = 0; i < count; ++i, nextIndex(&index, r.shape)) {
    int64_t from = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      from += index[d] * inStrides[perm[d]];
    if (r.isFloat())
      r.floats[i] = input.floats[from];
    else
      r.ints[i] = input.ints[from];
  }
  return r;
}

std::string gatherHost(const HostTensor &data, const HostTensor &indices, int64_t axis,
                       HostTensor *out) {
  HostTensor r;
  r.kind = data.kind;
  r.shape.assign(data.shape.begin(), data.shape.begin() + axis);
  r.shape.insert(r.shape.end(), indices.shape.begin(), indices.shape.end());
  r.shape.insert(r.shape.end(), data.shape.begin() + axis + 1, data.shape.end());
  int64_t outer = elementCount({data.shape.begin(), data.shape.begin() + axis});
  int64_t inner = elementCount({data.shape.begin() + axis + 1, data.shape.end()});
  int64_t extent = data.shape[axis], n = indices.numElements();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < n; ++k) {
      int64_t at = indices.ints[k] < 0 ? indices.ints[k] + extent : indices.ints[k];
      if (at < 0 || at >= extent)
        return "index " + std::to_string(indices.ints[k]) + " is out of range for a dimension of " +
               std::to_string(extent);
      for (int64_t i = 0; i < inner; ++i) {
        int64_t from = (o * extent + at) * inner + i;
        if (r.isFloat())
          r.floats.push_back(data.floats[from]);
        else
          r.ints.push_back(data.ints[from]);
      }
    }
  }
  *out = std::move(r);
  return "";
}

std::string concatHost(const std::vector<const HostTensor *> &inputs, int64_t axis,
                       HostTensor *out) {
  HostTensor r;
  r.kind = inputs[0]->kind;
  r.shape = inputs[0]->shape;
  r.shape[axis] = 0;
  for (const HostTensor *t : inputs) {
    for (size_t d = 0; d < r.shape.size(); ++d)
      if (d != size_t(axis) && (t->shape.size() != r.shape.size() || t->shape[d] != r.shape[d]))
        return "inputs of shapes " + describeShape(inputs[0]->shape) + " and " +
               describeShape(t->shape) + " do not concatenate on axis " + std::to_string(axis);
    r.shape[axis] += t->shape[axis];
  }
  int64_t outer = elementCount({r.shape.begin(), r.shape.begin() + axis});
  for (int64_t o = 0; o < outer; ++o) {
    for (const HostTensor *t : inputs) {
      int64_t block = elementCount({t->shape.begin() + axis, t->shape.end()});
      for (int64_t i = 0; i < block; ++i) {
        if (r.isFloat())
          r.floats.push_back(t->floats[o * block + i]);
        else
          r.ints.push_back(t->ints[o * block + i]);
      }
    }
  }
  *out = std::move(r);
  return "";
}

HostTensor sliceHost(const HostTensor &input, const std::vector<int64_t> &start,
                     const std::vector<int64_t> &sizes) {
  HostTensor r;
  r.kind = input.kind;
  r.shape = sizes;
  std::vector<int64_t> inStrides = stridesOf(input.shape);
  int64_t count = r.numElements();
  std::vector<int64_t> index(sizes.size(), 0);
  for (int64_t i = 0; i < count; ++i, nextIndex(&index, sizes)) {
    int64_t from = 0;
    for (size_t d = 0; d < sizes.size(); ++d)
      from += (start[d] + index[d]) * inStrides[d];
    if (r.isFloat())
      r.floats.push_back(input.floats[from]);
    else
      r.ints.push_back(input.ints[from]);
  }
  return r;
}

} // namespace tidemark::onnximport
