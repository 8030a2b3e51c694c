//===- ShapeRules.h - IR-free shape inference of the tide forward ops -----===//
//
// The shape rules of the tide dialect's forward ops (compiler/dialect/TideOps.cpp), restated on
// plain shape vectors so that the IR-free model builder reports the same errors before any MLIR
// is involved. Every function returns "" on success (filling `*result` where it has one) or an
// error message naming the shapes and the rule they break. All are O(rank) or O(rank^2).
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_BUILDER_SHAPERULES_H
#define TIDEMARK_COMPILER_BUILDER_SHAPERULES_H

#include <cstdint>
#include <string>
#include <vector>

namespace tidemark::builder::detail {

using Shape = std::vector<int64_t>;

/// The runtime executes tensors of rank <= 6 (runtime/kernels/shape.h).
constexpr int64_t kMaxRank = 6;

/// "[2, 16, 32]".
std::string formatShape(const Shape &shape);

/// Checks a declared shape: rank <= kMaxRank, every dimension >= 1, element count < 2^48.
std::string checkDeclaredShape(const Shape &shape);

/// Maps `axis` in [-rank, rank) to [0, rank).
std::string normalizeAxis(int64_t axis, int64_t rank, const std::string &what, int64_t *result);

/// NumPy broadcasting of two shapes.
std::string broadcastShapes(const Shape &lhs, const Shape &rhs, Shape *result);

/// Batched matmul with optional transposes of the last two dimensions.
std::string inferMatmul(const Shape &lhs, const Shape &rhs, bool transposeLhs, bool transposeRhs,
                        Shape *result);

/// Layer norm over [axis, rank): scale and bias have exactly the normalized shape.
std::string checkLayerNorm(const Shape &input, const Shape &scale, const Shape &bias, int64_t axis,
                           double epsilon);

/// Reduction over distinct axes, keeping them as 1s or dropping them.
std::string inferReduce(const Shape &input, const std::vector<int64_t> &axes, bool keepDims,
                        Shape *result);

/// result[i] = input[permutation[i]].
std::string inferTranspose(const Shape &input, const std::vector<int64_t> &permutation,
                           Shape *result);

/// A reshape keeps the element count.
std::string checkReshape(const Shape &input, const Shape &target);

/// Attention operands: rank 4, key == value shape, batch and head_dim agree, query heads a
/// multiple of key/value heads, key lengths (if any) [batch], scale > 0 and finite, positive
/// chunks.
std::string checkAttention(const Shape &query, const Shape &key, const Shape &value, double scale,
                           int64_t queryChunk, int64_t keyChunk, const Shape *keyLengths = nullptr);

/// Softmax cross-entropy: labels shape == logits shape without its last (class) dimension.
std::string checkSoftmaxCrossEntropy(const Shape &logits, const Shape &labels);

/// Gather: table [rows, dim]; the result is ids.shape + [dim].
std::string inferGather(const Shape &table, const Shape &ids, Shape *result);

/// RMS norm over [axis, rank): scale has exactly the normalized shape; epsilon positive as f32.
std::string checkRmsNorm(const Shape &input, const Shape &scale, int64_t axis, double epsilon);

/// Rope: rank 4, rot_dim even in [2, head_dim], base positive and finite, offset in [0, 2^31-1].
std::string checkRope(const Shape &input, double base, int64_t rotDim, int64_t offset);

/// Dropout: p in [0, 1) after rounding to f32.
std::string checkDropout(double p);

/// LM head loss: hidden [rows, dim], weight [vocab, dim], labels [rows], bias (if any) [vocab],
/// ignore_index a 32-bit integer, chunks in [1, 2^31 - 1], one logit block <= 2^40 bytes.
std::string checkLmHeadLoss(const Shape &hidden, const Shape &weight, const Shape &labels,
                            const Shape *bias, int64_t ignoreIndex, int64_t rowChunk,
                            int64_t vocabChunk);

/// Product of the dimensions (1 for a scalar).
int64_t numElements(const Shape &shape);

} // namespace tidemark::builder::detail

#endif // TIDEMARK_COMPILER_BUILDER_SHAPERULES_H
