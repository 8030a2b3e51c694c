//===- RandomArguments.cpp - Seeded random arguments for a tide function --===//

#include "compiler/interp/RandomArguments.h"

#include "compiler/dialect/TideOps.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::tide;
using namespace mlir::tide::interp;

/// A double uniform in [0, 1) from the top 53 bits of one draw.
static double unitUniform(std::mt19937_64 &generator) {
  return static_cast<double>(generator() >> 11) * 0x1.0p-53;
}

/// The smallest valid-index count among the ops reading `labels` as class labels (cross-entropy,
/// the fused LM head: the class count), as ids (gather: the table's rows) or as a where mask
/// (2: the values 0 and 1), or 0.
static int64_t classCountOf(Value labels) {
  int64_t classes = 0;
  auto consider = [&](Type type, int64_t dim) {
    int64_t count = cast<RankedTensorType>(type).getDimSize(dim);
    classes = classes == 0 ? count : std::min(classes, count);
  };
  for (Operation *user : labels.getUsers()) {
    if (auto loss = dyn_cast<SoftmaxCrossEntropyOp>(user); loss && loss.getLabels() == labels)
      consider(loss.getLogits().getType(), loss.getLogits().getType().getRank() - 1);
    if (auto grad = dyn_cast<SoftmaxCrossEntropyGradOp>(user); grad && grad.getLabels() == labels)
      consider(grad.getLogits().getType(), grad.getLogits().getType().getRank() - 1);
    if (auto gather = dyn_cast<GatherOp>(user); gather && gather.getIds() == labels)
      consider(gather.getTable().getType(), 0);
    if (auto grad = dyn_cast<GatherGradOp>(user); grad && grad.getIds() == labels)
      consider(grad.getResult().getType(), 0);
    if (auto head = dyn_cast<LmHeadLossOp>(user); head && head.getLabels() == labels)
      consider(head.getWeight().getType(), 0);
    if (auto grad = dyn_cast<LmHeadLossGradOp>(user); grad && grad.getLabels() == labels)
      consider(grad.getWeight().getType(), 0);
    // Attention key lengths take the seq_k + 1 values [0, seq_k].
    auto keyLengthCount = [&](Value key, Value lengths) {
      if (lengths == labels)
        classes = std::min(classes == 0 ? INT64_MAX : classes,
                           cast<RankedTensorType>(key.getType()).getDimSize(2) + 1);
    };
    if (auto attention = dyn_cast<AttentionOp>(user))
      keyLengthCount(attention.getKey(), attention.getKeyLengths());
    if (auto grad = dyn_cast<AttentionGradOp>(user))
      keyLengthCount(grad.getKey(), grad.getKeyLengths());
    if (auto where = dyn_cast<WhereOp>(user); where && where.getCondition() == labels)
      classes = classes == 0 ? 2 : std::min<int64_t>(classes, 2); // a mask: 0 or 1
  }
  return classes;
}

/// Whether `value` is the second-moment state `v` of a tide.adam_update (which must be >= 0).
static bool isSecondMoment(Value value) {
  return llvm::any_of(value.getUsers(), [&](Operation *user) {
    auto adam = dyn_cast<AdamUpdateOp>(user);
    return adam && adam.getV() == value;
  });
}

FailureOr<SmallVector<Tensor>>
mlir::tide::interp::makeRandomArguments(func::FuncOp function, uint64_t seed, double range) {
  std::mt19937_64 generator(seed);
  SmallVector<Tensor> args;
  for (BlockArgument argument : function.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type || !type.hasStaticShape())
      return function.emitError("argument #")
             << argument.getArgNumber() << " has type " << argument.getType()
             << "; only statically shaped ranked tensors can be generated";
    Tensor tensor(type.getShape());
    if (type.getElementType().isIntOrIndex()) {
      int64_t classes = classCountOf(argument);
      if (classes <= 0)
        return function.emitError("integer argument #")
               << argument.getArgNumber()
               << " is not read as labels, ids or key lengths by a tide.softmax_cross_entropy, "
                  "tide.lm_head_loss, tide.gather or tide.attention op, so its valid values are "
                  "unknown";
      for (double &value : tensor.data)
        value = std::floor(unitUniform(generator) * static_cast<double>(classes));
    } else if (isSecondMoment(argument)) {
      for (double &value : tensor.data)
        value = unitUniform(generator) * range;
    } else {
      for (double &value : tensor.data)
        value = (2.0 * unitUniform(generator) - 1.0) * range;
    }
    args.push_back(std::move(tensor));
  }
  return args;
}
