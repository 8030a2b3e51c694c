// TokenDataset and ExampleDataset (tidemark/data.h): window sampling with Philox, pread per
// window, id checks, safetensors examples.
#include <cstring>
#include <string>
#include <utility>

#include "runtime/core/file_io.h"
#include "runtime/kernels/dropout.h"
#include "tidemark/data.h"
#include "tidemark/safetensors.h"

namespace tidemark {

struct TokenDataset::File {
  RegularFile file;
};

namespace {

// floor(u * range / 2^64): a uniform index in [0, range) without modulo bias beyond 2^-64 range.
uint64_t ScaleDraw(uint64_t u, uint64_t range) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(u) * range) >> 64);
}

std::string Quote(const std::string &path) { return "'" + path + "'"; }

} // namespace

uint64_t DataDraw(uint64_t seed, DataSplit split, uint64_t index, int64_t row) {
  const auto words =
      kernels::Philox4x32_10({static_cast<uint32_t>(row), static_cast<uint32_t>(split),
                              static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32)},
                             {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  return (static_cast<uint64_t>(words[1]) << 32) | words[0];
}

Status ParseTokenType(const std::string &name, TokenType *out) {
  if (name == "u8" || name == "uint8" || name == "bytes")
    *out = TokenType::kUint8;
  else if (name == "u16" || name == "uint16")
    *out = TokenType::kUint16;
  else if (name == "u32" || name == "uint32")
    *out = TokenType::kUint32;
  else
    return InvalidArgument("unknown token type '" + name +
                           "' (expected bytes, u8, u16/uint16 or u32/uint32)");
  return Status::Ok();
}

int TokenTypeBytes(TokenType type) {
  return type == TokenType::kUint8 ? 1 : type == TokenType::kUint16 ? 2 : 4;
}

TokenDataset::~TokenDataset() = default;

Status TokenDataset::Open(const std::string &path, const TokenDataOptions &options,
                          std::unique_ptr<TokenDataset> *out) {
  out->reset();
  if (options.seq_len < 1 || options.seq_len > (int64_t{1} << 30))
    return InvalidArgument("token data: the sequence length must be in [1, 2^30], got " +
                           std::to_string(options.seq_len));
  if (options.vocab < 1 || options.vocab > (int64_t{1} << 31) - 1)
    return InvalidArgument("token data: the vocabulary size must be in [1, 2^31 - 1], got " +
                           std::to_string(options.vocab));
  if (!(options.eval_fraction >= 0.0 && options.eval_fraction < 1.0))
    return InvalidArgument("token data: the eval fraction must be in [0, 1), got " +
                           std::to_string(options.eval_fraction));
  const int width = TokenTypeBytes(options.type);
  if (options.type == TokenType::kUint8 && options.vocab < 256)
    return InvalidArgument("token data: a byte file needs a vocabulary of at least 256, got " +
                           std::to_string(options.vocab));
  std::unique_ptr<TokenDataset> data(new TokenDataset());
  data->file_ = std::make_unique<File>();
  TIDEMARK_RETURN_IF_ERROR(OpenRegularFile(path, "token data file", &data->file_->file));
  const uint64_t bytes = data->file_->file.size();
  if (bytes % static_cast<uint64_t>(width) != 0)
    return DataLoss("token data file " + Quote(path) + " is " + std::to_string(bytes) +
                    " bytes, not a whole number of " + std::to_string(width) +
                    "-byte token ids (wrong --data-type?)");
  data->options_ = options;
  data->num_tokens_ = static_cast<int64_t>(bytes / static_cast<uint64_t>(width));
  const int64_t n = data->num_tokens_;
  data->eval_begin_ = n - static_cast<int64_t>(static_cast<double>(n) * options.eval_fraction);
  const int64_t window = options.seq_len + 1;
  if (data->eval_begin_ < window)
    return InvalidArgument("token data file " + Quote(path) + " has " + std::to_string(n) +
                           " tokens: the training split (" + std::to_string(data->eval_begin_) +
                           ") holds no window of seq_len + 1 = " + std::to_string(window));
  if (options.eval_fraction > 0.0 && n - data->eval_begin_ < window)
    return InvalidArgument("token data file " + Quote(path) + ": the eval split (" +
                           std::to_string(n - data->eval_begin_) + " tokens) holds no window of " +
                           std::to_string(window) + "; use a smaller --eval-fraction or 0");
  data->window_.resize(static_cast<size_t>(window * width));
  *out = std::move(data);
  return Status::Ok();
}

int64_t TokenDataset::split_tokens(DataSplit split) const {
  return split == DataSplit::kTrain ? eval_begin_ : num_tokens_ - eval_begin_;
}

int64_t TokenDataset::WindowStart(uint64_t seed, DataSplit split, uint64_t index,
                                  int64_t row) const {
  const int64_t begin = split == DataSplit::kTrain ? 0 : eval_begin_;
  const uint64_t starts = static_cast<uint64_t>(split_tokens(split) - options_.seq_len);
  return begin + static_cast<int64_t>(ScaleDraw(DataDraw(seed, split, index, row), starts));
}

Status TokenDataset::Sample(uint64_t seed, DataSplit split, uint64_t index, int64_t batch,
                            int32_t *inputs, int32_t *targets) const {
  if (batch < 1)
    return InvalidArgument("token data: batch must be >= 1");
  if (split_tokens(split) < options_.seq_len + 1)
    return InvalidArgument("token data: the " +
                           std::string(split == DataSplit::kTrain ? "training" : "eval") +
                           " split is empty");
  const int width = TokenTypeBytes(options_.type);
  const int64_t seq = options_.seq_len;
  for (int64_t row = 0; row < batch; ++row) {
    const int64_t start = WindowStart(seed, split, index, row);
    TIDEMARK_RETURN_IF_ERROR(ReadFileAt(file_->file, static_cast<uint64_t>(start) * width,
                                        window_.data(), window_.size()));
    for (int64_t t = 0; t <= seq; ++t) {
      const uint8_t *p = window_.data() + t * width;
      uint32_t id = p[0];
      if (width >= 2)
        id |= static_cast<uint32_t>(p[1]) << 8;
      if (width == 4)
        id |= (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
      if (id >= static_cast<uint64_t>(options_.vocab))
        return OutOfRange("token data file '" + file_->file.path() + "': token id " +
                          std::to_string(id) + " at token index " + std::to_string(start + t) +
                          " (byte offset " + std::to_string((start + t) * width) +
                          ") is not below the vocabulary size " + std::to_string(options_.vocab));
      if (t < seq)
        inputs[row * seq + t] = static_cast<int32_t>(id);
      if (t > 0)
        targets[row * seq + t - 1] = static_cast<int32_t>(id);
    }
  }
  return Status::Ok();
}

Status ExampleDataset::Open(const std::string &path, double eval_fraction,
                            std::unique_ptr<ExampleDataset> *out) {
  out->reset();
  if (!(eval_fraction >= 0.0 && eval_fraction < 1.0))
    return InvalidArgument("example data: the eval fraction must be in [0, 1), got " +
                           std::to_string(eval_fraction));
  WeightsFile file;
  TIDEMARK_RETURN_IF_ERROR(ReadSafetensors(path, &file));
  const WeightTensor *inputs = file.Find("inputs");
  const WeightTensor *labels = file.Find("labels");
  if (inputs == nullptr || labels == nullptr)
    return InvalidArgument("example data file " + Quote(path) +
                           " needs the tensors 'inputs' [N, ...] (F32) and 'labels' [N] (I32) or "
                           "[N, ...] (F32)");
  if (inputs->dtype != DType::kF32 || inputs->shape.empty())
    return InvalidArgument("example data file " + Quote(path) +
                           ": 'inputs' must be an F32 tensor of rank >= 1");
  if (labels->shape.empty() || labels->shape[0] != inputs->shape[0])
    return InvalidArgument(
        "example data file " + Quote(path) + ": 'labels' has " +
        (labels->shape.empty() ? std::string("rank 0") : std::to_string(labels->shape[0])) +
        " examples, 'inputs' " + std::to_string(inputs->shape[0]));
  std::unique_ptr<ExampleDataset> data(new ExampleDataset());
  data->num_examples_ = inputs->shape[0];
  data->input_shape_.assign(inputs->shape.begin() + 1, inputs->shape.end());
  data->input_size_ = data->num_examples_ > 0 ? inputs->NumElements() / data->num_examples_ : 0;
  TIDEMARK_RETURN_IF_ERROR(inputs->ToFloats(&data->inputs_));
  if (labels->dtype == DType::kI32) {
    if (labels->shape.size() != 1)
      return InvalidArgument("example data file " + Quote(path) +
                             ": I32 'labels' (class ids) must have shape [N]");
    data->label_classes_.resize(static_cast<size_t>(data->num_examples_));
    std::memcpy(data->label_classes_.data(), labels->bytes.data(), labels->bytes.size());
  } else {
    TIDEMARK_RETURN_IF_ERROR(labels->ToFloats(&data->label_floats_));
    data->label_size_ = data->num_examples_ > 0 ? labels->NumElements() / data->num_examples_ : 0;
  }
  const int64_t n = data->num_examples_;
  data->eval_begin_ = n - static_cast<int64_t>(static_cast<double>(n) * eval_fraction);
  if (data->eval_begin_ < 1)
    return InvalidArgument("example data file " + Quote(path) + " has " + std::to_string(n) +
                           " examples: none left for training");
  if (eval_fraction > 0.0 && data->eval_begin_ == n)
    return InvalidArgument("example data file " + Quote(path) + ": the eval split is empty (" +
                           std::to_string(n) + " examples); use a larger --eval-fraction or 0");
  *out = std::move(data);
  return Status::Ok();
}

int64_t ExampleDataset::split_examples(DataSplit split) const {
  return split == DataSplit::kTrain ? eval_begin_ : num_examples_ - eval_begin_;
}

int64_t ExampleDataset::ExampleIndex(uint64_t seed, DataSplit split, uint64_t index,
                                     int64_t row) const {
  const int64_t begin = split == DataSplit::kTrain ? 0 : eval_begin_;
  return begin + static_cast<int64_t>(ScaleDraw(DataDraw(seed, split, index, row),
                                                static_cast<uint64_t>(split_examples(split))));
}

Status ExampleDataset::Sample(uint64_t seed, DataSplit split, uint64_t index, int64_t batch,
                              float *inputs, int32_t *class_labels, float *targets) const {
  if (batch < 1)
    return InvalidArgument("example data: batch must be >= 1");
  if (split_examples(split) < 1)
    return InvalidArgument("example data: the requested split is empty");
  if (labels_are_classes() ? class_labels == nullptr : targets == nullptr)
    return InvalidArgument(std::string("example data: the labels are ") +
                           (labels_are_classes() ? "class ids (int32)" : "float targets") +
                           " but no buffer of that type was given");
  for (int64_t row = 0; row < batch; ++row) {
    const int64_t e = ExampleIndex(seed, split, index, row);
    std::memcpy(inputs + row * input_size_, inputs_.data() + e * input_size_,
                static_cast<size_t>(input_size_) * sizeof(float));
    if (labels_are_classes())
      class_labels[row] = label_classes_[static_cast<size_t>(e)];
    else
      std::memcpy(targets + row * label_size_, label_floats_.data() + e * label_size_,
                  static_cast<size_t>(label_size_) * sizeof(float));
  }
  return Status::Ok();
}

} // namespace tidemark
