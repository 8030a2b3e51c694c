// RUN: tide-opt %examples/gpt_block.mlir -tide-autodiff=optimizer=sgd -tide-remat="policy=budget=80000 print-stats=true" -tide-assign-arena 2>%t.log | FileCheck %s
// RUN: FileCheck %s --check-prefix=LOG < %t.log

// The example transformer block's training step needs 103424 B of arena without recomputation
// (LOAD = arena here: greedy packing meets the bound). Under budget=80000 the search recomputes
// the attention half's projections and layer norm for their backward uses (the cheap, large
// values first) and the packed arena drops to 77824 B <= 80000; tide-assign-arena, planning the
// rewritten IR independently, finds the same arena.
// LOG:      tide-remat @gpt_block policy budget=80000
// LOG:      LOAD: 103424 -> 77824 B
// LOG-NEXT: arena (greedy-size): 103424 -> 77824 B
// CHECK: tide.arena = {algorithm = "default", alignment = 64 : i64, load = 77824 : i64, proven_optimal = true, size = 77824 : i64}
// CHECK: tide.recomputed
