// RUN: tide-opt %s -split-input-file -tide-assign-arena | FileCheck %s
// RUN: tide-opt %s -split-input-file -tide-assign-arena="alignment=4 algorithm=greedy-size" | FileCheck %s --check-prefix=ALIGN4
// RUN: tide-opt %s -split-input-file -tide-assign-arena="algorithm=naive" | FileCheck %s --check-prefix=NAIVE

// Test 1: the elementwise chain of tide-buffer-liveness Test 2: one 512 B group, so every
// transient is at offset 0; arena = LOAD = 512, proven optimal. The loss (returned) is pinned: -1.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: tide.arena = {algorithm = "default", alignment = 64 : i64, load = 512 : i64, proven_optimal = true, size = 512 : i64}
// CHECK:      tide.matmul {{.*}} {tide.arena_offsets = array<i64: 0>}
// CHECK-NEXT: tide.relu {{.*}} {tide.arena_offsets = array<i64: 0>}
// CHECK-NEXT: tide.tanh {{.*}} {tide.arena_offsets = array<i64: 0>}
// CHECK-NEXT: tide.mse_loss {{.*}} {tide.arena_offsets = array<i64: -1>}
func.func @chain(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.relu %0 : tensor<8x16xf32>
  %2 = tide.tanh %1 : tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}

// -----

// Test 2: alignment. Two 100 B values (25 floats) overlap at steps 1-2:
//   %0 = relu (step 0), %1 = exp (step 1), %2 = add %0, %1 (step 2, in place over %0),
//   %3 = loss (step 3). Groups: {%0, %2} [0, 4) and {%1} [1, 3). LOAD = 200 B.
//   alignment 64: the second buffer starts at the first multiple of 64 after 100, 128:
//   arena = 128 + 100 = 228. alignment 4: offsets 0 and 100, arena = 200 = LOAD.
//   naive (no reuse): every group gets its own range: 0 and 128 (64-aligned), also 228 here.
//   228 is optimal under 64-byte alignment (the exact polish proves it): proven_optimal = true.
// CHECK-LABEL: func.func @alignment
// CHECK-SAME: load = 200 : i64, proven_optimal = true, size = 228 : i64
// CHECK:      tide.relu {{.*}} {tide.arena_offsets = array<i64: [[A:[0-9]+]]>}
// CHECK-NEXT: tide.exp {{.*}} {tide.arena_offsets = array<i64: [[B:[0-9]+]]>}
// CHECK-NEXT: tide.add {{.*}} {tide.arena_offsets = array<i64: [[A]]>}
// ALIGN4-LABEL: func.func @alignment
// ALIGN4-SAME: tide.arena = {algorithm = "greedy-size", alignment = 4 : i64, load = 200 : i64, proven_optimal = true, size = 200 : i64}
// NAIVE-LABEL: func.func @alignment
// NAIVE-SAME: algorithm = "naive", alignment = 64 : i64, load = 200 : i64, proven_optimal = false, size = 228 : i64
func.func @alignment(%x: tensor<25xf32>) -> tensor<f32> {
  %0 = tide.relu %x : tensor<25xf32>
  %1 = tide.exp %x : tensor<25xf32>
  %2 = tide.add %0, %1 : (tensor<25xf32>, tensor<25xf32>) -> tensor<25xf32>
  %3 = tide.mse_loss %2, %x : tensor<25xf32>
  return %3 : tensor<f32>
}

// -----

// Test 3: two matmuls live together: %0 [0, 3) and %1 [1, 3); %2 = add %0, %1 at step 2 writes
//   over %0 (which dies there): groups {%0, %2} [0, 4) and {%1} [1, 3): arena 1024 = LOAD.
// CHECK-LABEL: func.func @two_live
// CHECK-SAME: load = 1024 : i64, proven_optimal = true, size = 1024 : i64
func.func @two_live(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.matmul %x, %w transpose_rhs : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %2 = tide.add %0, %1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}
