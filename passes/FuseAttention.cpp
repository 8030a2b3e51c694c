//===- FuseAttention.cpp - tide-fuse-attention ----------------------------===//
//
// Recognizes decomposed scaled dot-product attention (what torch.onnx.export writes and the
// ONNX importer maps 1:1) and replaces it by one tide.attention. The algorithm and its worked
// example are in docs/passes/tide-fuse-attention.md.
//
//===----------------------------------------------------------------------===//

#include "passes/FusionUtils.h"
#include "passes/Passes.h"

#include "compiler/dialect/TideOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <cmath>
#include <optional>

#define DEBUG_TYPE "tide-fuse-attention"

namespace mlir::tide {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using mlir::tide::eraseDeadChain;
using mlir::tide::recordFusions;
using mlir::tide::splatConstant;

namespace {

/// A masked score at or below this is treated as -inf: exp(s - max) is exactly 0 in f32 for
/// every score whose distance to the row maximum exceeds ~104, which a mask of -1e9 guarantees
/// for scores below 1e8 in magnitude.
constexpr double kMaskedLimit = -1e9;

/// The elements of a constant mask condition: an integer constant, or a tide.cast of a float
/// constant (what the importer writes for a folded BOOL tensor).
std::optional<DenseElementsAttr> maskConstant(Value value) {
  if (auto cast = value.getDefiningOp<tide::CastOp>())
    value = cast.getInput();
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return attr;
}

/// Reads element i of a constant as a double.
double elementAt(DenseElementsAttr attr, int64_t i) {
  if (attr.isSplat())
    i = 0;
  if (isa<FloatType>(attr.getElementType()))
    return (*(attr.value_begin<APFloat>() + i)).convertToDouble();
  return static_cast<double>((*(attr.value_begin<APInt>() + i)).getSExtValue());
}

/// True when `attr` (shape [1, ..., 1, seqQ, seqK]) hides exactly the keys j > i + seqK - seqQ
/// of every query i; `isMasked` decides from an element whether it hides its key. With fewer
/// keys than queries the first rows would see no key at all (softmax of -inf only: NaN, where
/// tide.attention writes 0), so such a mask is not accepted.
template <typename IsMasked>
bool isCausalMask(DenseElementsAttr attr, int64_t seqQ, int64_t seqK, IsMasked isMasked) {
  auto type = cast<ShapedType>(attr.getType());
  int64_t rank = type.getRank();
  if (seqK < seqQ || rank < 2 || type.getDimSize(rank - 2) != seqQ ||
      type.getDimSize(rank - 1) != seqK)
    return false;
  for (int64_t d = 0; d + 2 < rank; ++d)
    if (type.getDimSize(d) != 1)
      return false;
  for (int64_t i = 0; i < seqQ; ++i)
    for (int64_t j = 0; j < seqK; ++j) {
      bool hidden = j > i + (seqK - seqQ);
      if (isMasked(elementAt(attr, i * seqK + j)) != hidden)
        return false;
    }
  return true;
}

/// Peels a multiplication or division by a scalar constant off `value` (when it has one use):
/// returns the scaled value and multiplies `scale` by the factor.
Value peelScale(Value value, double &scale, bool &nonConstant) {
  Operation *op = value.getDefiningOp();
  if (!op || !value.hasOneUse())
    return value;
  auto resultType = cast<RankedTensorType>(value.getType());
  auto sameShape = [&](Value v) { return v.getType() == resultType; };
  if (auto mul = dyn_cast<tide::MulOp>(op)) {
    for (int side = 0; side < 2; ++side) {
      Value x = side == 0 ? mul.getLhs() : mul.getRhs();
      Value c = side == 0 ? mul.getRhs() : mul.getLhs();
      if (!sameShape(x))
        continue;
      if (std::optional<double> factor = splatConstant(c)) {
        scale *= *factor;
        return x;
      }
    }
    nonConstant = true;
  } else if (auto div = dyn_cast<tide::DivOp>(op)) {
    if (sameShape(div.getLhs())) {
      if (std::optional<double> d = splatConstant(div.getRhs()); d && *d != 0.0) {
        scale /= *d;
        return div.getLhs();
      }
      nonConstant = true;
    }
  }
  return value;
}

/// The [B, H, T, D] key behind a [B, H, D, T] transposed operand, or null.
Value untransposeKey(OpBuilder &b, Value keyT) {
  auto transpose = keyT.getDefiningOp<tide::TransposeOp>();
  if (!transpose)
    return nullptr;
  SmallVector<int64_t> perm(transpose.getPermutation());
  if (perm.size() != 4)
    return nullptr;
  std::swap(perm[2], perm[3]);
  Value source = transpose.getInput();
  bool identity = true;
  for (int64_t d = 0; d < 4; ++d)
    identity = identity && perm[d] == d;
  if (identity)
    return source;
  b.setInsertionPoint(transpose);
  return b.create<tide::TransposeOp>(transpose.getLoc(), source, b.getDenseI64ArrayAttr(perm));
}

struct FuseAttentionPass : public mlir::tide::impl::FuseAttentionBase<FuseAttentionPass> {
  using FuseAttentionBase::FuseAttentionBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    rejected = 0;
    SmallVector<tide::MatmulOp> roots;
    func.walk([&](tide::MatmulOp op) { roots.push_back(op); });
    int64_t fused = 0;
    for (tide::MatmulOp root : roots)
      if (tryFuse(root))
        ++fused;
    recordFusions(func, "attention", fused, rejected);
  }

  /// Records why a candidate (a softmax feeding a matmul) was not fused.
  void reject(Operation *at, StringRef why) {
    ++rejected;
    if (remarks)
      at->emitRemark() << "tide-fuse-attention: not fused: " << why;
  }

  bool tryFuse(tide::MatmulOp root) {
    auto softmax = root.getLhs().getDefiningOp<tide::SoftmaxOp>();
    if (!softmax)
      return false;
    auto pType = cast<RankedTensorType>(softmax.getType());
    int64_t rank = pType.getRank();
    if (rank != 3 && rank != 4)
      return reject(softmax, "the scores are not rank 3 or 4"), false;
    if (root.getTransposeLhs() || root.getTransposeRhs())
      return reject(softmax, "the value matmul transposes an operand"), false;
    if (softmax.getNormalizedAxis() != rank - 1)
      return reject(softmax, "the softmax is not over the last axis"), false;
    if (!softmax->hasOneUse())
      return reject(softmax, "the probabilities have another use"), false;

    // Mask: where(cond, -inf, s) / where(cond, s, -inf) with a constant cond, or s + mask.
    Value scores = softmax.getInput();
    int64_t seqQ = pType.getDimSize(rank - 2), seqK = pType.getDimSize(rank - 1);
    bool causal = false;
    Operation *maskOp = scores.getDefiningOp();
    if (auto where = dyn_cast_or_null<tide::WhereOp>(maskOp)) {
      if (!scores.hasOneUse())
        return reject(softmax, "the masked scores have another use"), false;
      std::optional<double> onTrue = splatConstant(where.getLhs());
      std::optional<double> onFalse = splatConstant(where.getRhs());
      bool hideOnTrue = onTrue && *onTrue <= kMaskedLimit && where.getRhs().getType() == pType;
      bool hideOnFalse = onFalse && *onFalse <= kMaskedLimit && where.getLhs().getType() == pType;
      std::optional<DenseElementsAttr> cond = maskConstant(where.getCondition());
      if (!(hideOnTrue || hideOnFalse) || !cond)
        return reject(softmax, "the where is not a constant mask with a -inf fill"), false;
      // Only integral condition values: a float constant reaches the where through a cast to
      // i32, and 0.5 would be a 0 there.
      bool integral = true;
      for (int64_t i = 0, n = cond->getNumElements(); i < n; ++i)
        integral = integral && std::trunc(elementAt(*cond, i)) == elementAt(*cond, i);
      if (!integral)
        return reject(softmax, "the mask condition is not integral"), false;
      auto isMasked = [&](double c) { return hideOnTrue ? c != 0.0 : c == 0.0; };
      if (!isCausalMask(*cond, seqQ, seqK, isMasked))
        return reject(softmax, "the mask is not exactly causal"), false;
      causal = true;
      scores = hideOnTrue ? where.getRhs() : where.getLhs();
    } else if (auto add = dyn_cast_or_null<tide::AddOp>(maskOp)) {
      for (int side = 0; side < 2 && !causal; ++side) {
        Value x = side == 0 ? add.getLhs() : add.getRhs();
        Value m = side == 0 ? add.getRhs() : add.getLhs();
        std::optional<DenseElementsAttr> mask = maskConstant(m);
        if (x.getType() != pType || !mask || !isa<FloatType>(mask->getElementType()))
          continue;
        bool onlyZeroOrHidden = true;
        for (int64_t i = 0, n = mask->getNumElements(); i < n; ++i) {
          double e = elementAt(*mask, i);
          onlyZeroOrHidden = onlyZeroOrHidden && (e == 0.0 || e <= kMaskedLimit);
        }
        if (onlyZeroOrHidden &&
            isCausalMask(*mask, seqQ, seqK, [](double e) { return e <= kMaskedLimit; })) {
          if (!scores.hasOneUse())
            return reject(softmax, "the masked scores have another use"), false;
          causal = true;
          scores = x;
        }
      }
      if (!causal)
        return reject(softmax, "the added mask is not a constant causal mask"), false;
    }

    // Scale after the matmul, then the QK^T matmul with scales on either side.
    double scale = 1.0;
    bool nonConstant = false;
    scores = peelScale(scores, scale, nonConstant);
    if (nonConstant)
      return reject(softmax, "the scale is not a constant scalar"), false;
    auto qk = scores.getDefiningOp<tide::MatmulOp>();
    if (!qk)
      return reject(softmax, "the scores do not come from a matmul"), false;
    if (!scores.hasOneUse())
      return reject(softmax, "the scores have another use"), false;
    if (qk.getTransposeLhs())
      return reject(softmax, "the score matmul transposes the query"), false;
    Value query = peelScale(qk.getLhs(), scale, nonConstant);
    Value keyOperand = peelScale(qk.getRhs(), scale, nonConstant);
    if (nonConstant)
      return reject(softmax, "the scale is not a constant scalar"), false;

    OpBuilder b(root);
    Value key;
    if (qk.getTransposeRhs())
      key = keyOperand;
    else if (rank == 4)
      key = untransposeKey(b, keyOperand);
    else if (auto t = keyOperand.getDefiningOp<tide::TransposeOp>();
             t && ArrayRef<int64_t>(t.getPermutation()) == ArrayRef<int64_t>{0, 2, 1})
      key = t.getInput();
    if (!key)
      return reject(softmax, "the key is not transposed in the last two axes"), false;
    Value value = root.getRhs();

    // Shapes: query [B, H, Tq, D], key and value [B, Hk, Tk, D], Hk = H or 1.
    auto qType = cast<RankedTensorType>(query.getType());
    auto kType = cast<RankedTensorType>(key.getType());
    auto vType = cast<RankedTensorType>(value.getType());
    if (qType.getRank() != rank || kType != vType || kType.getRank() != rank ||
        root.getType() != qType || qType.getDimSize(0) != kType.getDimSize(0) ||
        qType.getDimSize(rank - 1) != kType.getDimSize(rank - 1) ||
        kType.getDimSize(rank - 2) != seqK || qType.getDimSize(rank - 2) != seqQ ||
        (rank == 4 && kType.getDimSize(1) != qType.getDimSize(1) && kType.getDimSize(1) != 1))
      return reject(softmax, "query, key and value shapes do not fit tide.attention"), false;

    b.setInsertionPoint(root);
    Location loc = root.getLoc();
    auto as4 = [&](Value v) -> Value {
      if (rank == 4)
        return v;
      auto t = cast<RankedTensorType>(v.getType());
      auto type = RankedTensorType::get({t.getDimSize(0), 1, t.getDimSize(1), t.getDimSize(2)},
                                        t.getElementType());
      return b.create<tide::ReshapeOp>(loc, type, v);
    };
    Value q4 = as4(query), k4 = as4(key), v4 = as4(value);
    int64_t queryChunk = std::min<int64_t>(64, seqQ), keyChunk = std::min<int64_t>(64, seqK);
    auto attention = b.create<tide::AttentionOp>(
        loc, q4, k4, v4, /*key_lengths=*/Value(), causal ? b.getUnitAttr() : UnitAttr(),
        b.getF64FloatAttr(scale), b.getI64IntegerAttr(queryChunk), b.getI64IntegerAttr(keyChunk),
        UnitAttr());
    Value result = attention.getResult();
    if (rank == 3)
      result = b.create<tide::ReshapeOp>(loc, root.getType(), result);
    root.getResult().replaceAllUsesWith(result);

    // Erase the matched chain and whatever became dead behind it (transposes, constants).
    eraseDeadChain(root);
    return true;
  }

  int64_t rejected = 0;
};

} // namespace
