// Value liveness: alias groups by union-find, intervals, then in-place merges in step order.
#include "compiler/planning/ValueLiveness.h"

#include <algorithm>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace tidemark::planning {
namespace {

/// Union-find over value indices, with per-root group facts.
class GroupForest {
public:
  explicit GroupForest(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }

  size_t find(size_t v) {
    while (parent[v] != v) {
      parent[v] = parent[parent[v]];
      v = parent[v];
    }
    return v;
  }
  /// Makes `child`'s root point at `root`'s root; returns the surviving root.
  size_t unite(size_t root, size_t child) {
    size_t a = find(root), b = find(child);
    if (a != b)
      parent[b] = a;
    return a;
  }

private:
  std::vector<size_t> parent;
};

/// Per-root interval and facts while the analysis runs.
struct RootFacts {
  int64_t sizeBytes = 0;
  int64_t start = INT64_MAX;
  int64_t lastUse = INT64_MIN; ///< INT64_MIN: never read.
  int64_t lastDef = INT64_MIN;
  bool pinned = false;

  int64_t end() const { return std::max(lastUse, lastDef) + 1; }
  void absorb(const RootFacts &other) {
    sizeBytes = std::max(sizeBytes, other.sizeBytes);
    start = std::min(start, other.start);
    lastUse = std::max(lastUse, other.lastUse);
    lastDef = std::max(lastDef, other.lastDef);
    pinned = pinned || other.pinned;
  }
};

absl::Status checkValues(const std::vector<LiveValue> &values,
                         const absl::flat_hash_map<int64_t, size_t> &index) {
  for (const LiveValue &value : values) {
    if (value.sizeBytes < 0)
      return absl::InvalidArgumentError(
          absl::StrCat("value ", value.id, " has a negative size ", value.sizeBytes));
    if (value.aliasOf != -1 && !index.contains(value.aliasOf))
      return absl::InvalidArgumentError(
          absl::StrCat("value ", value.id, " is a view of unknown value ", value.aliasOf));
    for (int64_t use : value.useSteps)
      if (use <= value.defStep)
        return absl::InvalidArgumentError(absl::StrCat("value ", value.id, " is used at step ", use,
                                                       " but defined at step ", value.defStep));
  }
  // Alias chains must end: follow each chain at most |values| links.
  for (const LiveValue &value : values) {
    int64_t current = value.aliasOf;
    for (size_t hops = 0; current != -1; ++hops) {
      if (hops > values.size())
        return absl::InvalidArgumentError(
            absl::StrCat("value ", value.id, " is part of an alias cycle"));
      current = values[index.at(current)].aliasOf;
    }
  }
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<Liveness> analyzeLiveness(const std::vector<LiveValue> &values,
                                         const std::vector<LiveOp> &ops,
                                         const LivenessOptions &options) {
  absl::flat_hash_map<int64_t, size_t> index;
  for (size_t i = 0; i < values.size(); ++i)
    if (!index.emplace(values[i].id, i).second)
      return absl::InvalidArgumentError(absl::StrCat("duplicate value id ", values[i].id));
  if (absl::Status status = checkValues(values, index); !status.ok())
    return status;

  // 1. Alias groups and their facts.
  GroupForest forest(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].aliasOf != -1)
      forest.unite(index.at(values[i].aliasOf), i);
  std::vector<RootFacts> facts(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const LiveValue &value = values[i];
    RootFacts own;
    own.sizeBytes = value.sizeBytes;
    own.start = value.defStep;
    own.lastDef = value.defStep;
    for (int64_t use : value.useSteps)
      own.lastUse = std::max(own.lastUse, use);
    own.pinned = value.pinned;
    facts[forest.find(i)].absorb(own);
  }

  // 2. In-place merges, op by op in step order.
  Liveness result;
  if (options.allowInPlace) {
    std::vector<const LiveOp *> ordered;
    for (const LiveOp &op : ops)
      ordered.push_back(&op);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const LiveOp *a, const LiveOp *b) { return a->step < b->step; });
    for (const LiveOp *op : ordered) {
      for (int64_t resultId : op->results) {
        auto resultIt = index.find(resultId);
        if (resultIt == index.end())
          return absl::InvalidArgumentError(
              absl::StrCat("op at step ", op->step, " defines unknown value ", resultId));
        const LiveValue &resultValue = values[resultIt->second];
        size_t resultRoot = forest.find(resultIt->second);
        if (facts[resultRoot].pinned || resultValue.aliasOf != -1)
          continue;
        for (int64_t operandId : op->inPlaceOperands) {
          auto operandIt = index.find(operandId);
          if (operandIt == index.end())
            return absl::InvalidArgumentError(
                absl::StrCat("op at step ", op->step, " names unknown operand ", operandId));
          size_t operandRoot = forest.find(operandIt->second);
          const RootFacts &candidate = facts[operandRoot];
          if (operandRoot == resultRoot || candidate.pinned ||
              candidate.sizeBytes != facts[resultRoot].sizeBytes || candidate.lastUse != op->step)
            continue;
          RootFacts merged = candidate;
          merged.absorb(facts[resultRoot]);
          size_t root = forest.unite(operandRoot, resultRoot);
          facts[root] = merged;
          result.inPlace.emplace_back(resultId, operandId);
          break;
        }
      }
    }
  }

  // 3. Materialize the groups.
  absl::flat_hash_map<size_t, int64_t> groupOfRoot;
  result.groupOfValue.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    size_t root = forest.find(i);
    auto [it, inserted] = groupOfRoot.try_emplace(root, result.groups.size());
    if (inserted) {
      StorageGroup group;
      group.sizeBytes = facts[root].sizeBytes;
      group.start = facts[root].start;
      group.end = facts[root].end();
      group.pinned = facts[root].pinned;
      result.groups.push_back(group);
    }
    result.groups[it->second].members.push_back(values[i].id);
    result.groupOfValue[i] = it->second;
  }
  return result;
}

Problem Liveness::toProblem(int64_t alignment) const {
  Problem problem;
  problem.alignment = alignment;
  for (size_t g = 0; g < groups.size(); ++g) {
    const StorageGroup &group = groups[g];
    if (group.pinned || group.sizeBytes == 0)
      continue;
    Buffer buffer;
    buffer.id = static_cast<int64_t>(g);
    buffer.size = group.sizeBytes;
    buffer.start = group.start;
    buffer.end = group.end;
    problem.buffers.push_back(buffer);
  }
  return problem;
}

} // namespace tidemark::planning
