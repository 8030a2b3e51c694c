// Rematerialization and liveness of graphs with the selection ops: tide.split (a q/k/v split of
// one projection, the v piece unused), tide.where (a broadcast mask), tide.reduce_max (a
// max-subtraction) and tide.cast (a quantize round trip). Several functions, so the passes run without threads: their reports come out
// in function order.
// RUN: tide-opt %s -mlir-disable-threading -tide-autodiff=optimizer=sgd -tide-remat="policy=regions print-stats=true" 2>%t.regions | FileCheck %s --check-prefix=REGIONS
// RUN: FileCheck %s --check-prefix=REGIONS-LOG < %t.regions
// RUN: tide-opt %s -mlir-disable-threading -tide-autodiff=optimizer=sgd -tide-remat="policy=none print-stats=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: tide-opt %s -mlir-disable-threading -tide-autodiff=optimizer=sgd -tide-remat="policy=regions" -tide-schedule -tide-buffer-liveness="print=true" -tide-assign-arena -o /dev/null 2>&1 | FileCheck %s --check-prefix=LIVE

// Test 1 (regions): the backward of the region reads q and k (the mul's gradient) and q * k
// (tanh_grad's input). The region is recomputed from its inputs: the matmul (2 * 2 * 12 * 4 =
// 192 FLOPs), the split (0: data movement) and the mul (8): 3 ops, 200 extra FLOPs. The split's
// backward concatenates dq, dk and, for the unused v, a tide.fill of zeros of its [2, 4] shape.
// REGIONS-LABEL: func.func @qkv
// REGIONS:      %[[P:.*]] = tide.matmul %arg0, %arg2 {tide.checkpoint_region = 0 : i64}
// REGIONS-NEXT: tide.split %[[P]] axis = 1 sizes = [4, 4, 4] {tide.checkpoint_region = 0 : i64}
// REGIONS:      %[[P2:.*]] = tide.matmul %arg0, %arg2 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: %[[S2:.*]]:3 = tide.split %[[P2]] axis = 1 sizes = [4, 4, 4] {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: tide.mul %[[S2]]#0, %[[S2]]#1 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS:      %[[DK:.*]] = tide.mul %{{.*}}, %[[S2]]#1 :
// REGIONS-NEXT: %[[DQ:.*]] = tide.mul %{{.*}}, %[[S2]]#0 :
// REGIONS-NEXT: %[[DV:.*]] = tide.fill 0.000000e+00 : tensor<2x4xf32>
// REGIONS-NEXT: %[[DP:.*]] = tide.concat %[[DK]], %[[DQ]], %[[DV]] axis = 1 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x12xf32>
// REGIONS-NEXT: tide.matmul %arg0, %[[DP]] transpose_lhs
// REGIONS-LOG:  tide-remat @qkv policy regions
// REGIONS-LOG:  ops recomputed: 3, extra FLOPs: 200
// REGIONS-LOG:  arena (greedy-size): 416 -> 352 B
// NONE:         tide-remat @qkv policy none
// NONE:         values kept: 4 (128 B)
// NONE:         ops recomputed: 0, extra FLOPs: 0

// Test 2 (liveness of the regions plan): each split result is its own 32 B buffer (2 x 4
// floats), written by the one Split step; the unused v (%1#2, %8#2) lives only at that step,
// [s, s + 1). The forward mul and tanh run in place over q, and the 96 B projection dies at the
// split. LOAD is 288 B: at the backward matmul, dP (96 B) and dW (192 B).
// LIVE-LABEL:   tide-buffer-liveness @qkv: 24 values, 17 steps, 14 arena buffers, LOAD 288 B
// LIVE:         %1#0: tide.split 32 B, group [[Q:[0-9]+]]
// LIVE-NEXT:    %1#1: tide.split 32 B, group {{[0-9]+}}
// LIVE-NEXT:    %1#2: tide.split 32 B, group [[V:[0-9]+]]
// LIVE-NEXT:    %2: tide.mul 32 B, group [[Q]], in place over %1#0
// LIVE-NEXT:    %3: tide.tanh 32 B, group [[Q]], in place over %2
// LIVE:         %13: tide.fill 32 B
// LIVE-NEXT:    %14: tide.concat 96 B
// LIVE:         group 3: [0, 2) 96 B: %0
// LIVE:         group [[V]]: [1, 2) 32 B: %1#2
// LIVE:         [8, 9) 32 B: %8#2
func.func @qkv(%x: tensor<2x4xf32>, %t: tensor<2x4xf32>, %w: tensor<4x12xf32> {tide.param})
    -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<2x4xf32>) {
    %p = tide.matmul %x, %w : (tensor<2x4xf32>, tensor<4x12xf32>) -> tensor<2x12xf32>
    %q, %k, %v = tide.split %p axis = 1 sizes = [4, 4, 4]
        : tensor<2x12xf32> -> tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
    %qk = tide.mul %q, %k : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
    %g = tide.tanh %qk : tensor<2x4xf32>
    tide.yield %g : tensor<2x4xf32>
  }
  %l = tide.mse_loss %h, %t : tensor<2x4xf32>
  return %l : tensor<f32>
}

// Test 3 (regions, where): a padding-style mask [2, 1, 4] broadcast over [2, 3, 4] scores, the
// "else" side a [3, 1] parameter. tanh_grad reads the where's output inside the region, so the
// mul (24) and the where (24 selects) are recomputed: 2 ops, 48 extra FLOPs. The where's
// backward reads only the mask (an input) and dY, so it keeps nothing: dA = where(m, dY, 0) and
// dB = where(m, 0, dY) with one 0-d zero (4 B), each summed to its parameter's shape.
// REGIONS-LABEL: func.func @masked
// REGIONS:      %[[S2:.*]] = tide.mul %arg1, %arg3 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: %[[W2:.*]] = tide.where %arg0, %[[S2]], %arg4 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: %[[DW:.*]] = tide.tanh_grad %[[W2]], %{{.*}} : tensor<2x3x4xf32>
// REGIONS-NEXT: %[[ZERO:.*]] = tide.fill 0.000000e+00 : tensor<f32>
// REGIONS-NEXT: %[[DS:.*]] = tide.where %arg0, %[[DW]], %[[ZERO]] : (tensor<2x1x4xi32>, tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
// REGIONS-NEXT: %[[DB:.*]] = tide.where %arg0, %[[ZERO]], %[[DW]] : (tensor<2x1x4xi32>, tensor<f32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// REGIONS-NEXT: tide.reduce_to_shape %[[DB]] : tensor<2x3x4xf32> -> tensor<3x1xf32>
// REGIONS-LOG:  tide-remat @masked policy regions
// REGIONS-LOG:  ops recomputed: 2, extra FLOPs: 48
// NONE:         tide-remat @masked policy none
// NONE:         ops recomputed: 0, extra FLOPs: 0

// Test 4 (liveness, where): every where result is a 96 B buffer ([2, 3, 4] floats); the forward
// tanh runs in place over the where's output, and the two masked gradients live side by side
// ([10, 16) and [11, 13)). The 0-d zero is one 4 B buffer shared by both. LOAD 292 B.
// LIVE-LABEL:   tide-buffer-liveness @masked: 22 values, 17 steps, 11 arena buffers, LOAD 292 B
// LIVE:         %1: tide.where 96 B, group [[W:[0-9]+]]
// LIVE-NEXT:    %2: tide.tanh 96 B, group [[W]], in place over %1
// LIVE:         %9: tide.fill 4 B, group [[Z:[0-9]+]]
// LIVE-NEXT:    %10: tide.where 96 B
// LIVE-NEXT:    %11: tide.where 96 B
// LIVE:         group [[Z]]: [9, 12) 4 B: %9
func.func @masked(%m: tensor<2x1x4xi32>, %x: tensor<2x3x4xf32>, %t: tensor<2x3x4xf32>,
                  %a: tensor<4xf32> {tide.param}, %b: tensor<3x1xf32> {tide.param}) -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<2x3x4xf32>) {
    %s = tide.mul %x, %a : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
    %w = tide.where %m, %s, %b : (tensor<2x1x4xi32>, tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
    %g = tide.tanh %w : tensor<2x3x4xf32>
    tide.yield %g : tensor<2x3x4xf32>
  }
  %l = tide.mse_loss %h, %t : tensor<2x3x4xf32>
  return %l : tensor<f32>
}

// Test 5 (regions, reduce_max): the max-subtraction of a stable softmax. reduce_max_grad re-finds
// each row's first maximum in the forward INPUT (the projection %p), and exp's backward reads its
// output (the region's result, kept anyway): so the region recomputes only the matmul
// (2 * 3 * 6 * 6 = 216 FLOPs), right before reduce_max_grad; the max itself (3 floats) is not
// needed by the backward at all. The gradient of the max's output (-sum of d(exp) per row)
// reaches reduce_max_grad through reduce_to_shape and is added to the direct path.
// REGIONS-LABEL: func.func @maxnorm
// REGIONS:      tide.reduce_max %{{.*}} axis = 1 keep_dims {tide.checkpoint_region = 0 : i64} : tensor<3x6xf32> -> tensor<3x1xf32>
// REGIONS:      %[[DM:.*]] = tide.reduce_to_shape %{{.*}} : tensor<3x6xf32> -> tensor<3x1xf32>
// REGIONS-NEXT: %[[P2:.*]] = tide.matmul %arg0, %arg2 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: %[[DP:.*]] = tide.reduce_max_grad %[[P2]], %[[DM]] axis = 1 keep_dims : tensor<3x6xf32>, tensor<3x1xf32>
// REGIONS-NEXT: tide.add %{{.*}}, %[[DP]]
// REGIONS-LOG:  tide-remat @maxnorm policy regions
// REGIONS-LOG:  ops recomputed: 1, extra FLOPs: 216
// NONE:         tide-remat @maxnorm policy none
// NONE:         ops recomputed: 0, extra FLOPs: 0

// Test 6 (liveness, reduce_max): the row maxima are one 12 B buffer (3 floats) living from the
// max to the subtraction, [1, 3); the sub and exp run in place over the projection; the
// recomputed projection (72 B) dies at reduce_max_grad, [10, 12). LOAD 228 B.
// LIVE-LABEL:   tide-buffer-liveness @maxnorm: 18 values, 15 steps, 9 arena buffers, LOAD 228 B
// LIVE:         %1: tide.reduce_max 12 B, group [[M:[0-9]+]]
// LIVE-NEXT:    %2: tide.sub 72 B, group [[P:[0-9]+]], in place over %0
// LIVE-NEXT:    %3: tide.exp 72 B, group [[P]], in place over %2
// LIVE:         %11: tide.reduce_max_grad 72 B
// LIVE:         group [[M]]: [1, 3) 12 B: %1
// LIVE:         [10, 12) 72 B: %10
func.func @maxnorm(%x: tensor<3x6xf32>, %t: tensor<3x6xf32>, %w: tensor<6x6xf32> {tide.param})
    -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<3x6xf32>) {
    %p = tide.matmul %x, %w : (tensor<3x6xf32>, tensor<6x6xf32>) -> tensor<3x6xf32>
    %m = tide.reduce_max %p axis = 1 keep_dims : tensor<3x6xf32> -> tensor<3x1xf32>
    %c = tide.sub %p, %m : (tensor<3x6xf32>, tensor<3x1xf32>) -> tensor<3x6xf32>
    %e = tide.exp %c : tensor<3x6xf32>
    tide.yield %e : tensor<3x6xf32>
  }
  %l = tide.mse_loss %h, %t : tensor<3x6xf32>
  return %l : tensor<f32>
}

// Test 7 (regions, cast): a quantize-dequantize round trip, m = s * dequant(quant(s)). Only the
// direct path of s carries a gradient (dS = dM * b): the casts carry none, and since an i32 value
// never needs a gradient, no backward op is emitted for b at all. The backward reads b, so the
// region recomputes s and both casts: 3 ops, 8 + 8 + 8 = 24 extra FLOPs (a conversion counts
// one per element).
// REGIONS-LABEL: func.func @quantize
// REGIONS:      %[[S2:.*]] = tide.mul %arg0, %arg2 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: %[[Q2:.*]] = tide.cast %[[S2]] {tide.checkpoint_region = 0 : i64, tide.recomputed} : tensor<2x4xf32> -> tensor<2x4xi32>
// REGIONS-NEXT: %[[B2:.*]] = tide.cast %[[Q2]] {tide.checkpoint_region = 0 : i64, tide.recomputed} : tensor<2x4xi32> -> tensor<2x4xf32>
// REGIONS-NEXT: %[[DS:.*]] = tide.mul %{{.*}}, %[[B2]] :
// REGIONS-NEXT: tide.mul %[[DS]], %arg0 :
// REGIONS-NEXT: tide.reduce_to_shape
// REGIONS-LOG:  tide-remat @quantize policy regions
// REGIONS-LOG:  ops recomputed: 3, extra FLOPs: 24
// NONE:         tide-remat @quantize policy none
// NONE:         ops recomputed: 0, extra FLOPs: 0

// Test 8 (liveness, cast): the i32 value is a 32 B arena buffer like any other (2 x 4 x 4 B),
// living from its cast to the cast back, [1, 3) and, recomputed, [8, 10). LOAD 96 B.
// LIVE-LABEL:   tide-buffer-liveness @quantize: 17 values, 14 steps, 9 arena buffers, LOAD 96 B
// LIVE:         %1: tide.cast 32 B, group [[Q:[0-9]+]]
// LIVE:         %8: tide.cast 32 B, group [[Q2:[0-9]+]]
// LIVE:         group [[Q]]: [1, 3) 32 B: %1
// LIVE:         group [[Q2]]: [8, 10) 32 B: %8
func.func @quantize(%x: tensor<2x4xf32>, %t: tensor<2x4xf32>, %w: tensor<4xf32> {tide.param})
    -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<2x4xf32>) {
    %s = tide.mul %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %q = tide.cast %s : tensor<2x4xf32> -> tensor<2x4xi32>
    %b = tide.cast %q : tensor<2x4xi32> -> tensor<2x4xf32>
    %m = tide.mul %s, %b : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
    tide.yield %m : tensor<2x4xf32>
  }
  %l = tide.mse_loss %h, %t : tensor<2x4xf32>
  return %l : tensor<f32>
}
