// IR-free buffer liveness: alias groups, intervals, in-place decisions (see Liveness.h).
#include "compiler/planning/Liveness.h"

#include <algorithm>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace tidemark::planning {
namespace {

using IdIndex = absl::flat_hash_map<int64_t, size_t>;

absl::StatusOr<IdIndex> indexValues(const std::vector<LiveValue> &values) {
  IdIndex index;
  for (size_t i = 0; i < values.size(); ++i) {
    const LiveValue &value = values[i];
    if (!index.emplace(value.id, i).second)
      return absl::InvalidArgumentError(absl::StrCat("duplicate value id ", value.id));
    if (value.sizeBytes < 0)
      return absl::InvalidArgumentError(
          absl::StrCat("value ", value.id, ": negative size ", value.sizeBytes));
    for (int64_t use : value.useSteps)
      if (use <= value.defStep)
        return absl::InvalidArgumentError(absl::StrCat("value ", value.id, ": used at step ", use,
                                                       ", not after its definition at step ",
                                                       value.defStep));
  }
  return index;
}

/// The index of each value's root (the end of its aliasOf chain).
absl::StatusOr<std::vector<size_t>> resolveRoots(const std::vector<LiveValue> &values,
                                                 const IdIndex &index) {
  std::vector<size_t> root(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    size_t current = i;
    for (size_t hops = 0; values[current].aliasOf != -1; ++hops) {
      auto it = index.find(values[current].aliasOf);
      if (it == index.end())
        return absl::InvalidArgumentError(absl::StrCat("value ", values[current].id,
                                                       ": aliasOf names unknown value ",
                                                       values[current].aliasOf));
      if (hops >= values.size())
        return absl::InvalidArgumentError(
            absl::StrCat("value ", values[i].id, ": alias cycle through aliasOf"));
      current = it->second;
    }
    if (values[i].sizeBytes > values[current].sizeBytes)
      return absl::InvalidArgumentError(
          absl::StrCat("value ", values[i].id, " (", values[i].sizeBytes,
                       " bytes) is a view larger than its root ", values[current].id, " (",
                       values[current].sizeBytes, " bytes)"));
    root[i] = current;
  }
  return root;
}

/// Groups in order of first member appearance, with sizes, intervals and pinning.
std::vector<StorageGroup> buildGroups(const std::vector<LiveValue> &values,
                                      const std::vector<size_t> &root,
                                      std::vector<int64_t> &groupOfValue) {
  std::vector<StorageGroup> groups;
  absl::flat_hash_map<size_t, int64_t> groupOfRoot;
  groupOfValue.assign(values.size(), -1);
  for (size_t i = 0; i < values.size(); ++i) {
    auto [it, inserted] = groupOfRoot.emplace(root[i], static_cast<int64_t>(groups.size()));
    if (inserted) {
      StorageGroup group;
      group.root = values[root[i]].id;
      group.sizeBytes = values[root[i]].sizeBytes;
      group.start = values[i].defStep;
      group.end = values[i].defStep + 1;
      groups.push_back(group);
    }
    StorageGroup &group = groups[it->second];
    const LiveValue &value = values[i];
    group.members.push_back(value.id);
    group.pinned |= value.pinned;
    group.start = std::min(group.start, value.defStep);
    group.end = std::max(group.end, value.defStep + 1);
    for (int64_t use : value.useSteps)
      group.end = std::max(group.end, use + 1);
    groupOfValue[i] = it->second;
  }
  return groups;
}

absl::Status checkOps(const std::vector<LiveOp> &ops, const std::vector<LiveValue> &values,
                      const IdIndex &index) {
  for (const LiveOp &op : ops) {
    for (int64_t id : op.operands)
      if (!index.contains(id))
        return absl::InvalidArgumentError(
            absl::StrCat("op at step ", op.step, ": unknown operand value ", id));
    for (int64_t id : op.results) {
      auto it = index.find(id);
      if (it == index.end())
        return absl::InvalidArgumentError(
            absl::StrCat("op at step ", op.step, ": unknown result value ", id));
      if (values[it->second].defStep != op.step)
        return absl::InvalidArgumentError(absl::StrCat(
            "op at step ", op.step, ": result ", id, " has defStep ", values[it->second].defStep));
    }
  }
  return absl::OkStatus();
}

/// Union-find over groups: a slot is a chain of groups sharing storage through in-place reuse.
int64_t findSlot(std::vector<int64_t> &slot, int64_t group) {
  while (slot[group] != group)
    group = slot[group] = slot[slot[group]];
  return group;
}

void decideInPlace(const std::vector<LiveOp> &ops, const IdIndex &index, LivenessResult &result,
                   std::vector<int64_t> &slot) {
  std::vector<const LiveOp *> order;
  for (const LiveOp &op : ops)
    order.push_back(&op);
  std::stable_sort(order.begin(), order.end(),
                   [](const LiveOp *a, const LiveOp *b) { return a->step < b->step; });
  std::vector<char> given(result.groups.size(), 0), took(result.groups.size(), 0);
  for (const LiveOp *op : order) {
    if (!op->inPlaceCandidate)
      continue;
    for (int64_t resultId : op->results) {
      int64_t target = result.groupOfValue[index.at(resultId)];
      const StorageGroup &into = result.groups[target];
      if (took[target] || into.pinned || into.root != resultId)
        continue;
      for (int64_t operandId : op->operands) {
        int64_t source = result.groupOfValue[index.at(operandId)];
        const StorageGroup &from = result.groups[source];
        if (source == target || from.pinned || given[source] || from.end != op->step + 1 ||
            from.sizeBytes != into.sizeBytes)
          continue;
        given[source] = took[target] = 1;
        slot[findSlot(slot, target)] = findSlot(slot, source);
        result.inPlace.push_back({op->step, resultId, operandId});
        break;
      }
    }
  }
}

/// One buffer per slot that is not pinned; records each group's buffer index.
void buildBuffers(LivenessResult &result, std::vector<int64_t> &slot, int64_t alignment) {
  result.problem.alignment = alignment;
  absl::flat_hash_map<int64_t, int64_t> bufferOfSlot;
  for (size_t g = 0; g < result.groups.size(); ++g) {
    StorageGroup &group = result.groups[g];
    if (group.pinned)
      continue;
    int64_t root = findSlot(slot, static_cast<int64_t>(g));
    auto [it, inserted] =
        bufferOfSlot.emplace(root, static_cast<int64_t>(result.problem.buffers.size()));
    if (inserted) {
      Buffer buffer;
      buffer.id = it->second;
      buffer.size = group.sizeBytes;
      buffer.start = group.start;
      buffer.end = group.end;
      result.problem.buffers.push_back(buffer);
    }
    Buffer &buffer = result.problem.buffers[it->second];
    buffer.start = std::min(buffer.start, group.start);
    buffer.end = std::max(buffer.end, group.end);
    group.buffer = it->second;
  }
}

} // namespace

absl::StatusOr<LivenessResult> analyzeLiveness(const std::vector<LiveValue> &values,
                                               const std::vector<LiveOp> &ops, int64_t alignment) {
  if (alignment < 1)
    return absl::InvalidArgumentError(absl::StrCat("alignment must be >= 1, got ", alignment));
  absl::StatusOr<IdIndex> index = indexValues(values);
  if (!index.ok())
    return index.status();
  absl::StatusOr<std::vector<size_t>> roots = resolveRoots(values, *index);
  if (!roots.ok())
    return roots.status();
  if (absl::Status status = checkOps(ops, values, *index); !status.ok())
    return status;
  LivenessResult result;
  result.groups = buildGroups(values, *roots, result.groupOfValue);
  std::vector<int64_t> slot(result.groups.size());
  std::iota(slot.begin(), slot.end(), 0);
  decideInPlace(ops, *index, result, slot);
  buildBuffers(result, slot, alignment);
  return result;
}

} // namespace tidemark::planning
