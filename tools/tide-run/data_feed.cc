// DataFeed: matching plan inputs to a dataset and filling them per step (see data_feed.h).
#include "data_feed.h"

#include "runtime/core/file_io.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace tidemark {
namespace tiderun {
namespace {

int64_t RowElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

std::string ShapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

} // namespace

Status DataFeed::Create(const DataFeedOptions &options, const Runtime &runtime,
                        const std::map<std::string, int64_t> &label_classes,
                        std::unique_ptr<DataFeed> *out) {
  out->reset();
  { // A missing or non-regular file is reported as such before the plan's inputs are matched.
    RegularFile file;
    TIDEMARK_RETURN_IF_ERROR(OpenRegularFile(options.path, "data file", &file));
  }
  std::unique_ptr<DataFeed> feed(new DataFeed());
  feed->options_ = options;
  const std::vector<TensorInfo> &inputs = runtime.inputs();
  if (options.type != "examples") {
    TokenDataOptions data;
    TIDEMARK_RETURN_IF_ERROR(ParseTokenType(options.type, &data.type));
    // Tokens: an i32 [batch, seq] input read by a gather (else one that is no loss's labels).
    // Targets: the labels of the loss, [batch, seq] or flattened [batch * seq] (the same bytes).
    const TensorInfo *tokens = nullptr, *targets = nullptr;
    auto isTokenShaped = [](const TensorInfo &input) {
      return input.dtype == DType::kI32 && input.shape.size() == 2;
    };
    for (const TensorInfo &input : inputs)
      if (tokens == nullptr && isTokenShaped(input) && options.id_inputs.count(input.name))
        tokens = &input;
    for (const TensorInfo &input : inputs)
      if (tokens == nullptr && isTokenShaped(input) && !label_classes.count(input.name))
        tokens = &input;
    for (const TensorInfo &input : inputs)
      if (targets == nullptr && &input != tokens && input.dtype == DType::kI32 &&
          label_classes.count(input.name) && !options.id_inputs.count(input.name))
        targets = &input;
    const bool fits = tokens != nullptr && targets != nullptr &&
                      (targets->shape == tokens->shape ||
                       targets->shape == std::vector<int64_t>{tokens->shape[0] * tokens->shape[1]});
    if (!fits)
      return InvalidArgument(
          "--data with a token file needs a plan with two i32 inputs: the token ids [batch, seq] "
          "and the next-token targets of its loss ([batch, seq] or [batch * seq]) (this plan has " +
          std::string(tokens ? "token ids " + ShapeText(tokens->shape) : "no token-id input") +
          ", " + std::string(targets ? "targets " + ShapeText(targets->shape) : "no targets") +
          "); models that take activations need --inputs or --seed");
    data.seq_len = tokens->shape[1];
    data.vocab = label_classes.at(targets->name);
    auto ids = label_classes.find(tokens->name); // The embedding table's rows, if smaller.
    if (ids != label_classes.end())
      data.vocab = std::min(data.vocab, ids->second);
    data.eval_fraction = options.eval_fraction;
    TIDEMARK_RETURN_IF_ERROR(TokenDataset::Open(options.path, data, &feed->tokens_));
    feed->input_name_ = tokens->name;
    feed->label_name_ = targets->name;
    feed->batch_ = tokens->shape[0];
  } else {
    TIDEMARK_RETURN_IF_ERROR(
        ExampleDataset::Open(options.path, options.eval_fraction, &feed->examples_));
    const ExampleDataset &ex = *feed->examples_;
    const TensorInfo *features = nullptr, *labels = nullptr;
    for (const TensorInfo &input : inputs) {
      if (input.shape.empty())
        continue;
      if (input.dtype == DType::kF32 && features == nullptr &&
          RowElements(input.shape) == ex.input_size())
        features = &input;
      else if (ex.labels_are_classes() && input.dtype == DType::kI32 && input.shape.size() == 1 &&
               label_classes.count(input.name))
        labels = &input;
      else if (!ex.labels_are_classes() && input.dtype == DType::kF32 && &input != features &&
               RowElements(input.shape) == ex.label_size())
        labels = &input;
    }
    if (features == nullptr || labels == nullptr || features->shape[0] != labels->shape[0])
      return InvalidArgument(
          "--data '" + options.path + "': the plan needs an f32 input [batch, ...] of " +
          std::to_string(ex.input_size()) + " values per example and " +
          (ex.labels_are_classes() ? std::string("an i32 class-label input [batch]")
                                   : "an f32 target input of " + std::to_string(ex.label_size()) +
                                         " values per example") +
          " with the same batch");
    feed->input_name_ = features->name;
    feed->label_name_ = labels->name;
    feed->labels_are_classes_ = ex.labels_are_classes();
    feed->batch_ = features->shape[0];
  }
  *out = std::move(feed);
  return Status::Ok();
}

Status DataFeed::Fill(Runtime *runtime, DataSplit split, uint64_t index) const {
  void *input = nullptr, *labels = nullptr;
  TIDEMARK_RETURN_IF_ERROR(runtime->InputBuffer(input_name_, &input));
  TIDEMARK_RETURN_IF_ERROR(runtime->InputBuffer(label_name_, &labels));
  if (tokens_)
    return tokens_->Sample(options_.seed, split, index, batch_, static_cast<int32_t *>(input),
                           static_cast<int32_t *>(labels));
  return examples_->Sample(options_.seed, split, index, batch_, static_cast<float *>(input),
                           labels_are_classes_ ? static_cast<int32_t *>(labels) : nullptr,
                           labels_are_classes_ ? nullptr : static_cast<float *>(labels));
}

bool DataFeed::has_eval_split() const {
  return tokens_ ? tokens_->split_tokens(DataSplit::kEval) > 0
                 : examples_->split_examples(DataSplit::kEval) > 0;
}

std::string DataFeed::Describe() const {
  if (tokens_)
    return options_.path + " (" + options_.type + ", " + std::to_string(tokens_->num_tokens()) +
           " tokens, " + std::to_string(tokens_->split_tokens(DataSplit::kEval)) +
           " held out) -> " + input_name_ + ", " + label_name_;
  return options_.path + " (examples, " + std::to_string(examples_->num_examples()) + ", " +
         std::to_string(examples_->split_examples(DataSplit::kEval)) + " held out) -> " +
         input_name_ + ", " + label_name_;
}

} // namespace tiderun
} // namespace tidemark
