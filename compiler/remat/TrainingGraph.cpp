// Rewriting a schedule with recomputations, and measuring a schedule's memory.
#include "compiler/remat/TrainingGraph.h"

#include <algorithm>

#include "compiler/planning/LowerBound.h"
#include "compiler/planning/ValueLiveness.h"

namespace tidemark::remat {
namespace {

/// Builds a Schedule op by op, cloning chosen producers on demand.
class Rewriter {
public:
  Rewriter(const TrainingGraph &graph, const std::vector<bool> &chosen)
      : graph(graph), chosen(chosen), cloneOf(graph.values.size(), -1) {
    schedule.values = graph.values;
  }

  Schedule run() {
    for (size_t i = 0; i < graph.ops.size(); ++i) {
      const GraphOp &op = graph.ops[i];
      Instance instance{static_cast<int64_t>(i), false, op.operands, op.results};
      if (!op.forward) {
        for (int64_t &operand : instance.operands)
          operand = available(operand);
        // A view reading a clone views the clone.
        for (int64_t result : instance.results)
          if (schedule.values[result].aliasOf >= 0)
            schedule.values[result].aliasOf = instance.operands.front();
      }
      schedule.instances.push_back(std::move(instance));
    }
    return std::move(schedule);
  }

private:
  /// The value a backward op should read in place of `value`: a clone when its producer is
  /// chosen for recomputation, else the value itself.
  int64_t available(int64_t value) {
    int64_t def = graph.values[value].def;
    if (def < 0 || !chosen[def] || !graph.ops[def].forward)
      return value;
    if (cloneOf[value] < 0)
      emitClone(def);
    return cloneOf[value];
  }

  void emitClone(int64_t opIndex) {
    const GraphOp &op = graph.ops[opIndex];
    Instance instance{opIndex, true, {}, {}};
    for (int64_t operand : op.operands)
      instance.operands.push_back(available(operand));
    for (int64_t result : op.results) {
      GraphValue copy = graph.values[result];
      copy.def = opIndex;
      copy.pinned = false; // A clone only feeds the backward pass.
      if (copy.aliasOf >= 0)
        copy.aliasOf = instance.operands.front(); // Views view their (possibly cloned) input.
      int64_t id = static_cast<int64_t>(schedule.values.size());
      schedule.values.push_back(copy);
      cloneOf[result] = id;
      instance.results.push_back(id);
    }
    schedule.extraFlops += op.flops;
    ++schedule.clones;
    schedule.instances.push_back(std::move(instance));
  }

  const TrainingGraph &graph;
  const std::vector<bool> &chosen;
  std::vector<int64_t> cloneOf;
  Schedule schedule;
};

} // namespace

std::vector<int64_t> inPlaceValues(const TrainingGraph &graph, const Instance &instance) {
  std::vector<int64_t> operands;
  for (int64_t index : graph.ops[instance.op].inPlaceOperandIndices)
    operands.push_back(instance.operands[index]);
  return operands;
}

Schedule recompute(const TrainingGraph &graph, const std::vector<bool> &chosen) {
  return Rewriter(graph, chosen).run();
}

Schedule identitySchedule(const TrainingGraph &graph) {
  return recompute(graph, std::vector<bool>(graph.ops.size(), false));
}

absl::StatusOr<Evaluation> evaluate(const TrainingGraph &graph, const Schedule &schedule,
                                    int64_t alignment) {
  std::vector<planning::LiveValue> values(schedule.values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const GraphValue &value = schedule.values[i];
    values[i].id = static_cast<int64_t>(i);
    values[i].sizeBytes = value.bytes;
    values[i].pinned = value.pinned;
    values[i].aliasOf = value.aliasOf;
    values[i].defStep = -1;
  }
  std::vector<planning::LiveOp> ops(schedule.instances.size());
  for (size_t step = 0; step < schedule.instances.size(); ++step) {
    const Instance &instance = schedule.instances[step];
    planning::LiveOp &op = ops[step];
    op.step = static_cast<int64_t>(step);
    op.results = instance.results;
    op.inPlaceOperands = inPlaceValues(graph, instance);
    for (int64_t result : instance.results)
      values[result].defStep = static_cast<int64_t>(step);
    for (int64_t operand : instance.operands)
      values[operand].useSteps.push_back(static_cast<int64_t>(step));
  }
  absl::StatusOr<planning::Liveness> liveness = planning::analyzeLiveness(values, ops);
  if (!liveness.ok())
    return liveness.status();
  Evaluation result;
  result.problem = liveness->toProblem(alignment);
  result.liveRange.resize(values.size());
  result.groupOfValue = liveness->groupOfValue;
  for (size_t i = 0; i < values.size(); ++i) {
    const planning::StorageGroup &group = liveness->groups[liveness->groupOfValue[i]];
    if (!group.pinned)
      result.liveRange[i] = {group.start, group.end};
  }
  // The live bytes of every step (difference array), LOAD and a step where it is reached.
  size_t steps = schedule.instances.size();
  std::vector<int64_t> delta(steps + 1, 0);
  for (const planning::Buffer &buffer : result.problem.buffers) {
    delta[static_cast<size_t>(std::max<int64_t>(buffer.start, 0))] += buffer.size;
    delta[static_cast<size_t>(std::min<int64_t>(buffer.end, steps))] -= buffer.size;
  }
  result.liveBytes.resize(steps);
  int64_t live = 0;
  for (size_t step = 0; step < steps; ++step) {
    live += delta[step];
    result.liveBytes[step] = live;
    if (live > result.load) {
      result.load = live;
      result.peakStep = static_cast<int64_t>(step);
    }
  }
  return result;
}

} // namespace tidemark::remat
