// tide-run --data: fills a plan's inputs from a dataset (tidemark/data.h) before every step.
//
// Token files (--data-type bytes|u8|u16|u32): the plan needs two i32 inputs: the token ids
// [batch, seq] (an input read by a gather, else an i32 input that is not a label set) and the
// next-token targets, [batch, seq] or flattened [batch * seq] (the labels input of its softmax
// cross-entropy or fused LM head loss; their class count, and the gather table's rows, bound the
// vocabulary). Labelled
// examples (--data-type examples, a safetensors file with `inputs` and `labels`): an f32 input
// [batch, ...] with the examples' size per row, and either an i32 label input [batch] or an f32
// target input [batch, ...] with the labels' size per row.
// Batch `index` of a split is always the same batch (data.h's formula): training steps use index
// = step number (continuing from a loaded optimizer step count), evaluation uses 0..N-1 of the
// held-out split each time so successive evaluations are comparable.
#ifndef TIDEMARK_TOOLS_TIDE_RUN_DATA_FEED_H_
#define TIDEMARK_TOOLS_TIDE_RUN_DATA_FEED_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "tidemark/data.h"
#include "tidemark/runtime.h"
#include "tidemark/status.h"

namespace tidemark {
namespace tiderun {

struct DataFeedOptions {
  std::string path;
  std::string type = "u16"; // bytes, u8, u16, u32 or examples
  double eval_fraction = 0.1;
  uint64_t seed = 0;
  // Inputs the plan reads as gather ids (from FindLabelClasses): the token-id input is one of
  // these, and the targets are not.
  std::set<std::string> id_inputs;
};

class DataFeed {
public:
  // Matches the plan's inputs to the data (see above) and opens the file. `label_classes`: from
  // FindLabelClasses. Errors name the plan inputs that are missing or do not fit.
  static Status Create(const DataFeedOptions &options, const Runtime &runtime,
                       const std::map<std::string, int64_t> &label_classes,
                       std::unique_ptr<DataFeed> *out);

  // Writes batch `index` of `split` into the runtime-owned buffers of the matched inputs (of
  // `runtime`, which must have the same inputs as the one given to Create). No heap allocation.
  Status Fill(Runtime *runtime, DataSplit split, uint64_t index) const;

  bool has_eval_split() const;
  std::string Describe() const; // one line for the report

private:
  DataFeed() = default;
  DataFeedOptions options_;
  std::unique_ptr<TokenDataset> tokens_;
  std::unique_ptr<ExampleDataset> examples_;
  std::string input_name_, label_name_;
  bool labels_are_classes_ = true;
  int64_t batch_ = 0;
};

} // namespace tiderun
} // namespace tidemark

#endif // TIDEMARK_TOOLS_TIDE_RUN_DATA_FEED_H_
