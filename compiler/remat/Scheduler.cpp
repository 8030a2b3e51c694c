// Memory-aware list scheduling (see Scheduler.h).
#include "compiler/remat/Scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tidemark::remat {
namespace {

/// Bytes an op puts in the arena: its non-pinned results that are not views.
int64_t allocatedBytes(const TrainingGraph &graph, const GraphOp &op) {
  int64_t bytes = 0;
  for (int64_t result : op.results) {
    const GraphValue &value = graph.values[result];
    if (!value.pinned && value.aliasOf < 0)
      bytes += value.bytes;
  }
  return bytes;
}

/// The storage root of a value (following views).
int64_t rootOf(const TrainingGraph &graph, int64_t value) {
  while (graph.values[value].aliasOf >= 0)
    value = graph.values[value].aliasOf;
  return value;
}

} // namespace

TrainingGraph reorder(const TrainingGraph &graph, const std::vector<int64_t> &order) {
  TrainingGraph result;
  result.values = graph.values;
  std::vector<int64_t> newIndex(graph.ops.size());
  for (size_t i = 0; i < order.size(); ++i)
    newIndex[order[i]] = static_cast<int64_t>(i);
  for (int64_t old : order) {
    GraphOp op = graph.ops[old];
    for (int64_t &before : op.after)
      before = newIndex[before];
    result.ops.push_back(std::move(op));
  }
  for (GraphValue &value : result.values)
    if (value.def >= 0)
      value.def = newIndex[value.def];
  return result;
}

absl::StatusOr<ScheduleResult> scheduleForMemory(const TrainingGraph &graph, int64_t alignment) {
  size_t n = graph.ops.size();
  // Dependences and remaining readers per storage root.
  std::vector<std::vector<int64_t>> successors(n);
  std::vector<int64_t> pending(n, 0);
  std::vector<int64_t> readersLeft(graph.values.size(), 0);
  for (size_t i = 0; i < n; ++i) {
    std::vector<int64_t> preds = graph.ops[i].after;
    for (int64_t operand : graph.ops[i].operands) {
      if (graph.values[operand].def >= 0)
        preds.push_back(graph.values[operand].def);
      ++readersLeft[rootOf(graph, operand)];
    }
    std::sort(preds.begin(), preds.end());
    preds.erase(std::unique(preds.begin(), preds.end()), preds.end());
    for (int64_t pred : preds) {
      successors[pred].push_back(static_cast<int64_t>(i));
      ++pending[i];
    }
  }
  std::vector<int64_t> ready, order;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.push_back(static_cast<int64_t>(i));
  while (!ready.empty()) {
    size_t best = 0;
    int64_t bestScore = INT64_MAX;
    for (size_t r = 0; r < ready.size(); ++r) {
      const GraphOp &op = graph.ops[ready[r]];
      int64_t score = allocatedBytes(graph, op);
      // Count each operand root once: the bytes freed if this op is its last reader.
      std::vector<int64_t> roots;
      for (int64_t operand : op.operands)
        roots.push_back(rootOf(graph, operand));
      std::sort(roots.begin(), roots.end());
      roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
      for (int64_t root : roots) {
        int64_t uses = std::count_if(op.operands.begin(), op.operands.end(),
                                     [&](int64_t v) { return rootOf(graph, v) == root; });
        if (!graph.values[root].pinned && readersLeft[root] == uses)
          score -= graph.values[root].bytes;
      }
      if (score < bestScore || (score == bestScore && ready[r] < ready[best])) {
        bestScore = score;
        best = r;
      }
    }
    int64_t op = ready[best];
    ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(best));
    order.push_back(op);
    for (int64_t operand : graph.ops[op].operands)
      --readersLeft[rootOf(graph, operand)];
    for (int64_t next : successors[op])
      if (--pending[next] == 0)
        ready.push_back(next);
  }
  if (order.size() != n)
    return absl::InvalidArgumentError(absl::StrCat("the ops' dependences form a cycle: only ",
                                                   order.size(), " of ", n, " ops can run"));

  ScheduleResult result;
  auto before = evaluate(graph, identitySchedule(graph), alignment);
  TrainingGraph candidate = reorder(graph, order);
  auto after = evaluate(candidate, identitySchedule(candidate), alignment);
  if (!before.ok())
    return before.status();
  if (!after.ok())
    return after.status();
  result.loadBefore = before->load;
  result.changed = after->load < before->load;
  result.loadAfter = result.changed ? after->load : before->load;
  if (result.changed) {
    result.order = std::move(order);
  } else {
    result.order.resize(n);
    for (size_t i = 0; i < n; ++i)
      result.order[i] = static_cast<int64_t>(i);
  }
  return result;
}

} // namespace tidemark::remat
