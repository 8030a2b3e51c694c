// A lower bound of LOAD after un-recomputing one op, read off a measured schedule without
// rewriting or measuring the new one (the budget search uses it to reject such trials early).
//
// Let op o be chosen, its clone at step c of schedule S, and [d, e) the run of clone instances
// around c (the clones emitted for the original op at step e). Un-recomputing o gives schedule T:
//   * T has the same instances as S before step d: the rewrite walks the original order, and
//     nothing before the run reads o's clone (it would have been emitted there);
//   * every result r of o whose clone result is read in S is read in T at or after step d (by
//     the same readers), so r's storage is live over [def, d) in T, while in S its storage group
//     ends at some step end_r (o's forward readers);
//   * the only values that lose reads are the operands of the run's clones. If each of them
//     (outside pinned storage) is also read after the run in S, that read stays in T, after d.
// Under that condition every storage group live at a step t < d in S is live at t in T (no new
// in-place reuse can happen before d: only the run's operands and r change their last reads,
// and none of them gets its last read before d), and r's storage is live too. So
//   LOAD(T) >= max over r of (bytes(r) + max of live_S(t) over end_r <= t < d).
// When the condition fails, or o has no clone, the bound is 0 (nothing is claimed).
//
// Construction: O(n log n) for n steps (a sparse table of live bytes); each bound: O(k + r) for
// the k operands of the run's clones and o's r results.
#ifndef TIDEMARK_COMPILER_REMAT_LOADBOUND_H
#define TIDEMARK_COMPILER_REMAT_LOADBOUND_H

#include <cstdint>
#include <vector>

#include "compiler/remat/TrainingGraph.h"

namespace tidemark::remat {

class UnrecomputeBound {
public:
  /// `schedule` = recompute(graph, chosen) and `evaluation` = its evaluation; both must outlive
  /// this object.
  UnrecomputeBound(const TrainingGraph &graph, const Schedule &schedule,
                   const Evaluation &evaluation);

  /// A lower bound of LOAD once op `op` (chosen in the schedule) is no longer recomputed; 0 when
  /// the conditions above do not hold.
  int64_t lowerBound(int64_t op) const;

private:
  /// The largest live bytes over steps [begin, end) (begin < end).
  int64_t maxLive(int64_t begin, int64_t end) const;

  const TrainingGraph &graph;
  const Schedule &schedule;
  const Evaluation &evaluation;
  std::vector<int64_t> cloneStep; ///< Per graph op: the step of its clone, or -1.
  std::vector<int64_t> lastRead;  ///< Per schedule value: the last step reading it, or -1.
  std::vector<int64_t> defStep;   ///< Per schedule value: its defining step, or -1.
  std::vector<int64_t> runBegin;  ///< Per step: the first step of its run of clones.
  std::vector<int64_t> runEnd;    ///< Per step: one past the last step of its run of clones.
  std::vector<bool> viewShared;   ///< Per storage group: a view is among its values.
  std::vector<std::vector<int64_t>> sparse; ///< sparse[k][t] = max live bytes of [t, t + 2^k).
};

} // namespace tidemark::remat

#endif // TIDEMARK_COMPILER_REMAT_LOADBOUND_H
