//===- FusionUtils.cpp - Helpers shared by the fusion passes --------------===//

#include "passes/FusionUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tide {

std::optional<double> splatConstant(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.getElementType().isF32() || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

void recordFusions(func::FuncOp func, StringRef pattern, int64_t fused, int64_t rejected) {
  Builder b(func.getContext());
  NamedAttrList entries;
  if (auto old = func->getAttrOfType<DictionaryAttr>("tide.fusions"))
    entries.append(old.getValue());
  auto bump = [&](StringRef key, int64_t count) {
    int64_t before = 0;
    if (auto attr = dyn_cast_or_null<IntegerAttr>(entries.get(key)))
      before = attr.getInt();
    entries.set(key, b.getI64IntegerAttr(before + count));
  };
  bump(pattern, fused);
  bump((pattern + "_not_fused").str(), rejected);
  func->setAttr("tide.fusions", entries.getDictionary(func.getContext()));
}

void eraseDeadChain(Operation *root) {
  llvm::SetVector<Operation *> worklist;
  worklist.insert(root);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!op->use_empty() || !isPure(op))
      continue;
    SmallVector<Operation *> defs;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        defs.push_back(def);
    op->erase();
    for (Operation *def : defs)
      worklist.insert(def);
  }
}

} // namespace mlir::tide
