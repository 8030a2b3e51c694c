// tide-autodiff with global-norm clipping, AdamW and the warm-up + cosine schedule, and the
// liveness of what clipping adds.
// RUN: tide-opt %s -tide-autodiff="optimizer=adamw lr=0.01 weight-decay=0.1 clip-grad-norm=0.5 lr-schedule=cosine warmup-steps=2 total-steps=10 min-lr=0.001" | FileCheck %s
// RUN: tide-opt %s -tide-autodiff="optimizer=adamw lr=0.01 weight-decay=0.1 clip-grad-norm=0.5" -tide-schedule -tide-buffer-liveness="print=true" -tide-assign-arena -o /dev/null 2>&1 | FileCheck %s --check-prefix=LIVE
// RUN: not tide-opt %s -tide-autodiff="optimizer=sgd clip-grad-norm=-1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADCLIP
// RUN: not tide-opt %s -tide-autodiff="optimizer=sgd lr-schedule=cosine warmup-steps=3 total-steps=3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADSCHED
// RUN: not tide-opt %s -tide-autodiff="optimizer=sgd lr=0.1 lr-schedule=cosine total-steps=3 min-lr=0.2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADMIN
// RUN: not tide-opt %s -tide-autodiff="optimizer=sgd lr-schedule=step" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADKIND

// Test 1: with clipping no update is emitted during the backward: both gradients complete
// first, then the squared global norm is chained over them in parameter order (w, then b), the
// factor min(1, 0.5 / (norm + 1e-6)) computed once, and each gradient multiplied by it right
// before its decoupled (AdamW) update, which carries the schedule.
// CHECK-LABEL: func.func @f
// CHECK-SAME:  tide.optimizer = "adamw"
// CHECK:       %[[DB:.*]] = tide.reduce_to_shape
// CHECK-NEXT:  %[[DW:.*]] = tide.matmul %arg0, %{{.*}} transpose_lhs
// CHECK-NEXT:  %[[S0:.*]] = tide.sum_squares %[[DW]] : tensor<8x2xf32>
// CHECK-NEXT:  %[[S1:.*]] = tide.sum_squares %[[DB]] plus %[[S0]] : tensor<f32> : tensor<2xf32>
// CHECK-NEXT:  %[[C:.*]] = tide.clip_coefficient %[[S1]] max_norm = 5.000000e-01 : tensor<f32>
// CHECK-NEXT:  %[[GW:.*]] = tide.mul %[[DW]], %[[C]] : (tensor<8x2xf32>, tensor<f32>) -> tensor<8x2xf32>
// CHECK-NEXT:  tide.adam_update %arg1, %[[GW]], %arg4, %arg5 {{.*}} weight_decay = 1.000000e-01 decoupled cosine warmup = 2 total = 10 min_lr = 1.000000e-03 : tensor<8x2xf32>
// CHECK-NEXT:  %[[GB:.*]] = tide.mul %[[DB]], %[[C]] : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
// CHECK-NEXT:  tide.adam_update %arg2, %[[GB]], %arg6, %arg7 {{.*}} decoupled cosine warmup = 2 total = 10 min_lr = 1.000000e-03 : tensor<2xf32>

// Test 2 (liveness): the norm chain and the factor are 4-byte values in the arena like any
// other (nothing hidden), and each scaled gradient reuses its gradient's bytes in place. The
// bias gradient (8 B) now lives from its definition (step 5) to its update (step 13).
// LIVE-LABEL:  tide-buffer-liveness @f
// LIVE:        %5: tide.reduce_to_shape 8 B, group [[GB:[0-9]+]]
// LIVE:        %6: tide.matmul 64 B, group [[GW:[0-9]+]]
// LIVE-NEXT:   %7: tide.sum_squares 4 B, group {{[0-9]+}}
// LIVE-NEXT:   %8: tide.sum_squares 4 B, group {{[0-9]+}}
// LIVE-NEXT:   %9: tide.clip_coefficient 4 B, group {{[0-9]+}}
// LIVE-NEXT:   %10: tide.mul 64 B, group [[GW]], in place over %6
// LIVE:        %11: tide.mul 8 B, group [[GB]], in place over %5
// LIVE:        group [[GB]]: [5, 14) 8 B: %5 %11

// BADCLIP: tide-autodiff: clip-grad-norm must be finite and > 0 (0: off), got -1.000000e+00
// BADSCHED: tide-autodiff: the cosine schedule needs 0 <= warmup-steps < total-steps, got 3 and 3
// BADMIN: tide-autodiff: min-lr must be in [0, lr], got 2.000000e-01
// BADKIND: tide-autodiff: unknown lr-schedule 'step'; expected constant or cosine
func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x2xf32> {tide.param}, %b: tensor<2xf32> {tide.param},
             %t: tensor<4x2xf32>) -> tensor<f32> {
  %y0 = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %y = tide.add %y0, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = tide.mse_loss %y, %t : tensor<4x2xf32>
  return %l : tensor<f32>
}
