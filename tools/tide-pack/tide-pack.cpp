// tide-pack: packs a MiniMalloc-format buffer list into one arena and writes the offsets.
//
// Exit codes: 0 success, 1 usage error, 2 malformed input, 3 capacity cannot be met,
// 4 output cannot be written, 5 internal error (the verifier rejected a plan; nothing written).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "compiler/planning/MiniMallocCsv.h"
#include "compiler/planning/Packing.h"

ABSL_FLAG(std::string, input, "", "MiniMalloc CSV to read (header id,lower,upper,size)");
ABSL_FLAG(std::string, output, "", "CSV to write: the input rows plus an offset column");
ABSL_FLAG(std::string, algorithm, "default",
          "packer: naive, greedy-size, best-fit, exact or default");
ABSL_FLAG(double, time_limit, 10.0, "seconds the exact search may run (exact)");
ABSL_FLAG(double, polish_time, 1.0, "seconds of exact polish after the heuristics (default)");
ABSL_FLAG(int64_t, capacity, -1, "arena capacity in bytes; fail if it cannot be met (-1: none)");
ABSL_FLAG(int64_t, alignment, 1, "offset alignment in bytes for every buffer");

namespace {

enum ExitCode { kOk = 0, kUsage = 1, kBadInput = 2, kNoFit = 3, kWriteFailed = 4, kInternal = 5 };

int fail(int code, const std::string &message) {
  std::fprintf(stderr, "tide-pack: error: %s\n", message.c_str());
  return code;
}

/// Checks the flags; returns an empty string when they are usable.
std::string flagProblem() {
  if (absl::GetFlag(FLAGS_input).empty())
    return "--input is required";
  if (absl::GetFlag(FLAGS_output).empty())
    return "--output is required";
  if (absl::GetFlag(FLAGS_alignment) < 1 ||
      absl::GetFlag(FLAGS_alignment) > tidemark::planning::kMaxAlignment)
    return absl::StrCat("--alignment must be in [1, ", tidemark::planning::kMaxAlignment, "], got ",
                        absl::GetFlag(FLAGS_alignment));
  if (absl::GetFlag(FLAGS_capacity) < -1)
    return absl::StrCat("--capacity must be >= 0, got ", absl::GetFlag(FLAGS_capacity));
  if (!(absl::GetFlag(FLAGS_time_limit) >= 0) || !(absl::GetFlag(FLAGS_polish_time) >= 0))
    return "--time-limit and --polish-time must be >= 0";
  return "";
}

void printReport(const std::string &algorithm, size_t numBuffers,
                 const tidemark::planning::PackReport &report) {
  const tidemark::planning::Solution &solution = report.solution;
  double ratio = report.load > 0 ? static_cast<double>(solution.arenaSize) / report.load : 1.0;
  std::printf("algorithm:      %s\n", algorithm.c_str());
  std::printf("buffers:        %zu\n", numBuffers);
  std::printf("arena:          %lld bytes\n", static_cast<long long>(solution.arenaSize));
  std::printf("LOAD:           %lld bytes\n", static_cast<long long>(report.load));
  std::printf("arena/LOAD:     %.4f\n", ratio);
  std::printf("time:           %.3f s\n", report.seconds);
  std::printf("proven optimal: %s\n", solution.provenOptimal ? "yes" : "no");
}

/// The documented spelling of multi-word flags uses dashes (--time-limit); Abseil flag names are
/// C identifiers (time_limit). Rewrites the dashes inside a flag's name, never in its value.
std::vector<std::string> withUnderscoreFlagNames(int argc, char **argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string &arg = args[i];
    if (arg == "--")
      break;
    if (arg.rfind("--", 0) != 0)
      continue;
    size_t nameEnd = std::min(arg.find('='), arg.size());
    for (size_t c = 2; c < nameEnd; ++c)
      if (arg[c] == '-')
        arg[c] = '_';
  }
  return args;
}

} // namespace

int main(int argc, char **argv) {
  absl::SetProgramUsageMessage(
      "packs buffers into one arena.\n  tide-pack --input IN.csv --output OUT.csv "
      "[--algorithm NAME] [--time-limit SECONDS] [--capacity BYTES] [--alignment BYTES]");
  std::vector<std::string> args = withUnderscoreFlagNames(argc, argv);
  std::vector<char *> argvCopy;
  for (std::string &arg : args)
    argvCopy.push_back(arg.data());
  std::vector<char *> positional =
      absl::ParseCommandLine(static_cast<int>(argvCopy.size()), argvCopy.data());
  if (positional.size() > 1)
    return fail(kUsage, absl::StrCat("unexpected argument '", positional[1], "'"));
  if (std::string problem = flagProblem(); !problem.empty())
    return fail(kUsage, problem);

  auto list = tidemark::planning::readMiniMallocCsv(absl::GetFlag(FLAGS_input),
                                                    absl::GetFlag(FLAGS_alignment));
  if (!list.ok())
    return fail(kBadInput, std::string(list.status().message()));
  if (absl::GetFlag(FLAGS_capacity) >= 0)
    list->problem.capacity = absl::GetFlag(FLAGS_capacity);

  tidemark::planning::PackOptions options;
  options.timeLimitSeconds = absl::GetFlag(FLAGS_time_limit);
  options.polishSeconds = absl::GetFlag(FLAGS_polish_time);
  std::string algorithm = absl::GetFlag(FLAGS_algorithm);
  auto report = tidemark::planning::packProblem(list->problem, algorithm, options);
  if (!report.ok()) {
    switch (report.status().code()) {
    case absl::StatusCode::kResourceExhausted:
      return fail(kNoFit, std::string(report.status().message()));
    case absl::StatusCode::kInvalidArgument:
      return fail(report.status().message().find("algorithm") != absl::string_view::npos
                      ? kUsage
                      : kBadInput,
                  std::string(report.status().message()));
    default:
      return fail(kInternal, std::string(report.status().message()));
    }
  }
  std::string csv = tidemark::planning::formatMiniMallocCsv(*list, report->solution);
  if (auto status = tidemark::planning::writeFileAtomically(absl::GetFlag(FLAGS_output), csv);
      !status.ok())
    return fail(kWriteFailed, std::string(status.message()));
  printReport(algorithm, list->problem.buffers.size(), *report);
  return kOk;
}
