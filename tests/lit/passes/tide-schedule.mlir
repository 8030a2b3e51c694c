// RUN: tide-opt %s -split-input-file -tide-schedule="print=true" 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=LOG < %t.err

// Test 1: %big (1024 floats = 4096 B) is computed first but only read at the end, so it is live
// while the small chain runs: with a/b (16 floats = 64 B, b in place over a) live at steps 1-4,
// LOAD = 4096 + 64 = 4160 B. The greedy order runs the ops that add the fewest bytes first:
// relu (+64), tanh (+64 -64 = 0, in place), the small reduction (frees b: -64), then exp (+4096),
// mul (in place over big) and the last reduction: the two never overlap, LOAD = 4096 B.
// LOG: tide-schedule @late_big: LOAD 4160 -> 4096 B
// CHECK-LABEL: func.func @late_big
// CHECK-SAME: tide.schedule = {changed = true, load_after = 4096 : i64, load_before = 4160 : i64}
// CHECK:      tide.relu
// CHECK-NEXT: tide.tanh
// CHECK-NEXT: tide.reduce_sum {{.*}} tensor<16xf32>
// CHECK-NEXT: tide.exp
// CHECK-NEXT: tide.mul
// CHECK-NEXT: tide.reduce_sum {{.*}} tensor<1024xf32>
func.func @late_big(%x: tensor<1024xf32>, %y: tensor<16xf32>) -> (tensor<f32>, tensor<f32>) {
  %big = tide.exp %x : tensor<1024xf32>
  %a = tide.relu %y : tensor<16xf32>
  %b = tide.tanh %a : tensor<16xf32>
  %s = tide.mul %big, %big : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  %l1 = tide.reduce_sum %s axes = [0] : tensor<1024xf32> -> tensor<f32>
  %l2 = tide.reduce_sum %b axes = [0] : tensor<16xf32> -> tensor<f32>
  return %l1, %l2 : tensor<f32>, tensor<f32>
}

// -----

// Test 2: an elementwise chain is already best (one 64 B group): the order is kept.
// LOG: tide-schedule @chain: LOAD 64 -> 64 B (kept the given order)
// CHECK-LABEL: func.func @chain
// CHECK-SAME: tide.schedule = {changed = false, load_after = 64 : i64, load_before = 64 : i64}
// CHECK:      tide.relu
// CHECK-NEXT: tide.tanh
// CHECK-NEXT: tide.exp
func.func @chain(%y: tensor<16xf32>) -> tensor<f32> {
  %a = tide.relu %y : tensor<16xf32>
  %b = tide.tanh %a : tensor<16xf32>
  %c = tide.exp %b : tensor<16xf32>
  %l = tide.reduce_sum %c axes = [0] : tensor<16xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Test 3: a state update waits for every other reader of its parameter. Greedy would run the
// update (it frees the gradient) before the matmul that still reads %w, which the runtime would
// then see already overwritten: the constraint keeps the matmul first.
// CHECK-LABEL: func.func @update_last
// CHECK:      tide.matmul %arg0, %arg1
// CHECK:      tide.sgd_update %arg1
func.func @update_last(%x: tensor<4x4xf32>, %w: tensor<4x4xf32> {tide.param}, %g: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32> {tide.updates = 1 : i64}) attributes {tide.optimizer = "sgd"} {
  %y = tide.matmul %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %d = tide.relu %g : tensor<4x4xf32>
  %w1 = tide.sgd_update %w, %d lr = 0.1 momentum = 0.0 weight_decay = 0.0 : tensor<4x4xf32>
  return %y, %w1 : tensor<4x4xf32>, tensor<4x4xf32>
}
