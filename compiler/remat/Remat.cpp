// Rematerialization policies and the budget search (see Remat.h for the algorithm).
#include "compiler/remat/Remat.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "compiler/planning/Packing.h"
#include "compiler/remat/LoadBound.h"

namespace tidemark::remat {
namespace {

/// Who reads each value: forward ops and backward ops separately.
struct Users {
  std::vector<std::vector<int64_t>> forwardReaders, backwardReaders;
};

Users findUsers(const TrainingGraph &graph) {
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

/// Measures choices: rewrites the schedule and evaluates its liveness, and packs it on demand
/// with the fast heuristic (tide-assign-arena's default is never worse, so a schedule that fits
/// here fits there). Packing is by far the dearest step (greedy-size is O(b * k log k) for b
/// buffers of which k overlap, and k grows with the model on a chain), so every packed arena is
/// remembered by its choice and no choice is packed twice. Counts the work in `stats`.
class Meter {
public:
  struct Measured {
    Schedule schedule;
    Evaluation evaluation;
  };

  Meter(const TrainingGraph &graph, int64_t alignment, RematStats &stats)
      : graph(graph), alignment(alignment), stats(stats) {}

  absl::StatusOr<Measured> measure(const std::vector<bool> &chosen) {
    Measured measured;
    measured.schedule = recompute(graph, chosen);
    auto evaluation = evaluate(graph, measured.schedule, alignment);
    if (!evaluation.ok())
      return evaluation.status();
    measured.evaluation = std::move(*evaluation);
    ++stats.evaluations;
    stats.stepsEvaluated += static_cast<int64_t>(measured.schedule.instances.size());
    return measured;
  }

  /// The extra FLOPs of `chosen` (rewriting only).
  int64_t extraFlops(const std::vector<bool> &chosen) {
    Schedule schedule = recompute(graph, chosen);
    stats.stepsEvaluated += static_cast<int64_t>(schedule.instances.size());
    return schedule.extraFlops;
  }

  /// The greedy-size arena of `chosen`, whose buffers are `problem`.
  absl::StatusOr<int64_t> arena(const std::vector<bool> &chosen, const planning::Problem &problem) {
    auto known = arenas.find(chosen);
    if (known != arenas.end())
      return known->second;
    auto report = planning::packProblem(problem, "greedy-size", planning::PackOptions{});
    if (!report.ok())
      return report.status();
    ++stats.packs;
    arenas.emplace(chosen, report->solution.arenaSize);
    return report->solution.arenaSize;
  }

  /// A trial decided without measuring it.
  void countBoundedTrial() { ++stats.boundedTrials; }

private:
  const TrainingGraph &graph;
  int64_t alignment;
  RematStats &stats;
  std::map<std::vector<bool>, int64_t> arenas;
};

using Measured = Meter::Measured;

/// Ops that are recomputable and whose results the backward pass reads.
std::vector<int64_t> candidateOps(const TrainingGraph &graph, const Users &users) {
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
std::vector<bool> chooseInteriors(const TrainingGraph &graph, const Users &users,
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
std::vector<int64_t> segmentForwardOps(const TrainingGraph &graph, int64_t count) {
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

void fillStats(const TrainingGraph &graph, const Schedule &schedule, RematStats &stats) {
  stats.opsRecomputed = schedule.clones;
  stats.extraFlops = schedule.extraFlops;
  stats.valuesKept = stats.bytesKept = 0;
  std::vector<bool> counted(schedule.values.size(), false);
  for (const Instance &instance : schedule.instances) {
    if (graph.ops[instance.op].forward)
      continue;
    for (int64_t operand : instance.operands) {
      const GraphValue &value = schedule.values[operand];
      bool forwardValue = value.def >= 0 && graph.ops[value.def].forward &&
                          operand < static_cast<int64_t>(graph.values.size());
      if (!forwardValue || value.pinned || counted[operand])
        continue;
      counted[operand] = true;
      ++stats.valuesKept;
      stats.bytesKept += value.aliasOf >= 0 ? 0 : value.bytes;
    }
  }
}

/// Bytes above `target`, summed over the steps: progress when several steps share the peak.
int64_t excessArea(const Evaluation &evaluation, int64_t target) {
  int64_t area = 0;
  for (int64_t live : evaluation.liveBytes)
    area += std::max<int64_t>(0, live - target);
  return area;
}

/// A trial is better when its LOAD is lower, or equal with less memory above the target.
bool improves(const Evaluation &trial, const Evaluation &current, int64_t target) {
  if (trial.load != current.load)
    return trial.load < current.load;
  return excessArea(trial, target) < excessArea(current, target);
}

/// The budget search of Remat.h.
class BudgetSearch {
public:
  /// `none` is the measurement of the schedule without recomputation.
  BudgetSearch(const TrainingGraph &graph, const RematOptions &options, Meter &meter,
               const Measured &none)
      : graph(graph), options(options), meter(meter), none(none), users(findUsers(graph)),
        candidates(candidateOps(graph, users)), chosen(graph.ops.size(), false) {}

  absl::StatusOr<std::vector<bool>> run();

private:
  /// The greedy search; true when it met the budget (the choice is in `chosen`).
  absl::StatusOr<bool> runGreedy();
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
  /// A structured starting point: a choice and what it costs.
  struct Start {
    std::vector<bool> chosen;
    int64_t extraFlops = 0, load = 0;
    planning::Problem problem;    ///< Its buffers, until packed.
    std::optional<int64_t> arena; ///< Packed only when needed.
  };
  /// Measures (without packing) every structured starting point.
  absl::StatusOr<std::vector<Start>> measureStarts();
  /// The packed arena of `start` (packed on first use).
  absl::StatusOr<int64_t> arenaOf(Start &start);
  /// Refines `chosen` (which fits) and returns the extra FLOPs of the refined choice.
  absl::StatusOr<int64_t> refine();
  /// The ops refining `choice` may un-recompute, in the order it tries them.
  std::vector<int64_t> refinementWindow(const std::vector<bool> &choice) const;
  /// A lower bound of the extra FLOPs of `choice` refined.
  int64_t refinedFlopsFloor(const std::vector<bool> &choice);
  /// Walks `window` from position `from`: un-recomputes each op unless that puts LOAD over the
  /// budget. Returns the positions of the ops it un-recomputed; `current` is the result.
  absl::StatusOr<std::vector<size_t>> unrecomputeWithin(const std::vector<int64_t> &window,
                                                        size_t from, Measured &current);
  absl::StatusOr<std::string> failureMessage(std::vector<Start> &starts);

  const TrainingGraph &graph;
  const RematOptions &options;
  Meter &meter;
  const Measured &none;
  Users users;
  std::vector<int64_t> candidates;
  std::vector<bool> chosen, rejected;
  int64_t smallestArena = INT64_MAX;
};

BudgetSearch::Closure BudgetSearch::closureOf(int64_t opIndex, const Measured &current) const {
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
  std::vector<int64_t> inClosure{opIndex}; // At most kMaxChain ops: a linear search is cheapest.
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
      bool known = value.def >= 0 &&
                   std::find(inClosure.begin(), inClosure.end(), value.def) != inClosure.end();
      if (value.pinned || freeInput || (value.def >= 0 && chosen[value.def]) || known)
        continue;
      bool chainable = value.def >= 0 && graph.ops[value.def].recomputable &&
                       closure.ops.size() + worklist.size() < kMaxChain;
      if (chainable) {
        inClosure.push_back(value.def);
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

std::vector<int64_t> BudgetSearch::nextBatch(const Measured &current, int64_t excess) const {
  std::vector<std::pair<double, int64_t>> scored;
  std::vector<Closure> closures;
  for (int64_t op : candidates) {
    if (chosen[op] || rejected[op])
      continue;
    Closure closure = closureOf(op, current);
    if (closure.saving > 0) {
      scored.emplace_back(static_cast<double>(closure.saving) / (closure.flops + 1.0),
                          static_cast<int64_t>(closures.size()));
      closures.push_back(std::move(closure));
    }
  }
  // Best score first; ties to the earlier op (closures are in candidate order).
  std::sort(scored.begin(), scored.end(), [](const auto &a, const auto &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  // Take the best closures until they would free half the excess (at least one, at most
  // max(64, candidates / 16)): big steps while far from the target, single steps near it. The
  // cap grows with the graph so that the number of batches does not (it is 64 up to 1024
  // candidates).
  std::vector<int64_t> batch;
  int64_t freed = 0, taken = 0;
  const int64_t batchCap = std::max<int64_t>(64, static_cast<int64_t>(candidates.size()) / 16);
  for (const auto &[score, index] : scored) {
    if (taken > 0 && (freed * 2 >= excess || taken >= batchCap))
      break;
    ++taken;
    freed += closures[index].saving;
    batch.insert(batch.end(), closures[index].ops.begin(), closures[index].ops.end());
  }
  std::sort(batch.begin(), batch.end());
  batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
  return batch;
}

absl::StatusOr<std::vector<size_t>>
BudgetSearch::unrecomputeWithin(const std::vector<int64_t> &window, size_t from,
                                Measured &current) {
  // Walking `window` one op at a time (un-recompute it; undo if LOAD exceeds the budget) costs
  // one evaluation per op. Two shortcuts make the same walk cheaper:
  //  * a rejection is often certain without measuring: UnrecomputeBound reads a lower bound of
  //    the trial's LOAD off the current schedule;
  //  * un-recomputing more ops keeps more activations, so LOAD (as a rule) does not drop: the
  //    ops the walk keeps from position p on are then a run, whose length an exponential and a
  //    binary search find, and the op after the run is the one the walk rejects. That is
  //    O(log L) evaluations for a run of L accepted ops and the rejection that ends it. (Where
  //    LOAD does drop, the run found may differ from the one-at-a-time walk's; both fit.)
  std::optional<UnrecomputeBound> bound; // Of `current`, built when first needed.
  auto surelyOver = [&](int64_t op) {
    if (!bound)
      bound.emplace(graph, current.schedule, current.evaluation);
    return bound->lowerBound(op) > options.budgetBytes;
  };
  auto withoutRun = [&](size_t begin, size_t end) -> absl::StatusOr<std::optional<Measured>> {
    if (end == begin + 1 && surelyOver(window[begin])) {
      meter.countBoundedTrial();
      return std::optional<Measured>();
    }
    for (size_t i = begin; i < end; ++i)
      chosen[window[i]] = false;
    auto trial = meter.measure(chosen);
    for (size_t i = begin; i < end; ++i)
      chosen[window[i]] = true;
    if (!trial.ok())
      return trial.status();
    if (trial->evaluation.load > options.budgetBytes)
      return std::optional<Measured>();
    return std::optional<Measured>(std::move(*trial));
  };
  std::vector<size_t> accepted;
  size_t position = from;
  while (position < window.size()) {
    // Run ends known to fit (good) and not to fit (bad, window.size() + 1 = unknown).
    size_t good = position, bad = window.size() + 1;
    std::optional<Measured> measured;
    for (size_t length = 1; good < window.size(); length *= 2) {
      size_t end = std::min(window.size(), position + length);
      auto trial = withoutRun(position, end);
      if (!trial.ok())
        return trial.status();
      if (!trial->has_value()) {
        bad = end;
        break;
      }
      good = end;
      measured = std::move(*trial);
    }
    while (bad <= window.size() && bad - good > 1) {
      size_t middle = good + (bad - good) / 2;
      auto trial = withoutRun(position, middle);
      if (!trial.ok())
        return trial.status();
      if (trial->has_value()) {
        good = middle;
        measured = std::move(*trial);
      } else {
        bad = middle;
      }
    }
    for (size_t i = position; i < good; ++i) {
      chosen[window[i]] = false;
      accepted.push_back(i);
    }
    if (measured) {
      bound.reset(); // It refers to the schedule being replaced.
      current = std::move(*measured);
    }
    position = good + 1; // window[good], if any, would exceed the budget: it stays recomputed.
  }
  return accepted;
}

std::vector<int64_t> BudgetSearch::refinementWindow(const std::vector<bool> &choice) const {
  std::vector<int64_t> window;
  for (size_t i = 0; i < choice.size(); ++i)
    if (choice[i] && graph.ops[i].flops > 0)
      window.push_back(static_cast<int64_t>(i));
  std::sort(window.begin(), window.end(), [&](int64_t a, int64_t b) {
    return graph.ops[a].flops > graph.ops[b].flops ||
           (graph.ops[a].flops == graph.ops[b].flops && a < b);
  });
  constexpr size_t kWindow = 128;
  if (window.size() > kWindow)
    window.resize(kWindow);
  return window;
}

int64_t BudgetSearch::refinedFlopsFloor(const std::vector<bool> &choice) {
  // Refining only un-recomputes window ops, and un-recomputing never adds a clone (a clone is
  // emitted for a chosen op some backward op or emitted clone reads), so the refined choice
  // costs at least the start without its whole window.
  std::vector<bool> floor = choice;
  for (int64_t op : refinementWindow(choice))
    floor[op] = false;
  return meter.extraFlops(floor);
}

absl::StatusOr<int64_t> BudgetSearch::refine() {
  // Un-recompute the most expensive choices first (the first kWindow of them) as long as the
  // packed arena stays within the budget. The walk is guided by LOAD and packs only its end
  // state; when fragmentation puts that over the budget, a bisection over the ops it accepted
  // (in order) finds the first whose state does not pack: that op stays recomputed and the
  // walk resumes after it from the state before it.
  const std::vector<int64_t> window = refinementWindow(chosen);
  auto current = meter.measure(chosen);
  if (!current.ok())
    return current.status();
  size_t from = 0;
  while (from < window.size()) {
    const std::vector<bool> walkStart = chosen; // Fits.
    Measured walkStartMeasured = *current;
    auto accepted = unrecomputeWithin(window, from, *current);
    if (!accepted.ok())
      return accepted.status();
    if (accepted->empty())
      break;
    auto arena = meter.arena(chosen, current->evaluation.problem);
    if (!arena.ok())
      return arena.status();
    if (*arena <= options.budgetBytes)
      break;
    // The state after the first `fits` accepted ops packs within the budget; after `fails`
    // it does not.
    size_t fits = 0, fails = accepted->size();
    Measured fitting = std::move(walkStartMeasured);
    auto stateAfter = [&](size_t count) {
      chosen = walkStart;
      for (size_t i = 0; i < count; ++i)
        chosen[window[(*accepted)[i]]] = false;
    };
    while (fails - fits > 1) {
      size_t middle = fits + (fails - fits) / 2;
      stateAfter(middle);
      auto trial = meter.measure(chosen);
      if (!trial.ok())
        return trial.status();
      auto packed = meter.arena(chosen, trial->evaluation.problem);
      if (!packed.ok())
        return packed.status();
      if (*packed <= options.budgetBytes) {
        fits = middle;
        fitting = std::move(*trial);
      } else {
        fails = middle;
      }
    }
    stateAfter(fits);
    *current = std::move(fitting);
    from = (*accepted)[fails - 1] + 1;
  }
  return current->schedule.extraFlops;
}

absl::StatusOr<bool> BudgetSearch::runGreedy() {
  rejected.assign(graph.ops.size(), false);
  std::fill(chosen.begin(), chosen.end(), false);
  Measured current = none;
  auto noneArena = meter.arena(chosen, current.evaluation.problem);
  if (!noneArena.ok())
    return noneArena.status();
  int64_t arena = *noneArena;
  smallestArena = std::min(smallestArena, arena);
  int64_t target = options.budgetBytes;
  while (arena > options.budgetBytes) {
    if (current.evaluation.load <= target) {
      // LOAD fits but fragmentation does not: aim lower by the excess.
      target -= arena - options.budgetBytes;
    }
    std::vector<int64_t> batch = nextBatch(current, current.evaluation.load - target);
    if (batch.empty())
      break;
    for (int64_t op : batch)
      chosen[op] = true;
    auto trial = meter.measure(chosen);
    if (!trial.ok())
      return trial.status();
    if (!improves(trial->evaluation, current.evaluation, target)) {
      for (int64_t op : batch)
        chosen[op] = false;
      for (int64_t op : batch) // Reject the batch's ops one at a time, the cheapest first.
        if (!rejected[op]) {
          rejected[op] = true;
          break;
        }
      continue;
    }
    arena = INT64_MAX; // Not packed: certainly above the budget while LOAD is.
    if (trial->evaluation.load <= target) {
      auto packed = meter.arena(chosen, trial->evaluation.problem);
      if (!packed.ok())
        return packed.status();
      arena = *packed;
      smallestArena = std::min(smallestArena, arena);
    }
    current = std::move(*trial);
  }
  if (arena == INT64_MAX) {
    auto packed = meter.arena(chosen, current.evaluation.problem);
    if (!packed.ok())
      return packed.status();
    smallestArena = std::min(smallestArena, *packed);
  }
  return arena <= options.budgetBytes;
}

absl::StatusOr<std::vector<BudgetSearch::Start>> BudgetSearch::measureStarts() {
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
  std::vector<Start> starts;
  for (const std::vector<int64_t> &grouping : groupings) {
    Start start;
    start.chosen = chooseInteriors(graph, users, grouping);
    auto measured = meter.measure(start.chosen);
    if (!measured.ok())
      return measured.status();
    start.extraFlops = measured->schedule.extraFlops;
    start.load = measured->evaluation.load;
    start.problem = std::move(measured->evaluation.problem);
    starts.push_back(std::move(start));
  }
  return starts;
}

absl::StatusOr<int64_t> BudgetSearch::arenaOf(Start &start) {
  if (!start.arena) {
    auto arena = meter.arena(start.chosen, start.problem);
    if (!arena.ok())
      return arena.status();
    start.arena = *arena;
    start.problem = planning::Problem();
    smallestArena = std::min(smallestArena, *arena);
  }
  return *start.arena;
}

absl::StatusOr<std::string> BudgetSearch::failureMessage(std::vector<Start> &starts) {
  // The smallest arena reached: the greedy search's, every starting point's (packed only if its
  // LOAD, a lower bound of its arena, could beat the smallest so far) and everything recomputed.
  for (Start &start : starts)
    if (!start.arena && start.load < smallestArena)
      if (auto arena = arenaOf(start); !arena.ok())
        return arena.status();
  std::fill(chosen.begin(), chosen.end(), false);
  for (int64_t op : candidates)
    chosen[op] = true;
  auto all = meter.measure(chosen);
  if (all.ok()) {
    auto arena = meter.arena(chosen, all->evaluation.problem);
    if (arena.ok())
      smallestArena = std::min(smallestArena, *arena);
  }
  return absl::StrCat("no rematerialization fits the budget of ", options.budgetBytes,
                      " bytes: the smallest arena tide-remat reaches is ", smallestArena, " bytes");
}

absl::StatusOr<std::vector<bool>> BudgetSearch::run() {
  // The best solution found: the greedy search, then each structured starting point (every
  // checkpoint region's interior, segments=k for several k) that fits, each refined. The
  // cheapest in extra FLOPs wins, so the result is never costlier than those policies.
  std::optional<std::pair<int64_t, std::vector<bool>>> best;
  auto consider = [&]() -> absl::Status {
    auto flops = refine();
    if (!flops.ok())
      return flops.status();
    if (!best || *flops < best->first)
      best.emplace(*flops, chosen);
    return absl::OkStatus();
  };
  auto greedy = runGreedy();
  if (!greedy.ok())
    return greedy.status();
  if (*greedy) {
    if (absl::Status status = consider(); !status.ok())
      return status;
  }
  auto starts = measureStarts();
  if (!starts.ok())
    return starts.status();
  // Refine only the two cheapest starting points that fit (in grouping order among equals);
  // packing them in that order stops at the second that fits.
  std::vector<size_t> byFlops(starts->size());
  std::iota(byFlops.begin(), byFlops.end(), 0);
  std::stable_sort(byFlops.begin(), byFlops.end(), [&](size_t a, size_t b) {
    return (*starts)[a].extraFlops < (*starts)[b].extraFlops;
  });
  // A starting point whose refinement cannot beat the best so far (its floor is not below)
  // is not refined; it is packed only if a later one still could be, as it may take one of
  // the two places.
  std::vector<std::optional<int64_t>> floors(starts->size());
  auto mayWin = [&](size_t index) {
    if (!best)
      return true;
    if (!floors[index])
      floors[index] = refinedFlopsFloor((*starts)[index].chosen);
    return *floors[index] < best->first;
  };
  int fitting = 0;
  for (size_t k = 0; k < byFlops.size() && fitting < 2; ++k) {
    Start &start = (*starts)[byFlops[k]];
    if (start.load > options.budgetBytes) // The arena is >= LOAD.
      continue;
    bool worthRefining = mayWin(byFlops[k]);
    if (!worthRefining) {
      bool laterMayWin = false;
      for (size_t later = k + 1; later < byFlops.size() && !laterMayWin; ++later)
        laterMayWin =
            (*starts)[byFlops[later]].load <= options.budgetBytes && mayWin(byFlops[later]);
      if (!laterMayWin)
        break;
    }
    auto arena = arenaOf(start);
    if (!arena.ok())
      return arena.status();
    if (*arena > options.budgetBytes)
      continue;
    ++fitting;
    if (worthRefining) {
      chosen = start.chosen;
      if (absl::Status status = consider(); !status.ok())
        return status;
    }
  }
  if (!best) {
    auto message = failureMessage(*starts);
    if (!message.ok())
      return message.status();
    return absl::ResourceExhaustedError(*message);
  }
  return best->second;
}

int64_t parseBytes(const std::string &text, bool &ok) {
  std::string digits = text;
  int64_t scale = 1;
  if (!digits.empty()) {
    char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(digits.back())));
    if (suffix == 'K' || suffix == 'M' || suffix == 'G') {
      scale = suffix == 'K' ? (1 << 10) : suffix == 'M' ? (1 << 20) : (int64_t{1} << 30);
      digits.pop_back();
    }
  }
  int64_t value = 0;
  ok = absl::SimpleAtoi(digits, &value) && value > 0 && value <= INT64_MAX / scale;
  return value * scale;
}

} // namespace

absl::StatusOr<RematOptions> parsePolicy(const std::string &text) {
  RematOptions options;
  if (text == "none")
    return options;
  if (text == "regions") {
    options.policy = Policy::Regions;
    return options;
  }
  auto equals = text.find('=');
  std::string name = text.substr(0, equals);
  std::string argument = equals == std::string::npos ? "" : text.substr(equals + 1);
  if (name == "segments") {
    options.policy = Policy::Segments;
    if (!absl::SimpleAtoi(argument, &options.segments) || options.segments < 1)
      return absl::InvalidArgumentError(absl::StrCat(
          "segments=N needs a positive whole number of segments, got '", argument, "'"));
    return options;
  }
  if (name == "budget") {
    options.policy = Policy::Budget;
    bool ok = false;
    options.budgetBytes = parseBytes(argument, ok);
    if (!ok)
      return absl::InvalidArgumentError(absl::StrCat(
          "budget=BYTES needs a positive byte count (optionally with K, M or G), got '", argument,
          "'"));
    return options;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown rematerialization policy '", text,
                                                 "'; expected none, regions, segments=N or "
                                                 "budget=BYTES"));
}

absl::StatusOr<RematResult> rematerialize(const TrainingGraph &graph, const RematOptions &options) {
  RematResult result;
  RematStats &stats = result.stats;
  for (const GraphOp &op : graph.ops) {
    stats.totalFlops += op.flops;
    if (op.forward)
      stats.forwardFlops += op.flops;
  }
  Meter meter(graph, options.alignment, stats);
  const std::vector<bool> nothing(graph.ops.size(), false);
  auto before = meter.measure(nothing);
  if (!before.ok())
    return before.status();
  auto arenaBefore = meter.arena(nothing, before->evaluation.problem);
  if (!arenaBefore.ok())
    return arenaBefore.status();
  stats.loadBefore = before->evaluation.load;
  stats.arenaBefore = *arenaBefore;

  Users users = findUsers(graph);
  switch (options.policy) {
  case Policy::None:
    result.chosen.assign(graph.ops.size(), false);
    break;
  case Policy::Regions: {
    std::vector<int64_t> regionOfOp(graph.ops.size());
    for (size_t i = 0; i < graph.ops.size(); ++i)
      regionOfOp[i] = graph.ops[i].region;
    result.chosen = chooseInteriors(graph, users, regionOfOp);
    break;
  }
  case Policy::Segments:
    if (options.segments < 1)
      return absl::InvalidArgumentError("segments must be >= 1");
    result.chosen = chooseInteriors(graph, users, segmentForwardOps(graph, options.segments));
    break;
  case Policy::Budget: {
    auto chosen = BudgetSearch(graph, options, meter, *before).run();
    if (!chosen.ok())
      return chosen.status();
    result.chosen = std::move(*chosen);
    break;
  }
  }
  auto after = meter.measure(result.chosen);
  if (!after.ok())
    return after.status();
  auto arenaAfter = meter.arena(result.chosen, after->evaluation.problem);
  if (!arenaAfter.ok())
    return arenaAfter.status();
  stats.loadAfter = after->evaluation.load;
  stats.arenaAfter = *arenaAfter;
  result.schedule = std::move(after->schedule);
  fillStats(graph, result.schedule, stats);
  return result;
}

} // namespace tidemark::remat
