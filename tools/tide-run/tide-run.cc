// tide-run: loads a Tidemark plan, binds inputs and weights, runs N steps and reports the loss per
// step, the median step time, planned vs measured memory, and heap allocations per step.
//
// Steps:
//   1. Parse the command line; read the plan once to find the class count of label inputs.
//   2. Record the resident set (VmRSS) before anything of the run is allocated.
//   3. Read --weights / --inputs, load the plan, write the weights, fill the inputs; free the
//      staging copies (and return them to the OS) so they do not count as the run's memory.
//   4. Reset the high-water mark, run the steps (timing each, reading the loss into preallocated
//      storage, counting operator new calls during steps 2..N), read VmHWM.
//   5. Optionally save every state tensor; print the report (text or JSON).
// Memory of the run is O(state + arena + I/O + scratch) plus fixed process overhead; the step
// loop itself allocates nothing.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <malloc.h>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "bindings.h"
#include "data_feed.h"
#include "options.h"
#include "process_memory.h"
#include "runtime/core/file_io.h"
#include "tidemark/runtime.h"
#include "tidemark/safetensors.h"

namespace tidemark {
namespace tiderun {
namespace {

struct Report {
  std::string plan_path;
  int threads = 1;
  uint64_t memory_cap_bytes = 0; // The resolved --max-memory.
  std::string loss_name;         // Empty: the plan has no scalar f32 output.
  std::vector<float> losses;
  std::vector<double> step_seconds;
  std::vector<double> step_cpu_seconds; // Process CPU time (all threads) per step.
  RuntimeStatistics stats;
  uint64_t optimizer_steps = 0;
  ResidentSet before_load, after_load, after_steps;
  bool peak_reset = false;
  uint64_t step_allocations = 0; // operator new calls during steps 2..N.
  std::vector<std::string> weights_kept;
  std::string saved_weights;
  std::vector<int64_t> checkpoints; // steps after which --save-every saved the weights
  std::string data;                 // DataFeed::Describe(), empty without --data
  std::vector<std::pair<int64_t, double>> eval_losses; // (after step, mean held-out loss)
};

// What the steps feed on: a dataset (and the inference plan evaluation runs), or nothing.
struct Feed {
  std::unique_ptr<DataFeed> data;
  std::unique_ptr<Runtime> eval;
  std::string eval_loss_name;
  std::vector<uint8_t> parameter_copy; // sized once: the largest shared parameter
  int64_t eval_every = 0, eval_batches = 0;
  int64_t progress_every = 0; // --progress
  int64_t save_every = 0;     // --save-every: checkpoints to save_path, from plan_path's state
  std::string save_path, plan_path;
  uint64_t first_index = 0; // batch index of the first step (the loaded optimizer step count)
};

// The output named "loss", else the first f32 output with one element; empty if none.
std::string lossOutputName(const Runtime &runtime) {
  std::string first_scalar;
  for (const TensorInfo &output : runtime.outputs()) {
    if (output.dtype != DType::kF32 || output.size_bytes != sizeof(float))
      continue;
    if (output.name == "loss")
      return output.name;
    if (first_scalar.empty())
      first_scalar = output.name;
  }
  return first_scalar;
}

Status readWeightsFile(const std::string &path, const char *what, uint64_t memory_cap,
                       WeightsFile *out) {
  // Staged whole in memory: refuse a file larger than the cap before reading it.
  RegularFile file;
  Status status = OpenRegularFile(path, std::string(what) + " file", &file);
  if (status.ok() && file.size() > memory_cap)
    status = ResourceExhausted("the file has " + std::to_string(file.size()) +
                               " bytes, more than the memory cap of " + std::to_string(memory_cap) +
                               " bytes (--max-memory)");
  if (status.ok())
    status = ReadSafetensors(path, out);
  if (!status.ok())
    return Status(status.code(),
                  std::string("cannot read ") + what + " file '" + path + "': " + status.message());
  return Status::Ok();
}

// Step 3: load the plan and bind weights and inputs; the staging files die at the end.
Status loadAndBind(const Options &options, const std::map<std::string, int64_t> &label_classes,
                   const std::map<std::string, int64_t> &ignore_indices,
                   std::unique_ptr<Runtime> *runtime, Report *report) {
  WeightsFile weights, inputs;
  const uint64_t cap = MemoryCapBytes(options.max_memory_bytes);
  if (!options.weights_path.empty())
    TIDEMARK_RETURN_IF_ERROR(readWeightsFile(options.weights_path, "weights", cap, &weights));
  if (!options.inputs_path.empty())
    TIDEMARK_RETURN_IF_ERROR(readWeightsFile(options.inputs_path, "inputs", cap, &inputs));
  RuntimeOptions runtime_options;
  runtime_options.num_threads = options.threads;
  runtime_options.max_memory_bytes = options.max_memory_bytes;
  Status status = Runtime::LoadFromFile(options.plan_path, runtime_options, runtime);
  if (!status.ok())
    return Status(status.code(),
                  "cannot load plan '" + options.plan_path + "': " + status.message());
  if (!options.weights_path.empty()) {
    status = ApplyWeights(runtime->get(), weights, options.weights_partial, &report->weights_kept);
    if (!status.ok())
      return Status(status.code(), "weights '" + options.weights_path + "': " + status.message());
  }
  if (!options.data_path.empty())
    return Status::Ok(); // the dataset fills the inputs before every step
  status = BindInputs(runtime->get(), options.inputs_path.empty() ? nullptr : &inputs, options.seed,
                      label_classes, &ignore_indices);
  if (!status.ok())
    return Status(status.code(), "inputs: " + status.message());
  return Status::Ok();
}

// --data (and --eval-plan): opens the dataset, checks that it fills every input of the training
// plan, loads the inference plan and checks that its inputs are the same and that every one of
// its parameters is a training parameter of the same size.
Status setUpFeed(const Options &options, const std::map<std::string, int64_t> &label_classes,
                 const std::set<std::string> &id_inputs, Runtime *runtime, Feed *feed,
                 Report *report) {
  DataFeedOptions data;
  data.path = options.data_path;
  data.type = options.data_type;
  data.eval_fraction = options.eval_fraction;
  data.seed = options.seed;
  data.id_inputs = id_inputs;
  Status status = DataFeed::Create(data, *runtime, label_classes, &feed->data);
  if (!status.ok())
    return Status(status.code(), "data: " + status.message());
  report->data = feed->data->Describe();
  feed->first_index = runtime->optimizer_steps();
  // Every input must be one the dataset fills (a zero-filled input would train on nothing).
  if (runtime->inputs().size() != 2)
    return InvalidArgument("data: the plan has " + std::to_string(runtime->inputs().size()) +
                           " inputs; --data fills exactly two (" + report->data + ")");
  if (options.eval_every == 0)
    return Status::Ok();
  RuntimeOptions eval_options;
  eval_options.num_threads = options.threads;
  eval_options.max_memory_bytes = options.max_memory_bytes;
  status = Runtime::LoadFromFile(options.eval_plan_path, eval_options, &feed->eval);
  if (!status.ok())
    return Status(status.code(),
                  "cannot load eval plan '" + options.eval_plan_path + "': " + status.message());
  const auto &train_inputs = runtime->inputs(), &eval_inputs = feed->eval->inputs();
  bool same_inputs = train_inputs.size() == eval_inputs.size();
  for (size_t i = 0; same_inputs && i < train_inputs.size(); ++i)
    same_inputs = train_inputs[i].name == eval_inputs[i].name &&
                  train_inputs[i].shape == eval_inputs[i].shape &&
                  train_inputs[i].dtype == eval_inputs[i].dtype;
  if (!same_inputs)
    return InvalidArgument("eval plan '" + options.eval_plan_path +
                           "': its inputs differ from the training plan's (names, dtypes and "
                           "shapes must match; compile both from the same model)");
  size_t largest = 0;
  for (const TensorInfo &parameter : feed->eval->parameters()) {
    const TensorInfo *match = nullptr;
    for (const TensorInfo &trained : runtime->parameters())
      if (trained.name == parameter.name)
        match = &trained;
    if (match == nullptr || match->size_bytes != parameter.size_bytes)
      return InvalidArgument("eval plan '" + options.eval_plan_path + "': parameter '" +
                             parameter.name + "' is not a training parameter of the same size");
    largest = std::max(largest, parameter.size_bytes);
  }
  feed->eval_loss_name = lossOutputName(*feed->eval);
  if (feed->eval_loss_name.empty())
    return InvalidArgument(
        "eval plan '" + options.eval_plan_path +
        "' has no scalar loss output (compile the model's loss without --train)");
  feed->parameter_copy.resize(largest);
  feed->eval_every = options.eval_every;
  feed->eval_batches = options.eval_batches;
  report->eval_losses.reserve(size_t(options.steps / options.eval_every + 1));
  return Status::Ok();
}

// Copies the trained parameters into the eval plan and returns the mean loss of the held-out
// batches 0..eval_batches-1 (the same batches every time).
Status evaluate(const Runtime &trained, Feed *feed, double *mean_loss) {
  for (const TensorInfo &parameter : feed->eval->parameters()) {
    TIDEMARK_RETURN_IF_ERROR(
        trained.ReadParameter(parameter.name, feed->parameter_copy.data(), parameter.size_bytes));
    TIDEMARK_RETURN_IF_ERROR(feed->eval->WriteParameter(parameter.name, feed->parameter_copy.data(),
                                                        parameter.size_bytes));
  }
  double total = 0.0;
  for (int64_t batch = 0; batch < feed->eval_batches; ++batch) {
    TIDEMARK_RETURN_IF_ERROR(
        feed->data->Fill(feed->eval.get(), DataSplit::kEval, static_cast<uint64_t>(batch)));
    TIDEMARK_RETURN_IF_ERROR(feed->eval->Run());
    float loss = 0.0f;
    TIDEMARK_RETURN_IF_ERROR(feed->eval->ReadOutput(feed->eval_loss_name, &loss, sizeof(float)));
    total += loss;
  }
  *mean_loss = total / static_cast<double>(feed->eval_batches);
  return Status::Ok();
}

// CPU time of the whole process (every thread), for timing on a shared, loaded machine.
double processCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

// --progress: where the last progress line was printed.
struct Progress {
  std::chrono::steady_clock::time_point start;
  int64_t last_printed = 0; // steps covered by the previous line
};

// --save-weights PATH with every "{step}" replaced by the number of steps run so far.
std::string savePathAfter(const std::string &pattern, int64_t steps_run) {
  static const std::string kPlaceholder = "{step}";
  std::string path;
  size_t from = 0;
  for (size_t at; (at = pattern.find(kPlaceholder, from)) != std::string::npos;
       from = at + kPlaceholder.size())
    path += pattern.substr(from, at - from) + std::to_string(steps_run);
  return path + pattern.substr(from);
}

// One line on stderr (unbuffered, so it shows while the run goes on; no allocation):
// "step 50/200  loss 2.41  mean 2.57 (steps 1-50)  held-out 2.60 (after 50)  12.3 s".
void printProgress(const Report &report, int64_t step, int64_t steps, Progress *progress) {
  double sum = 0.0;
  for (int64_t i = progress->last_printed; i <= step; ++i)
    sum += report.losses[size_t(i)];
  const double mean = sum / double(step + 1 - progress->last_printed);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - progress->start).count();
  std::fprintf(stderr,
               "step %" PRId64 "/%" PRId64 "  loss %.4f  mean %.4f (steps %" PRId64 "-%" PRId64 ")",
               step + 1, steps, double(report.losses[size_t(step)]), mean,
               progress->last_printed + 1, step + 1);
  if (!report.eval_losses.empty())
    std::fprintf(stderr, "  held-out %.4f (after %" PRId64 ")", report.eval_losses.back().second,
                 report.eval_losses.back().first);
  std::fprintf(stderr, "  %.1f s\n", elapsed);
  progress->last_printed = step + 1;
}

// Step 4. Storage for losses and times is sized before the loop, so the loop allocates nothing
// of its own; any count is the runtime's.
Status runSteps(Runtime *runtime, int64_t steps, Feed *feed, Report *report) {
  Progress progress{std::chrono::steady_clock::now(), 0};
  report->losses.assign(size_t(steps), std::nanf(""));
  report->step_seconds.assign(size_t(steps), 0.0);
  report->step_cpu_seconds.assign(size_t(steps), 0.0);
  uint64_t allocations_at_step2 = HeapAllocations(), save_allocations = 0;
  report->checkpoints.reserve(feed->save_every > 0 ? size_t(steps / feed->save_every) : 0);
  for (int64_t step = 0; step < steps; ++step) {
    if (step == 1)
      allocations_at_step2 = HeapAllocations();
    if (feed->data) {
      Status filled = feed->data->Fill(runtime, DataSplit::kTrain, feed->first_index + step);
      if (!filled.ok())
        return Status(filled.code(),
                      "step " + std::to_string(step + 1) + ": data: " + filled.message());
    }
    const double cpu_start = processCpuSeconds();
    auto start = std::chrono::steady_clock::now();
    Status status = runtime->Run();
    auto end = std::chrono::steady_clock::now();
    report->step_cpu_seconds[size_t(step)] = processCpuSeconds() - cpu_start;
    if (!status.ok())
      return Status(status.code(), "step " + std::to_string(step + 1) + ": " + status.message());
    report->step_seconds[size_t(step)] = std::chrono::duration<double>(end - start).count();
    if (!report->loss_name.empty())
      TIDEMARK_RETURN_IF_ERROR(
          runtime->ReadOutput(report->loss_name, &report->losses[size_t(step)], sizeof(float)));
    if (feed->eval && ((step + 1) % feed->eval_every == 0 || step + 1 == steps)) {
      double loss = 0.0;
      Status evaluated = evaluate(*runtime, feed, &loss);
      if (!evaluated.ok())
        return Status(evaluated.code(), "evaluation after step " + std::to_string(step + 1) + ": " +
                                            evaluated.message());
      report->eval_losses.emplace_back(step + 1, loss);
    }
    if (feed->progress_every > 0 && ((step + 1) % feed->progress_every == 0 || step + 1 == steps))
      printProgress(*report, step, steps, &progress);
    // A checkpoint (the final save is runPlan's). Its allocations (the file image) are the
    // tool's, not the step's: they are left out of the per-step count.
    if (feed->save_every > 0 && (step + 1) % feed->save_every == 0 && step + 1 != steps) {
      const uint64_t before = HeapAllocations();
      const std::string path = savePathAfter(feed->save_path, step + 1);
      Status saved = SaveWeights(*runtime, feed->plan_path, path);
      if (!saved.ok())
        return Status(saved.code(), "checkpoint after step " + std::to_string(step + 1) +
                                        ": cannot save weights to '" + path +
                                        "': " + saved.message());
      report->checkpoints.push_back(step + 1);
      if (step >= 1)
        save_allocations += HeapAllocations() - before;
    }
  }
  report->step_allocations =
      steps > 1 ? HeapAllocations() - allocations_at_step2 - save_allocations : 0;
  return Status::Ok();
}

Status runPlan(const Options &options, Report *report) {
  report->plan_path = options.plan_path;
  report->threads = options.threads;
  report->memory_cap_bytes = MemoryCapBytes(options.max_memory_bytes);
  std::map<std::string, int64_t> label_classes;
  std::set<std::string> id_inputs;
  std::map<std::string, int64_t> ignore_indices;
  Status status = FindLabelClasses(options.plan_path, MemoryCapBytes(options.max_memory_bytes),
                                   &label_classes, &id_inputs, &ignore_indices);
  if (!status.ok())
    return Status(status.code(),
                  "cannot load plan '" + options.plan_path + "': " + status.message());
  malloc_trim(0);
  ResetPeakResidentSet();
  report->before_load = ReadResidentSet();
  std::unique_ptr<Runtime> runtime;
  TIDEMARK_RETURN_IF_ERROR(loadAndBind(options, label_classes, ignore_indices, &runtime, report));
  report->loss_name = lossOutputName(*runtime);
  malloc_trim(0); // Give the freed staging copies back, so the steps' peak excludes them.
  report->after_load = ReadResidentSet();
  report->peak_reset = ResetPeakResidentSet();
  Feed feed;
  feed.progress_every = options.progress_every;
  feed.save_every = options.save_every;
  feed.save_path = options.save_weights_path;
  feed.plan_path = options.plan_path;
  if (!options.data_path.empty())
    TIDEMARK_RETURN_IF_ERROR(
        setUpFeed(options, label_classes, id_inputs, runtime.get(), &feed, report));
  TIDEMARK_RETURN_IF_ERROR(runSteps(runtime.get(), options.steps, &feed, report));
  report->after_steps = ReadResidentSet();
  report->stats = runtime->statistics();
  report->optimizer_steps = runtime->optimizer_steps();
  if (!options.save_weights_path.empty()) {
    const std::string path = savePathAfter(options.save_weights_path, options.steps);
    status = SaveWeights(*runtime, options.plan_path, path);
    if (!status.ok())
      return Status(status.code(), "cannot save weights to '" + path + "': " + status.message());
    report->saved_weights = path;
  }
  if (!options.save_outputs_path.empty()) {
    status = SaveOutputs(*runtime, options.plan_path, options.save_outputs_path);
    if (!status.ok())
      return Status(status.code(), "cannot save the outputs to '" + options.save_outputs_path +
                                       "': " + status.message());
  }
  return Status::Ok();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n == 0 ? 0.0 : n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

uint64_t plannedBytes(const RuntimeStatistics &s) {
  return s.state_bytes + s.arena_bytes + s.io_bytes + s.scratch_bytes;
}

// Growth of the resident set over the baseline before load (0 if it shrank).
uint64_t growth(uint64_t peak, const ResidentSet &baseline) {
  return peak > baseline.current_bytes ? peak - baseline.current_bytes : 0;
}

double allocationsPerStep(const Report &r) {
  return r.losses.size() > 1 ? double(r.step_allocations) / double(r.losses.size() - 1) : 0.0;
}

std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string jsonNumber(double value) {
  if (!std::isfinite(value))
    return "null";
  char text[40];
  std::snprintf(text, sizeof(text), "%.9g", value);
  return text;
}

void printJson(const Report &r) {
  const RuntimeStatistics &s = r.stats;
  std::printf("{\n  \"plan\": %s,\n  \"threads\": %d,\n  \"steps\": %zu,\n",
              jsonString(r.plan_path).c_str(), r.threads, r.losses.size());
  std::printf("  \"memory_cap_bytes\": %" PRIu64 ",\n", r.memory_cap_bytes);
  std::printf("  \"loss_output\": %s,\n  \"losses\": [",
              r.loss_name.empty() ? "null" : jsonString(r.loss_name).c_str());
  for (size_t i = 0; i < r.losses.size(); ++i)
    std::printf("%s%s", i ? ", " : "", jsonNumber(r.losses[i]).c_str());
  std::printf("],\n  \"step_seconds\": [");
  for (size_t i = 0; i < r.step_seconds.size(); ++i)
    std::printf("%s%s", i ? ", " : "", jsonNumber(r.step_seconds[i]).c_str());
  std::printf("],\n  \"median_step_seconds\": %s,\n", jsonNumber(median(r.step_seconds)).c_str());
  std::printf("  \"step_cpu_seconds\": [");
  for (size_t i = 0; i < r.step_cpu_seconds.size(); ++i)
    std::printf("%s%s", i ? ", " : "", jsonNumber(r.step_cpu_seconds[i]).c_str());
  std::printf("],\n  \"median_step_cpu_seconds\": %s,\n",
              jsonNumber(median(r.step_cpu_seconds)).c_str());
  std::printf("  \"state_bytes\": %" PRIu64 ",\n  \"arena_bytes\": %" PRIu64
              ",\n  \"io_bytes\": %" PRIu64 ",\n  \"scratch_bytes\": %" PRIu64
              ",\n  \"planned_bytes\": %" PRIu64 ",\n  \"planned_load_bytes\": %" PRIu64 ",\n",
              s.state_bytes, s.arena_bytes, s.io_bytes, s.scratch_bytes, plannedBytes(s),
              s.planned_load_bytes);
  std::printf("  \"rss_before_load_bytes\": %" PRIu64 ",\n  \"rss_after_load_bytes\": %" PRIu64
              ",\n  \"load_peak_growth_bytes\": %" PRIu64
              ",\n  \"step_peak_growth_bytes\": %" PRIu64 ",\n  \"peak_reset_supported\": %s,\n",
              r.before_load.current_bytes, r.after_load.current_bytes,
              growth(r.after_load.peak_bytes, r.before_load),
              growth(r.after_steps.peak_bytes, r.before_load), r.peak_reset ? "true" : "false");
  std::printf("  \"step_allocations\": %" PRIu64 ",\n  \"allocations_per_step\": %s,\n",
              r.step_allocations, jsonNumber(allocationsPerStep(r)).c_str());
  std::printf("  \"optimizer_steps\": %" PRIu64 ",\n  \"weights_kept\": [", r.optimizer_steps);
  for (size_t i = 0; i < r.weights_kept.size(); ++i)
    std::printf("%s%s", i ? ", " : "", jsonString(r.weights_kept[i]).c_str());
  std::printf("],\n  \"data\": %s,\n  \"eval_losses\": [", jsonString(r.data).c_str());
  for (size_t i = 0; i < r.eval_losses.size(); ++i)
    std::printf("%s[%" PRId64 ", %s]", i ? ", " : "", r.eval_losses[i].first,
                jsonNumber(r.eval_losses[i].second).c_str());
  std::printf("],\n  \"checkpoints\": [");
  for (size_t i = 0; i < r.checkpoints.size(); ++i)
    std::printf("%s%" PRId64, i ? ", " : "", r.checkpoints[i]);
  std::printf("],\n  \"saved_weights\": %s\n}\n",
              r.saved_weights.empty() ? "null" : jsonString(r.saved_weights).c_str());
}

void printText(const Report &r) {
  const RuntimeStatistics &s = r.stats;
  std::printf("plan %s, %d thread%s, %zu step%s\n", r.plan_path.c_str(), r.threads,
              r.threads == 1 ? "" : "s", r.losses.size(), r.losses.size() == 1 ? "" : "s");
  for (size_t i = 0; i < r.losses.size(); ++i)
    std::printf("step %zu  %s %.9g  %.3f ms\n", i + 1,
                r.loss_name.empty() ? "(no loss output)" : r.loss_name.c_str(), r.losses[i],
                r.step_seconds[i] * 1e3);
  if (!r.data.empty())
    std::printf("data                  %s\n", r.data.c_str());
  for (const auto &eval : r.eval_losses)
    std::printf("eval after step %" PRId64 "  held-out loss %.9g\n", eval.first, eval.second);
  std::printf("median step time      %.3f ms wall, %.3f ms CPU (all threads)\n",
              median(r.step_seconds) * 1e3, median(r.step_cpu_seconds) * 1e3);
  std::printf("planned bytes         %" PRIu64 " (state %" PRIu64 " + arena %" PRIu64
              " + I/O %" PRIu64 " + scratch %" PRIu64 ")\n",
              plannedBytes(s), s.state_bytes, s.arena_bytes, s.io_bytes, s.scratch_bytes);
  if (s.planned_load_bytes)
    std::printf("planner LOAD          %" PRIu64 " (arena/LOAD %.3f)\n", s.planned_load_bytes,
                double(s.arena_bytes) / double(s.planned_load_bytes));
  std::printf("measured RSS growth   %" PRIu64 " peak during steps, %" PRIu64
              " peak during load (over %" PRIu64 " before load%s)\n",
              growth(r.after_steps.peak_bytes, r.before_load),
              growth(r.after_load.peak_bytes, r.before_load), r.before_load.current_bytes,
              r.peak_reset ? "" : "; VmHWM reset unsupported: peaks count from process start");
  if (r.losses.size() > 1)
    std::printf("heap allocations      %.3f per step (%" PRIu64 " in steps 2..%zu)\n",
                allocationsPerStep(r), r.step_allocations, r.losses.size());
  else
    std::printf("heap allocations      not measured (needs --steps >= 2)\n");
  if (!r.weights_kept.empty())
    std::printf("weights               %zu state tensor(s) kept the plan's values (first: %s)\n",
                r.weights_kept.size(), r.weights_kept[0].c_str());
  if (!r.checkpoints.empty())
    std::printf("checkpoints           %zu (after steps %" PRId64 "..%" PRId64 ")\n",
                r.checkpoints.size(), r.checkpoints.front(), r.checkpoints.back());
  if (!r.saved_weights.empty())
    std::printf("saved weights         %s (optimizer steps %" PRIu64 ")\n", r.saved_weights.c_str(),
                r.optimizer_steps);
}

// Exit codes: 0 success, 1 a failed run (bad plan, file, weights, inputs, memory), 2 a
// command-line error. No exception leaves main: anything thrown is reported and exits 1.
int tideRunMain(int argc, char **argv) {
  Options options;
  Status status = ParseOptions(argc, argv, &options);
  if (!status.ok()) {
    std::fprintf(stderr, "tide-run: %s\n%s", status.message().c_str(), UsageText());
    return 2;
  }
  if (options.help) {
    std::fputs(UsageText(), stdout);
    return 0;
  }
  Report report;
  status = runPlan(options, &report);
  if (!status.ok()) {
    std::fprintf(stderr, "tide-run: error: %s\n", status.ToString().c_str());
    return 1;
  }
  if (options.report == ReportFormat::kJson)
    printJson(report);
  else
    printText(report);
  return 0;
}

} // namespace
} // namespace tiderun
} // namespace tidemark

int main(int argc, char **argv) {
  try {
    return tidemark::tiderun::tideRunMain(argc, argv);
  } catch (const std::bad_alloc &) {
    std::fputs("tide-run: error: RESOURCE_EXHAUSTED: out of memory\n", stderr);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "tide-run: error: INTERNAL: unexpected exception: %s\n", e.what());
  } catch (...) {
    std::fputs("tide-run: error: INTERNAL: unexpected exception\n", stderr);
  }
  return 1;
}
