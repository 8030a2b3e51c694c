// Training data for the runtime: seeded batches of token windows from a token file, and labelled
// examples from a safetensors file. No heap allocation per batch.
//
// Token files hold little-endian token ids and nothing else: uint16 (the nanoGPT `train.bin`
// layout, `np.array(ids, dtype=np.uint16).tofile(...)`), uint32 (vocabularies above 65536), or
// uint8 ("bytes": any file read as a byte-level vocabulary of 256, e.g. a text). The file is
// never read whole: every window is read with one pread, so a file of any size works.
//
// Batches: row b of batch `index` in split `split` is the window of seq_len + 1 tokens starting
// at start(b) = split_begin + floor(u * (split_size - seq_len) / 2^64), with u the 64-bit value
// of words 0-1 of Philox4x32-10(counter = {b, split, lo32(index), hi32(index)},
// key = {lo32(seed), hi32(seed)}) (the generator of dropout, runtime/kernels/dropout.h). inputs
// are the first seq_len tokens, targets the next-token shift. The same (seed, split, index)
// always gives the same batch, so a run is reproducible and a reference implementation (the
// PyTorch comparison) can draw the same windows.
// Splits: the first `1 - eval_fraction` of the tokens train, the rest are held out for
// evaluation (no window crosses the boundary).
//
// Labelled examples: a safetensors file with an F32 tensor `inputs` [N, ...] and a tensor
// `labels` [N] (I32 class ids) or [N, ...] (F32 regression targets). Batch rows are drawn with the
// same generator (u mod N, by multiply-high) from the train split (the first 1 - eval_fraction of
// the examples) or the eval split.
//
// Every error is a Status naming the file and the numbers: not a regular file, a size that is
// not a whole number of ids, too few tokens for one window in a split, a token id >= vocab (the
// file offset of the first bad id, checked on every window read), a missing or mistyped tensor.
#ifndef TIDEMARK_DATA_H_
#define TIDEMARK_DATA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tidemark/status.h"

namespace tidemark {

enum class TokenType { kUint8, kUint16, kUint32 };

// "u8"/"bytes", "u16"/"uint16", "u32"/"uint32" -> TokenType; InvalidArgument otherwise.
Status ParseTokenType(const std::string &name, TokenType *out);
int TokenTypeBytes(TokenType type);

enum class DataSplit : uint32_t { kTrain = 0, kEval = 1 };

struct TokenDataOptions {
  TokenType type = TokenType::kUint16;
  int64_t seq_len = 0;        // tokens per row (the window is seq_len + 1)
  int64_t vocab = 0;          // every id must be < vocab
  double eval_fraction = 0.1; // held-out tail; 0 = no eval split
};

class TokenDataset {
public:
  // Opens and checks `path` (regular file, whole ids, enough tokens for a window in each split).
  static Status Open(const std::string &path, const TokenDataOptions &options,
                     std::unique_ptr<TokenDataset> *out);
  ~TokenDataset();

  int64_t num_tokens() const { return num_tokens_; }
  int64_t split_tokens(DataSplit split) const;

  // Fills inputs and targets ([batch, seq_len] int32 each) with batch `index` of `split`.
  // No heap allocation. Errors: OutOfRange for an id >= vocab (file offset named), DataLoss if
  // the file shrank, InvalidArgument for an empty split or batch < 1.
  Status Sample(uint64_t seed, DataSplit split, uint64_t index, int64_t batch, int32_t *inputs,
                int32_t *targets) const;

  // The window start of row `row` of batch `index` (in tokens from the file start).
  int64_t WindowStart(uint64_t seed, DataSplit split, uint64_t index, int64_t row) const;

private:
  TokenDataset() = default;
  struct File;
  std::unique_ptr<File> file_;
  TokenDataOptions options_;
  int64_t num_tokens_ = 0;
  int64_t eval_begin_ = 0;              // first token of the eval split
  mutable std::vector<uint8_t> window_; // one window's raw bytes (sized at Open)
};

// Labelled examples (see above), held in memory.
class ExampleDataset {
public:
  static Status Open(const std::string &path, double eval_fraction,
                     std::unique_ptr<ExampleDataset> *out);

  int64_t num_examples() const { return num_examples_; }
  int64_t split_examples(DataSplit split) const;
  // Elements per example of inputs / labels (1 for class ids).
  int64_t input_size() const { return input_size_; }
  int64_t label_size() const { return label_size_; }
  bool labels_are_classes() const { return label_floats_.empty(); }
  const std::vector<int64_t> &input_shape() const { return input_shape_; } // without N

  // inputs: [batch, input_size] floats; labels: [batch] int32 (classes) or [batch, label_size]
  // floats (targets), passed as the matching pointer (the other may be null).
  Status Sample(uint64_t seed, DataSplit split, uint64_t index, int64_t batch, float *inputs,
                int32_t *class_labels, float *targets) const;
  int64_t ExampleIndex(uint64_t seed, DataSplit split, uint64_t index, int64_t row) const;

private:
  ExampleDataset() = default;
  int64_t num_examples_ = 0, input_size_ = 0, label_size_ = 1, eval_begin_ = 0;
  std::vector<int64_t> input_shape_;
  std::vector<float> inputs_, label_floats_;
  std::vector<int32_t> label_classes_;
};

// The 64-bit draw of (seed, split, index, row) described above (exposed for tests and tools).
uint64_t DataDraw(uint64_t seed, DataSplit split, uint64_t index, int64_t row);

} // namespace tidemark

#endif // TIDEMARK_DATA_H_
