//===- ShapeRules.cpp - IR-free shape inference of the tide forward ops ---===//
//
// Mirrors the inferReturnTypes rules of compiler/dialect/TideOps.cpp on plain vectors.
//
//===----------------------------------------------------------------------===//

#include "compiler/builder/ShapeRules.h"

#include <algorithm>
#include <cmath>

namespace tidemark::builder::detail {

std::string formatShape(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t numElements(const Shape &shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

std::string checkDeclaredShape(const Shape &shape) {
  if (static_cast<int64_t>(shape.size()) > kMaxRank)
    return "shape " + formatShape(shape) + " has rank " + std::to_string(shape.size()) +
           "; the runtime supports rank <= " + std::to_string(kMaxRank);
  constexpr int64_t kMaxElements = int64_t(1) << 48;
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 1)
      return "shape " + formatShape(shape) + " has a dimension " + std::to_string(dim) +
             "; every dimension must be >= 1";
    if (count > kMaxElements / dim)
      return "shape " + formatShape(shape) + " has more than 2^48 elements";
    count *= dim;
  }
  return "";
}

std::string normalizeAxis(int64_t axis, int64_t rank, const std::string &what, int64_t *result) {
  if (axis < -rank || axis >= rank)
    return what + " " + std::to_string(axis) + " is out of range for a tensor of rank " +
           std::to_string(rank) + " (expected an axis in [" + std::to_string(-rank) + ", " +
           std::to_string(rank) + "))";
  *result = axis < 0 ? axis + rank : axis;
  return "";
}

std::string broadcastShapes(const Shape &lhs, const Shape &rhs, Shape *result) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t r = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    if (l != r && l != 1 && r != 1)
      return formatShape(lhs) + " and " + formatShape(rhs) +
             " are not broadcast-compatible (trailing dimensions must be equal or 1)";
    shape[rank - 1 - i] = l == 1 ? r : l;
  }
  *result = std::move(shape);
  return "";
}

std::string inferMatmul(const Shape &lhs, const Shape &rhs, bool transposeLhs, bool transposeRhs,
                        Shape *result) {
  if (lhs.size() < 2 || rhs.size() < 2)
    return "operands must have rank >= 2, got lhs " + formatShape(lhs) + " and rhs " +
           formatShape(rhs);
  int64_t lhsRows = lhs[lhs.size() - 2], lhsCols = lhs.back();
  int64_t rhsRows = rhs[rhs.size() - 2], rhsCols = rhs.back();
  int64_t m = transposeLhs ? lhsCols : lhsRows;
  int64_t lhsK = transposeLhs ? lhsRows : lhsCols;
  int64_t rhsK = transposeRhs ? rhsCols : rhsRows;
  int64_t n = transposeRhs ? rhsRows : rhsCols;
  if (lhsK != rhsK)
    return "inner dimensions do not match: lhs " + formatShape(lhs) +
           (transposeLhs ? " (transposed)" : "") + " has K = " + std::to_string(lhsK) +
           " but rhs " + formatShape(rhs) + (transposeRhs ? " (transposed)" : "") +
           " has K = " + std::to_string(rhsK);
  Shape batch;
  std::string error =
      broadcastShapes(Shape(lhs.begin(), lhs.end() - 2), Shape(rhs.begin(), rhs.end() - 2), &batch);
  if (!error.empty())
    return "batch dimensions " + error;
  batch.push_back(m);
  batch.push_back(n);
  *result = std::move(batch);
  return "";
}

std::string checkLayerNorm(const Shape &input, const Shape &scale, const Shape &bias, int64_t axis,
                           double epsilon) {
  if (input.empty())
    return "input must have rank >= 1";
  int64_t normalizedAxis = 0;
  std::string error = normalizeAxis(axis, input.size(), "axis", &normalizedAxis);
  if (!error.empty())
    return error;
  Shape normalized(input.begin() + normalizedAxis, input.end());
  if (scale != normalized)
    return "scale shape " + formatShape(scale) + " must equal the normalized shape " +
           formatShape(normalized);
  if (bias != normalized)
    return "bias shape " + formatShape(bias) + " must equal the normalized shape " +
           formatShape(normalized);
  if (!(epsilon > 0.0) || !std::isfinite(epsilon))
    return "epsilon must be positive and finite, got " + std::to_string(epsilon);
  return "";
}

std::string inferReduce(const Shape &input, const std::vector<int64_t> &axes, bool keepDims,
                        Shape *result) {
  if (axes.empty())
    return "axes must not be empty";
  std::vector<bool> reduced(input.size(), false);
  for (int64_t axis : axes) {
    int64_t normalized = 0;
    std::string error = normalizeAxis(axis, input.size(), "reduction axis", &normalized);
    if (!error.empty())
      return error;
    if (reduced[normalized])
      return "reduction axis " + std::to_string(axis) + " is listed more than once";
    reduced[normalized] = true;
  }
  Shape shape;
  for (size_t i = 0; i < input.size(); ++i) {
    if (!reduced[i])
      shape.push_back(input[i]);
    else if (keepDims)
      shape.push_back(1);
  }
  *result = std::move(shape);
  return "";
}

std::string inferTranspose(const Shape &input, const std::vector<int64_t> &permutation,
                           Shape *result) {
  int64_t rank = input.size();
  if (static_cast<int64_t>(permutation.size()) != rank)
    return "permutation " + formatShape(permutation) + " has " +
           std::to_string(permutation.size()) + " entries but the input has rank " +
           std::to_string(rank);
  std::vector<bool> seen(rank, false);
  Shape shape;
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= rank)
      return "permutation " + formatShape(permutation) + " entry " + std::to_string(dim) +
             " is out of range [0, " + std::to_string(rank) + ")";
    if (seen[dim])
      return "permutation " + formatShape(permutation) + " lists dimension " + std::to_string(dim) +
             " more than once";
    seen[dim] = true;
    shape.push_back(input[dim]);
  }
  *result = std::move(shape);
  return "";
}

std::string checkReshape(const Shape &input, const Shape &target) {
  std::string error = checkDeclaredShape(target);
  if (!error.empty())
    return "target " + error;
  if (numElements(input) != numElements(target))
    return "cannot reshape " + formatShape(input) + " (" + std::to_string(numElements(input)) +
           " elements) to " + formatShape(target) + " (" + std::to_string(numElements(target)) +
           " elements)";
  return "";
}

std::string checkAttention(const Shape &query, const Shape &key, const Shape &value, double scale,
                           int64_t queryChunk, int64_t keyChunk, const Shape *keyLengths) {
  const std::pair<const char *, const Shape *> operands[] = {
      {"query", &query}, {"key", &key}, {"value", &value}};
  for (const auto &[name, shape] : operands)
    if (shape->size() != 4)
      return std::string(name) + " must have rank 4 [batch, heads, seq, head_dim], got " +
             formatShape(*shape);
  if (key != value)
    return "key " + formatShape(key) + " and value " + formatShape(value) +
           " must have the same shape";
  if (query[0] != key[0])
    return "query " + formatShape(query) + " and key " + formatShape(key) + " must agree in batch";
  if (key[1] >= 1 && query[1] % key[1] != 0)
    return "query heads " + std::to_string(query[1]) + " are not a multiple of key/value heads " +
           std::to_string(key[1]);
  if (query[3] != key[3])
    return "query head_dim " + std::to_string(query[3]) + " does not match key head_dim " +
           std::to_string(key[3]);
  if (keyLengths && *keyLengths != Shape{query[0]})
    return "key_lengths " + formatShape(*keyLengths) + " must be [batch] = [" +
           std::to_string(query[0]) + "]";
  if (!(scale > 0.0) || !std::isfinite(scale))
    return "scale must be positive and finite, got " + std::to_string(scale);
  if (queryChunk <= 0 || keyChunk <= 0)
    return "chunk sizes must be positive, got [" + std::to_string(queryChunk) + ", " +
           std::to_string(keyChunk) + "]";
  return "";
}

std::string checkSoftmaxCrossEntropy(const Shape &logits, const Shape &labels) {
  if (logits.empty())
    return "logits must have rank >= 1 ([rows..., classes])";
  Shape rows(logits.begin(), logits.end() - 1);
  if (labels != rows)
    return "labels shape " + formatShape(labels) + " must equal the logits' row shape " +
           formatShape(rows) + " (logits " + formatShape(logits) + " without the class dimension)";
  return "";
}

std::string inferGather(const Shape &table, const Shape &ids, Shape *result) {
  if (table.size() != 2)
    return "table must have rank 2 [rows, dim], got " + formatShape(table);
  Shape shape = ids;
  shape.push_back(table[1]);
  if (static_cast<int64_t>(shape.size()) > kMaxRank)
    return "result shape " + formatShape(shape) + " (ids " + formatShape(ids) +
           " plus the table's dim) has rank " + std::to_string(shape.size()) +
           "; the runtime supports rank <= " + std::to_string(kMaxRank);
  *result = std::move(shape);
  return "";
}

std::string checkRmsNorm(const Shape &input, const Shape &scale, int64_t axis, double epsilon) {
  if (input.empty())
    return "input must have rank >= 1";
  int64_t normalizedAxis = 0;
  std::string error = normalizeAxis(axis, input.size(), "axis", &normalizedAxis);
  if (!error.empty())
    return error;
  Shape normalized(input.begin() + normalizedAxis, input.end());
  if (scale != normalized)
    return "scale shape " + formatShape(scale) + " must equal the normalized shape " +
           formatShape(normalized);
  float epsilon32 = static_cast<float>(epsilon);
  if (!(epsilon32 > 0.0f) || !std::isfinite(epsilon32))
    return "epsilon must be positive and finite (as a 32-bit float), got " +
           std::to_string(epsilon);
  return "";
}

std::string checkRope(const Shape &input, double base, int64_t rotDim, int64_t offset) {
  if (input.size() != 4)
    return "input must have rank 4 ([batch, seq, heads, head_dim] or [batch, heads, seq, "
           "head_dim]), got " +
           formatShape(input);
  if (rotDim < 2 || rotDim % 2 != 0 || rotDim > input[3])
    return "rot_dim must be even and in [2, head_dim = " + std::to_string(input[3]) + "], got " +
           std::to_string(rotDim);
  if (!(base > 0.0) || !std::isfinite(base))
    return "base must be positive and finite, got " + std::to_string(base);
  if (offset < 0 || offset > 2147483647)
    return "offset must be in [0, 2147483647], got " + std::to_string(offset);
  return "";
}

std::string checkDropout(double p) {
  float p32 = static_cast<float>(p);
  if (!(p32 >= 0.0f && p32 < 1.0f))
    return "p must be in [0, 1) (as a 32-bit float), got " + std::to_string(p);
  return "";
}

std::string checkLmHeadLoss(const Shape &hidden, const Shape &weight, const Shape &labels,
                            const Shape *bias, int64_t ignoreIndex, int64_t rowChunk,
                            int64_t vocabChunk) {
  if (hidden.size() != 2 || weight.size() != 2)
    return "hidden must be [rows, dim] and weight [vocab, dim], got " + formatShape(hidden) +
           " and " + formatShape(weight);
  int64_t rows = hidden[0], dim = hidden[1], vocab = weight[0];
  if (weight[1] != dim)
    return "weight " + formatShape(weight) + " must have the hidden dim " + std::to_string(dim) +
           " ([vocab, dim])";
  if (labels != Shape{rows})
    return "labels " + formatShape(labels) + " must be [rows] = [" + std::to_string(rows) + "]";
  if (bias && *bias != Shape{vocab})
    return "bias " + formatShape(*bias) + " must be [vocab] = [" + std::to_string(vocab) + "]";
  if (ignoreIndex < -2147483648LL || ignoreIndex > 2147483647LL)
    return "ignore_index must be a 32-bit integer, got " + std::to_string(ignoreIndex);
  constexpr int64_t kMaxChunk = 2147483647;
  if (rowChunk < 1 || vocabChunk < 1 || rowChunk > kMaxChunk || vocabChunk > kMaxChunk)
    return "chunks must be in [1, 2147483647], got [" + std::to_string(rowChunk) + ", " +
           std::to_string(vocabChunk) + "]";
  int64_t blockRows = std::min(rowChunk, rows), blockCols = std::min(vocabChunk, vocab);
  if (blockRows > (int64_t(1) << 40) / 4 / blockCols)
    return "logit block of " + std::to_string(blockRows) + " x " + std::to_string(blockCols) +
           " floats is larger than the 2^40-byte limit of one buffer";
  return "";
}

} // namespace tidemark::builder::detail
