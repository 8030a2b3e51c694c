//===- Pipeline.h - tidec's in-process compilation pipeline -------*- C++ -*-===//
//
// Runs the Tidemark passes on a parsed module through mlir::PassManager and writes the plan:
//   0. with `fuse` (ONNX models): tide-fuse-attention and tide-fuse-norms,
//   1. optional attention re-chunking (every tide.attention / tide.attention_grad),
//   2. training (tide-autodiff) or inference (tide-inline-checkpoints, tide-expose-stats),
//   3. the arena budget (BYTES, NN% of the `none` plan's arena, or auto),
//   4. tide-remat (policy), tide-schedule, tide-assign-arena (capacity = budget),
//   5. writePlan (verified by the runtime's loader).
// Each pass's wall time is recorded by a PassInstrumentation.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_TOOLS_TIDEC_PIPELINE_H
#define TIDEMARK_TOOLS_TIDEC_PIPELINE_H

#include "compiler/planwriter/PlanWriter.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tidec {

struct PipelineOptions {
  std::string train;                  ///< "", "sgd", "adam" or "adamw".
  std::optional<double> learningRate; ///< Unset: SGD 0.01, Adam(W) 1e-3.
  double momentum = 0.0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0.0;
  std::optional<double> clipGradNorm;  ///< Set: clip by global norm to this (> 0).
  std::string lrSchedule = "constant"; ///< constant or cosine.
  int64_t warmupSteps = 0, totalSteps = 0;
  double minLr = 0.0;
  std::string budget;         ///< "", "BYTES" (K/M/G suffixes), "NN%" or "auto".
  std::string remat = "none"; ///< none, regions, segments=N or budget.
  int64_t attentionChunk = 0; ///< > 0: query and key chunk of every attention.
  bool fuse = false;          ///< Run the fusion passes first (tidec does for ONNX models).
  double autoBudgetFraction = 0.5;
  double arenaTimeLimit = 1.0;
};

/// Checks option values that need no model; returns an error message or "".
std::string validateOptions(const PipelineOptions &options);

/// One line for the report: the optimizer and its hyper-parameters, the clipping and the
/// learning-rate schedule, e.g. "adamw lr 0.001 betas 0.9 0.999 eps 1e-08 weight decay 0.1
/// (decoupled), clip grad norm 1, lr schedule cosine (warmup 10, total 100, min lr 0.0001)";
/// "" for inference.
std::string describeOptimizer(const PipelineOptions &options);

/// Results of one compilation.
struct CompileResult {
  std::vector<uint8_t> plan;
  mlir::tide::PlanSummary summary;
  std::optional<int64_t> budgetBytes; ///< The arena budget, when one was given.
  std::string rematPolicy;            ///< As passed to tide-remat.
  std::string optimizer;              ///< describeOptimizer's line ("" for inference).
  int64_t forwardFlops = 0, totalFlops = 0, extraFlops = 0;
  int64_t valuesKept = 0, opsRecomputed = 0;
  int64_t loadBytes = 0; ///< The planner's LOAD (tide.arena load).
  std::vector<std::pair<std::string, double>> passSeconds; ///< In first-run order.
  bool fused = false; ///< The fusion passes ran; then `fusions` holds their counts.
  /// tide.fusions of the fusion passes: pattern -> fused count, and pattern + "_not_fused" ->
  /// candidates refused, in the dictionary's (sorted) order.
  std::vector<std::pair<std::string, int64_t>> fusions;
};

/// Compiles the single function of `module` in place. Diagnostics go to the context's handler;
/// on failure `*error` holds a one-line summary. A module without exactly one function with a
/// body, or whose function has no tide op, is a located error (at the extra function, the
/// declaration, or the module's file:1:1).
mlir::LogicalResult compileModule(mlir::ModuleOp module, const PipelineOptions &options,
                                  const mlir::tide::PlanWriterOptions &writerOptions,
                                  CompileResult *result, std::string *error);

/// Registers and loads the dialects tidec reads (tide, func, arith, tensor) and turns off op dumps
/// in diagnostics.
void registerDialects(mlir::MLIRContext &context);

/// tidec's whole front end and pipeline on the main buffer of `sourceMgr` (the entry point of the
/// front-end fuzz target): the shared front end (mlir::tide::parseTideModule: bounded nesting,
/// parse + verify, the function check), then compileModule. `context` needs registerDialects and a
/// diagnostic handler (e.g. SourceMgrDiagnosticHandler on `sourceMgr`); on success `*module`
/// (optional) receives the planned module. Never crashes on any input bytes.
mlir::LogicalResult compileSource(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
                                  const PipelineOptions &options,
                                  const mlir::tide::PlanWriterOptions &writerOptions,
                                  CompileResult *result, std::string *error,
                                  mlir::OwningOpRef<mlir::ModuleOp> *module = nullptr);

/// Parses "123", "64K", "1.5G" (powers of 1024) into bytes.
std::optional<int64_t> parseBytes(const std::string &text);

} // namespace tidec

#endif // TIDEMARK_TOOLS_TIDEC_PIPELINE_H
