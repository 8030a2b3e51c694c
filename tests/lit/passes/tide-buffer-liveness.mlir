// RUN: tide-opt %s -split-input-file -tide-buffer-liveness="print=true" -o /dev/null 2>&1 | FileCheck %s
// RUN: tide-opt %s -split-input-file -tide-buffer-liveness="print=true in-place=false" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOINPLACE

// Test 1: %0 (step 0) is read by the relu (step 1) and by the loss (step 2), so it lives [0, 3)
// and the relu cannot write over it: %1 gets its own group [1, 3). Both are 8 x 16 x 4 = 512 B;
// at steps 1 and 2 both are live: LOAD = 1024 B. Arguments and the returned loss are pinned.
// CHECK-LABEL: tide-buffer-liveness @reuse_blocked: 5 values, 3 steps, 2 arena buffers, LOAD 1024 B
// CHECK-NEXT:   %arg0: 512 B, group 0 (pinned)
// CHECK-NEXT:   %arg1: 1024 B, group 1 (pinned)
// CHECK-NEXT:   %0: tide.matmul 512 B, group 2
// CHECK-NEXT:   %1: tide.relu 512 B, group 3
// CHECK-NEXT:   %2: tide.mse_loss 4 B, group 4 (pinned)
// CHECK-NEXT:   group 2: [0, 3) 512 B: %0
// CHECK-NEXT:   group 3: [1, 3) 512 B: %1
func.func @reuse_blocked(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.relu %0 : tensor<8x16xf32>
  %2 = tide.mse_loss %1, %0 : tensor<8x16xf32>
  return %2 : tensor<f32>
}

// -----

// Test 2: an elementwise chain. %0 dies at step 1, so the relu writes over it; %1 dies at step 2,
// so the tanh writes over that: one group [0, 4) of 512 B, LOAD 512 B. Without in-place reuse,
// three groups [0, 2), [1, 3), [2, 4): LOAD 1024 B (two live at steps 1 and 2).
// CHECK-LABEL: tide-buffer-liveness @chain: 6 values, 4 steps, 1 arena buffers, LOAD 512 B
// CHECK:        %1: tide.relu 512 B, group 2, in place over %0
// CHECK-NEXT:   %2: tide.tanh 512 B, group 2, in place over %1
// CHECK:        group 2: [0, 4) 512 B: %0 %1 %2
// NOINPLACE-LABEL: tide-buffer-liveness @chain: 6 values, 4 steps, 3 arena buffers, LOAD 1024 B
// NOINPLACE:      group 2: [0, 2) 512 B: %0
// NOINPLACE-NEXT: group 3: [1, 3) 512 B: %1
// NOINPLACE-NEXT: group 4: [2, 4) 512 B: %2
func.func @chain(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<f32> {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.relu %0 : tensor<8x16xf32>
  %2 = tide.tanh %1 : tensor<8x16xf32>
  %3 = tide.mse_loss %2, %x : tensor<8x16xf32>
  return %3 : tensor<f32>
}

// -----

// Test 3: a reshape is a view of its input: %0 and %1 share group 2. The exp reads the view at
// step 2, the group's last use, so it writes in place too; the reduction reads it at step 4:
// the group lives [0, 5).
// A view of an argument is pinned with it.
// CHECK-LABEL: tide-buffer-liveness @views
// CHECK:        %0: tide.matmul 512 B, group 2
// CHECK-NEXT:   %1: tide.reshape 512 B, group 2, view of %0
// CHECK-NEXT:   %2: tide.exp 512 B, group 2, in place over %1
// CHECK-NEXT:   %3: tide.reshape 512 B, group 0 (pinned), view of %arg0
// CHECK:        group 2: [0, 5) 512 B: %0 %1 %2
func.func @views(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> (tensor<f32>, tensor<128xf32>) {
  %0 = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %1 = tide.reshape %0 : tensor<8x16xf32> -> tensor<128xf32>
  %2 = tide.exp %1 : tensor<128xf32>
  %3 = tide.reshape %x : tensor<8x16xf32> -> tensor<128xf32>
  %4 = tide.reduce_sum %2 axes = [0] : tensor<128xf32> -> tensor<f32>
  return %4, %3 : tensor<f32>, tensor<128xf32>
}
