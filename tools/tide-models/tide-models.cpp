//===- tide-models.cpp - Emit tide-dialect models and their initial weights ===//
//
// tide-models gpt|llama|bert|mlp [options]: builds the model with the builder
// (include/tidemark/builder.h, which builds through the tide dialect), prints it as textual MLIR
// (or writes it with --output), and with
// --weights writes seeded initial parameter values as safetensors. docs/models.md lists every
// parameter. Bad options (and any exception, e.g. out of memory) print "tide-models: error: ..."
// and exit with status 1; output files are
// written to a temporary file and renamed, so they are never partial.
//
//===----------------------------------------------------------------------===//

#include "tidemark/builder.h"
#include "tidemark/safetensors.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace tidemark;
using namespace tidemark::builder;

namespace {

const char *const kUsage = R"(usage: tide-models gpt|llama|bert|mlp [options]

Emits a tide-dialect model as textual MLIR (stdout unless --output) and, with --weights, its
seeded initial parameters as safetensors. Parameters and their layout: docs/models.md.

common options:
  --batch B              batch size (gpt, llama, bert: 2, mlp: 32)
  --d-model D            model width / MLP input features (64)
  --vocab V              gpt, llama, bert: token vocabulary (token ids in, fused LM head +
                         cross-entropy against labels [batch * seq]: next tokens, or for bert
                         the masked tokens with -100 elsewhere); gpt 0 = embedding-free:
                         activations x in, mse against a target (gpt: 0, llama and bert: 256,
                         >= 1). mlp: classes; 0 = mse head (10)
  --inference            the inference form: output the logits (gpt, llama, bert, mlp) or
                         the last activations (gpt --vocab 0, mlp --vocab 0) instead of the
                         loss; no labels or target input, no dropout
  --checkpoint MODE      per-block (each transformer block / MLP hidden layer in a
                         tide.checkpoint region) or none (none)
  --output FILE.mlir     write the MLIR here instead of stdout
  --weights FILE         write the initial weights (safetensors)
  --seed S               seed of the initial weights (0)
  --list-params          print "name shape init" for every parameter (instead of the MLIR when
                         there is no --output)
gpt options:
  --layers N (2)  --heads H (4)  --d-ff F (4 * d-model)  --seq T (64)
  --attention-chunk C    query and key chunk of tide.attention, clamped to T (64)
  --dropout P            dropout in [0, 1) after the embeddings, each attention output
                         projection and each MLP (0; needs --vocab > 0 for the embedding one)
  --tie-weights          the LM head uses the token embedding wte (needs --vocab > 0)
  --head-chunks R,V      row and vocabulary chunk of the fused LM head (256,2048)
llama options (pre-norm RMSNorm, rotary embeddings, SwiGLU MLP, no biases):
  --layers N (2)  --heads H (4)  --seq T (64)  --attention-chunk C (64)
  --kv-heads K           key/value heads, dividing H (H; K < H: grouped-query attention,
                         query head h reads key/value head h / (H / K))
  --d-ff F               SwiGLU width (8 * d-model / 3 rounded up to a multiple of 8)
  --rope-base B          rotary embedding base (10000)
  --tie-weights          the LM head uses the token embedding wte
  --head-chunks R,V      row and vocabulary chunk of the fused LM head (256,2048)
bert options (post-LN encoder, non-causal attention, exact GELU, masked-LM head):
  --layers N (2)  --heads H (4)  --d-ff F (4 * d-model)  --seq T (64)  --attention-chunk C (64)
  --type-vocab N         token-type (segment) embedding of N types and a token_types input
                         (0: none)
  --padding-mask         an input lengths i32 [batch]: keys at positions >= lengths[b] are
                         masked in every attention (right padding)
  --dropout P            dropout in [0, 1) after the embedding norm, each attention output and
                         each MLP (0)
  --tie-weights          the MLM decoder uses the token embedding wte (its bias stays)
  --head-chunks R,V      row and vocabulary chunk of the fused LM head (256,2048)
mlp options:
  --hidden W1,W2,...     hidden widths (128)
  --activation relu|gelu (relu)
)";

const char *const kModelNames = "gpt, llama, bert or mlp";

/// Parsed command line.
struct Options {
  std::string model;
  std::map<std::string, std::string> values; ///< "--flag" -> value ("" for switches).
};

const std::set<std::string> kCommonFlags = {"--batch",      "--d-model",     "--vocab",
                                            "--checkpoint", "--output",      "--weights",
                                            "--seed",       "--list-params", "--inference"};
const std::set<std::string> kSwitches = {"--list-params", "--inference", "--tie-weights",
                                         "--padding-mask"};
/// The options of each model beyond the common ones.
const std::map<std::string, std::set<std::string>> kModelFlags = {
    {"gpt",
     {"--layers", "--heads", "--d-ff", "--seq", "--attention-chunk", "--dropout", "--tie-weights",
      "--head-chunks"}},
    {"llama",
     {"--layers", "--heads", "--kv-heads", "--d-ff", "--seq", "--attention-chunk", "--tie-weights",
      "--head-chunks", "--rope-base"}},
    {"bert",
     {"--layers", "--heads", "--d-ff", "--seq", "--attention-chunk", "--dropout", "--tie-weights",
      "--head-chunks", "--type-vocab", "--padding-mask"}},
    {"mlp", {"--hidden", "--activation"}},
};

[[noreturn]] void fatal(const std::string &message) {
  std::fprintf(stderr, "tide-models: error: %s\n", message.c_str());
  std::exit(1);
}

/// Splits "--flag=value" / "--flag value"; checks the flag applies to the model.
Options parseCommandLine(int argc, char **argv) {
  if (argc < 2)
    fatal("expected a model name (" + std::string(kModelNames) + ")\n" + kUsage);
  Options options;
  options.model = argv[1];
  if (options.model == "--help" || options.model == "-h") {
    std::fputs(kUsage, stdout);
    std::exit(0);
  }
  if (!kModelFlags.count(options.model))
    fatal("unknown model '" + options.model + "'; expected " + kModelNames);
  const std::set<std::string> &modelFlags = kModelFlags.at(options.model);
  std::set<std::string> otherFlags;
  for (const auto &[model, flags] : kModelFlags)
    otherFlags.insert(flags.begin(), flags.end());
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i], value;
    size_t equals = flag.find('=');
    if (equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
    }
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (otherFlags.count(flag) && !modelFlags.count(flag))
      fatal("option " + flag + " does not apply to model '" + options.model + "'");
    if (!kCommonFlags.count(flag) && !modelFlags.count(flag))
      fatal("unknown option '" + flag + "' (see tide-models --help)");
    if (options.values.count(flag))
      fatal("option " + flag + " is given twice");
    bool isSwitch = kSwitches.count(flag) > 0;
    if (isSwitch && equals != std::string::npos)
      fatal("option " + flag + " takes no value");
    if (!isSwitch && equals == std::string::npos) {
      if (i + 1 >= argc)
        fatal("option " + flag + " needs a value");
      value = argv[++i];
    }
    options.values[flag] = value;
  }
  return options;
}

/// A decimal integer in [minimum, maximum], or a fatal error naming the flag.
int64_t parseInteger(const std::string &flag, const std::string &text, int64_t minimum,
                     int64_t maximum) {
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || text[0] == '+' || std::isspace(text[0]))
    fatal("option " + flag + " expects an integer, got '" + text + "'");
  if (value < minimum || value > maximum)
    fatal("option " + flag + " must be in [" + std::to_string(minimum) + ", " +
          std::to_string(maximum) + "], got " + text);
  return value;
}

/// The integer value of `flag`, or `fallback` when it is absent.
int64_t integerOption(const Options &options, const std::string &flag, int64_t fallback,
                      int64_t minimum = 1, int64_t maximum = int64_t(1) << 30) {
  auto it = options.values.find(flag);
  return it == options.values.end() ? fallback : parseInteger(flag, it->second, minimum, maximum);
}

/// A decimal number in [minimum, maximum) (`rangeText` says so), or a fatal error naming the flag.
double doubleOption(const Options &options, const std::string &flag, double fallback,
                    double minimum, double maximum, const char *rangeText) {
  auto it = options.values.find(flag);
  if (it == options.values.end())
    return fallback;
  const std::string &text = it->second;
  errno = 0;
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || std::isspace(text[0]) ||
      !std::isfinite(value))
    fatal("option " + flag + " expects a number, got '" + text + "'");
  if (!(value >= minimum && value < maximum))
    fatal("option " + flag + " must be in " + rangeText + ", got " + text);
  return value;
}

bool switchOption(const Options &options, const std::string &flag) {
  return options.values.count(flag) > 0;
}

/// "R,V": two positive integers (the LM head's chunks).
void parseHeadChunks(const Options &options, int64_t *rows, int64_t *classes) {
  auto it = options.values.find("--head-chunks");
  if (it == options.values.end())
    return;
  size_t comma = it->second.find(',');
  if (comma == std::string::npos)
    fatal("option --head-chunks expects ROWS,VOCAB, got '" + it->second + "'");
  *rows = parseInteger("--head-chunks", it->second.substr(0, comma), 1, 2147483647);
  *classes = parseInteger("--head-chunks", it->second.substr(comma + 1), 1, 2147483647);
}

bool perBlockCheckpoints(const Options &options) {
  auto it = options.values.find("--checkpoint");
  if (it == options.values.end() || it->second == "none")
    return false;
  if (it->second == "per-block")
    return true;
  fatal("option --checkpoint expects per-block or none, got '" + it->second + "'");
}

GraphBuilder buildGptFromOptions(const Options &options) {
  GptConfig config;
  config.layers = integerOption(options, "--layers", 2);
  config.dModel = integerOption(options, "--d-model", 64);
  config.heads = integerOption(options, "--heads", 4);
  config.dFF = integerOption(options, "--d-ff", 4 * config.dModel);
  config.seq = integerOption(options, "--seq", 64);
  config.batch = integerOption(options, "--batch", 2);
  config.vocab = integerOption(options, "--vocab", 0, 0);
  config.attentionChunk = integerOption(options, "--attention-chunk", 64);
  config.checkpointPerBlock = perBlockCheckpoints(options);
  config.dropout = doubleOption(options, "--dropout", 0.0, 0.0, 1.0, "[0, 1)");
  config.tieWeights = switchOption(options, "--tie-weights");
  config.inference = switchOption(options, "--inference");
  parseHeadChunks(options, &config.headRowChunk, &config.headVocabChunk);
  if (config.tieWeights && config.vocab == 0)
    fatal("--tie-weights needs --vocab > 0 (token embeddings)");
  if (config.dModel % config.heads != 0)
    fatal("--d-model " + std::to_string(config.dModel) + " is not divisible by --heads " +
          std::to_string(config.heads));
  return buildGpt(config);
}

GraphBuilder buildLlamaFromOptions(const Options &options) {
  LlamaConfig config;
  config.layers = integerOption(options, "--layers", 2);
  config.dModel = integerOption(options, "--d-model", 64);
  config.heads = integerOption(options, "--heads", 4);
  config.kvHeads = integerOption(options, "--kv-heads", config.heads);
  config.dFF = integerOption(options, "--d-ff", defaultLlamaFeedForward(config.dModel));
  config.seq = integerOption(options, "--seq", 64);
  config.batch = integerOption(options, "--batch", 2);
  config.vocab = integerOption(options, "--vocab", 256);
  config.attentionChunk = integerOption(options, "--attention-chunk", 64);
  config.checkpointPerBlock = perBlockCheckpoints(options);
  config.tieWeights = switchOption(options, "--tie-weights");
  config.inference = switchOption(options, "--inference");
  config.ropeBase = doubleOption(options, "--rope-base", 10000.0, 1e-30, 1e30, "(0, 1e30)");
  parseHeadChunks(options, &config.headRowChunk, &config.headVocabChunk);
  if (config.dModel % config.heads != 0)
    fatal("--d-model " + std::to_string(config.dModel) + " is not divisible by --heads " +
          std::to_string(config.heads));
  if (config.heads % config.kvHeads != 0)
    fatal("--heads " + std::to_string(config.heads) + " is not divisible by --kv-heads " +
          std::to_string(config.kvHeads));
  return buildLlama(config);
}

GraphBuilder buildBertFromOptions(const Options &options) {
  BertConfig config;
  config.layers = integerOption(options, "--layers", 2);
  config.dModel = integerOption(options, "--d-model", 64);
  config.heads = integerOption(options, "--heads", 4);
  config.dFF = integerOption(options, "--d-ff", 4 * config.dModel);
  config.seq = integerOption(options, "--seq", 64);
  config.batch = integerOption(options, "--batch", 2);
  config.vocab = integerOption(options, "--vocab", 256);
  config.typeVocab = integerOption(options, "--type-vocab", 0, 0);
  config.paddingMask = switchOption(options, "--padding-mask");
  config.attentionChunk = integerOption(options, "--attention-chunk", 64);
  config.checkpointPerBlock = perBlockCheckpoints(options);
  config.dropout = doubleOption(options, "--dropout", 0.0, 0.0, 1.0, "[0, 1)");
  config.tieWeights = switchOption(options, "--tie-weights");
  config.inference = switchOption(options, "--inference");
  parseHeadChunks(options, &config.headRowChunk, &config.headVocabChunk);
  if (config.dModel % config.heads != 0)
    fatal("--d-model " + std::to_string(config.dModel) + " is not divisible by --heads " +
          std::to_string(config.heads));
  return buildBert(config);
}

std::vector<int64_t> parseWidths(const std::string &text) {
  std::vector<int64_t> widths;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    widths.push_back(parseInteger("--hidden", text.substr(start, comma - start), 1, 1 << 30));
    if (comma == std::string::npos)
      return widths;
    start = comma + 1;
  }
}

GraphBuilder buildMlpFromOptions(const Options &options) {
  MlpConfig config;
  config.batch = integerOption(options, "--batch", 32);
  config.inFeatures = integerOption(options, "--d-model", 64);
  config.classes = integerOption(options, "--vocab", 10, 0);
  config.checkpointPerLayer = perBlockCheckpoints(options);
  config.inference = switchOption(options, "--inference");
  if (options.values.count("--hidden"))
    config.hidden = parseWidths(options.values.at("--hidden"));
  auto activation = options.values.find("--activation");
  if (activation != options.values.end()) {
    if (activation->second != "relu" && activation->second != "gelu")
      fatal("option --activation expects relu or gelu, got '" + activation->second + "'");
    config.gelu = activation->second == "gelu";
  }
  return buildMlp(config);
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename.
void writeTextAtomically(const std::string &path, const std::string &text) {
  std::string temporary = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(temporary.data());
  if (fd < 0)
    fatal("cannot create a temporary file next to '" + path + "': " + std::strerror(errno));
  ::fchmod(fd, 0644);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t written = ::write(fd, text.data() + done, text.size() - done);
    if (written <= 0 && errno != EINTR)
      break;
    done += written > 0 ? static_cast<size_t>(written) : 0;
  }
  bool ok =
      done == text.size() && ::close(fd) == 0 && std::rename(temporary.c_str(), path.c_str()) == 0;
  if (!ok) {
    std::string reason = std::strerror(errno);
    std::remove(temporary.c_str());
    fatal("cannot write '" + path + "': " + reason);
  }
}

void writeWeights(const Options &options, const GraphBuilder &model, uint64_t seed) {
  WeightsFile file;
  file.metadata = {{"generator", "tide-models"},
                   {"model", options.model},
                   {"seed", std::to_string(seed)},
                   {"layout", "row-major; linear weights are [in, out]: y = x W + b"}};
  for (const Argument &parameter : model.parameters())
    file.tensors.push_back(
        WeightTensor::FromFloats(parameter.name, parameter.shape, initialValues(parameter, seed)));
  Status status = WriteSafetensors(options.values.at("--weights"), file);
  if (!status.ok())
    fatal(status.message());
}

} // namespace

static int run(int argc, char **argv) {
  Options options = parseCommandLine(argc, argv);
  GraphBuilder model = options.model == "gpt"     ? buildGptFromOptions(options)
                       : options.model == "llama" ? buildLlamaFromOptions(options)
                       : options.model == "bert"  ? buildBertFromOptions(options)
                                                  : buildMlpFromOptions(options);
  Status status = model.status();
  if (!status.ok())
    fatal(status.message());
  uint64_t seed = static_cast<uint64_t>(
      integerOption(options, "--seed", 0, 0, std::numeric_limits<int64_t>::max()));
  if (options.values.count("--weights"))
    writeWeights(options, model, seed);
  bool listParams = options.values.count("--list-params") > 0;
  if (listParams)
    for (const Argument &parameter : model.parameters())
      std::printf("%s %s %s\n", parameter.name.c_str(), shapeText(parameter.shape).c_str(),
                  parameter.init.describe().c_str());
  if (options.values.count("--output"))
    writeTextAtomically(options.values.at("--output"), model.toMlir());
  else if (!listParams)
    std::fputs(model.toMlir().c_str(), stdout);
  return 0;
}

int main(int argc, char **argv) {
  // No exception escapes: an allocation for a model too large for this machine (or any other
  // library exception) becomes "tide-models: error: ..." and status 1.
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc &) {
    fatal("out of memory (the model or its weights are too large for this machine)");
  } catch (const std::exception &e) {
    fatal(std::string("unexpected error: ") + e.what());
  }
}
