// Per-kernel step rules: arity, dtypes, shapes and attributes each kernel id accepts.
//
// The table of operands and results per kernel is documented in docs/plan-format.md; the executor
// (runtime/executor/) relies on every rule here, so it never checks shapes itself.
#ifndef TIDEMARK_RUNTIME_PLAN_KERNEL_RULES_H_
#define TIDEMARK_RUNTIME_PLAN_KERNEL_RULES_H_

#include <cstdint>

#include "runtime/kernels/shape.h"
#include "runtime/kernels/training_schedule.h"
#include "runtime/plan/loaded_plan.h"
#include "tidemark/status.h"

namespace tidemark {

// Checks step `step` of `plan`: tensor ids in range, arity, that results are writable (not inputs
// or constants), dtypes, shapes and attributes. O(operands + rank).
Status CheckStepRules(const LoadedPlan &plan, int step);

// NumPy broadcasting of two shapes; false when a dimension pair is neither equal nor has a 1.
bool BroadcastShape(const kernels::Shape &a, const kernels::Shape &b, kernels::Shape *out);

// Reduce axes as a bit mask; false when an axis is out of [0, rank) or repeated.
bool ReduceAxesMask(const std::vector<int> &axes, int rank, uint32_t *mask);

// The softmax axis in [0, rank) from the step's attributes (default -1: the last axis); false
// when it is out of range (rank 0 included).
bool SoftmaxAxis(const StepAttributes &attrs, int rank, int *axis);

// The softmax scale attention uses: the attribute, or 1/sqrt(head_dim) when it is 0.
float AttentionScale(const AttentionAttributes &attrs, int64_t head_dim);

// The optimizer's learning-rate schedule for base rate `base` (min_lr becomes the ratio
// min_lr / base; 0 when base is 0).
kernels::LrSchedule ToLrSchedule(const LrScheduleAttributes &attrs, float base);

} // namespace tidemark

#endif // TIDEMARK_RUNTIME_PLAN_KERNEL_RULES_H_
