//===- FuseNorms.cpp - tide-fuse-norms ------------------------------------===//
//
// Recognizes the decomposed LayerNorm, RMSNorm and both GELU forms that torch.onnx.export
// writes (and the ONNX importer maps 1:1) and replaces each by its fused op. The algorithm and
// a worked example are in docs/passes/tide-fuse-norms.md.
//
//===----------------------------------------------------------------------===//

#include "passes/FusionUtils.h"
#include "passes/Passes.h"

#include "compiler/dialect/TideOps.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <optional>

#define DEBUG_TYPE "tide-fuse-norms"

namespace mlir::tide {
#define GEN_PASS_DEF_FUSENORMS
#include "passes/Passes.h.inc"
} // namespace mlir::tide

using namespace mlir;
using mlir::tide::splatConstant;

namespace {

/// True when `value` is a constant equal to `want` up to f32 rounding of the exporter's
/// constant (relative 1e-6; the f32 spacing is 1.2e-7 relative).
bool isConstant(Value value, double want) {
  std::optional<double> c = splatConstant(value);
  return c && std::abs(*c - want) <= 1e-6 * std::abs(want);
}

/// Operand `which` of a commutative binary op when the other one satisfies `pred`.
template <typename Pred> Value otherOperand(Operation *op, Pred pred) {
  if (op->getNumOperands() != 2)
    return nullptr;
  if (pred(op->getOperand(1)))
    return op->getOperand(0);
  if (pred(op->getOperand(0)))
    return op->getOperand(1);
  return nullptr;
}

template <typename OpT> OpT singleUseDef(Value value) {
  if (!value || !value.hasOneUse())
    return nullptr;
  return value.getDefiningOp<OpT>();
}

/// True when `value` is `x * x` or `pow(x, 2)` (one use) of the returned x.
Value squareOf(Value value) {
  if (auto pow = singleUseDef<tide::PowOp>(value))
    return pow.getExponent().convertToDouble() == 2.0 ? pow.getInput() : nullptr;
  if (auto mul = singleUseDef<tide::MulOp>(value))
    return mul.getLhs() == mul.getRhs() ? mul.getLhs() : nullptr;
  return nullptr;
}

/// A single-use mean over the last axis, keep_dims.
bool isLastAxisMean(tide::ReduceMeanOp mean) {
  if (!mean || !mean.getKeepDims() || mean.getAxes().size() != 1)
    return false;
  int64_t rank = cast<RankedTensorType>(mean.getInput().getType()).getRank();
  int64_t axis = mean.getAxes()[0];
  return axis == rank - 1 || axis == -1;
}

/// `sqrt(mean + eps)` with a positive constant eps: returns the mean, sets eps.
tide::ReduceMeanOp meanPlusEps(Value sqrtInput, double &eps) {
  auto add = singleUseDef<tide::AddOp>(sqrtInput);
  if (!add)
    return nullptr;
  for (int side = 0; side < 2; ++side) {
    std::optional<double> c = splatConstant(add->getOperand(1 - side));
    auto mean = singleUseDef<tide::ReduceMeanOp>(add->getOperand(side));
    if (c && *c > 0.0 && isLastAxisMean(mean) && add.getType() == add->getOperand(side).getType()) {
      eps = *c;
      return mean;
    }
  }
  return nullptr;
}

/// A vector of exactly [D], the normalized size of `x` (last axis).
bool isNormalizedVector(Value v, Value x) {
  auto t = cast<RankedTensorType>(v.getType());
  auto xt = cast<RankedTensorType>(x.getType());
  return t.getRank() == 1 && t.getDimSize(0) == xt.getDimSize(xt.getRank() - 1);
}

/// Flattens a product tree of single-use tide.mul (and divisions by constants) into its scalar
/// constant factor and its other leaves; pow(v, n) for n = 2, 3 counts as n leaves v.
void flattenProduct(Value v, bool isRoot, double &constant, SmallVectorImpl<Value> &leaves) {
  if (std::optional<double> c = splatConstant(v)) {
    constant *= *c;
    return;
  }
  Operation *op = v.getDefiningOp();
  if (op && (isRoot || v.hasOneUse())) {
    if (auto mul = dyn_cast<tide::MulOp>(op)) {
      flattenProduct(mul.getLhs(), false, constant, leaves);
      flattenProduct(mul.getRhs(), false, constant, leaves);
      return;
    }
    if (auto div = dyn_cast<tide::DivOp>(op)) {
      std::optional<double> c = splatConstant(div.getRhs());
      if (c && *c != 0.0) {
        constant /= *c;
        flattenProduct(div.getLhs(), false, constant, leaves);
        return;
      }
    }
    if (auto pow = dyn_cast<tide::PowOp>(op)) {
      double n = pow.getExponent().convertToDouble();
      if (n == 2.0 || n == 3.0) {
        for (int i = 0; i < static_cast<int>(n); ++i)
          leaves.push_back(pow.getInput());
        return;
      }
    }
  }
  leaves.push_back(v);
}

struct Counts {
  int64_t fused = 0;
  int64_t rejected = 0;
};

struct FuseNormsPass : public mlir::tide::impl::FuseNormsBase<FuseNormsPass> {
  using FuseNormsBase::FuseNormsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    layerNorm = rmsNorm = gelu = Counts();
    // LayerNorm first: its inner `(x - mean) * rstd * gamma` also reads as an RMSNorm of
    // x - mean. Producers come first in the block and a fusion only erases producers of its
    // root (visited already), so every op still to come in a list is alive at its turn.
    SmallVector<tide::AddOp> adds;
    func.walk([&](tide::AddOp op) { adds.push_back(op); });
    for (tide::AddOp add : adds)
      fuseLayerNorm(add);
    SmallVector<tide::MulOp> muls;
    func.walk([&](tide::MulOp op) { muls.push_back(op); });
    for (tide::MulOp mul : muls)
      if (!fuseRmsNorm(mul))
        fuseGelu(mul);
    tide::recordFusions(func, "layer_norm", layerNorm.fused, layerNorm.rejected);
    tide::recordFusions(func, "rms_norm", rmsNorm.fused, rmsNorm.rejected);
    tide::recordFusions(func, "gelu", gelu.fused, gelu.rejected);
  }

  void reject(Counts &counts, Operation *at, StringRef what, StringRef why) {
    ++counts.rejected;
    if (remarks)
      at->emitRemark() << "tide-fuse-norms: " << what << " not fused: " << why;
  }

  /// Replaces `root` by `replacement` and erases the chain that became dead.
  void replace(Operation *root, Value replacement) {
    root->getResult(0).replaceAllUsesWith(replacement);
    tide::eraseDeadChain(root);
  }

  /// y = (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * gamma + beta, over the last axis.
  bool fuseLayerNorm(tide::AddOp root) {
    for (int side = 0; side < 2; ++side) {
      Value beta = root->getOperand(1 - side);
      auto scaled = singleUseDef<tide::MulOp>(root->getOperand(side));
      if (!scaled)
        continue;
      for (int s2 = 0; s2 < 2; ++s2) {
        Value gamma = scaled->getOperand(1 - s2);
        auto div = singleUseDef<tide::DivOp>(scaled->getOperand(s2));
        if (!div)
          continue;
        auto centered = div.getLhs().getDefiningOp<tide::SubOp>();
        auto sqrt = singleUseDef<tide::SqrtOp>(div.getRhs());
        if (!centered || !sqrt)
          continue;
        auto mean = singleUseDef<tide::ReduceMeanOp>(centered.getRhs());
        Value x = centered.getLhs();
        if (!isLastAxisMean(mean) || mean.getInput() != x)
          continue;
        // From here on it is a layer-norm candidate: refusals are counted.
        double eps = 0.0;
        tide::ReduceMeanOp variance = meanPlusEps(sqrt.getInput(), eps);
        if (!variance || squareOf(variance.getInput()) != centered.getResult())
          return reject(layerNorm, root, "layer_norm", "the variance is not mean((x - mean)^2)"),
                 false;
        // The centered value feeds exactly the square and the division.
        Operation *square = variance.getInput().getDefiningOp();
        if (!llvm::all_of(centered->getUsers(),
                          [&](Operation *user) { return user == div || user == square; }))
          return reject(layerNorm, root, "layer_norm", "x - mean(x) has another use"), false;
        if (!isNormalizedVector(gamma, x) || !isNormalizedVector(beta, x) ||
            root.getType() != x.getType())
          return reject(layerNorm, root, "layer_norm", "gamma and beta are not [D] vectors"), false;
        OpBuilder b(root);
        int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
        auto ln = b.create<tide::LayerNormOp>(root.getLoc(), x, gamma, beta,
                                              b.getI64IntegerAttr(rank - 1), b.getF64FloatAttr(eps),
                                              UnitAttr());
        replace(root, ln.getResult());
        ++layerNorm.fused;
        return true;
      }
    }
    return false;
  }

  /// y = x * rsqrt(mean(x^2) + eps) * w (or x / sqrt(...) * w), over the last axis.
  bool fuseRmsNorm(tide::MulOp root) {
    for (int side = 0; side < 2; ++side) {
      Value weight = root->getOperand(1 - side);
      Value normalized = root->getOperand(side);
      if (!normalized.hasOneUse())
        continue;
      Value x;
      Value denominator; // sqrt(mean + eps) or rsqrt(mean + eps)
      bool reciprocal = false;
      if (auto div = normalized.getDefiningOp<tide::DivOp>()) {
        x = div.getLhs();
        denominator = div.getRhs();
      } else if (auto mul = normalized.getDefiningOp<tide::MulOp>()) {
        for (int s2 = 0; s2 < 2 && !x; ++s2) {
          Value r = mul->getOperand(1 - s2);
          if (auto inv = singleUseDef<tide::DivOp>(r); inv && isConstant(inv.getLhs(), 1.0)) {
            x = mul->getOperand(s2);
            denominator = inv.getRhs();
          } else if (auto rsqrt = singleUseDef<tide::RsqrtOp>(r)) {
            x = mul->getOperand(s2);
            denominator = rsqrt;
            reciprocal = true;
          }
        }
      }
      if (!x || !denominator)
        continue;
      Value meanInput;
      double eps = 0.0;
      tide::ReduceMeanOp mean;
      if (reciprocal) {
        mean = meanPlusEps(denominator.getDefiningOp<tide::RsqrtOp>().getInput(), eps);
      } else if (auto sqrt = singleUseDef<tide::SqrtOp>(denominator)) {
        mean = meanPlusEps(sqrt.getInput(), eps);
      }
      if (!mean || squareOf(mean.getInput()) != x)
        continue;
      // An RMS-norm candidate from here on.
      if (!isNormalizedVector(weight, x) || root.getType() != x.getType())
        return reject(rmsNorm, root, "rms_norm", "the weight is not a [D] vector"), false;
      OpBuilder b(root);
      int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
      auto rms = b.create<tide::RmsNormOp>(root.getLoc(), x, weight, b.getI64IntegerAttr(rank - 1),
                                           b.getF64FloatAttr(eps), UnitAttr());
      replace(root, rms.getResult());
      ++rmsNorm.fused;
      return true;
    }
    return false;
  }

  /// exact: 0.5 * x * (1 + erf(x / sqrt(2))); tanh: 0.5 * x * (1 + tanh(sqrt(2 / pi) *
  /// (x + 0.044715 * x^3))), the factors in any order and grouping.
  bool fuseGelu(tide::MulOp root) {
    // Only the top of a product tree is a root (its factors are visited first and would
    // otherwise be counted as refused candidates).
    if (root->hasOneUse() && isa<tide::MulOp>(*root->getUsers().begin()))
      return false;
    double constant = 1.0;
    SmallVector<Value> leaves;
    flattenProduct(root.getResult(), /*isRoot=*/true, constant, leaves);
    if (leaves.size() != 2)
      return false;
    for (int side = 0; side < 2; ++side) {
      Value x = leaves[side];
      auto onePlus = singleUseDef<tide::AddOp>(leaves[1 - side]);
      if (!onePlus || x.getType() != root.getType())
        continue;
      Value inner = otherOperand(onePlus, [](Value v) { return isConstant(v, 1.0); });
      if (!inner || inner.getType() != x.getType())
        continue;
      Operation *cdf = inner.hasOneUse() ? inner.getDefiningOp() : nullptr;
      if (!isa_and_nonnull<tide::ErfOp, tide::TanhOp>(cdf))
        continue;
      bool exact = isa<tide::ErfOp>(cdf);
      // A GELU candidate from here on.
      if (std::abs(constant - 0.5) > 1e-6 * 0.5)
        return reject(gelu, root, "gelu", "the outer factor is not 0.5"), false;
      double argConstant = 1.0;
      SmallVector<Value> argLeaves;
      flattenProduct(cdf->getOperand(0), /*isRoot=*/false, argConstant, argLeaves);
      if (exact) {
        if (argLeaves.size() != 1 || argLeaves[0] != x ||
            std::abs(argConstant - M_SQRT1_2) > 1e-6 * M_SQRT1_2)
          return reject(gelu, root, "gelu", "the erf argument is not x / sqrt(2)"), false;
      } else {
        double c = std::sqrt(2.0 / M_PI);
        auto sum = argLeaves.size() == 1 ? singleUseDef<tide::AddOp>(argLeaves[0]) : nullptr;
        bool ok = sum && std::abs(argConstant - c) <= 1e-6 * c;
        if (ok) {
          Value cubic = otherOperand(sum, [&](Value v) { return v == x; });
          double cubicConstant = 1.0;
          SmallVector<Value> cubicLeaves;
          if (cubic)
            flattenProduct(cubic, /*isRoot=*/false, cubicConstant, cubicLeaves);
          ok = cubic && cubic.hasOneUse() && cubicLeaves.size() == 3 &&
               llvm::all_of(cubicLeaves, [&](Value v) { return v == x; }) &&
               std::abs(cubicConstant - 0.044715) <= 1e-6 * 0.044715;
        }
        if (!ok)
          return reject(gelu, root, "gelu",
                        "the tanh argument is not sqrt(2 / pi) * (x + 0.044715 * x^3)"),
                 false;
      }
      OpBuilder b(root);
      auto approximation = tide::GeluApproximationAttr::get(
          b.getContext(), exact ? tide::GeluApproximation::Exact : tide::GeluApproximation::Tanh);
      auto fused = b.create<tide::GeluOp>(root.getLoc(), x, approximation);
      replace(root, fused.getResult());
      ++gelu.fused;
      return true;
    }
    return false;
  }

  Counts layerNorm, rmsNorm, gelu;
};

} // namespace
