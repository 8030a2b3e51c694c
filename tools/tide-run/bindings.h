// What tide-run feeds a plan: inputs (from a safetensors file or seeded random values, class
// labels drawn from the classes the plan's softmax cross-entropy sees) and weights (state tensors
// overwritten from, or saved to, safetensors).
#ifndef TIDEMARK_TOOLS_TIDE_RUN_BINDINGS_H_
#define TIDEMARK_TOOLS_TIDE_RUN_BINDINGS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tidemark/runtime.h"
#include "tidemark/safetensors.h"
#include "tidemark/status.h"

namespace tidemark {
namespace tiderun {

// Input name -> number of classes, for every i32 input that is the labels operand of a
// SoftmaxCrossEntropy(Grad) step (classes = the last dimension of its logits). Reads and verifies
// the plan file (the same checks as Runtime::LoadFromFile, so a corrupt file fails here with the
// loader's message; a file larger than `max_bytes` is refused unread). O(file size + steps).
// Also a label set: the ids input of a Gather (classes = the table's rows) and the labels of an
// LmHeadLoss (the vocabulary). With `id_inputs`, the names of the inputs a Gather(Grad) reads as
// ids are added to it (so --data can tell token ids from targets). With `ignore_indices`, each
// input read only as LmHeadLoss(Grad) labels maps to its ignore_index (a label value that is
// valid although outside [0, classes): the row counts in neither the loss nor the gradient).
Status FindLabelClasses(const std::string &plan_path, uint64_t max_bytes,
                        std::map<std::string, int64_t> *classes,
                        std::set<std::string> *id_inputs = nullptr,
                        std::map<std::string, int64_t> *ignore_indices = nullptr);

// Fills every input in its runtime-owned buffer. With `inputs_file`: the tensor of the same name
// (dtype and shape must match; a missing input or a file tensor no input has is an error; labels
// are checked to lie in [0, classes)). Without: f32 values uniform in [-1, 1) and labels uniform
// in [0, classes), from a splitmix64 stream seeded by seed XOR fnv1a64(name); an i32 input that is
// not a label set is an error (give it with --inputs).
Status BindInputs(Runtime *runtime, const WeightsFile *inputs_file, uint64_t seed,
                  const std::map<std::string, int64_t> &label_classes,
                  const std::map<std::string, int64_t> *ignore_indices = nullptr);

// Overwrites state tensors from `weights`. Every file tensor must name a state tensor with the
// same dtype and shape; every state tensor must be in the file unless `partial` (those keep the
// plan's initial values and are listed in *kept). Everything is checked before anything is
// written. Metadata "tidemark.optimizer_steps" (written by SaveWeights) restores the optimizer
// step count.
Status ApplyWeights(Runtime *runtime, const WeightsFile &weights, bool partial,
                    std::vector<std::string> *kept);

// Writes every state tensor (parameters and optimizer slots) to `path` atomically, with metadata
// generator, plan and tidemark.optimizer_steps.
Status SaveWeights(const Runtime &runtime, const std::string &plan_path, const std::string &path);

// Writes every output of the last step (its name, dtype and shape as the plan declares them) to
// `path` atomically, with metadata "generator" and "plan".
Status SaveOutputs(const Runtime &runtime, const std::string &plan_path, const std::string &path);

} // namespace tiderun
} // namespace tidemark

#endif // TIDEMARK_TOOLS_TIDE_RUN_BINDINGS_H_
