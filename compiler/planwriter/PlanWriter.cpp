//===- PlanWriter.cpp - Planned tide IR to a Tidemark runtime plan --------===//
//
// See PlanWriter.h for the steps. Tensors are created in three passes (bindings, arena group
// anchors, views) so that every view names an earlier tensor, as the plan format requires.
//
//===----------------------------------------------------------------------===//

#include "compiler/planwriter/PlanWriter.h"

#include "compiler/dialect/TideLimits.h"
#include "compiler/dialect/TideOps.h"
#include "passes/LivenessModel.h"
#include "runtime/executor/kernel_dispatch.h"
#include "runtime/kernels/rope.h"
#include "runtime/kernels/shape.h"
#include "runtime/plan/loaded_plan.h"
#include "tidemark/builder.h"
#include "tidemark/plan_builder.h"
#include "tidemark/safetensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

using namespace mlir;
using namespace mlir::tide;
using tidemark::KernelId;
using tidemark::PlanBuilder;

const char *mlir::tide::bufferKindName(BufferKind kind) {
  switch (kind) {
  case BufferKind::Kept:
    return "kept";
  case BufferKind::Recomputed:
    return "recomputed";
  case BufferKind::Gradient:
    return "gradient";
  case BufferKind::Temporary:
    return "temporary";
  }
  return "temporary";
}

static_assert(kMaxRank == tidemark::kernels::kMaxRank,
              "the dialect's rank limit must be the runtime's");
static_assert(static_cast<uint64_t>(kMaxTensorBytes) <= tidemark::kMaxRegionBytes,
              "one tensor must fit the runtime's largest region");

namespace {

constexpr int64_t kStateAlignment = 64;
/// Inline constant data the writer accepts in total: FlatBuffers (the plan format) caps a buffer
/// at 2 GiB, and the rest of the plan needs room too.
constexpr int64_t kMaxConstantBytes = int64_t{1} << 30;
/// The largest PlanWriterOptions::maxInlineStateBytes: with the constants the inline data stays
/// below the 2 GiB FlatBuffers cap, leaving room for the rest.
constexpr int64_t kMaxStateInitBytes = int64_t{1} << 30;
/// The runtime allocates each input and output buffer rounded up to 64 bytes; so do the sums.
constexpr int64_t kIoAlignment = 64;

int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

std::vector<int64_t> shapeOf(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return std::vector<int64_t>(type.getShape().begin(), type.getShape().end());
}

int64_t bytesOf(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
}

/// "file:line" of the op (the forward op's line for the ops autodiff derives from it), or "".
std::string sourceLine(Operation *op) {
  if (auto loc = dyn_cast<FileLineColLoc>(op->getLoc()))
    return loc.getFilename().str() + ":" + std::to_string(loc.getLine());
  return "";
}

std::string describe(Operation *op) {
  std::string line = sourceLine(op);
  return op->getName().getStringRef().str() + (line.empty() ? "" : " (" + line + ")");
}

/// The kernel of an op that maps operand for operand and result for result with no attributes.
std::optional<KernelId> directKernel(Operation *op) {
  return TypeSwitch<Operation *, std::optional<KernelId>>(op)
      .Case<AddOp>([](auto) { return KernelId::kAdd; })
      .Case<SubOp>([](auto) { return KernelId::kSub; })
      .Case<MulOp>([](auto) { return KernelId::kMul; })
      .Case<DivOp>([](auto) { return KernelId::kDiv; })
      .Case<ReluOp>([](auto) { return KernelId::kRelu; })
      .Case<TanhOp>([](auto) { return KernelId::kTanh; })
      .Case<ExpOp>([](auto) { return KernelId::kExp; })
      .Case<ReluGradOp>([](auto) { return KernelId::kReluGrad; })
      .Case<TanhGradOp>([](auto) { return KernelId::kTanhGrad; })
      .Case<GeluOp>([](GeluOp g) {
        return g.getApproximation() == GeluApproximation::Tanh ? KernelId::kGeluTanh
                                                               : KernelId::kGeluErf;
      })
      .Case<GeluGradOp>([](GeluGradOp g) {
        return g.getApproximation() == GeluApproximation::Tanh ? KernelId::kGeluTanhGrad
                                                               : KernelId::kGeluErfGrad;
      })
      .Case<MseLossOp>([](auto) { return KernelId::kMseLoss; })
      .Case<MseLossGradOp>([](auto) { return KernelId::kMseLossGrad; })
      .Case<SoftmaxCrossEntropyOp>([](auto) { return KernelId::kSoftmaxCrossEntropy; })
      .Case<SoftmaxCrossEntropyGradOp>([](auto) { return KernelId::kSoftmaxCrossEntropyGrad; })
      .Case<ReduceToShapeOp>([](auto) { return KernelId::kReduceToShape; })
      .Case<MinimumOp>([](auto) { return KernelId::kMin; })
      .Case<MaximumOp>([](auto) { return KernelId::kMax; })
      .Case<NegOp>([](auto) { return KernelId::kNeg; })
      .Case<AbsOp>([](auto) { return KernelId::kAbs; })
      .Case<AbsGradOp>([](auto) { return KernelId::kAbsGrad; })
      .Case<SqrtOp>([](auto) { return KernelId::kSqrt; })
      .Case<SqrtGradOp>([](auto) { return KernelId::kSqrtGrad; })
      .Case<RsqrtOp>([](auto) { return KernelId::kRsqrt; })
      .Case<RsqrtGradOp>([](auto) { return KernelId::kRsqrtGrad; })
      .Case<LogOp>([](auto) { return KernelId::kLog; })
      .Case<LogGradOp>([](auto) { return KernelId::kLogGrad; })
      .Case<SigmoidOp>([](auto) { return KernelId::kSigmoid; })
      .Case<SigmoidGradOp>([](auto) { return KernelId::kSigmoidGrad; })
      .Case<SiluOp>([](auto) { return KernelId::kSilu; })
      .Case<SiluGradOp>([](auto) { return KernelId::kSiluGrad; })
      .Case<ErfOp>([](auto) { return KernelId::kErf; })
      .Case<ErfGradOp>([](auto) { return KernelId::kErfGrad; })
      .Case<GatherOp>([](auto) { return KernelId::kGather; })
      .Case<GatherGradOp>([](auto) { return KernelId::kGatherGrad; })
      .Case<SumSquaresOp>([](auto) { return KernelId::kSumSquares; })
      .Case<WhereOp>([](auto) { return KernelId::kWhere; })
      .Case<CastOp>([](CastOp c) -> std::optional<KernelId> {
        return cast<RankedTensorType>(c.getResult().getType())
                       .getElementType()
                       .isSignlessInteger(32)
                   ? KernelId::kCastF32ToI32
                   : KernelId::kCastI32ToF32;
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// The string of `attr`, or `fallback` when it is not a string (the dialect's verifier rejects
/// that; this keeps the writer safe on IR that was never verified).
std::string stringOr(Attribute attr, std::string fallback) {
  auto text = dyn_cast<StringAttr>(attr);
  return text ? text.str() : fallback;
}

float floatAttr(FloatAttr attr) { return static_cast<float>(attr.getValueAsDouble()); }

/// The optional warm-up + cosine schedule of an sgd_update / adam_update (the verifier requires
/// all three attributes or none).
template <typename UpdateOp> tidemark::LrScheduleAttributes lrSchedule(UpdateOp op) {
  tidemark::LrScheduleAttributes schedule;
  if (!op.getWarmupStepsAttr() || !op.getTotalStepsAttr() || !op.getMinLrAttr())
    return schedule;
  schedule.cosine = true;
  schedule.warmup_steps = op.getWarmupStepsAttr().getInt();
  schedule.total_steps = op.getTotalStepsAttr().getInt();
  schedule.min_lr = floatAttr(op.getMinLrAttr());
  return schedule;
}

template <typename AttentionLike>
tidemark::AttentionAttributes attentionAttributes(AttentionLike a) {
  tidemark::AttentionAttributes attrs;
  attrs.causal = a.getCausal();
  attrs.scale = floatAttr(a.getScaleAttr());
  // The verifier bounds both to [1, kMaxAttentionChunk]; clamp rather than wrap on unverified IR
  // (the runtime's loader then rejects nothing silently: an out-of-range chunk was an error).
  attrs.q_chunk =
      static_cast<int>(std::clamp<int64_t>(a.getQueryChunkAttr().getInt(), 0, kMaxAttentionChunk));
  attrs.k_chunk =
      static_cast<int>(std::clamp<int64_t>(a.getKeyChunkAttr().getInt(), 0, kMaxAttentionChunk));
  return attrs;
}

/// The chunks and ignore index of tide.lm_head_loss / tide.lm_head_loss_grad (verified to fit 32
/// bits; clamped rather than wrapped on unverified IR, which the runtime's loader then rejects).
template <typename HeadLike> tidemark::LmHeadLossAttributes lmHeadLossAttributes(HeadLike head) {
  tidemark::LmHeadLossAttributes attrs;
  attrs.ignore_index = static_cast<int>(
      std::clamp<int64_t>(head.getIgnoreIndexAttr().getInt(), INT32_MIN, INT32_MAX));
  attrs.row_chunk =
      static_cast<int>(std::clamp<int64_t>(head.getRowChunkAttr().getInt(), 0, kMaxLmHeadChunk));
  attrs.vocab_chunk =
      static_cast<int>(std::clamp<int64_t>(head.getVocabChunkAttr().getInt(), 0, kMaxLmHeadChunk));
  return attrs;
}

/// The attributes of the ops that map to one kernel with attributes (none: the op is handled
/// elsewhere or has none).
std::optional<std::pair<KernelId, tidemark::StepAttributes>> kernelWithAttributes(Operation *op) {
  using Result = std::optional<std::pair<KernelId, tidemark::StepAttributes>>;
  auto reduce = [](KernelId kernel, SmallVector<int64_t> axes, bool keepDims) -> Result {
    tidemark::ReduceAttributes attrs;
    attrs.axes.assign(axes.begin(), axes.end());
    attrs.keep_dims = keepDims;
    return std::make_pair(kernel, tidemark::StepAttributes(attrs));
  };
  return TypeSwitch<Operation *, Result>(op)
      .Case<MatmulOp>([](MatmulOp mm) -> Result {
        tidemark::MatMulAttributes attrs;
        attrs.transpose_a = mm.getTransposeLhs();
        attrs.transpose_b = mm.getTransposeRhs();
        return std::make_pair(KernelId::kMatMul, tidemark::StepAttributes(attrs));
      })
      .Case<SoftmaxOp, SoftmaxGradOp>([](auto softmax) -> Result {
        tidemark::SoftmaxAttributes attrs;
        attrs.axis = static_cast<int>(softmax.getAxisAttr().getInt());
        KernelId kernel =
            isa<SoftmaxOp>(softmax.getOperation()) ? KernelId::kSoftmax : KernelId::kSoftmaxGrad;
        return std::make_pair(kernel, tidemark::StepAttributes(attrs));
      })
      .Case<ReduceSumOp>([&](ReduceSumOp r) {
        return reduce(KernelId::kReduceSum, r.getNormalizedAxes(), r.getKeepDims());
      })
      .Case<ReduceMeanOp>([&](ReduceMeanOp r) {
        return reduce(KernelId::kReduceMean, r.getNormalizedAxes(), r.getKeepDims());
      })
      .Case<ReduceMaxOp>([&](ReduceMaxOp r) {
        return reduce(KernelId::kReduceMax, {r.getNormalizedAxis()}, r.getKeepDims());
      })
      .Case<ReduceMaxGradOp>([&](ReduceMaxGradOp r) {
        int64_t rank = r.getInput().getType().getRank(), axis = r.getAxisAttr().getInt();
        return reduce(KernelId::kReduceMaxGrad, {axis < 0 ? axis + rank : axis}, r.getKeepDims());
      })
      .Case<TransposeOp>([](TransposeOp t) -> Result {
        tidemark::TransposeAttributes attrs;
        for (int64_t axis : t.getPermutation())
          attrs.perm.push_back(static_cast<int>(axis));
        return std::make_pair(KernelId::kTranspose, tidemark::StepAttributes(attrs));
      })
      .Case<AttentionGradOp>([](AttentionGradOp a) -> Result {
        return std::make_pair(KernelId::kAttentionGrad,
                              tidemark::StepAttributes(attentionAttributes(a)));
      })
      .Case<FillOp>([](FillOp f) -> Result {
        tidemark::FillAttributes attrs;
        attrs.value = floatAttr(f.getValueAttr());
        return std::make_pair(KernelId::kFill, tidemark::StepAttributes(attrs));
      })
      .Case<PowOp, PowGradOp>([](auto pow) -> Result {
        tidemark::UnaryAttributes attrs;
        attrs.a = floatAttr(pow.getExponentAttr());
        KernelId kernel = isa<PowOp>(pow.getOperation()) ? KernelId::kPow : KernelId::kPowGrad;
        return std::make_pair(kernel, tidemark::StepAttributes(attrs));
      })
      .Case<ClampOp, ClampGradOp>([](auto clamp) -> Result {
        tidemark::UnaryAttributes attrs;
        attrs.a = floatAttr(clamp.getMinAttr());
        attrs.b = floatAttr(clamp.getMaxAttr());
        KernelId kernel =
            isa<ClampOp>(clamp.getOperation()) ? KernelId::kClamp : KernelId::kClampGrad;
        return std::make_pair(kernel, tidemark::StepAttributes(attrs));
      })
      .Case<MinimumGradOp, MaximumGradOp>([](auto grad) -> Result {
        tidemark::BinaryGradAttributes attrs;
        attrs.operand = grad.getOperandAttr().getInt() == 0 ? 0 : 1;
        KernelId kernel =
            isa<MinimumGradOp>(grad.getOperation()) ? KernelId::kMinGrad : KernelId::kMaxGrad;
        return std::make_pair(kernel, tidemark::StepAttributes(attrs));
      })
      .Case<SliceOp>([](SliceOp slice) -> Result {
        tidemark::SliceAttributes attrs;
        attrs.start.assign(slice.getStart().begin(), slice.getStart().end());
        return std::make_pair(KernelId::kSlice, tidemark::StepAttributes(attrs));
      })
      .Case<PadOp>([](PadOp pad) -> Result {
        tidemark::PadAttributes attrs;
        attrs.low.assign(pad.getLow().begin(), pad.getLow().end());
        attrs.value = floatAttr(pad.getValueAttr());
        return std::make_pair(KernelId::kPad, tidemark::StepAttributes(attrs));
      })
      .Case<DropoutOp, DropoutGradOp>([](auto dropout) -> Result {
        // The verifier bounds the site to 32 bits and p to [0, 1).
        tidemark::DropoutAttributes attrs;
        attrs.p = floatAttr(dropout.getPAttr());
        attrs.site = static_cast<uint32_t>(dropout.getSiteAttr().getInt());
        return std::make_pair(KernelId::kDropout, tidemark::StepAttributes(attrs));
      })
      .Case<SplitOp>([](SplitOp split) -> Result {
        tidemark::ConcatAttributes attrs; // Split shares Concat's attribute table.
        attrs.axis = static_cast<int>(split.getNormalizedAxis());
        return std::make_pair(KernelId::kSplit, tidemark::StepAttributes(attrs));
      })
      .Case<LmHeadLossGradOp>([](LmHeadLossGradOp head) -> Result {
        return std::make_pair(KernelId::kLmHeadLossGrad,
                              tidemark::StepAttributes(lmHeadLossAttributes(head)));
      })
      .Case<ClipCoefficientOp>([](ClipCoefficientOp c) -> Result {
        return std::make_pair(
            KernelId::kClipCoefficient,
            tidemark::StepAttributes(tidemark::ClipAttributes{floatAttr(c.getMaxNormAttr())}));
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// Emits the plan for one function; see writePlan.
class PlanEmitter {
public:
  PlanEmitter(func::FuncOp func, const PlanWriterOptions &options) : func(func), options(options) {}

  LogicalResult run(std::vector<uint8_t> *bytes, PlanSummary *summary);

private:
  LogicalResult elementType(Value value, Operation *where, tidemark::DType *dtype);
  LogicalResult addArguments();
  LogicalResult addReturnedValues();
  LogicalResult addConstantsAndAnchors();
  LogicalResult addViews();
  LogicalResult addSteps();
  LogicalResult addStep(Operation *op);
  LogicalResult addConstant(arith::ConstantOp op);
  LogicalResult addReshape(ReshapeOp op);
  LogicalResult addLayerNorm(LayerNormOp op);
  LogicalResult addLayerNormGrad(LayerNormGradOp op);
  LogicalResult addAttention(AttentionOp op);
  LogicalResult addRmsNorm(Operation *op, int64_t axis, float epsilon, KernelId kernel);
  LogicalResult addConcat(ConcatOp op);
  LogicalResult addRope(RopeOp op);
  LogicalResult addLmHeadLoss(LmHeadLossOp op);
  LogicalResult addBroadcast(BroadcastOp op);
  LogicalResult addScale(ScaleOp op);
  LogicalResult requireInPlace(Operation *op, Value operand, Value result);
  LogicalResult addSgdUpdate(SgdUpdateOp op);
  LogicalResult addAdamUpdate(AdamUpdateOp op);
  LogicalResult checkUpdatesComeLast();
  void assignIntervals();
  LogicalResult applyWeights();
  LogicalResult applyModelInit();
  LogicalResult placeInitialState(int64_t initBytes, uint64_t imageBytes, const char *source);
  void putInitialValues(uint64_t offset, const void *data, size_t size);
  LogicalResult verifyWithRuntime(const std::vector<uint8_t> &bytes);
  void summarize(PlanSummary *summary);
  llvm::SetVector<Operation *> forwardOps(PlanSummary *summary);
  void describeBuffers(PlanSummary *summary);
  void findPeak(PlanSummary *summary);
  tidemark::PlanStatistics planStatistics(const PlanSummary &summary);

  std::vector<int> ids(ValueRange values) {
    std::vector<int> result;
    for (Value value : values)
      result.push_back(tensorOf.lookup(value));
    return result;
  }
  int rootOf(int tensor) {
    int base = builder.tensor(tensor).view_of;
    return base >= 0 ? base : tensor;
  }
  std::string valueName(Value value);
  LogicalResult claimName(const std::string &name, const std::string &role);

  func::FuncOp func;
  const PlanWriterOptions &options;
  FunctionLiveness live;
  PlanBuilder builder;
  llvm::DenseMap<Value, int> tensorOf;
  std::vector<int> stateTensors;          ///< Tensor ids of the state tensors, argument order.
  std::vector<std::string> argumentNames; ///< Per argument: its parameter name, or "".
  std::vector<Value> outputs;
  llvm::DenseMap<Operation *, int> returnedConstants; ///< Constant op -> its data tensor.
  /// Rope cos/sin tables by (positions, rot_dim, base, offset): one Constant tensor each.
  std::map<std::tuple<int64_t, int64_t, double, int64_t>, int> ropeTables;
  std::vector<int64_t> planStepOf;               ///< Per block step: plan step id, or -1 (a view).
  std::map<std::string, std::string> boundNames; ///< Binding name -> what it names.
  int64_t stateBytes = 0;
  int64_t constantBytes = 0;
  bool externalState = false; ///< The initial state goes to options.externalState.
  int64_t ioBytes = 0;
  int64_t scratchBytes = 0; ///< The runtime's kernel scratch on options.scratchThreads threads.
  bool training = false;
};

/// Binding names (inputs, outputs, state) must be unique in the plan. The dialect checks the
/// names it is given; this catches a given name that collides with one the writer derives
/// (`loss`, `output<i>`, `<param>.<state kind>`).
LogicalResult PlanEmitter::claimName(const std::string &name, const std::string &role) {
  auto [it, inserted] = boundNames.emplace(name, role);
  if (inserted)
    return success();
  return func.emitError()
         << "binding name '" << name << "' of " << role << " is already the name of " << it->second
         << "; inputs, outputs and state tensors need distinct names (rename it in "
            "tide.input_names / tide.param_names)";
}

std::string PlanEmitter::valueName(Value value) {
  Operation *op = value.getDefiningOp();
  std::string name =
      "s" + std::to_string(live.idOf.lookup(value)) + "." + op->getName().stripDialect().str();
  if (op->getNumResults() > 1)
    name += "." + std::to_string(cast<OpResult>(value).getResultNumber());
  for (Value operand : op->getOperands()) // Name the parameter it uses, if any.
    if (auto arg = dyn_cast<BlockArgument>(operand))
      if (!argumentNames[arg.getArgNumber()].empty() &&
          !func.getArgAttr(arg.getArgNumber(), "tide.state"))
        return name + "[" + argumentNames[arg.getArgNumber()] + "]";
  return name;
}

LogicalResult PlanEmitter::elementType(Value value, Operation *where, tidemark::DType *dtype) {
  Type element = cast<RankedTensorType>(value.getType()).getElementType();
  if (element.isF32()) {
    *dtype = tidemark::DType::kF32;
    return success();
  }
  if (element.isSignlessInteger(32)) {
    *dtype = tidemark::DType::kI32;
    return success();
  }
  return where->emitError() << "the runtime supports f32 and i32 tensors only, got "
                            << value.getType()
                            << (element.isInteger(64) ? " (class labels must be i32)" : "");
}

LogicalResult PlanEmitter::addArguments() {
  auto paramNames = func->getAttrOfType<ArrayAttr>("tide.param_names");
  auto inputNames = func->getAttrOfType<ArrayAttr>("tide.input_names");
  std::vector<std::string> nameOfArg(func.getNumArguments());
  argumentNames.assign(func.getNumArguments(), "");
  int numParams = 0, numInputs = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    Value arg = func.getArgument(i);
    tidemark::DType dtype;
    if (failed(elementType(arg, func, &dtype)))
      return failure();
    auto stateKind = func.getArgAttrOfType<StringAttr>(i, "tide.state");
    if (func.getArgAttr(i, "tide.param") && !stateKind) {
      nameOfArg[i] = paramNames && numParams < static_cast<int>(paramNames.size())
                         ? stringOr(paramNames[numParams], "param" + std::to_string(numParams))
                         : "param" + std::to_string(numParams);
      ++numParams;
    } else if (stateKind) {
      auto of = func.getArgAttrOfType<IntegerAttr>(i, "tide.state_of");
      if (!of || of.getInt() < 0 || of.getInt() >= static_cast<int64_t>(i))
        return func.emitError() << "argument " << i << " has tide.state but no valid tide.state_of";
      nameOfArg[i] = nameOfArg[of.getInt()] + "." + stateKind.str();
    } else {
      std::string name = inputNames && numInputs < static_cast<int>(inputNames.size())
                             ? stringOr(inputNames[numInputs], "input" + std::to_string(numInputs))
                             : "input" + std::to_string(numInputs);
      ++numInputs;
      if (failed(claimName(name, "input argument #" + std::to_string(i))))
        return failure();
      tensorOf[arg] = builder.AddInput(name, shapeOf(arg), dtype);
      ioBytes += alignUp(bytesOf(arg), kIoAlignment);
      continue;
    }
    if (!stateKind)
      argumentNames[i] = nameOfArg[i];
    if (failed(claimName(nameOfArg[i], (stateKind ? "the optimizer state argument #"
                                                  : "the parameter argument #") +
                                           std::to_string(i))))
      return failure();
    tidemark::TensorSpec spec;
    spec.name = nameOfArg[i];
    spec.shape = shapeOf(arg);
    spec.dtype = dtype;
    spec.location = tidemark::TensorLocation::kState;
    spec.offset = static_cast<uint64_t>(stateBytes);
    tensorOf[arg] = builder.AddTensor(spec);
    stateTensors.push_back(tensorOf[arg]);
    stateBytes = alignUp(stateBytes + bytesOf(arg), kStateAlignment);
  }
  return success();
}

LogicalResult PlanEmitter::addReturnedValues() {
  Operation *terminator = func.getBody().front().getTerminator();
  for (auto [index, value] : llvm::enumerate(terminator->getOperands())) {
    if (auto updates = func.getResultAttrOfType<IntegerAttr>(index, "tide.updates")) {
      int64_t arg = updates.getInt();
      if (arg < 0 || arg >= func.getNumArguments() || !value.getDefiningOp())
        return terminator->emitError() << "result " << index << " has an invalid tide.updates";
      tensorOf[value] = tensorOf.lookup(func.getArgument(arg));
      continue;
    }
    if (tensorOf.count(value))
      return terminator->emitError()
             << "result " << index
             << " returns a value that is already bound (an argument or another result); the "
                "plan format gives each output its own buffer";
    tidemark::DType dtype;
    if (failed(elementType(value, terminator, &dtype)))
      return failure();
    std::string name = training && index == 0 ? "loss" : "output" + std::to_string(index);
    if (failed(claimName(name, "result #" + std::to_string(index))))
      return failure();
    tensorOf[value] = builder.AddOutput(name, shapeOf(value), dtype);
    ioBytes += alignUp(bytesOf(value), kIoAlignment);
    outputs.push_back(value);
  }
  return success();
}

LogicalResult PlanEmitter::addConstantsAndAnchors() {
  for (auto [step, op] : llvm::enumerate(live.steps)) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense || !dense.getElementType().isF32())
        return op->emitError() << "the plan writer supports f32 dense tensor constants only";
      constantBytes += bytesOf(constant.getResult());
      if (constantBytes > kMaxConstantBytes)
        return op->emitError() << "the plan's inline constants exceed " << kMaxConstantBytes
                               << " bytes (the plan format holds at most 2 GiB); pass large "
                                  "tensors as inputs or parameters instead";
      std::vector<float> values(dense.getValues<float>().begin(), dense.getValues<float>().end());
      int data = builder.AddConstant("const" + std::to_string(step), shapeOf(constant.getResult()),
                                     values);
      if (tensorOf.count(constant.getResult()))
        returnedConstants[op] = data; // An output: its step copies the constant into it.
      else
        tensorOf[constant.getResult()] = data;
      continue;
    }
    if (isa<ReshapeOp>(op))
      continue;
    auto offsets = op->getAttrOfType<DenseI64ArrayAttr>("tide.arena_offsets");
    if (op->getNumResults() != 0 &&
        (!offsets || offsets.size() != static_cast<int64_t>(op->getNumResults())))
      return op->emitError() << "no tide.arena_offsets: run -tide-assign-arena before writing "
                                "a plan";
    for (auto [index, result] : llvm::enumerate(op->getResults())) {
      const auto &group = live.groupOf(result);
      if (tensorOf.count(result) || group.pinned)
        continue;
      if (group.members.front() != live.idOf.lookup(result))
        continue; // A view of the group's first member (added by addViews).
      tidemark::DType dtype;
      if (failed(elementType(result, op, &dtype)))
        return failure();
      int64_t offset = offsets[index];
      if (offset < 0)
        return op->emitError() << "result " << index
                               << " is in the arena but has offset -1 in tide.arena_offsets";
      tensorOf[result] = builder.AddArenaTensor(valueName(result), shapeOf(result),
                                                static_cast<uint64_t>(offset), -1, -1, dtype);
    }
  }
  return success();
}

LogicalResult PlanEmitter::addViews() {
  for (Operation *op : live.steps) {
    for (Value result : op->getResults()) {
      if (tensorOf.count(result))
        continue;
      const auto &group = live.groupOf(result);
      int anchor = -1;
      for (int64_t member : group.members) {
        Value other = live.values[member];
        if (!tensorOf.count(other) || builder.tensor(tensorOf[other]).view_of >= 0)
          continue;
        if (anchor >= 0 && anchor != tensorOf[other])
          return op->emitError() << "a result shares storage with two bound tensors ('"
                                 << builder.tensor(anchor).name << "' and '"
                                 << builder.tensor(tensorOf[other]).name
                                 << "'); the plan format cannot express that";
        anchor = tensorOf[other];
      }
      if (anchor < 0)
        return op->emitError() << "result has no storage: its group holds no placed value";
      if (builder.tensor(anchor).location == tidemark::TensorLocation::kArena) {
        auto offsets = op->getAttrOfType<DenseI64ArrayAttr>("tide.arena_offsets");
        int64_t index = cast<OpResult>(result).getResultNumber();
        if (offsets && offsets[index] >= 0 &&
            static_cast<uint64_t>(offsets[index]) != builder.tensor(anchor).offset)
          return op->emitError() << "result shares storage with '" << builder.tensor(anchor).name
                                 << "' but tide.arena_offsets places it elsewhere";
      }
      if (bytesOf(result) > bytesOf(live.values[group.members.front()]) &&
          builder.tensor(anchor).location == tidemark::TensorLocation::kArena)
        return op->emitError() << "result is larger than the storage it shares";
      tensorOf[result] = builder.AddView(valueName(result), shapeOf(result), anchor, 0);
    }
  }
  return success();
}

LogicalResult PlanEmitter::addBroadcast(BroadcastOp op) {
  std::vector<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getResult());
  size_t lead = out.size() - in.size();
  std::vector<int64_t> padded(lead, 1);
  padded.insert(padded.end(), in.begin(), in.end());
  tidemark::ReduceAttributes attrs;
  bool expands = false; // Some kept dimension of size 1 grows.
  for (size_t i = 0; i < out.size(); ++i) {
    if (i < lead || (padded[i] == 1 && out[i] != 1))
      attrs.axes.push_back(static_cast<int>(i));
    expands = expands || (i >= lead && padded[i] == 1 && out[i] != 1);
  }
  int input = tensorOf.lookup(op.getInput());
  int result = tensorOf.lookup(op.getResult());
  if (attrs.axes.empty())
    return success(builder.AddStep(KernelId::kCopy, {input}, {result}, {}, describe(op)) >= 0);
  attrs.keep_dims = expands;
  if (expands && lead > 0) // Read the input through a view with the leading 1s spelled out.
    input = builder.AddView(builder.tensor(input).name + ".padded", padded, rootOf(input), 0);
  builder.AddStep(KernelId::kReduceSumGrad, {input}, {result}, attrs, describe(op));
  return success();
}

LogicalResult PlanEmitter::addStep(Operation *op) {
  std::string name = describe(op);
  if (std::optional<KernelId> kernel = directKernel(op)) {
    builder.AddStep(*kernel, ids(op->getOperands()), ids(op->getResults()), {}, name);
    return success();
  }
  if (auto kernel = kernelWithAttributes(op)) {
    builder.AddStep(kernel->first, ids(op->getOperands()), ids(op->getResults()), kernel->second,
                    name);
    return success();
  }
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case<arith::ConstantOp>([&](arith::ConstantOp c) { return addConstant(c); })
      .Case<ReshapeOp>([&](ReshapeOp r) { return addReshape(r); })
      .Case<LayerNormOp>([&](LayerNormOp ln) { return addLayerNorm(ln); })
      .Case<LayerNormGradOp>([&](LayerNormGradOp ln) { return addLayerNormGrad(ln); })
      .Case<AttentionOp>([&](AttentionOp a) { return addAttention(a); })
      .Case<RmsNormOp>([&](RmsNormOp n) {
        return addRmsNorm(n, n.getNormalizedAxis(), floatAttr(n.getEpsilonAttr()),
                          KernelId::kRmsNorm);
      })
      .Case<RmsNormGradOp>([&](RmsNormGradOp n) {
        return addRmsNorm(n, n.getAxisAttr().getInt(), 0.0f, KernelId::kRmsNormGrad);
      })
      .Case<ConcatOp>([&](ConcatOp c) { return addConcat(c); })
      .Case<RopeOp>([&](RopeOp r) { return addRope(r); })
      .Case<LmHeadLossOp>([&](LmHeadLossOp h) { return addLmHeadLoss(h); })
      .Case<BroadcastOp>([&](BroadcastOp b) { return addBroadcast(b); })
      .Case<ScaleOp>([&](ScaleOp s) { return addScale(s); })
      .Case<SgdUpdateOp>([&](SgdUpdateOp u) { return addSgdUpdate(u); })
      .Case<AdamUpdateOp>([&](AdamUpdateOp u) { return addAdamUpdate(u); })
      .Default([&](Operation *other) {
        return other->emitError() << "'" << other->getName()
                                  << "' has no Tidemark runtime kernel; the plan writer cannot "
                                     "emit it";
      });
}

LogicalResult PlanEmitter::addConstant(arith::ConstantOp op) {
  auto it = returnedConstants.find(op);
  if (it != returnedConstants.end())
    builder.AddStep(KernelId::kCopy, {it->second}, {tensorOf.lookup(op.getResult())}, {},
                    describe(op));
  return success();
}

LogicalResult PlanEmitter::addReshape(ReshapeOp op) {
  // A view unless its input and result are different bound tensors (an input returned
  // reshaped): then the runtime's Reshape kernel copies.
  int in = tensorOf.lookup(op.getInput()), out = tensorOf.lookup(op.getResult());
  if (rootOf(in) != rootOf(out))
    builder.AddStep(KernelId::kReshape, {in}, {out}, {}, describe(op));
  return success();
}

LogicalResult PlanEmitter::addLayerNorm(LayerNormOp op) {
  if (!op.getWithStats())
    return op->emitError() << "the runtime's LayerNorm always writes its statistics: run "
                              "-tide-expose-stats (or -tide-autodiff) first";
  if (op.getNormalizedAxis() != op.getInput().getType().getRank() - 1)
    return op->emitError() << "the runtime normalizes over the last axis only";
  tidemark::LayerNormAttributes attrs;
  attrs.epsilon = floatAttr(op.getEpsilonAttr());
  builder.AddStep(KernelId::kLayerNorm, ids(op->getOperands()), ids(op->getResults()), attrs,
                  describe(op));
  return success();
}

LogicalResult PlanEmitter::addLayerNormGrad(LayerNormGradOp op) {
  int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank();
  int64_t axis = op.getAxisAttr().getInt();
  if ((axis < 0 ? axis + rank : axis) != rank - 1)
    return op->emitError() << "the runtime normalizes over the last axis only";
  builder.AddStep(KernelId::kLayerNormGrad, ids(op->getOperands()), ids(op->getResults()), {},
                  describe(op));
  return success();
}

LogicalResult PlanEmitter::addAttention(AttentionOp op) {
  if (!op.getWithLse())
    return op->emitError() << "the runtime's Attention always writes the log-sum-exp: run "
                              "-tide-expose-stats (or -tide-autodiff) first";
  builder.AddStep(KernelId::kAttention, ids(op->getOperands()), ids(op->getResults()),
                  attentionAttributes(op), describe(op));
  return success();
}

LogicalResult PlanEmitter::addRmsNorm(Operation *op, int64_t axis, float epsilon, KernelId kernel) {
  int64_t rank = cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
  if ((axis < 0 ? axis + rank : axis) != rank - 1)
    return op->emitError() << "the runtime's RmsNorm normalizes over the last axis only";
  tidemark::StepAttributes attrs;
  if (kernel == KernelId::kRmsNorm)
    attrs = tidemark::LayerNormAttributes{epsilon};
  builder.AddStep(kernel, ids(op->getOperands()), ids(op->getResults()), attrs, describe(op));
  return success();
}

LogicalResult PlanEmitter::addConcat(ConcatOp op) {
  if (op.getInputs().size() > static_cast<size_t>(tidemark::kMaxStepOperands))
    return op->emitError() << "the runtime's Concat joins at most " << tidemark::kMaxStepOperands
                           << " tensors in one step, got " << op.getInputs().size()
                           << "; concatenate in groups";
  tidemark::ConcatAttributes attrs;
  attrs.axis = static_cast<int>(op.getNormalizedAxis());
  builder.AddStep(KernelId::kConcat, ids(op->getOperands()), ids(op->getResults()), attrs,
                  describe(op));
  return success();
}

/// The rope's cos/sin table is computed here once, by the runtime's own RopeTable (angles in
/// double), and stored as a Constant tensor [positions, rot_dim] shared by every rope step with
/// the same positions, rot_dim, base and offset (the forward, its recomputations and the
/// inverse rotations of the backward).
LogicalResult PlanEmitter::addRope(RopeOp op) {
  ArrayRef<int64_t> shape = op.getInput().getType().getShape();
  bool bthd = op.getLayout() == RopeLayout::BTHD;
  int64_t positions = bthd ? shape[1] : shape[2];
  int64_t rotDim = op.getRotDimAttr().getInt(), offset = op.getOffsetAttr().getInt();
  double base = op.getBase().convertToDouble();
  auto key = std::make_tuple(positions, rotDim, base, offset);
  auto [it, inserted] = ropeTables.try_emplace(key, -1);
  if (inserted) {
    constantBytes += tidemark::kernels::RopeTableFloats(positions, rotDim) * 4;
    if (constantBytes > kMaxConstantBytes)
      return op->emitError() << "the plan's inline constants (with this rope's cos/sin table) "
                                "exceed "
                             << kMaxConstantBytes << " bytes";
    std::vector<float> table(tidemark::kernels::RopeTableFloats(positions, rotDim));
    tidemark::Status status =
        tidemark::kernels::RopeTable(positions, rotDim, base, offset, table.data());
    if (!status.ok())
      return op->emitError() << "cannot build the rope table: " << status.ToString();
    it->second =
        builder.AddConstant(valueName(op.getResult()) + ".table", {positions, rotDim}, table);
  }
  tidemark::RopeAttributes attrs;
  attrs.layout = bthd ? 0 : 1;
  attrs.rot_dim = static_cast<int>(rotDim);
  attrs.inverse = op.getInverse();
  builder.AddStep(KernelId::kRope, {tensorOf.lookup(op.getInput()), it->second},
                  ids(op->getResults()), attrs, describe(op));
  return success();
}

LogicalResult PlanEmitter::addLmHeadLoss(LmHeadLossOp op) {
  if (!op.getWithLse())
    return op->emitError() << "the runtime's LmHeadLoss always writes the per-row log-sum-exp: "
                              "run -tide-expose-stats (or -tide-autodiff) first";
  builder.AddStep(KernelId::kLmHeadLoss, ids(op->getOperands()), ids(op->getResults()),
                  lmHeadLossAttributes(op), describe(op));
  return success();
}

LogicalResult PlanEmitter::addScale(ScaleOp op) {
  int factor = builder.AddConstant(valueName(op.getResult()) + ".factor", {1},
                                   {floatAttr(op.getFactorAttr())});
  builder.AddStep(KernelId::kMul, {tensorOf.lookup(op.getInput()), factor}, ids(op->getResults()),
                  {}, describe(op));
  return success();
}

LogicalResult PlanEmitter::requireInPlace(Operation *op, Value operand, Value result) {
  if (tensorOf.lookup(operand) == tensorOf.lookup(result))
    return success();
  return op->emitError() << "an optimizer update must overwrite its state operand in place: the "
                            "result's tide.updates must name that argument";
}

LogicalResult PlanEmitter::addSgdUpdate(SgdUpdateOp op) {
  if (failed(requireInPlace(op, op.getParam(), op.getNewParam())) ||
      (op.getVelocity() && failed(requireInPlace(op, op.getVelocity(), op.getNewVelocity()))))
    return failure();
  tidemark::SgdAttributes attrs;
  attrs.learning_rate = floatAttr(op.getLearningRateAttr());
  attrs.momentum = floatAttr(op.getMomentumAttr());
  attrs.weight_decay = floatAttr(op.getWeightDecayAttr());
  attrs.schedule = lrSchedule(op);
  builder.AddStep(KernelId::kSgdUpdate, ids(op->getOperands()), ids(op->getResults()), attrs,
                  describe(op));
  return success();
}

LogicalResult PlanEmitter::addAdamUpdate(AdamUpdateOp op) {
  if (failed(requireInPlace(op, op.getParam(), op.getNewParam())) ||
      failed(requireInPlace(op, op.getM(), op.getNewM())) ||
      failed(requireInPlace(op, op.getV(), op.getNewV())))
    return failure();
  tidemark::AdamAttributes attrs; // L2 weight decay, or decoupled (AdamW) with `decoupled`.
  attrs.learning_rate = floatAttr(op.getLearningRateAttr());
  attrs.beta1 = floatAttr(op.getBeta1Attr());
  attrs.beta2 = floatAttr(op.getBeta2Attr());
  attrs.epsilon = floatAttr(op.getEpsilonAttr());
  attrs.weight_decay = floatAttr(op.getWeightDecayAttr());
  attrs.decoupled_weight_decay = op.getDecoupled();
  attrs.schedule = lrSchedule(op);
  builder.AddStep(KernelId::kAdamUpdate, ids(op->getOperands()), ids(op->getResults()), attrs,
                  describe(op));
  return success();
}

LogicalResult PlanEmitter::addSteps() {
  for (Operation *op : live.steps) {
    int before = builder.num_steps();
    if (failed(addStep(op)))
      return failure();
    planStepOf.push_back(builder.num_steps() > before ? before : -1);
  }
  return success();
}

/// The runtime updates state in place, so no op may read a parameter or state after its update.
LogicalResult PlanEmitter::checkUpdatesComeLast() {
  llvm::DenseMap<int, int64_t> updatedAt;
  for (auto [step, op] : llvm::enumerate(live.steps)) {
    if (!isa<SgdUpdateOp, AdamUpdateOp>(op)) {
      for (Value operand : op->getOperands()) {
        if (!isa<BlockArgument>(operand))
          continue;
        auto it = updatedAt.find(tensorOf.lookup(operand));
        if (it != updatedAt.end())
          return op->emitError() << "reads '" << builder.tensor(it->first).name
                                 << "' after its in-place update at step " << it->second
                                 << ": run -tide-schedule, which orders updates last";
      }
    }
    if (isa<SgdUpdateOp, AdamUpdateOp>(op))
      for (Value result : op->getResults())
        updatedAt[tensorOf.lookup(result)] = step;
  }
  return success();
}

void PlanEmitter::assignIntervals() {
  // firstPlanStep[s]: the first plan step at or after block step s.
  size_t numBlock = planStepOf.size();
  std::vector<int64_t> firstAtOrAfter(numBlock + 1, builder.num_steps());
  std::vector<int64_t> lastAtOrBefore(numBlock, -1);
  for (size_t s = numBlock; s-- > 0;)
    firstAtOrAfter[s] = planStepOf[s] >= 0 ? planStepOf[s] : firstAtOrAfter[s + 1];
  for (size_t s = 0; s < numBlock; ++s)
    lastAtOrBefore[s] = planStepOf[s] >= 0 ? planStepOf[s] : (s ? lastAtOrBefore[s - 1] : -1);
  for (const auto &group : live.liveness.groups) {
    if (group.pinned || group.end <= group.start)
      continue;
    int tensor = tensorOf.lookup(live.values[group.members.front()]);
    int64_t first = firstAtOrAfter[std::max<int64_t>(group.start, 0)];
    int64_t last = lastAtOrBefore[std::min<int64_t>(group.end - 1, numBlock - 1)];
    if (first > last)
      continue; // Only views touch it; no step names it.
    builder.tensor(tensor).live_first = static_cast<int>(first);
    builder.tensor(tensor).live_last = static_cast<int>(last);
  }
  builder.AssignLiveIntervalsFromSteps(); // The views: their own first and last steps.
}

/// Decides where `initBytes` of initial values (covering the state region up to `imageBytes`)
/// go: inline, or into options.externalState (allocated here, zero-filled); fails before
/// anything is drawn or copied when neither is possible.
LogicalResult PlanEmitter::placeInitialState(int64_t initBytes, uint64_t imageBytes,
                                             const char *source) {
  int64_t limit = std::min(options.maxInlineStateBytes, kMaxStateInitBytes);
  if (initBytes <= limit)
    return success();
  if (!options.externalState || options.externalStatePath.empty())
    return func.emitError()
           << "the parameters' initial values (" << source << ") need " << initBytes
           << " bytes, more than a plan holds inline (" << limit
           << " bytes; the plan format is capped at 2 GiB); write the plan to a file (--emit=plan, "
              "which puts the state in a file next to it), or compile with --init=zeros and load "
              "the values at run time with tide-run --weights FILE (tide-models --weights FILE "
              "--seed S writes them)";
  if (imageBytes > tidemark::kMaxRegionBytes)
    return func.emitError() << "the parameters' initial values reach byte " << imageBytes
                            << " of the state region; the runtime's limit is "
                            << tidemark::kMaxRegionBytes << " bytes (1 TiB)";
  externalState = true;
  options.externalState->assign(static_cast<size_t>(imageBytes), 0);
  builder.SetExternalWeights(options.externalStatePath, 0, imageBytes);
  return success();
}

void PlanEmitter::putInitialValues(uint64_t offset, const void *data, size_t size) {
  if (externalState)
    std::memcpy(options.externalState->data() + offset, data, size);
  else
    builder.AddStateInit(offset, data, size);
}

/// Initial values from each parameter's tide.init (docs/tidec.md, "Initial parameter values").
/// Zeros are not written (the state region starts at zero). O(parameter elements).
LogicalResult PlanEmitter::applyModelInit() {
  std::vector<unsigned> missing;
  struct Pending {
    unsigned arg;
    tidemark::builder::Argument parameter;
  };
  std::vector<Pending> pending;
  int64_t initBytes = 0;
  uint64_t imageBytes = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    if (argumentNames[i].empty())
      continue; // An input or an optimizer state (starts at zero).
    auto text = func.getArgAttrOfType<StringAttr>(i, TideDialect::kInitAttrName);
    if (!text) {
      missing.push_back(i);
      continue;
    }
    tidemark::builder::Argument parameter;
    parameter.name = argumentNames[i];
    parameter.shape = shapeOf(func.getArgument(i));
    parameter.isParam = true;
    std::string error;
    if (!tidemark::builder::ParamInit::parse(text.str(), &parameter.init, &error))
      return func.emitError() << "parameter '" << parameter.name << "': " << error;
    const tidemark::TensorSpec &spec = builder.tensor(tensorOf.lookup(func.getArgument(i)));
    if (spec.dtype != tidemark::DType::kF32)
      return func.emitError() << "parameter '" << parameter.name
                              << "': tide.init draws f32 values, but the parameter is "
                              << tidemark::DTypeName(spec.dtype) << "; give --weights";
    if (parameter.init.kind == tidemark::builder::ParamInit::Kind::Zeros)
      continue;
    initBytes += bytesOf(func.getArgument(i));
    imageBytes = std::max<uint64_t>(imageBytes, spec.offset + bytesOf(func.getArgument(i)));
    pending.push_back({i, std::move(parameter)});
  }
  if (!missing.empty()) {
    InFlightDiagnostic diag = func.emitError()
                              << missing.size() << " parameter(s) have no initial value: ";
    for (size_t k = 0; k < missing.size() && k < 20; ++k)
      diag << (k ? ", " : "") << "'" << argumentNames[missing[k]] << "' (argument #" << missing[k]
           << ")";
    if (missing.size() > 20)
      diag << ", ... (" << missing.size() - 20 << " more)";
    diag << "; give --weights FILE.safetensors (tide-models --weights writes one), add "
            "tide.init = \"normal(0, 0.02)\" (or \"zeros\", \"ones\", \"uniform(LOW, HIGH)\") "
            "to each parameter, or pass --init=zeros to start every parameter at zero";
    return failure();
  }
  if (failed(placeInitialState(initBytes, imageBytes, "from tide.init")))
    return failure();
  for (const Pending &p : pending) { // One parameter's values in memory at a time.
    std::vector<float> values = tidemark::builder::initialValues(p.parameter, options.seed);
    putInitialValues(builder.tensor(tensorOf.lookup(func.getArgument(p.arg))).offset, values.data(),
                     values.size() * sizeof(float));
  }
  return success();
}

LogicalResult PlanEmitter::applyWeights() {
  if (!options.weights)
    return options.initialValues == InitialValues::FromModel ? applyModelInit() : success();
  std::string missing, mismatched;
  bool anyMissing = false;
  std::vector<std::pair<uint64_t, const tidemark::WeightTensor *>> matched; ///< (offset, tensor)
  for (int tensor : stateTensors) {
    const tidemark::TensorSpec &spec = builder.tensor(tensor);
    const tidemark::WeightTensor *weight = options.weights->Find(spec.name);
    bool isParameter = spec.name.find(".sgd_velocity") == std::string::npos &&
                       spec.name.find(".adam_") == std::string::npos;
    if (!weight) {
      if (isParameter) {
        missing += (anyMissing ? ", " : "") + spec.name;
        anyMissing = true;
      }
      continue; // Optimizer state absent from the file starts at zero.
    }
    if (weight->dtype != spec.dtype || weight->shape != spec.shape) {
      auto text = [](const std::vector<int64_t> &shape) {
        std::string s = "[";
        for (size_t i = 0; i < shape.size(); ++i)
          s += (i ? "," : "") + std::to_string(shape[i]);
        return s + "]";
      };
      mismatched += "\n  " + spec.name + ": file has " + tidemark::DTypeName(weight->dtype) +
                    text(weight->shape) + ", the model needs " + tidemark::DTypeName(spec.dtype) +
                    text(spec.shape);
      continue;
    }
    matched.push_back({spec.offset, weight});
  }
  if (missing.empty() && mismatched.empty()) {
    int64_t initBytes = 0;
    uint64_t imageBytes = 0;
    for (const auto &[offset, weight] : matched) {
      initBytes += static_cast<int64_t>(weight->bytes.size());
      imageBytes = std::max<uint64_t>(imageBytes, offset + weight->bytes.size());
    }
    if (failed(placeInitialState(initBytes, imageBytes, "from --weights")))
      return failure();
    for (const auto &[offset, weight] : matched)
      putInitialValues(offset, weight->bytes.data(), weight->bytes.size());
    return success();
  }
  InFlightDiagnostic diag = func.emitError() << "the weights do not match the model";
  if (!missing.empty())
    diag << "; missing: " << missing;
  if (!mismatched.empty())
    diag << "; mismatched:" << mismatched;
  return failure();
}

/// The runtime loader's own passes (decode + verify, as Runtime::LoadFromMemory runs them) and
/// its check that every kernel is in this build; unlike a full load, allocates no arena or state
/// region, so verifying a plan for a large model or a --max-batch probe costs O(plan size).
LogicalResult PlanEmitter::verifyWithRuntime(const std::vector<uint8_t> &bytes) {
  tidemark::LoadedPlan loaded;
  tidemark::Status status = tidemark::LoadAndVerifyPlan(bytes.data(), bytes.size(), &loaded);
  for (size_t s = 0; status.ok() && s < loaded.steps.size(); ++s) {
    status = tidemark::CheckKernelAvailable(loaded.steps[s].kernel);
    size_t scratch = tidemark::StepScratchBytes(loaded, loaded.steps[s], options.scratchThreads);
    scratchBytes = std::max(scratchBytes, static_cast<int64_t>(scratch));
  }
  if (status.ok())
    return success();
  return func.emitError() << "internal error: the runtime rejects the written plan: "
                          << status.ToString();
}

void PlanEmitter::summarize(PlanSummary *summary) {
  PlanSummary &s = *summary;
  s.stateBytes = stateBytes;
  s.ioBytes = ioBytes;
  if (auto arena = func->getAttrOfType<DictionaryAttr>("tide.arena"))
    if (auto size = arena.getAs<IntegerAttr>("size"))
      s.arenaBytes = size.getInt();
  s.peakBytes = s.stateBytes + s.arenaBytes + s.ioBytes;
  s.numBlockSteps = static_cast<int64_t>(live.steps.size());
  s.numPlanSteps = builder.num_steps();
  s.numInputs = static_cast<int64_t>(func.getNumArguments() - stateTensors.size());
  s.numOutputs = static_cast<int64_t>(outputs.size());
  s.numStateTensors = static_cast<int64_t>(stateTensors.size());
  describeBuffers(&s);
  findPeak(&s);
}

llvm::SetVector<Operation *> PlanEmitter::forwardOps(PlanSummary *s) {
  llvm::SetVector<Operation *> forward;
  if (!training || outputs.empty() || !outputs.front().getDefiningOp())
    return forward;
  Operation *lossOp = outputs.front().getDefiningOp();
  forward.insert(lossOp);
  for (size_t i = 0; i < forward.size(); ++i)
    for (Value operand : forward[i]->getOperands())
      if (Operation *def = operand.getDefiningOp())
        forward.insert(def);
  s->lossStep = std::find(live.steps.begin(), live.steps.end(), lossOp) - live.steps.begin();
  return forward;
}

void PlanEmitter::describeBuffers(PlanSummary *s) {
  llvm::SetVector<Operation *> forward = forwardOps(s); // What the loss depends on.
  for (const auto &group : live.liveness.groups) {
    if (group.pinned || group.end <= group.start)
      continue;
    Value anchor = live.values[group.members.front()];
    Operation *op = anchor.getDefiningOp();
    PlanBuffer buffer;
    buffer.name = builder.tensor(tensorOf.lookup(anchor)).name;
    buffer.opName = op->getName().getStringRef().str();
    buffer.location = sourceLine(op);
    buffer.bytes = group.sizeBytes;
    buffer.offset = static_cast<int64_t>(builder.tensor(tensorOf.lookup(anchor)).offset);
    buffer.firstStep = group.start;
    buffer.lastStep = group.end - 1;
    if (op->hasAttr("tide.recomputed"))
      buffer.kind = BufferKind::Recomputed;
    else if (!training)
      buffer.kind = BufferKind::Temporary;
    else if (!forward.contains(op))
      buffer.kind = BufferKind::Gradient;
    else
      buffer.kind = buffer.lastStep > s->lossStep ? BufferKind::Kept : BufferKind::Temporary;
    s->buffers.push_back(buffer);
  }
}

/// A sweep over +bytes at each buffer's first step and -bytes after its last: O(buffers + steps).
void PlanEmitter::findPeak(PlanSummary *s) {
  std::vector<int64_t> delta(live.steps.size() + 1, 0);
  for (const PlanBuffer &b : s->buffers) {
    delta[b.firstStep] += b.bytes;
    delta[b.lastStep + 1] -= b.bytes;
  }
  int64_t liveBytes = 0;
  for (size_t step = 0; step < live.steps.size(); ++step) {
    liveBytes += delta[step];
    if (liveBytes > s->loadBytes) {
      s->loadBytes = liveBytes;
      s->peakStep = static_cast<int64_t>(step);
    }
  }
  if (s->peakStep < 0)
    return;
  s->peakOp = describe(live.steps[s->peakStep]);
  for (size_t i = 0; i < s->buffers.size(); ++i)
    if (s->buffers[i].firstStep <= s->peakStep && s->peakStep <= s->buffers[i].lastStep)
      s->liveAtPeak.push_back(i);
  std::stable_sort(s->liveAtPeak.begin(), s->liveAtPeak.end(),
                   [&](size_t a, size_t b) { return s->buffers[a].bytes > s->buffers[b].bytes; });
}

tidemark::PlanStatistics PlanEmitter::planStatistics(const PlanSummary &summary) {
  tidemark::PlanStatistics stats;
  stats.load_bytes = static_cast<uint64_t>(summary.loadBytes);
  if (auto arena = func->getAttrOfType<DictionaryAttr>("tide.arena"))
    if (auto load = arena.getAs<IntegerAttr>("load"))
      stats.load_bytes = static_cast<uint64_t>(load.getInt());
  if (auto remat = func->getAttrOfType<DictionaryAttr>("tide.remat")) {
    auto get = [&](StringRef key) {
      auto value = remat.getAs<IntegerAttr>(key);
      return value ? value.getInt() : 0;
    };
    auto count = [&](StringRef key) { // Reported statistics: saturate, never wrap.
      return static_cast<uint32_t>(std::clamp<int64_t>(get(key), 0, UINT32_MAX));
    };
    stats.values_kept = count("values_kept");
    stats.ops_recomputed = count("ops_recomputed");
    stats.extra_flops = static_cast<uint64_t>(std::max<int64_t>(get("extra_flops"), 0));
  }
  for (int64_t s = 0; s <= summary.peakStep; ++s) // The last kernel step at or before the peak.
    stats.peak_step = planStepOf[s] >= 0 ? static_cast<int>(planStepOf[s]) : stats.peak_step;
  return stats;
}

LogicalResult PlanEmitter::run(std::vector<uint8_t> *bytes, PlanSummary *summary) {
  training = func->hasAttr("tide.optimizer");
  FailureOr<FunctionLiveness> liveness = computeFunctionLiveness(func, /*allowInPlace=*/true);
  if (failed(liveness))
    return failure();
  live = std::move(*liveness);
  auto arena = func->getAttrOfType<DictionaryAttr>("tide.arena");
  auto size = arena ? arena.getAs<IntegerAttr>("size") : IntegerAttr();
  auto alignment = arena ? arena.getAs<IntegerAttr>("alignment") : IntegerAttr();
  if (!size || !alignment)
    return func.emitError() << "no tide.arena attribute: run -tide-assign-arena before writing "
                               "a plan";
  int64_t align = alignment.getInt();
  if (align < 4 || align > 4096 || (align & (align - 1)) != 0)
    return func.emitError() << "tide.arena alignment " << align
                            << " is not a power of two in [4, 4096], as the plan format requires";
  if (size.getInt() < 0 || size.getInt() > static_cast<int64_t>(tidemark::kMaxRegionBytes))
    return func.emitError() << "the arena needs " << size.getInt()
                            << " bytes; the runtime's limit is " << tidemark::kMaxRegionBytes
                            << " bytes (1 TiB)";
  if (live.steps.size() > static_cast<size_t>(INT32_MAX / 2))
    return func.emitError() << "the function has " << live.steps.size()
                            << " ops; the plan format numbers steps with 32-bit integers";
  builder.SetArena(static_cast<uint64_t>(size.getInt()), static_cast<uint32_t>(align));
  if (failed(addArguments()) || failed(addReturnedValues()) || failed(addConstantsAndAnchors()) ||
      failed(addViews()) || failed(addSteps()) || failed(checkUpdatesComeLast()) ||
      failed(applyWeights()))
    return failure();
  if (stateBytes > static_cast<int64_t>(tidemark::kMaxRegionBytes))
    return func.emitError() << "the parameters and optimizer state need " << stateBytes
                            << " bytes; the runtime's limit is " << tidemark::kMaxRegionBytes
                            << " bytes (1 TiB)";
  builder.SetState(static_cast<uint64_t>(stateBytes), kStateAlignment);
  assignIntervals();
  summarize(summary);

  builder.SetStatistics(planStatistics(*summary));
  builder.SetProducer(options.producer);
  builder.SetSeed(options.seed);
  *bytes = builder.Finish();
  if (failed(verifyWithRuntime(*bytes)))
    return failure();
  summary->scratchBytes = scratchBytes;
  summary->scratchThreads = options.scratchThreads;
  return success();
}

} // namespace

LogicalResult mlir::tide::writePlan(func::FuncOp func, const PlanWriterOptions &options,
                                    std::vector<uint8_t> *bytes, PlanSummary *summary) {
  PlanSummary local;
  PlanEmitter emitter(func, options);
  return emitter.run(bytes, summary ? summary : &local);
}
