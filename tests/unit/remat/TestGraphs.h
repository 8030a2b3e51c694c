// Training graphs for the remat tests: a chain, and random training steps with views, in-place
// ops, unrecomputable forward ops, checkpoint regions and mixed buffer sizes.
#ifndef TIDEMARK_TESTS_UNIT_REMAT_TESTGRAPHS_H
#define TIDEMARK_TESTS_UNIT_REMAT_TESTGRAPHS_H

#include <random>
#include <vector>

#include "compiler/remat/TrainingGraph.h"

namespace tidemark::remat::testing {

/// A chain training graph: x -> f1 -> f2 -> ... -> fn -> loss, then the backward ops
/// bn ... b1, where bi reads fi's output and the incoming gradient, then an update of w.
/// Every value is `bytes` large; forward op i costs flops[i].
inline TrainingGraph chain(int n, int64_t bytes, const std::vector<int64_t> &flops) {
  TrainingGraph g;
  auto addValue = [&](int64_t def, bool pinned) {
    g.values.push_back({bytes, def, pinned, -1});
    return static_cast<int64_t>(g.values.size() - 1);
  };
  int64_t x = addValue(-1, true), w = addValue(-1, true);
  int64_t prev = x;
  std::vector<int64_t> acts;
  for (int i = 0; i < n; ++i) {
    GraphOp op;
    op.flops = flops[i];
    op.operands = {prev, w};
    op.forward = op.recomputable = true;
    g.ops.push_back(op);
    int64_t out = addValue(static_cast<int64_t>(g.ops.size() - 1), false);
    g.ops.back().results = {out};
    acts.push_back(out);
    prev = out;
  }
  GraphOp loss;
  loss.flops = 1;
  loss.operands = {prev};
  loss.forward = true;
  g.ops.push_back(loss);
  int64_t lossValue = addValue(static_cast<int64_t>(g.ops.size() - 1), true);
  g.ops.back().results = {lossValue};
  int64_t grad = lossValue;
  for (int i = n - 1; i >= 0; --i) {
    GraphOp back;
    back.flops = 2 * flops[i];
    back.operands = {acts[i], grad};
    g.ops.push_back(back);
    grad = addValue(static_cast<int64_t>(g.ops.size() - 1), false);
    g.ops.back().results = {grad};
  }
  GraphOp update;
  update.operands = {w, grad};
  g.ops.push_back(update);
  g.ops.back().results = {addValue(static_cast<int64_t>(g.ops.size() - 1), true)};
  return g;
}

/// A random training step with `n` forward ops. Forward op kinds: a view (reshape: shares its
/// input's storage), an elementwise op that may write over its input, an op with no inputs that
/// may not be recomputed (a fill), and a general op reading one or two recent values and
/// perhaps a parameter, with a size from {256 .. 4096} bytes (mixed sizes make fragmentation
/// possible). The loss reads every forward value no other forward op reads (so every forward op
/// is one the loss depends on). The backward pass visits the forward ops in reverse; each
/// backward op reads the incoming gradient and, at random, the forward op's result and inputs,
/// sometimes in place. Then one update per parameter. Runs of forward ops form checkpoint
/// regions at random.
inline TrainingGraph randomTrainingGraph(std::mt19937 &rng, int n) {
  TrainingGraph g;
  auto addValue = [&](int64_t bytes, int64_t def, bool pinned, int64_t aliasOf = -1) {
    g.values.push_back({bytes, def, pinned, aliasOf});
    return static_cast<int64_t>(g.values.size() - 1);
  };
  auto pick = [&](int64_t bound) { return static_cast<int64_t>(rng() % bound); };
  const int64_t sizes[] = {256, 512, 1024, 1024, 2048, 4096};
  int64_t x = addValue(1024, -1, true);
  std::vector<int64_t> params;
  for (int i = 0; i < 3; ++i)
    params.push_back(addValue(sizes[pick(6)], -1, true));
  std::vector<int64_t> forwardValues{x};
  std::vector<int64_t> readers(g.values.size(), 0);
  auto recent = [&]() {
    size_t window = std::min<size_t>(forwardValues.size(), 6);
    return forwardValues[forwardValues.size() - 1 - pick(static_cast<int64_t>(window))];
  };
  int64_t region = -1, regionLeft = 0, regions = 0;
  for (int i = 0; i < n; ++i) {
    GraphOp op;
    op.forward = true;
    op.recomputable = true;
    int64_t opIndex = static_cast<int64_t>(g.ops.size());
    int64_t kind = pick(10);
    int64_t result = -1;
    if (kind == 0) { // A view of a recent value.
      int64_t source = recent();
      op.operands = {source};
      result = addValue(g.values[source].bytes, opIndex, false, source);
    } else if (kind == 1) { // Elementwise, may overwrite its input.
      int64_t source = recent();
      op.operands = {source};
      op.inPlaceOperandIndices = {0};
      op.flops = g.values[source].bytes / 4;
      result = addValue(g.values[source].bytes, opIndex, false);
    } else if (kind == 2) { // A fill: no inputs, not recomputable.
      op.recomputable = false;
      result = addValue(sizes[pick(6)], opIndex, false);
    } else {
      op.operands.push_back(recent());
      if (pick(2))
        op.operands.push_back(recent());
      if (pick(3) == 0)
        op.operands.push_back(params[pick(3)]);
      op.flops = 1 + pick(1000);
      result = addValue(sizes[pick(6)], opIndex, false);
    }
    if (regionLeft == 0 && pick(6) == 0) {
      region = regions++;
      regionLeft = 2 + pick(5);
    }
    if (regionLeft > 0) {
      op.region = region;
      --regionLeft;
    }
    op.results = {result};
    readers.resize(g.values.size(), 0);
    for (int64_t operand : op.operands)
      ++readers[operand];
    g.ops.push_back(std::move(op));
    forwardValues.push_back(result);
  }
  GraphOp loss;
  loss.forward = true;
  loss.flops = 1;
  for (size_t v = 1; v < forwardValues.size(); ++v)
    if (readers[forwardValues[v]] == 0)
      loss.operands.push_back(forwardValues[v]);
  loss.results = {addValue(4, static_cast<int64_t>(g.ops.size()), true)};
  g.ops.push_back(loss);
  int64_t grad = g.ops.back().results[0];
  for (int64_t i = n - 1; i >= 0; --i) {
    GraphOp back;
    int64_t opIndex = static_cast<int64_t>(g.ops.size());
    back.operands = {grad};
    const GraphOp &forward = g.ops[i];
    if (pick(3) != 0)
      back.operands.push_back(forward.results[0]);
    for (int64_t operand : forward.operands)
      if (pick(2))
        back.operands.push_back(operand);
    back.flops = 1 + pick(2000);
    int64_t bytes =
        forward.operands.empty() ? g.values[grad].bytes : g.values[forward.operands[0]].bytes;
    if (bytes == g.values[grad].bytes && !g.values[grad].pinned && pick(2))
      back.inPlaceOperandIndices = {0};
    back.results = {addValue(bytes, opIndex, false)};
    g.ops.push_back(std::move(back));
    grad = g.ops.back().results[0];
  }
  for (int64_t param : params) {
    GraphOp update;
    update.operands = {param, grad};
    update.results = {addValue(g.values[param].bytes, static_cast<int64_t>(g.ops.size()), true)};
    g.ops.push_back(std::move(update));
  }
  return g;
}

} // namespace tidemark::remat::testing

#endif // TIDEMARK_TESTS_UNIT_REMAT_TESTGRAPHS_H
