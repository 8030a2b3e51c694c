// The budget search as it was before it was made incremental (commit 7ee3acf): one schedule
// evaluation and one greedy-size packing per refinement trial, every starting point packed. Kept
// only as the reference that budget_search_test.cpp compares the production search against.
#ifndef TIDEMARK_TESTS_UNIT_REMAT_REFERENCEBUDGETSEARCH_H
#define TIDEMARK_TESTS_UNIT_REMAT_REFERENCEBUDGETSEARCH_H

#include <algorithm>
#include <numeric>
#include <optional>

#include "absl/strings/str_cat.h"
#include "compiler/planning/Packing.h"
#include "compiler/remat/Remat.h"

namespace tidemark::remat::reference {

/// Who reads each value: forward ops and backward ops separately.
struct Users {
  std::vector<std::vector<int64_t>> forwardReaders, backwardReaders;
};

inline Users findUsers(const TrainingGraph &graph) {
  Users users;
  users.forwardReaders.resize(graph.values.size());
  users.backwardReaders.resize(graph.values.size());
  for (size_t i = 0; i < graph.ops.size(); ++i)
    for (int64_t operand : graph.ops[i].operands) {
      auto &list =
          graph.ops[i].forward ? users.forwardReaders[operand] : users.backwardReaders[operand];
      if (list.empty() || list.back() != static_cast<int64_t>(i))
        list.push_back(static_cast<int64_t>(i));
    }
  return users;
}

/// The packed arena of `problem` with the fast heuristic (tide-assign-arena's default is never
/// worse, so a schedule that fits here fits there).
inline absl::StatusOr<int64_t> packedArena(const planning::Problem &problem) {
  planning::PackOptions options;
  auto report = planning::packProblem(problem, "greedy-size", options);
  if (!report.ok())
    return report.status();
  return report->solution.arenaSize;
}

/// Measures a choice: LOAD, peak step, live ranges and the packed arena.
struct Measured {
  Schedule schedule;
  Evaluation evaluation;
  int64_t arena = 0;
};

inline absl::StatusOr<Measured> measure(const TrainingGraph &graph, const std::vector<bool> &chosen,
                                        int64_t alignment, bool pack, int64_t &evaluations) {
  Measured measured;
  measured.schedule = recompute(graph, chosen);
  auto evaluation = evaluate(graph, measured.schedule, alignment);
  if (!evaluation.ok())
    return evaluation.status();
  measured.evaluation = std::move(*evaluation);
  ++evaluations;
  if (pack) {
    auto arena = packedArena(measured.evaluation.problem);
    if (!arena.ok())
      return arena.status();
    measured.arena = *arena;
  }
  return measured;
}

/// Ops that are recomputable and whose results the backward pass reads.
inline std::vector<int64_t> candidateOps(const TrainingGraph &graph, const Users &users) {
  std::vector<int64_t> candidates;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const GraphOp &op = graph.ops[i];
    if (!op.forward || !op.recomputable)
      continue;
    bool readBackward = std::any_of(op.results.begin(), op.results.end(), [&](int64_t r) {
      return !graph.values[r].pinned && !users.backwardReaders[r].empty();
    });
    if (readBackward)
      candidates.push_back(static_cast<int64_t>(i));
  }
  return candidates;
}

/// Recompute the ops of each group (region or segment) that no forward op outside it reads.
inline std::vector<bool> chooseInteriors(const TrainingGraph &graph, const Users &users,
                                         const std::vector<int64_t> &groupOfOp) {
  std::vector<bool> chosen(graph.ops.size(), false);
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const GraphOp &op = graph.ops[i];
    if (!op.forward || !op.recomputable || groupOfOp[i] < 0)
      continue;
    bool interior = true;
    for (int64_t result : op.results)
      for (int64_t reader : users.forwardReaders[result])
        interior = interior && groupOfOp[reader] == groupOfOp[i];
    chosen[i] = interior;
  }
  return chosen;
}

/// Segment index of each forward op for `count` segments of about equal FLOPs; the last segment
/// gets -1 (not recomputed), as do non-forward ops.
inline std::vector<int64_t> segmentForwardOps(const TrainingGraph &graph, int64_t count) {
  int64_t total = 0;
  for (const GraphOp &op : graph.ops)
    if (op.forward)
      total += op.flops;
  std::vector<int64_t> segment(graph.ops.size(), -1);
  int64_t running = 0;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    if (!graph.ops[i].forward)
      continue;
    // The segment of an op is decided by the FLOPs done before it (its midpoint would split
    // one huge op's neighbours oddly).
    int64_t index = total > 0 ? std::min<int64_t>(count - 1, running * count / total) : 0;
    segment[i] = index == count - 1 ? -1 : index;
    running += graph.ops[i].flops;
  }
  return segment;
}

/// Bytes above `target`, summed over the steps: progress when several steps share the peak.
inline int64_t excessArea(const Evaluation &evaluation, int64_t target) {
  int64_t area = 0;
  for (int64_t live : evaluation.liveBytes)
    area += std::max<int64_t>(0, live - target);
  return area;
}

/// A trial is better when its LOAD is lower, or equal with less memory above the target.
inline bool improves(const Evaluation &trial, const Evaluation &current, int64_t target) {
  if (trial.load != current.load)
    return trial.load < current.load;
  return excessArea(trial, target) < excessArea(current, target);
}

/// The budget search of Remat.h.
class BudgetSearch {
public:
  BudgetSearch(const TrainingGraph &graph, const RematOptions &options, RematStats &stats)
      : graph(graph), options(options), stats(stats), users(findUsers(graph)),
        candidates(candidateOps(graph, users)), chosen(graph.ops.size(), false) {}

  absl::StatusOr<std::vector<bool>> run();

private:
  /// The greedy search; true when it met the budget (the choice is in `chosen`).
  absl::StatusOr<bool> runGreedy();
  absl::StatusOr<Measured> measureChoice(bool pack) {
    return measure(graph, chosen, options.alignment, pack, stats.evaluations);
  }
  /// Recomputing a candidate means recomputing a chain: the op and the producers of its inputs
  /// that are dead at the peak. `saving` is the bytes that frees at the peak minus the bytes of
  /// inputs the chain would newly keep alive across it.
  struct Closure {
    std::vector<int64_t> ops;
    int64_t saving = 0;
    int64_t flops = 0;
  };
  Closure closureOf(int64_t op, const Measured &current) const;
  std::vector<int64_t> nextBatch(const Measured &current, int64_t excess) const;
  absl::StatusOr<Measured> refine();

  const TrainingGraph &graph;
  const RematOptions &options;
  RematStats &stats;
  Users users;
  std::vector<int64_t> candidates;
  std::vector<bool> chosen, rejected;
  int64_t smallestArena = INT64_MAX;
};

inline BudgetSearch::Closure BudgetSearch::closureOf(int64_t opIndex,
                                                     const Measured &current) const {
  int64_t peak = current.evaluation.peakStep;
  auto liveAtPeak = [&](int64_t value) {
    auto [start, end] = current.evaluation.liveRange[value];
    return start <= peak && peak < end;
  };
  const std::vector<int64_t> &groupOf = current.evaluation.groupOfValue;
  auto sharesStorage = [&](int64_t value) {
    for (int64_t result : graph.ops[opIndex].results)
      if (groupOf[result] == groupOf[value])
        return true;
    return false;
  };
  Closure closure;
  std::vector<int64_t> worklist{opIndex};
  std::vector<bool> inClosure(graph.ops.size(), false);
  inClosure[opIndex] = true;
  // Recompute the op and, transitively (at most kMaxChain ops), the producers of its inputs
  // that are not alive at the peak anyway: a chain from values that are.
  constexpr size_t kMaxChain = 16;
  while (!worklist.empty()) {
    int64_t current = worklist.back();
    worklist.pop_back();
    closure.ops.push_back(current);
    closure.flops += graph.ops[current].flops;
    for (int64_t operand : graph.ops[current].operands) {
      const GraphValue &value = graph.values[operand];
      // An input alive at the peak costs nothing more, unless it is alive only because it
      // shares storage (in place, or as a view) with what this chain is meant to free.
      bool freeInput = liveAtPeak(operand) && !sharesStorage(operand);
      if (value.pinned || freeInput || (value.def >= 0 && chosen[value.def]) ||
          (value.def >= 0 && inClosure[value.def]))
        continue;
      bool chainable = value.def >= 0 && graph.ops[value.def].recomputable &&
                       closure.ops.size() + worklist.size() < kMaxChain;
      if (chainable) {
        inClosure[value.def] = true;
        worklist.push_back(value.def);
      } else {
        closure.saving -= value.bytes; // Kept alive across the peak only for this recompute.
      }
    }
  }
  for (int64_t result : graph.ops[opIndex].results) {
    const GraphValue &value = graph.values[result];
    if (!value.pinned && value.aliasOf < 0 && !users.backwardReaders[result].empty() &&
        liveAtPeak(result))
      closure.saving += value.bytes;
  }
  return closure;
}

inline std::vector<int64_t> BudgetSearch::nextBatch(const Measured &current, int64_t excess) const {
  std::vector<std::pair<double, int64_t>> scored;
  std::vector<Closure> closures(graph.ops.size());
  for (int64_t op : candidates) {
    if (chosen[op] || rejected[op])
      continue;
    closures[op] = closureOf(op, current);
    if (closures[op].saving > 0)
      scored.emplace_back(static_cast<double>(closures[op].saving) / (closures[op].flops + 1.0),
                          op);
  }
  std::sort(scored.begin(), scored.end(), [](const auto &a, const auto &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  // Take the best closures until they would free half the excess (at least one, at most 64
  // candidates): big steps while far from the target, single steps near it.
  std::vector<int64_t> batch;
  int64_t freed = 0, taken = 0;
  for (const auto &[score, op] : scored) {
    if (taken > 0 && (freed * 2 >= excess || taken >= 64))
      break;
    ++taken;
    freed += closures[op].saving;
    batch.insert(batch.end(), closures[op].ops.begin(), closures[op].ops.end());
  }
  std::sort(batch.begin(), batch.end());
  batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
  return batch;
}

inline absl::StatusOr<Measured> BudgetSearch::refine() {
  // Un-recompute the most expensive choices first, while the packed arena stays in budget;
  // stop after a bounded number of trials.
  std::vector<int64_t> order;
  for (size_t i = 0; i < chosen.size(); ++i)
    if (chosen[i] && graph.ops[i].flops > 0)
      order.push_back(static_cast<int64_t>(i));
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return graph.ops[a].flops > graph.ops[b].flops ||
           (graph.ops[a].flops == graph.ops[b].flops && a < b);
  });
  int64_t trials = 0;
  for (int64_t op : order) {
    if (++trials > 128)
      break;
    chosen[op] = false;
    auto trial = measureChoice(/*pack=*/false);
    if (!trial.ok())
      return trial.status();
    bool fits = trial->evaluation.load <= options.budgetBytes; // LOAD bounds every arena.
    if (fits) {
      auto arena = packedArena(trial->evaluation.problem);
      if (!arena.ok())
        return arena.status();
      fits = *arena <= options.budgetBytes;
    }
    if (!fits)
      chosen[op] = true;
  }
  return measureChoice(/*pack=*/true);
}

inline absl::StatusOr<bool> BudgetSearch::runGreedy() {
  rejected.assign(graph.ops.size(), false);
  std::fill(chosen.begin(), chosen.end(), false);
  auto current = measureChoice(/*pack=*/true);
  if (!current.ok())
    return current.status();
  smallestArena = std::min(smallestArena, current->arena);
  int64_t target = options.budgetBytes;
  while (current->arena > options.budgetBytes) {
    if (current->evaluation.load <= target) {
      // LOAD fits but fragmentation does not: aim lower by the excess.
      target -= current->arena - options.budgetBytes;
    }
    std::vector<int64_t> batch = nextBatch(*current, current->evaluation.load - target);
    if (batch.empty())
      break;
    for (int64_t op : batch)
      chosen[op] = true;
    auto trial = measureChoice(/*pack=*/false);
    if (!trial.ok())
      return trial.status();
    if (!improves(trial->evaluation, current->evaluation, target)) {
      for (int64_t op : batch)
        chosen[op] = false;
      for (int64_t op : batch) // Reject the batch's ops one at a time, the cheapest first.
        if (!rejected[op]) {
          rejected[op] = true;
          break;
        }
      continue;
    }
    trial->arena = INT64_MAX; // Not packed: certainly above the budget while LOAD is.
    if (trial->evaluation.load <= target) {
      auto arena = packedArena(trial->evaluation.problem);
      if (!arena.ok())
        return arena.status();
      trial->arena = *arena;
      smallestArena = std::min(smallestArena, trial->arena);
    }
    current = std::move(trial);
  }
  if (current->arena == INT64_MAX) {
    auto arena = packedArena(current->evaluation.problem);
    if (!arena.ok())
      return arena.status();
    smallestArena = std::min(smallestArena, *arena);
  }
  return current->arena <= options.budgetBytes;
}

inline absl::StatusOr<std::vector<bool>> BudgetSearch::run() {
  // The best solution found: the greedy search, then each structured starting point (every
  // checkpoint region's interior, segments=k for several k) that fits, each refined. The
  // cheapest in extra FLOPs wins, so the result is never costlier than those policies.
  std::optional<std::pair<int64_t, std::vector<bool>>> best;
  auto consider = [&]() -> absl::Status {
    auto refined = refine();
    if (!refined.ok())
      return refined.status();
    int64_t flops = refined->schedule.extraFlops;
    if (!best || flops < best->first)
      best.emplace(flops, chosen);
    return absl::OkStatus();
  };
  auto greedy = runGreedy();
  if (!greedy.ok())
    return greedy.status();
  if (*greedy) {
    if (absl::Status status = consider(); !status.ok())
      return status;
  }
  std::vector<std::vector<int64_t>> groupings;
  std::vector<int64_t> regionOfOp(graph.ops.size());
  bool anyRegion = false;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    regionOfOp[i] = graph.ops[i].region;
    anyRegion = anyRegion || regionOfOp[i] >= 0;
  }
  if (anyRegion)
    groupings.push_back(regionOfOp);
  for (int64_t count : {2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64})
    groupings.push_back(segmentForwardOps(graph, count));
  // Measure every starting point; refine only the two cheapest that fit (refining costs up to
  // 128 schedule evaluations each).
  std::vector<std::pair<int64_t, std::vector<bool>>> fitting;
  for (const std::vector<int64_t> &grouping : groupings) {
    chosen = chooseInteriors(graph, users, grouping);
    auto start = measureChoice(/*pack=*/true);
    if (!start.ok())
      return start.status();
    smallestArena = std::min(smallestArena, start->arena);
    if (start->arena <= options.budgetBytes)
      fitting.emplace_back(start->schedule.extraFlops, chosen);
  }
  std::sort(fitting.begin(), fitting.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  for (size_t i = 0; i < fitting.size() && i < 2; ++i) {
    chosen = fitting[i].second;
    if (absl::Status status = consider(); !status.ok())
      return status;
  }
  if (!best) {
    std::fill(chosen.begin(), chosen.end(), false);
    for (int64_t op : candidates)
      chosen[op] = true;
    auto all = measureChoice(/*pack=*/true);
    if (all.ok())
      smallestArena = std::min(smallestArena, all->arena);
    return absl::ResourceExhaustedError(
        absl::StrCat("no rematerialization fits the budget of ", options.budgetBytes,
                     " bytes: the smallest arena tide-remat reaches is ", smallestArena, " bytes"));
  }
  return best->second;
}

/// The reference budget search's choice (or its error), and how much work it did.
inline absl::StatusOr<std::vector<bool>>
budgetSearch(const TrainingGraph &graph, const RematOptions &options, RematStats &stats) {
  return BudgetSearch(graph, options, stats).run();
}

} // namespace tidemark::remat::reference

#endif // TIDEMARK_TESTS_UNIT_REMAT_REFERENCEBUDGETSEARCH_H
