//===- PlanWriter.h - Planned tide IR to a Tidemark runtime plan --*- C++ -*-===//
//
// Turns a function that went through tide-assign-arena into the bytes of a `.tplan` file
// (docs/plan-format.md) and summarizes the plan for tidec's report and timeline.
//
// Steps:
//   1. Liveness: computeFunctionLiveness (the same storage groups tide-assign-arena packed).
//   2. Tensors: arguments become Input / State tensors, returned values Output tensors (an
//      optimizer update's result reuses the state tensor it overwrites), arith.constant results
//      Constant tensors, the first member of each arena storage group an Arena tensor at its
//      `tide.arena_offsets` offset, every other group member a view of that tensor.
//   3. Steps: each op maps to one runtime kernel (tide.reshape maps to none: a view).
//   4. Liveness intervals: each group's [start, end) block steps, renumbered to plan steps.
//   5. Verification: the bytes go through the runtime loader's decode and verify passes
//      (tidemark::LoadAndVerifyPlan, what Runtime::LoadFromMemory runs) and its kernel check;
//      any error fails the writer, so a plan the runtime rejects is never returned.
// Cost: O(ops + values) plus the runtime's O(n log n) verification.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_PLANWRITER_PLANWRITER_H
#define TIDEMARK_COMPILER_PLANWRITER_PLANWRITER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tidemark {
struct WeightsFile;
} // namespace tidemark

namespace mlir::tide {

/// What a buffer of the arena holds, for the report and the timeline.
enum class BufferKind {
  Kept,       ///< Forward activation live across the forward -> backward boundary.
  Recomputed, ///< Result of a clone made by tide-remat.
  Gradient,   ///< Computed by the backward pass or the optimizer.
  Temporary,  ///< Forward value that dies before the backward pass (or any inference value).
};

/// "kept", "recomputed", "gradient" or "temporary".
const char *bufferKindName(BufferKind kind);

/// One arena storage group of the written plan.
struct PlanBuffer {
  std::string name;     ///< The plan tensor's name.
  std::string opName;   ///< The defining op ("tide.matmul").
  std::string location; ///< Its source "file:line" (autodiff's ops: the forward op's), or "".

  int64_t bytes = 0;
  int64_t offset = 0;
  int64_t firstStep = 0; ///< Block steps (the i-th op of the function body), inclusive.
  int64_t lastStep = 0;
  BufferKind kind = BufferKind::Temporary;
};

/// Facts about a written plan (sizes in bytes).
struct PlanSummary {
  int64_t stateBytes = 0;
  int64_t arenaBytes = 0;
  int64_t loadBytes = 0;    ///< Largest sum of live arena bytes at any step (a lower bound).
  int64_t ioBytes = 0;      ///< Input and output buffers, each rounded up to 64 bytes as the
                            ///< runtime allocates them.
  int64_t scratchBytes = 0; ///< Kernel scratch the runtime allocates on top (scratchThreads).
  int scratchThreads = 1;
  int64_t peakBytes = 0; ///< state + arena + I/O.
  int64_t numBlockSteps = 0;
  int64_t numPlanSteps = 0;
  int64_t peakStep = -1;           ///< Block step where the live arena bytes are largest.
  std::string peakOp;              ///< That op's name and location.
  int64_t lossStep = -1;           ///< Block step defining the loss (training), else -1.
  std::vector<PlanBuffer> buffers; ///< Every arena storage group.
  std::vector<size_t> liveAtPeak;  ///< Indices into `buffers`, largest first.
  int64_t numInputs = 0, numOutputs = 0, numStateTensors = 0;
};

/// Where the parameters' initial values come from when PlanWriterOptions::weights is null.
enum class InitialValues {
  /// From each parameter's `tide.init` attribute, drawn with the builder's seeded generator
  /// (tidemark::builder::initialValues, keyed by PlanWriterOptions::seed and the parameter's
  /// name); a parameter without `tide.init` is an error that names it.
  FromModel,
  /// Every parameter starts at zero (an explicit opt-out: the values come at run time).
  Zeros,
};

struct PlanWriterOptions {
  std::string producer = "tidec";
  /// Initial values of parameters (and optionally optimizer states), matched by name. When set,
  /// every parameter must be in the file (tide.init is not consulted).
  const tidemark::WeightsFile *weights = nullptr;
  /// Used only when `weights` is null.
  InitialValues initialValues = InitialValues::FromModel;
  /// The initial state (from `weights` or tide.init) goes inline as StateInit blocks when it is
  /// at most this many bytes (the plan is one FlatBuffer, capped at 2 GiB).
  int64_t maxInlineStateBytes = int64_t{1} << 30;
  /// Beyond that, with `externalState` set, the writer fills *externalState with the state
  /// image (the state region's bytes up to the end of the last initialised tensor; optimizer
  /// state zero) and the plan references it as ExternalWeights at `externalStatePath` (a
  /// relative path is resolved by the runtime against the plan file's directory); the caller
  /// writes that file. Without `externalState` such a plan is an error.
  std::vector<uint8_t> *externalState = nullptr;
  std::string externalStatePath;
  /// Threads for which the summary's kernel scratch is computed (scratch grows with threads).
  int scratchThreads = 1;
  /// The plan's seed: the key of every tide.dropout's Philox stream (with the step and the site)
  /// and, with InitialValues::FromModel, of the parameters' initial values.
  uint64_t seed = 0;
};

/// Writes `func` (after tide-assign-arena) as plan bytes into `*bytes` and fills `*summary`.
/// Emits located errors and fails on any op without a runtime kernel, on IR that was not
/// planned, on weights that do not match, and when the runtime's loader rejects the plan.
LogicalResult writePlan(func::FuncOp func, const PlanWriterOptions &options,
                        std::vector<uint8_t> *bytes, PlanSummary *summary);

} // namespace mlir::tide

#endif // TIDEMARK_COMPILER_PLANWRITER_PLANWRITER_H
