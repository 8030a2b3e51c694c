// tide-run's command-line parser: flags with values, ranges checked, one positional plan path.
#include "options.h"

#include "tidemark/runtime.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace tidemark {
namespace tiderun {
namespace {

// Parses a whole decimal integer in [lo, hi]; anything else (sign junk, trailing text, overflow)
// is an error naming the flag.
Status parseInteger(const std::string &flag, const std::string &text, int64_t lo, int64_t hi,
                    int64_t *out) {
  if (text.empty() || text[0] == ' ')
    return InvalidArgument(flag + " needs an integer, got '" + text + "'");
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0')
    return InvalidArgument(flag + " needs an integer, got '" + text + "'");
  if (value < lo || value > hi)
    return InvalidArgument(flag + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "], got " + text);
  *out = value;
  return Status::Ok();
}

// The multiplier of a size suffix ("" = 1, "K"/"KiB" = 2^10, ...), 0 if unknown.
uint64_t suffixMultiplier(std::string suffix) {
  for (char &c : suffix)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suffix.empty() || suffix == "B")
    return 1;
  static const char *const kUnits = "KMGT";
  for (int i = 0; i < 4; ++i) {
    const std::string unit(1, kUnits[i]);
    if (suffix == unit || suffix == unit + "B" || suffix == unit + "IB")
      return uint64_t{1} << (10 * (i + 1));
  }
  return 0;
}

// Splits "--flag=value" into flag and value; "--flag" alone takes the next argument if the flag
// needs one.
struct FlagCursor {
  int argc;
  const char *const *argv;
  int index = 1;

  Status value(const std::string &flag, const std::string &inline_value, bool has_inline,
               std::string *out) {
    if (has_inline) {
      *out = inline_value;
      return Status::Ok();
    }
    if (index + 1 >= argc)
      return InvalidArgument(flag + " needs a value");
    *out = argv[++index];
    return Status::Ok();
  }
};

} // namespace

Status ParseByteSize(const std::string &flag, const std::string &text, uint64_t *out) {
  if (text == "auto") {
    *out = kMemoryCapPhysical;
    return Status::Ok();
  }
  if (text == "none") {
    *out = kNoMemoryCap;
    return Status::Ok();
  }
  const auto bad = [&] {
    return InvalidArgument(flag +
                           " needs a byte count such as 536870912, 512M or 4G (or 'auto', "
                           "'none'), got '" +
                           text + "'");
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0 || digits > 19)
    return bad();
  const uint64_t multiplier = suffixMultiplier(text.substr(digits));
  if (multiplier == 0)
    return bad();
  const uint64_t count = std::strtoull(text.substr(0, digits).c_str(), nullptr, 10);
  if (count == 0)
    return InvalidArgument(flag + " must be at least 1 byte, got '" + text +
                           "' (use 'none' for no cap)");
  if (count > UINT64_MAX / multiplier)
    return InvalidArgument(flag + " value '" + text + "' does not fit in 64 bits");
  *out = count * multiplier;
  return Status::Ok();
}

const char *UsageText() {
  return "usage: tide-run PLAN [--steps N] [--threads T] [--max-memory BYTES]\n"
         "                [--weights FILE.safetensors] [--weights-partial]\n"
         "                [--save-weights FILE.safetensors [--save-every K]]\n"
         "                [--save-outputs FILE.safetensors]\n"
         "                [--inputs FILE.safetensors | --seed S] [--report=text|json]\n"
         "Loads a Tidemark plan, binds its inputs, runs N steps and reports the loss per step,\n"
         "the median step time, planned vs measured memory and heap allocations per step.\n"
         "  --steps N            steps to run (default 1, at most 1000000)\n"
         "  --threads T          kernel threads, the caller included (default 1, 1..1024)\n"
         "  --max-memory BYTES   refuse a plan that needs more (state + arena + I/O + constants\n"
         "                       + scratch), and larger plan/weights/inputs files, before\n"
         "                       allocating: e.g. 512M, 4G; 'auto' (default): physical memory;\n"
         "                       'none': no cap\n"
         "  --weights FILE       overwrite state tensors with the file's tensors (names, dtypes\n"
         "                       and shapes must match); every state tensor must be in the file\n"
         "  --weights-partial    allow state tensors the file does not name (e.g. optimizer\n"
         "                       slots): they keep the plan's initial values\n"
         "  --save-weights FILE  after the steps, write every state tensor (atomically)\n"
         "                       ({step} in FILE: the number of steps run, e.g. w-{step}.st)\n"
         "  --save-every K       also write it after every K steps (a checkpoint; without\n"
         "                       {step} in FILE each one replaces the last; default 0: at\n"
         "                       the end only)\n"
         "  --save-outputs FILE  after the steps, write every output of the last step (e.g. an\n"
         "                       inference plan's output0) to FILE, atomically\n"
         "  --inputs FILE        bind inputs from the file's tensors of the same names\n"
         "  --seed S             random inputs from seed S (default 0): f32 uniform in [-1, 1),\n"
         "                       class labels uniform in [0, classes)\n"
         "  --report=text|json   output format (default text)\n"
         "  --data FILE          fill the inputs from a dataset before every step (seeded by\n"
         "                       --seed): a token file (token ids + next-token targets) or\n"
         "                       labelled examples (see docs/data.md)\n"
         "  --data-type T        bytes, u8, u16 (nanoGPT .bin, default), u32 or examples\n"
         "  --eval-fraction F    held-out tail of the data (default 0.1; 0: none)\n"
         "  --eval-every N       every N steps (and after the last) report the mean loss of\n"
         "                       --eval-batches held-out batches, run with --eval-plan\n"
         "  --eval-plan PLAN     the model's inference plan (tidec without --train); gets the\n"
         "                       trained parameters by name before each evaluation\n"
         "  --eval-batches N     held-out batches per evaluation (default 4)\n"
         "  --progress N         every N steps (and after the last) print a progress line on\n"
         "                       stderr: step, loss, mean loss since the last line, latest\n"
         "                       held-out loss, elapsed time (default 0: none)\n";
}

Status ParseOptions(int argc, const char *const *argv, Options *out) {
  Options options;
  bool seed_given = false;
  FlagCursor cursor{argc, argv};
  for (; cursor.index < argc; ++cursor.index) {
    const std::string arg = argv[cursor.index];
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
      if (!arg.empty() && arg[0] == '-' && arg != "-")
        return InvalidArgument("unknown option '" + arg + "'");
      if (!options.plan_path.empty())
        return InvalidArgument("more than one plan given: '" + options.plan_path + "' and '" + arg +
                               "'");
      options.plan_path = arg;
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string flag = arg.substr(0, equals);
    const bool has_inline = equals != std::string::npos;
    const std::string inline_value = has_inline ? arg.substr(equals + 1) : "";
    std::string value;
    int64_t number = 0;
    if (flag == "--help" || flag == "-h") {
      options.help = true;
    } else if (flag == "--weights-partial") {
      if (has_inline)
        return InvalidArgument("--weights-partial takes no value");
      options.weights_partial = true;
    } else if (flag == "--steps") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      TIDEMARK_RETURN_IF_ERROR(parseInteger(flag, value, 1, 1000000, &number));
      options.steps = number;
    } else if (flag == "--threads") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      TIDEMARK_RETURN_IF_ERROR(parseInteger(flag, value, 1, kMaxThreads, &number));
      options.threads = static_cast<int>(number);
    } else if (flag == "--max-memory") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      TIDEMARK_RETURN_IF_ERROR(ParseByteSize(flag, value, &options.max_memory_bytes));
    } else if (flag == "--seed") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      TIDEMARK_RETURN_IF_ERROR(
          parseInteger(flag, value, 0, std::numeric_limits<int64_t>::max(), &number));
      options.seed = static_cast<uint64_t>(number);
      seed_given = true;
    } else if (flag == "--weights" || flag == "--save-weights" || flag == "--inputs" ||
               flag == "--save-outputs") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      if (value.empty())
        return InvalidArgument(flag + " needs a file name");
      (flag == "--weights"        ? options.weights_path
       : flag == "--save-weights" ? options.save_weights_path
       : flag == "--save-outputs" ? options.save_outputs_path
                                  : options.inputs_path) = value;
    } else if (flag == "--data" || flag == "--data-type" || flag == "--eval-plan") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      if (value.empty())
        return InvalidArgument(flag + " needs a value");
      (flag == "--data"        ? options.data_path
       : flag == "--data-type" ? options.data_type
                               : options.eval_plan_path) = value;
    } else if (flag == "--eval-every" || flag == "--eval-batches") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      TIDEMARK_RETURN_IF_ERROR(
          parseInteger(flag, value, flag == "--eval-every" ? 0 : 1, 1000000, &number));
      (flag == "--eval-every" ? options.eval_every : options.eval_batches) = number;
    } else if (flag == "--save-every") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      TIDEMARK_RETURN_IF_ERROR(parseInteger(flag, value, 1, 1000000, &number));
      options.save_every = number;
    } else if (flag == "--progress") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      TIDEMARK_RETURN_IF_ERROR(parseInteger(flag, value, 0, 1000000, &number));
      options.progress_every = number;
    } else if (flag == "--eval-fraction") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      char *end = nullptr;
      const double fraction = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || !(fraction >= 0.0) ||
          !(fraction < 1.0))
        return InvalidArgument("--eval-fraction must be a number in [0, 1), got '" + value + "'");
      options.eval_fraction = fraction;
    } else if (flag == "--report") {
      TIDEMARK_RETURN_IF_ERROR(cursor.value(flag, inline_value, has_inline, &value));
      if (value == "text")
        options.report = ReportFormat::kText;
      else if (value == "json")
        options.report = ReportFormat::kJson;
      else
        return InvalidArgument("--report must be 'text' or 'json', got '" + value + "'");
    } else {
      return InvalidArgument("unknown option '" + arg + "'");
    }
  }
  if (options.help) {
    *out = options;
    return Status::Ok();
  }
  if (options.plan_path.empty())
    return InvalidArgument("no plan file given");
  if (seed_given && !options.inputs_path.empty())
    return InvalidArgument("--inputs and --seed exclude each other");
  if (!options.data_path.empty() && !options.inputs_path.empty())
    return InvalidArgument("--inputs and --data exclude each other");
  if (options.eval_every > 0 && (options.data_path.empty() || options.eval_plan_path.empty()))
    return InvalidArgument("--eval-every needs --data and --eval-plan");
  if (options.save_every > 0 && options.save_weights_path.empty())
    return InvalidArgument("--save-every needs --save-weights FILE");
  if (options.eval_every > 0 && options.eval_fraction == 0.0)
    return InvalidArgument("--eval-every needs a held-out split (--eval-fraction > 0)");
  *out = options;
  return Status::Ok();
}

} // namespace tiderun
} // namespace tidemark
