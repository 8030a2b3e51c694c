// A lower bound of LOAD after un-recomputing one op (see LoadBound.h for the argument).
#include "compiler/remat/LoadBound.h"

#include <algorithm>

namespace tidemark::remat {

UnrecomputeBound::UnrecomputeBound(const TrainingGraph &graph, const Schedule &schedule,
                                   const Evaluation &evaluation)
    : graph(graph), schedule(schedule), evaluation(evaluation), cloneStep(graph.ops.size(), -1),
      lastRead(schedule.values.size(), -1), defStep(schedule.values.size(), -1) {
  int64_t steps = static_cast<int64_t>(schedule.instances.size());
  runBegin.resize(steps);
  runEnd.resize(steps);
  for (int64_t step = 0; step < steps; ++step) {
    const Instance &instance = schedule.instances[step];
    if (instance.clone)
      cloneStep[instance.op] = step;
    for (int64_t operand : instance.operands)
      lastRead[operand] = std::max(lastRead[operand], step);
    for (int64_t result : instance.results)
      defStep[result] = step;
    bool continues = instance.clone && step > 0 && schedule.instances[step - 1].clone;
    runBegin[step] = continues ? runBegin[step - 1] : step;
  }
  viewShared.assign(
      evaluation.groupOfValue.empty()
          ? 0
          : *std::max_element(evaluation.groupOfValue.begin(), evaluation.groupOfValue.end()) + 1,
      false);
  for (size_t value = 0; value < schedule.values.size(); ++value)
    if (schedule.values[value].aliasOf >= 0)
      viewShared[evaluation.groupOfValue[value]] = true;
  for (int64_t step = steps - 1; step >= 0; --step) {
    bool continues =
        schedule.instances[step].clone && step + 1 < steps && schedule.instances[step + 1].clone;
    runEnd[step] = continues ? runEnd[step + 1] : step + 1;
  }
  // Sparse table for range maxima of the live bytes.
  sparse.push_back(evaluation.liveBytes);
  for (size_t width = 2; width <= evaluation.liveBytes.size(); width *= 2) {
    const std::vector<int64_t> &previous = sparse.back();
    std::vector<int64_t> level(evaluation.liveBytes.size() - width + 1);
    for (size_t t = 0; t < level.size(); ++t)
      level[t] = std::max(previous[t], previous[t + width / 2]);
    sparse.push_back(std::move(level));
  }
}

int64_t UnrecomputeBound::maxLive(int64_t begin, int64_t end) const {
  size_t length = static_cast<size_t>(end - begin);
  size_t level = 0;
  while ((size_t{2} << level) <= length)
    ++level;
  size_t width = size_t{1} << level;
  return std::max(sparse[level][begin], sparse[level][end - width]);
}

int64_t UnrecomputeBound::lowerBound(int64_t op) const {
  int64_t clone = cloneStep[op];
  if (clone < 0)
    return 0;
  int64_t begin = runBegin[clone], end = runEnd[clone];
  // Arena bytes of a value's storage group (0 if pinned or empty).
  auto storageBytes = [&](int64_t value) -> int64_t {
    auto [start, stop] = evaluation.liveRange[value];
    if (start == stop)
      return 0;
    return schedule.values[value].bytes;
  };
  for (int64_t step = begin; step < end; ++step)
    for (int64_t operand : schedule.instances[step].operands)
      if (defStep[operand] < begin && lastRead[operand] < end && storageBytes(operand) > 0)
        return 0; // It may die earlier without the run: not claimed.
  const Instance &instance = schedule.instances[clone];
  const GraphOp &original = graph.ops[op];
  int64_t bound = 0;
  for (size_t i = 0; i < original.results.size() && i < instance.results.size(); ++i) {
    int64_t result = original.results[i];
    if (lastRead[instance.results[i]] < 0 || storageBytes(result) == 0)
      continue;
    // From when r is dead in S: its own last read, if its storage goes on only in values that
    // took it over in place (in T they get storage of their own); the end of its storage group
    // if a view shares it (a view shares it in T too).
    int64_t from = viewShared[evaluation.groupOfValue[result]]
                       ? evaluation.liveRange[result].second
                       : std::max(lastRead[result], defStep[result]) + 1;
    if (from >= begin)
      continue;
    bound = std::max(bound, maxLive(from, begin) + schedule.values[result].bytes);
  }
  return bound;
}

} // namespace tidemark::remat
