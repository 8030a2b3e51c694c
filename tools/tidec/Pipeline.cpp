//===- Pipeline.cpp - tidec's in-process compilation pipeline -------------===//
//
// See Pipeline.h. The `NN%` budget plans a copy of the module with remat=none first; `auto`
// reads MemAvailable from /proc/meminfo.
//
//===----------------------------------------------------------------------===//

#include "Pipeline.h"

#include "compiler/dialect/TideFrontEnd.h"
#include "compiler/dialect/TideOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "passes/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

using namespace mlir;

namespace tidec {
namespace {

/// Adds each pass's wall time to a list kept in first-run order.
class PassTimer : public PassInstrumentation {
public:
  explicit PassTimer(std::vector<std::pair<std::string, double>> *seconds) : seconds(seconds) {}
  void runBeforePass(Pass *pass, Operation *) override {
    started[pass] = std::chrono::steady_clock::now();
  }
  void runAfterPass(Pass *pass, Operation *) override { record(pass); }
  void runAfterPassFailed(Pass *pass, Operation *) override { record(pass); }

private:
  void record(Pass *pass) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started[pass]).count();
    std::string name = pass->getArgument().str();
    if (name.empty())
      return; // The pass manager's nesting adaptor: its time is its passes' time.
    for (auto &entry : *seconds)
      if (entry.first == name) {
        entry.second += elapsed;
        return;
      }
    seconds->emplace_back(name, elapsed);
  }
  std::vector<std::pair<std::string, double>> *seconds;
  std::map<Pass *, std::chrono::steady_clock::time_point> started;
};

/// The module's location, or file:1:1 when it is the parser's implicit module (at 0:0).
Location moduleLocation(ModuleOp module) {
  if (auto loc = dyn_cast<FileLineColLoc>(module.getLoc()); loc && loc.getLine() == 0)
    return FileLineColLoc::get(loc.getFilename(), 1, 1);
  return module.getLoc();
}

/// The module's one function with a body; otherwise emits a located error and returns null.
func::FuncOp singleFunction(ModuleOp module, std::string *error) {
  SmallVector<func::FuncOp> functions, declarations;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    (func.isExternal() ? declarations : functions).push_back(func);
  if (functions.size() > 1) {
    functions[1].emitError() << "tidec compiles one function, but the module has "
                             << functions.size() << " functions with a body (@"
                             << functions[0].getSymName() << " and @" << functions[1].getSymName()
                             << (functions.size() > 2 ? ", ..." : "") << ")";
    *error = "tidec compiles one function; the module has " + std::to_string(functions.size());
    return nullptr;
  }
  if (functions.empty()) {
    if (!declarations.empty())
      declarations.front().emitError()
          << "@" << declarations.front().getSymName()
          << " is only a declaration; tidec needs one func.func with a body of tide ops";
    else
      emitError(moduleLocation(module))
          << "the module has no function; tidec needs one func.func with a body of tide ops";
    *error = "the module has no function with a body";
    return nullptr;
  }
  func::FuncOp func = functions.front();
  bool hasTideOp = false;
  func.walk([&](Operation *op) {
    hasTideOp = hasTideOp || isa<tide::TideDialect>(op->getDialect());
    return hasTideOp ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (!hasTideOp) {
    func.emitError() << "@" << func.getSymName()
                     << " has no tide op; tidec compiles a function of tide ops";
    *error = "the function has no tide op";
    return nullptr;
  }
  return func;
}

void rechunkAttention(func::FuncOp func, int64_t chunk) {
  Builder b(func.getContext());
  func.walk([&](Operation *op) {
    if (isa<tide::AttentionOp, tide::AttentionGradOp>(op)) {
      op->setAttr("query_chunk", b.getI64IntegerAttr(chunk));
      op->setAttr("key_chunk", b.getI64IntegerAttr(chunk));
    }
  });
}

int64_t tensorBytes(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return tensor.getNumElements() * ((tensor.getElementTypeBitWidth() + 7) / 8);
}

/// Parameters and optimizer state, as the plan writer lays them out (64-byte aligned).
int64_t stateBytes(func::FuncOp func) {
  int64_t total = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (func.getArgAttr(i, "tide.param") || func.getArgAttr(i, "tide.state"))
      total += (tensorBytes(func.getArgument(i).getType()) + 63) / 64 * 64;
  return total;
}

/// Inputs and outputs (runtime-owned buffers, 64-byte rounded): non-state arguments, results that
/// are not updates.
int64_t ioBytes(func::FuncOp func) {
  int64_t total = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (!func.getArgAttr(i, "tide.param") && !func.getArgAttr(i, "tide.state"))
      total += (tensorBytes(func.getArgument(i).getType()) + 63) / 64 * 64;
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (!func.getResultAttr(i, "tide.updates"))
      total += (tensorBytes(func.getResultTypes()[i]) + 63) / 64 * 64;
  return total;
}

/// The smallest arena a failed tide-remat / tide-assign-arena diagnostic states ("smallest arena
/// ... is N bytes"), if any. Plain string search: nothing here can throw.
std::optional<int64_t> smallestArenaIn(const std::string &diagnostics) {
  for (size_t at = diagnostics.find("smallest arena"); at != std::string::npos;
       at = diagnostics.find("smallest arena", at + 1)) {
    size_t end = diagnostics.find_first_of(".\n", at);
    size_t is = diagnostics.find(" is ", at);
    if (is == std::string::npos || (end != std::string::npos && is > end))
      continue;
    size_t digits = is + 4, stop = diagnostics.find_first_not_of("0123456789", digits);
    if (stop == digits || stop == std::string::npos ||
        diagnostics.compare(stop, 6, " bytes") != 0 || stop - digits > 18)
      continue;
    return std::strtoll(diagnostics.c_str() + digits, nullptr, 10);
  }
  return std::nullopt;
}

std::optional<int64_t> memAvailableBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t value = 0;
  std::string unit;
  while (meminfo >> key >> value >> unit)
    if (key == "MemAvailable:")
      return value * 1024;
  return std::nullopt;
}

int64_t intEntry(DictionaryAttr dict, StringRef key) {
  auto value = dict ? dict.getAs<IntegerAttr>(key) : IntegerAttr();
  return value ? value.getInt() : 0;
}

void addPreparation(OpPassManager &pm, const PipelineOptions &o) {
  if (o.train.empty()) {
    pm.addNestedPass<func::FuncOp>(tide::createInlineCheckpoints());
    pm.addNestedPass<func::FuncOp>(tide::createExposeStats());
    return;
  }
  tide::AutodiffOptions autodiff;
  autodiff.optimizer = o.train;
  autodiff.learningRate = o.learningRate.value_or(o.train == "sgd" ? 0.01 : 1e-3);
  autodiff.momentum = o.momentum;
  autodiff.beta1 = o.beta1;
  autodiff.beta2 = o.beta2;
  autodiff.epsilon = o.epsilon;
  autodiff.weightDecay = o.weightDecay;
  autodiff.clipGradNorm = o.clipGradNorm.value_or(0.0);
  autodiff.lrSchedule = o.lrSchedule;
  autodiff.warmupSteps = o.warmupSteps;
  autodiff.totalSteps = o.totalSteps;
  autodiff.minLr = o.minLr;
  pm.addNestedPass<func::FuncOp>(tide::createAutodiff(autodiff));
}

void addPlanning(OpPassManager &pm, const std::string &policy, int64_t capacity, double timeLimit) {
  tide::RematOptions remat;
  remat.policy = policy;
  pm.addNestedPass<func::FuncOp>(tide::createRemat(remat));
  pm.addNestedPass<func::FuncOp>(tide::createSchedule());
  tide::AssignArenaOptions arena;
  arena.capacity = capacity;
  arena.timeLimit = timeLimit;
  pm.addNestedPass<func::FuncOp>(tide::createAssignArena(arena));
}

/// The arena of the `none` plan, planned on a copy of the prepared module.
FailureOr<int64_t> noneArenaBytes(ModuleOp prepared, const PipelineOptions &o) {
  OwningOpRef<ModuleOp> copy = prepared.clone();
  PassManager pm(prepared.getContext());
  addPlanning(pm, "none", 0, o.arenaTimeLimit);
  if (failed(pm.run(*copy)))
    return failure();
  std::string error;
  func::FuncOp func = singleFunction(*copy, &error);
  return intEntry(func->getAttrOfType<DictionaryAttr>("tide.arena"), "size");
}

LogicalResult resolveBudget(ModuleOp module, func::FuncOp func, const PipelineOptions &o,
                            CompileResult *r, std::string *error) {
  if (o.budget.empty())
    return success();
  if (o.budget == "auto") {
    std::optional<int64_t> available = memAvailableBytes();
    if (!available) {
      *error = "--budget=auto: cannot read MemAvailable from /proc/meminfo";
      return failure();
    }
    int64_t budget = static_cast<int64_t>(o.autoBudgetFraction * *available) - stateBytes(func);
    if (budget <= 0) {
      *error = "--budget=auto: the state (" + std::to_string(stateBytes(func)) +
               " bytes) alone exceeds " + std::to_string(o.autoBudgetFraction) +
               " of the available memory";
      return failure();
    }
    r->budgetBytes = budget;
    return success();
  }
  if (o.budget.back() == '%') {
    double percent = std::strtod(o.budget.c_str(), nullptr);
    FailureOr<int64_t> none = noneArenaBytes(module, o);
    if (failed(none)) {
      *error = "planning the remat=none arena (for --budget=" + o.budget + ") failed";
      return failure();
    }
    r->budgetBytes = static_cast<int64_t>(std::floor(*none * percent / 100.0));
    return success();
  }
  r->budgetBytes = parseBytes(o.budget);
  return success();
}

} // namespace

std::optional<int64_t> parseBytes(const std::string &text) {
  if (text.empty())
    return std::nullopt;
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string suffix(end);
  double scale = 1;
  if (suffix == "K" || suffix == "KiB")
    scale = 1024.0;
  else if (suffix == "M" || suffix == "MiB")
    scale = 1024.0 * 1024;
  else if (suffix == "G" || suffix == "GiB")
    scale = 1024.0 * 1024 * 1024;
  else if (!suffix.empty())
    return std::nullopt;
  if (end == text.c_str() || !(value > 0) || !std::isfinite(value) || value * scale > 9e18)
    return std::nullopt;
  return static_cast<int64_t>(value * scale);
}

/// The learning-rate schedule options (with --train).
std::string validateSchedule(const PipelineOptions &o) {
  if (o.lrSchedule != "constant" && o.lrSchedule != "cosine")
    return "unknown --lr-schedule value '" + o.lrSchedule + "': expected constant or cosine";
  if (o.lrSchedule == "constant") {
    if (o.warmupSteps != 0 || o.totalSteps != 0 || o.minLr != 0.0)
      return "--warmup-steps, --total-steps and --min-lr need --lr-schedule=cosine";
    return "";
  }
  if (o.warmupSteps < 0)
    return "--warmup-steps must be >= 0";
  if (o.totalSteps <= o.warmupSteps)
    return "--total-steps (" + std::to_string(o.totalSteps) +
           ") must be greater than --warmup-steps (" + std::to_string(o.warmupSteps) + ")";
  double lr = o.learningRate.value_or(o.train == "sgd" ? 0.01 : 1e-3);
  if (!(o.minLr >= 0 && o.minLr <= lr) || !std::isfinite(o.minLr))
    return "--min-lr must be in [0, --lr]";
  return "";
}

std::string validateOptions(const PipelineOptions &o) {
  if (!o.train.empty() && o.train != "sgd" && o.train != "adam" && o.train != "adamw")
    return "unknown --train value '" + o.train + "': expected sgd, adam or adamw";
  if (o.train.empty() && (o.clipGradNorm || o.lrSchedule != "constant"))
    return "--clip-grad-norm and --lr-schedule need --train";
  const std::string &b = o.budget;
  if (!b.empty() && b != "auto") {
    if (b.back() == '%') {
      char *end = nullptr;
      double percent = std::strtod(b.c_str(), &end);
      if (end != b.c_str() + b.size() - 1 || !(percent > 0) || !std::isfinite(percent))
        return "invalid --budget '" + b + "': a percentage must be a positive number, e.g. 60%";
    } else if (!parseBytes(b)) {
      return "invalid --budget '" + b + "': expected BYTES (K, M, G suffixes), NN% or auto";
    }
  }
  const std::string &r = o.remat;
  if (r != "none" && r != "regions" && r != "budget") {
    bool segments = r.rfind("segments=", 0) == 0 && r.size() > 9 &&
                    r.find_first_not_of("0123456789", 9) == std::string::npos &&
                    std::stoll(r.substr(9, 12)) > 0;
    if (!segments)
      return "unknown --remat value '" + r + "': expected none, regions, segments=N or budget";
  }
  if (r == "budget" && b.empty())
    return "--remat=budget needs --budget";
  if (o.attentionChunk < 0)
    return "--attention-chunk must be positive";
  if (!o.train.empty()) { // The runtime's optimizer kernels accept exactly these ranges.
    if (o.learningRate && !(*o.learningRate >= 0 && std::isfinite(*o.learningRate)))
      return "--lr must be >= 0";
    if (!(o.momentum >= 0 && o.momentum <= 1))
      return "--momentum must be in [0, 1]";
    if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
      return "--beta1 and --beta2 must be in [0, 1)";
    if (!(o.epsilon > 0) || !std::isfinite(o.epsilon))
      return "--epsilon must be positive";
    if (!(o.weightDecay >= 0) || !std::isfinite(o.weightDecay))
      return "--weight-decay must be >= 0";
    if (o.clipGradNorm && !(*o.clipGradNorm > 0 && std::isfinite(*o.clipGradNorm) &&
                            static_cast<float>(*o.clipGradNorm) > 0.0f &&
                            std::isfinite(static_cast<float>(*o.clipGradNorm))))
      return "--clip-grad-norm must be positive and finite (as a 32-bit float)";
    if (std::string error = validateSchedule(o); !error.empty())
      return error;
  }
  return "";
}

std::string describeOptimizer(const PipelineOptions &o) {
  if (o.train.empty())
    return "";
  auto num = [](double value) {
    std::ostringstream os; // %g: 0.001, 1e-08
    os << value;
    return os.str();
  };
  std::string text =
      o.train + " lr " + num(o.learningRate.value_or(o.train == "sgd" ? 0.01 : 1e-3));
  if (o.train == "sgd")
    text += " momentum " + num(o.momentum);
  else
    text += " betas " + num(o.beta1) + " " + num(o.beta2) + " eps " + num(o.epsilon);
  text += " weight decay " + num(o.weightDecay) + (o.train == "adamw" ? " (decoupled)" : " (L2)");
  text += o.clipGradNorm ? ", clip grad norm " + num(*o.clipGradNorm) : ", no clipping";
  text += ", lr schedule " + o.lrSchedule;
  if (o.lrSchedule == "cosine")
    text += " (warmup " + std::to_string(o.warmupSteps) + ", total " +
            std::to_string(o.totalSteps) + ", min lr " + num(o.minLr) + ")";
  return text;
}

LogicalResult compileModule(ModuleOp module, const PipelineOptions &o,
                            const tide::PlanWriterOptions &writerOptions, CompileResult *r,
                            std::string *error) {
  func::FuncOp func = singleFunction(module, error);
  if (!func)
    return failure();
  if (o.fuse) {
    PassManager fuse(module.getContext());
    fuse.addInstrumentation(std::make_unique<PassTimer>(&r->passSeconds));
    fuse.addNestedPass<func::FuncOp>(tide::createFuseAttention());
    fuse.addNestedPass<func::FuncOp>(tide::createFuseNorms());
    if (failed(fuse.run(module))) {
      *error = "the fusion passes failed";
      return failure();
    }
    r->fused = true;
    if (auto fusions = func->getAttrOfType<DictionaryAttr>("tide.fusions"))
      for (NamedAttribute entry : fusions)
        if (auto count = dyn_cast<IntegerAttr>(entry.getValue()))
          r->fusions.emplace_back(entry.getName().str(), count.getInt());
    func->removeAttr("tide.fusions");
  }
  if (o.attentionChunk > 0)
    rechunkAttention(func, o.attentionChunk);
  r->optimizer = describeOptimizer(o);

  PassManager prepare(module.getContext());
  prepare.addInstrumentation(std::make_unique<PassTimer>(&r->passSeconds));
  addPreparation(prepare, o);
  if (failed(prepare.run(module))) {
    *error = o.train.empty() ? "preparing the model for inference failed"
                             : "differentiating the model (tide-autodiff) failed";
    return failure();
  }
  if (failed(resolveBudget(module, func, o, r, error)))
    return failure();

  r->rematPolicy = o.remat == "budget" ? "budget=" + std::to_string(*r->budgetBytes) : o.remat;
  PassManager plan(module.getContext());
  plan.addInstrumentation(std::make_unique<PassTimer>(&r->passSeconds));
  addPlanning(plan, r->rematPolicy, r->budgetBytes.value_or(0), o.arenaTimeLimit);
  std::string diagnostics;
  int64_t state = stateBytes(func), io = ioBytes(func);
  LogicalResult planned = [&] {
    // Sees every diagnostic, then lets it through to the caller's handler (failure()).
    ScopedDiagnosticHandler peek(module.getContext(), [&](Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return failure();
    });
    return plan.run(module);
  }();
  if (failed(planned)) {
    if (!r->budgetBytes) {
      *error = "memory planning failed";
      return failure();
    }
    *error = "no plan with --remat=" + o.remat + " fits the arena budget of " +
             std::to_string(*r->budgetBytes) + " bytes";
    if (std::optional<int64_t> arena = smallestArenaIn(diagnostics))
      *error += "; the smallest peak reached is " + std::to_string(state + *arena + io) +
                " bytes (state " + std::to_string(state) + " + arena " + std::to_string(*arena) +
                " + I/O " + std::to_string(io) + ")";
    return failure();
  }
  auto remat = func->getAttrOfType<DictionaryAttr>("tide.remat");
  r->forwardFlops = intEntry(remat, "forward_flops");
  r->totalFlops = intEntry(remat, "total_flops");
  r->extraFlops = intEntry(remat, "extra_flops");
  r->valuesKept = intEntry(remat, "values_kept");
  r->opsRecomputed = intEntry(remat, "ops_recomputed");
  r->loadBytes = intEntry(func->getAttrOfType<DictionaryAttr>("tide.arena"), "load");

  auto started = std::chrono::steady_clock::now();
  LogicalResult written = tide::writePlan(func, writerOptions, &r->plan, &r->summary);
  r->passSeconds.emplace_back(
      "plan-writer",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (failed(written))
    *error = "writing the plan failed (see the error above)";
  return written;
}

void registerDialects(MLIRContext &context) {
  DialectRegistry registry;
  registry
      .insert<tide::TideDialect, func::FuncDialect, arith::ArithDialect, tensor::TensorDialect>();
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false); // Whole-function dumps would bury the message.
}

LogicalResult compileSource(llvm::SourceMgr &sourceMgr, MLIRContext &context,
                            const PipelineOptions &options,
                            const tide::PlanWriterOptions &writerOptions, CompileResult *result,
                            std::string *error, OwningOpRef<ModuleOp> *moduleOut) {
  OwningOpRef<ModuleOp> module = tide::parseTideModule(sourceMgr, &context);
  if (!module) {
    *error = "the input is not a valid tide model (see the diagnostics above)";
    return failure();
  }
  if (failed(compileModule(*module, options, writerOptions, result, error)))
    return failure();
  if (moduleOut)
    *moduleOut = std::move(module);
  return success();
}

} // namespace tidec
