// RUN: tide-opt %s -split-input-file -tide-autodiff=optimizer=sgd -tide-remat="policy=regions print-stats=true" 2>%t.regions | FileCheck %s --check-prefix=REGIONS
// RUN: FileCheck %s --check-prefix=REGIONS-LOG < %t.regions
// RUN: tide-opt %s -split-input-file -tide-autodiff=optimizer=sgd -tide-remat="policy=segments=2 print-stats=true" 2>%t.segments | FileCheck %s --check-prefix=SEGMENTS
// RUN: FileCheck %s --check-prefix=SEGMENTS-LOG < %t.segments
// RUN: tide-opt %s -split-input-file -tide-autodiff=optimizer=sgd -tide-remat="policy=none print-stats=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE

// Test 1 (regions): the checkpoint keeps its input %x and its output %g (read by the loss
// outside the region); its interior %a = x w (read by gelu_grad in the backward pass) is
// recomputed right before that read: one clone of the matmul, 2 * 4 * 8 * 8 = 512 extra FLOPs.
// REGIONS-LABEL: func.func @region
// REGIONS:      %[[A:.*]] = tide.matmul %arg0, %arg1 {tide.checkpoint_region = 0 : i64}
// REGIONS:      tide.fill 1.0
// REGIONS:      %[[CLONE:.*]] = tide.matmul %arg0, %arg1 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: tide.gelu_grad %[[CLONE]], %{{.*}} tanh
// REGIONS-LOG-LABEL: tide-remat @region policy regions
// REGIONS-LOG:  ops recomputed: 1, extra FLOPs: 512
// NONE-LABEL: tide-remat @region policy none
// NONE:       ops recomputed: 0, extra FLOPs: 0 (0.0% of the step's
func.func @region(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tide.param}) -> tensor<f32> {
  %g = tide.checkpoint -> (tensor<4x8xf32>) {
    %a = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    %h = tide.gelu %a tanh : tensor<4x8xf32>
    tide.yield %h : tensor<4x8xf32>
  }
  %l = tide.reduce_mean %g axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Test 2 (segments=2): forward FLOPs are add 16, four tanh of 16 each, reduce_sum 15: 95.
// An op's segment is floor(2 * FLOPs before it / 95): add (0), t1 (16 -> 0) and t2 (32 -> 0)
// form segment 0; t3 (48 -> 1) onwards is the last segment, never recomputed.
// Inside segment 0, %p and %t1 are read only inside it (interior); %t2 is read by t3 (a
// boundary, kept). The backward reads %p (tanh_grad of t1) and %t1 (tanh_grad of t2): both are
// recomputed, 16 + 16 = 32 extra FLOPs.
// SEGMENTS-LABEL: func.func @segments
// SEGMENTS:      %[[P:.*]] = tide.add %arg0, %arg1 {tide.recomputed}
// SEGMENTS-NEXT: %[[T1:.*]] = tide.tanh %[[P]] {tide.recomputed}
// SEGMENTS-NEXT: %[[G:.*]] = tide.tanh_grad %[[T1]]
// SEGMENTS-NEXT: tide.tanh_grad %[[P]], %[[G]]
// SEGMENTS-LOG-LABEL: tide-remat @segments policy segments=2
// SEGMENTS-LOG:  ops recomputed: 2, extra FLOPs: 32
func.func @segments(%x: tensor<16xf32>, %w: tensor<16xf32> {tide.param}) -> tensor<f32> {
  %p = tide.add %x, %w : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %t1 = tide.tanh %p : tensor<16xf32>
  %t2 = tide.tanh %t1 : tensor<16xf32>
  %t3 = tide.tanh %t2 : tensor<16xf32>
  %t4 = tide.tanh %t3 : tensor<16xf32>
  %l = tide.reduce_sum %t4 axes = [0] : tensor<16xf32> -> tensor<f32>
  return %l : tensor<f32>
}
