//===- tidec.cpp - Tidemark's ahead-of-time compiler driver ---------------===//
//
// tidec IN.mlir -o OUT.tplan [options]: parses the model, runs the Tidemark pipeline in process
// (Pipeline.h), writes the plan (or the planned MLIR, or a C++ header embedding the plan)
// atomically, prints the report and optionally the arena timeline. With --max-batch and
// --model-cmd it binary-searches the largest batch whose plan fits the budget (planning only).
// Usage and every option: docs/tidec.md.
//
//===----------------------------------------------------------------------===//

#include "Pipeline.h"
#include "Report.h"
#include "Timeline.h"

#include "compiler/dialect/TideDialect.h"
#include "compiler/dialect/TideFrontEnd.h"
#ifdef TIDEMARK_HAVE_ONNX
#include "compiler/onnx/OnnxImporter.h"
#endif
#include "tidemark/safetensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <optional>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tidec options");
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.mlir | model.onnx>"), cl::init(""),
                               cl::cat(category));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("ONNX input: fix a graph input's shape, NAME=D0xD1x..."),
                                  cl::value_desc("NAME=D0xD1..."), cl::cat(category));
cl::opt<std::string> lossSpec("loss",
                              cl::desc("ONNX input: append a loss to the model, "
                                       "cross-entropy:OUTPUT,LABELS or mse:OUTPUT,TARGET"),
                              cl::value_desc("kind:OUTPUT,NAME"), cl::init(""), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout; mlir only)"),
                                cl::value_desc("file"), cl::init(""), cl::cat(category));
cl::opt<std::string> train("train", cl::desc("Compile a training step: sgd, adam or adamw"),
                           cl::init(""), cl::cat(category));
cl::opt<double> learningRate("lr", cl::desc("Learning rate (default: SGD 0.01, Adam 0.001)"),
                             cl::init(0.0), cl::cat(category));
cl::opt<double> momentum("momentum", cl::desc("SGD momentum"), cl::init(0.0), cl::cat(category));
cl::opt<double> beta1("beta1", cl::desc("Adam beta1"), cl::init(0.9), cl::cat(category));
cl::opt<double> beta2("beta2", cl::desc("Adam beta2"), cl::init(0.999), cl::cat(category));
cl::opt<double> epsilon("epsilon", cl::desc("Adam epsilon"), cl::init(1e-8), cl::cat(category));
cl::opt<double> weightDecay("weight-decay",
                            cl::desc("Weight decay (L2 for sgd and adam, decoupled for adamw)"),
                            cl::init(0.0), cl::cat(category));
cl::opt<double> clipGradNorm("clip-grad-norm",
                             cl::desc("Clip the gradients to this global norm (> 0)"),
                             cl::init(0.0), cl::cat(category));
cl::opt<std::string> lrSchedule("lr-schedule", cl::desc("constant or cosine (warm-up + cosine)"),
                                cl::init("constant"), cl::cat(category));
cl::opt<int64_t> warmupSteps("warmup-steps", cl::desc("Warm-up updates of the cosine schedule"),
                             cl::init(0), cl::cat(category));
cl::opt<int64_t> totalSteps("total-steps",
                            cl::desc("Update at which the cosine schedule reaches --min-lr"),
                            cl::init(0), cl::cat(category));
cl::opt<double> minLr("min-lr", cl::desc("Final learning rate of the cosine schedule"),
                      cl::init(0.0), cl::cat(category));
cl::opt<std::string> budget("budget",
                            cl::desc("Arena budget: BYTES (K/M/G suffixes), NN% of the "
                                     "remat=none arena, or auto (half of MemAvailable minus "
                                     "the state)"),
                            cl::init(""), cl::cat(category));
cl::opt<std::string> remat("remat", cl::desc("none, regions, segments=N or budget"),
                           cl::init("none"), cl::cat(category));
cl::opt<int64_t> attentionChunk("attention-chunk",
                                cl::desc("Query and key chunk of every attention (0: keep)"),
                                cl::init(0), cl::cat(category));
cl::opt<std::string> fusion("fusion",
                            cl::desc("auto (fuse ONNX models), on or off: run tide-fuse-attention "
                                     "and tide-fuse-norms before planning"),
                            cl::init("auto"), cl::cat(category));
cl::opt<std::string> reportFormat("report", cl::desc("Report format: text or json"),
                                  cl::init("text"), cl::cat(category));
cl::opt<std::string> reportFile("report-file", cl::desc("Write the report here, not stdout"),
                                cl::init(""), cl::cat(category));
cl::opt<std::string> emit("emit", cl::desc("plan, mlir (the planned IR) or cpp (a header)"),
                          cl::init("plan"), cl::cat(category));
cl::opt<std::string> cppSymbol("cpp-symbol", cl::desc("Array name for --emit=cpp"),
                               cl::init("kTidemarkPlan"), cl::cat(category));
cl::opt<std::string> timeline("timeline", cl::desc("Also draw the arena as an SVG file"),
                              cl::init(""), cl::cat(category));
cl::opt<std::string> weights("weights", cl::desc("Initial parameter values (safetensors)"),
                             cl::init(""), cl::cat(category));
cl::opt<uint64_t> seed("seed",
                       cl::desc("The plan's seed: the key of every tide.dropout's random stream "
                                "and of the tide.init initial values"),
                       cl::init(0), cl::cat(category));
cl::opt<std::string> initMode("init",
                              cl::desc("Initial parameters without --weights: model (each "
                                       "parameter's tide.init) or zeros"),
                              cl::init("model"), cl::cat(category));
cl::opt<int64_t> inlineStateLimit(
    "inline-state-limit",
    cl::desc("Initial state bytes kept inside the plan; beyond, it goes to OUT.state (testing)"),
    cl::init(int64_t{1} << 30), cl::Hidden, cl::cat(category));
cl::opt<bool> maxBatch("max-batch",
                       cl::desc("Find the largest batch whose plan fits --budget (needs "
                                "--model-cmd)"),
                       cl::init(false), cl::cat(category));
cl::opt<std::string> modelCmd("model-cmd",
                              cl::desc("Command printing the model's MLIR; '{}' is replaced by "
                                       "the batch size"),
                              cl::init(""), cl::cat(category));
cl::opt<int64_t> maxBatchLimit("max-batch-limit", cl::desc("Largest batch --max-batch tries"),
                               cl::init(65536), cl::cat(category));
cl::opt<int>
    threads("run-threads",
            cl::desc("Threads the plan will run on (for the kernel scratch in the report)"),
            cl::init(1), cl::cat(category));
cl::opt<double> arenaTimeLimit("arena-time-limit",
                               cl::desc("Seconds the arena packer's exact search may take"),
                               cl::init(1.0), cl::cat(category));

int fail(const std::string &message) {
  llvm::errs() << "tidec: error: " << message << "\n";
  return 1;
}

/// Writes `bytes` to `path` atomically (the shared front end's writer); an error message or "".
std::string writeAtomically(const std::string &path, llvm::StringRef bytes) {
  return tide::writeFileAtomically(path, bytes);
}

std::string cppHeader(const std::vector<uint8_t> &plan, const std::string &source) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "// Tidemark plan compiled by tidec from " << source
     << "; load it with tidemark::Runtime::LoadFromMemory(" << cppSymbol << ", " << cppSymbol
     << "Size, tidemark::PlanMemory::kBorrow, ...).\n#pragma once\n\n#include <cstddef>\n"
     << "#include <cstdint>\n\n"
     << "alignas(64) inline constexpr uint8_t " << cppSymbol << "[] = {";
  for (size_t i = 0; i < plan.size(); ++i)
    os << (i % 16 ? " " : "\n    ") << llvm::format("0x%02x", plan[i]) << ",";
  os << "\n};\ninline constexpr size_t " << cppSymbol << "Size = sizeof(" << cppSymbol << ");\n";
  return text;
}

tidec::PipelineOptions pipelineOptions() {
  tidec::PipelineOptions o;
  o.train = train;
  if (learningRate.getNumOccurrences())
    o.learningRate = learningRate.getValue();
  o.momentum = momentum;
  o.beta1 = beta1;
  o.beta2 = beta2;
  o.epsilon = epsilon;
  o.weightDecay = weightDecay;
  if (clipGradNorm.getNumOccurrences())
    o.clipGradNorm = clipGradNorm.getValue();
  o.lrSchedule = lrSchedule;
  o.warmupSteps = warmupSteps;
  o.totalSteps = totalSteps;
  o.minLr = minLr;
  o.budget = budget;
  o.remat = remat;
  o.attentionChunk = attentionChunk;
  o.fuse = fusion == "on" ||
           (fusion == "auto" && llvm::StringRef(inputFile).ends_with_insensitive(".onnx"));
  o.arenaTimeLimit = arenaTimeLimit;
  return o;
}

std::string validateToolOptions() {
  if (reportFormat != "text" && reportFormat != "json")
    return "unknown --report value '" + reportFormat + "': expected text or json";
  if (fusion != "auto" && fusion != "on" && fusion != "off")
    return "unknown --fusion value '" + fusion + "': expected auto, on or off";
  if (emit != "plan" && emit != "mlir" && emit != "cpp")
    return "unknown --emit value '" + emit + "': expected plan, mlir or cpp";
  if (threads < 1 || threads > 1024)
    return "--run-threads must be in [1, 1024]";
  if (maxBatchLimit < 1)
    return "--max-batch-limit must be at least 1";
  if (inlineStateLimit < 0 || inlineStateLimit > (int64_t{1} << 30))
    return "--inline-state-limit must be in [0, 2^30]";
  if (initMode != "model" && initMode != "zeros")
    return "unknown --init value '" + initMode + "': expected model or zeros";
  if (initMode == "zeros" && !weights.empty())
    return "--init=zeros and --weights exclude each other";
  if (maxBatch) {
    if (modelCmd.empty() || modelCmd.find("{}") == std::string::npos)
      return "--max-batch needs --model-cmd with '{}' where the batch size goes";
    if (budget.empty() || budget.getValue().back() == '%')
      return "--max-batch needs an absolute --budget (BYTES or auto): a percentage of each "
             "batch's own remat=none arena would not bound the batch";
    return "";
  }
  if (inputFile.empty())
    return "no input model (usage: tidec IN.mlir -o OUT.tplan)";
  if (outputFile.empty())
    return "no output file (-o OUT)";
  if (outputFile == "-" && emit != "mlir")
    return "only --emit=mlir can be written to stdout";
  if (emit == "cpp" && cppSymbol.empty())
    return "--cpp-symbol must not be empty";
  return "";
}

/// Runs `command` and returns its standard output, or nullopt if it fails.
std::optional<std::string> runCommand(const std::string &command) {
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe)
    return std::nullopt;
  std::string output;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  return pclose(pipe) == 0 ? std::optional<std::string>(output) : std::nullopt;
}

std::string withBatch(int64_t batch) {
  std::string command = modelCmd;
  for (size_t at; (at = command.find("{}")) != std::string::npos;)
    command.replace(at, 2, std::to_string(batch));
  return command;
}

/// Plans the model for `batch`; true if the plan fits. Diagnostics are collected, not printed.
bool planBatch(int64_t batch, const tide::PlanWriterOptions &writerOptions,
               tidec::CompileResult *result, std::string *why) {
  std::optional<std::string> text = runCommand(withBatch(batch));
  if (!text) {
    *why = "the model command failed: " + withBatch(batch);
    return false;
  }
  if (text->size() > tide::kMaxInputBytes) {
    *why = "the model command printed more than " + std::to_string(tide::kMaxInputBytes) +
           " bytes: " + withBatch(batch);
    return false;
  }
  MLIRContext context;
  tidec::registerDialects(context);
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return success();
  });
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(*text, "<model-cmd output>"),
                               llvm::SMLoc());
  *result = tidec::CompileResult();
  if (succeeded(
          tidec::compileSource(sourceMgr, context, pipelineOptions(), writerOptions, result, why)))
    return true;
  *why += "\n" + diagnostics;
  return false;
}

int runMaxBatch(const tide::PlanWriterOptions &writerOptions, tidec::CompileResult *best,
                int64_t *bestBatch) {
  std::string why;
  if (!planBatch(1, writerOptions, best, &why))
    return fail("even batch 1 does not fit: " + why);
  int64_t low = 1, high = -1; // low fits; high (if >= 0) does not.
  while (high < 0 && low < maxBatchLimit) {
    int64_t next = std::min<int64_t>(low * 2, maxBatchLimit);
    tidec::CompileResult probe;
    if (planBatch(next, writerOptions, &probe, &why)) {
      low = next;
      *best = std::move(probe);
    } else {
      high = next;
    }
  }
  while (high >= 0 && high - low > 1) {
    int64_t middle = low + (high - low) / 2;
    tidec::CompileResult probe;
    if (planBatch(middle, writerOptions, &probe, &why)) {
      low = middle;
      *best = std::move(probe);
    } else {
      high = middle;
    }
  }
  *bestBatch = low;
  return 0;
}

int emitReportAndTimeline(const tidec::CompileResult &result, const tidec::ReportContext &context) {
  std::string report = reportFormat == "json" ? tidec::formatJsonReport(result, context)
                                              : tidec::formatTextReport(result, context);
  if (!reportFile.empty()) {
    if (std::string error = writeAtomically(reportFile, report); !error.empty())
      return fail(error);
  } else if (outputFile == "-") {
    llvm::errs() << report;
  } else {
    llvm::outs() << report;
  }
  if (!timeline.empty()) {
    std::string title = context.input + ": arena " + std::to_string(result.summary.arenaBytes) +
                        " bytes, remat " + result.rematPolicy;
    if (std::string error =
            writeAtomically(timeline, tidec::renderTimelineSvg(result.summary, title));
        !error.empty())
      return fail(error);
  }
  return 0;
}

/// Where the initial state goes when it is too large for the plan: `<plan>.state` next to it.
std::string statePathFor(const std::string &plan) { return plan + ".state"; }

/// Lets the writer put a large initial state into `*image` (a file next to a written plan).
void allowExternalState(std::vector<uint8_t> *image, tide::PlanWriterOptions *options) {
  if (emit != "plan" || outputFile.empty() || outputFile == "-")
    return; // A header or stdout cannot bring a second file along: the state must fit inline.
  options->externalState = image;
  options->externalStatePath = llvm::sys::path::filename(statePathFor(outputFile)).str();
}

/// Writes the state image (if the plan references one) before the plan, so a written plan never
/// names a missing file; an error message or "".
std::string writeStateImage(const std::vector<uint8_t> &image) {
  if (image.empty())
    return "";
  std::string path = statePathFor(outputFile);
  if (std::string error = writeAtomically(
          path, llvm::StringRef(reinterpret_cast<const char *>(image.data()), image.size()));
      !error.empty())
    return error;
  return "";
}

/// After the plan is written: says where its state is, if not inside it.
void noteStateImage(const std::vector<uint8_t> &image) {
  if (!image.empty())
    llvm::errs() << "tidec: the initial state (" << image.size() << " bytes, more than the plan's "
                 << inlineStateLimit << " inline) is in " << statePathFor(outputFile)
                 << "; keep it next to the plan\n";
}

/// Reads --weights (if given) into `file` and points `options` at it; returns an error or "".
std::string readWeights(tidemark::WeightsFile *file, tide::PlanWriterOptions *options) {
  options->scratchThreads = threads;
  options->maxInlineStateBytes = inlineStateLimit;
  options->seed = seed;
  options->initialValues =
      initMode == "zeros" ? tide::InitialValues::Zeros : tide::InitialValues::FromModel;
  if (weights.empty())
    return "";
  tidemark::Status status = tidemark::ReadSafetensors(weights, file);
  if (!status.ok())
    return "cannot read the weights '" + weights + "': " + status.ToString();
  options->weights = file;
  return "";
}

/// An ONNX model (docs/onnx.md): imported into `context`; unless --weights or --init=zeros say
/// otherwise, its initializers are the initial parameter values. Null after an error (printed).
OwningOpRef<ModuleOp> importOnnx(MLIRContext &context, tidemark::WeightsFile *initializers,
                                 tide::PlanWriterOptions *writerOptions) {
#ifdef TIDEMARK_HAVE_ONNX
  tide::OnnxImportOptions options;
  for (const std::string &shape : inputShapes)
    if (std::string error = tidemark::onnximport::parseInputShape(shape, &options.inputShapes);
        !error.empty()) {
      fail(error);
      return nullptr;
    }
  tide::OnnxImportResult imported;
  if (std::string error = tide::importOnnxModel(inputFile, options, &context, &imported);
      !error.empty()) {
    fail(error);
    return nullptr;
  }
  if (!lossSpec.empty()) {
    if (std::string error = tide::appendOnnxLoss(lossSpec, &imported); !error.empty()) {
      fail(error);
      return nullptr;
    }
  } else if (!train.empty() &&
             (imported.outputNames.size() != 1 ||
              cast<RankedTensorType>(
                  (*imported.module->getOps<func::FuncOp>().begin()).getResultTypes()[0])
                      .getRank() != 0)) {
    std::string names;
    for (const std::string &name : imported.outputNames)
      names += (names.empty() ? "'" : ", '") + name + "'";
    fail("--train needs a model that returns one scalar loss; this one returns " + names +
         ": append a loss with --loss=cross-entropy:OUTPUT,LABELS or --loss=mse:OUTPUT,TARGET");
    return nullptr;
  }
  *initializers = std::move(imported.weights);
  if (weights.empty() && initMode == "model")
    writerOptions->weights = initializers;
  return std::move(imported.module);
#else
  (void)context;
  (void)initializers;
  (void)writerOptions;
  fail("'" + inputFile + "' is an ONNX model, but this tidec was built without the ONNX " +
       "importer (install libonnx-dev and libprotobuf-dev, e.g. with scripts/setup.sh, and " +
       "reconfigure)");
  return nullptr;
#endif
}

int compileFile() {
  bool onnxInput = llvm::StringRef(inputFile).ends_with_insensitive(".onnx");
  if (!onnxInput && !inputShapes.empty())
    return fail("--input-shape applies to ONNX models (.onnx) only");
  if (!onnxInput && !lossSpec.empty())
    return fail("--loss applies to ONNX models (.onnx) only; a tide model returns its loss");
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input;
  if (!onnxInput && !(input = tide::readInputFile(inputFile, &errorMessage)))
    return fail("cannot read the model '" + inputFile + "': " + errorMessage);
  tidemark::WeightsFile weightsFile, initializers;
  tide::PlanWriterOptions writerOptions;
  if (std::string error = readWeights(&weightsFile, &writerOptions); !error.empty())
    return fail(error);
  std::vector<uint8_t> stateImage;
  allowExternalState(&stateImage, &writerOptions);
  writerOptions.producer = "tidec " + inputFile + " --remat=" + remat +
                           (train.empty() ? "" : " --train=" + train) +
                           (budget.empty() ? "" : " --budget=" + budget);

  MLIRContext context;
  tidec::registerDialects(context);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  if (onnxInput) {
    if (!(module = importOnnx(context, &initializers, &writerOptions)))
      return 1;
  } else {
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    module = tide::parseTideModule(sourceMgr, &context);
    if (!module)
      return fail("'" + inputFile + "' is not a valid tide model (see the diagnostics above)");
  }

  tidec::CompileResult result;
  std::string error;
  if (failed(tidec::compileModule(*module, pipelineOptions(), writerOptions, &result, &error)))
    return fail(error);

  std::string output;
  if (emit == "plan") {
    output.assign(result.plan.begin(), result.plan.end());
  } else if (emit == "cpp") {
    output = cppHeader(result.plan, inputFile);
  } else {
    llvm::raw_string_ostream os(output);
    module->print(os);
  }
  if (std::string writeError = writeStateImage(stateImage); !writeError.empty())
    return fail(writeError);
  if (std::string writeError = writeAtomically(outputFile, output); !writeError.empty()) {
    if (!stateImage.empty()) // Its plan was not written: leave nothing behind.
      llvm::sys::fs::remove(statePathFor(outputFile));
    return fail(writeError);
  }
  noteStateImage(stateImage);
  return emitReportAndTimeline(result, {inputFile, outputFile, train, std::nullopt});
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "tidec: compile a tide model into a Tidemark plan with a memory "
                              "budget\n");
  if (std::string error = validateToolOptions(); !error.empty())
    return fail(error);
  if (std::string error = tidec::validateOptions(pipelineOptions()); !error.empty())
    return fail(error);
  if (!maxBatch)
    return compileFile();

  tidemark::WeightsFile weightsFile;
  tide::PlanWriterOptions writerOptions;
  if (std::string error = readWeights(&weightsFile, &writerOptions); !error.empty())
    return fail(error);
  writerOptions.producer = "tidec --max-batch --model-cmd " + modelCmd;
  // The probes only plan: they neither draw (tide.init) nor copy (--weights) the initial values,
  // O(parameters) each; the batch found is compiled once more with them, and any problem with
  // them (a parameter without a value, weights that do not match) is reported then.
  tide::PlanWriterOptions probeOptions = writerOptions;
  probeOptions.weights = nullptr;
  probeOptions.initialValues = tide::InitialValues::Zeros;
  tidec::CompileResult best;
  int64_t batch = 0;
  if (int status = runMaxBatch(probeOptions, &best, &batch))
    return status;
  std::string why;
  std::vector<uint8_t> stateImage;
  allowExternalState(&stateImage, &writerOptions);
  if (!planBatch(batch, writerOptions, &best, &why))
    return fail("batch " + std::to_string(batch) + " fits, but its plan with the initial " +
                "values failed: " + why);
  if (!outputFile.empty() && outputFile != "-") {
    if (std::string error = writeStateImage(stateImage); !error.empty())
      return fail(error);
    if (std::string error = writeAtomically(
            outputFile,
            llvm::StringRef(reinterpret_cast<const char *>(best.plan.data()), best.plan.size()));
        !error.empty()) {
      if (!stateImage.empty())
        llvm::sys::fs::remove(statePathFor(outputFile));
      return fail(error);
    }
    noteStateImage(stateImage);
  }
  return emitReportAndTimeline(
      best, {modelCmd, outputFile == "-" ? "" : outputFile.getValue(), train, batch});
}
