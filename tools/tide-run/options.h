// tide-run's command line: a small hand-written parser (the runtime links no option library).
#ifndef TIDEMARK_TOOLS_TIDE_RUN_OPTIONS_H_
#define TIDEMARK_TOOLS_TIDE_RUN_OPTIONS_H_

#include <cstdint>
#include <string>

#include "tidemark/status.h"

namespace tidemark {
namespace tiderun {

enum class ReportFormat { kText, kJson };

struct Options {
  std::string plan_path;
  int64_t steps = 1;
  int threads = 1;
  std::string weights_path;      // Empty: keep the plan's initial state.
  bool weights_partial = false;  // Allow state tensors that the weights file does not name.
  std::string save_weights_path; // Empty: do not save.
  std::string save_outputs_path; // Empty: do not save the outputs of the last step.
  int64_t save_every = 0;  // --save-every K: also save after every K steps (0: at the end only)
  std::string inputs_path; // Empty: seeded random inputs.
  uint64_t seed = 0;
  // RuntimeOptions::max_memory_bytes: kMemoryCapPhysical ("auto", the default), kNoMemoryCap
  // ("none"), or a byte count. Also bounds the plan, weights and inputs files tide-run reads.
  uint64_t max_memory_bytes = 0;
  ReportFormat report = ReportFormat::kText;
  // --data: fill the inputs from a dataset before every step (see data_feed.h).
  std::string data_path;
  std::string data_type = "u16"; // bytes, u8, u16, u32 or examples
  double eval_fraction = 0.1;
  int64_t eval_every = 0;     // 0: no evaluation
  std::string eval_plan_path; // the inference plan evaluation runs (needed with eval_every)
  int64_t eval_batches = 4;
  int64_t progress_every = 0; // --progress N: a progress line on stderr every N steps (0: none)
  bool help = false;
};

// The usage text printed by --help and after a command-line error.
const char *UsageText();

// Parses argv[1..argc). Accepts "--flag value" and "--flag=value". Errors (InvalidArgument) name
// the offending argument: unknown flag, missing or malformed value, value out of range, a second
// plan path, no plan path, or --inputs together with --seed.
Status ParseOptions(int argc, const char *const *argv, Options *out);

// Parses a --max-memory value: "auto", "none", or a positive integer with an optional binary
// suffix K, M, G or T (also KiB, MiB, GiB, TiB; any case), e.g. 512M = 536870912.
Status ParseByteSize(const std::string &flag, const std::string &text, uint64_t *out);

} // namespace tiderun
} // namespace tidemark

#endif // TIDEMARK_TOOLS_TIDE_RUN_OPTIONS_H_
