// Rematerialization and liveness of grouped-query attention with a key-padding mask: 4 query
// heads share 2 key/value heads, inside one checkpoint region with the query projection.
// RUN: tide-opt %s -tide-autodiff=optimizer=sgd -tide-remat="policy=regions print-stats=true" 2>%t.regions | FileCheck %s --check-prefix=REGIONS
// RUN: FileCheck %s --check-prefix=REGIONS-LOG < %t.regions
// RUN: tide-opt %s -tide-autodiff=optimizer=sgd -tide-remat="policy=regions" -tide-schedule -tide-buffer-liveness="print=true" -tide-assign-arena -o /dev/null 2>&1 | FileCheck %s --check-prefix=LIVE

// Test 1 (regions): the backward reads the region's query projection and the attention's
// output and lse, so both ops are recomputed; the recomputed attention reads the same
// key_lengths argument (%arg1), and so does attention_grad. Extra FLOPs: the matmul
// 2 * 64 * 16 * 16 = 32768, plus attention per query head (B = 2, H = 4, causal Tq = Tk = 8:
// P = 8 * 9 / 2 = 36 pairs, D = 16): 2 * 4 * (4 * 36 * 16 + 5 * 36 + 8 * 16) = 20896. The cost
// counts query heads (the kv heads only read less) and pairs without padding (the lengths are
// data): 32768 + 20896 = 53664.
// REGIONS-LABEL: func.func @gqa
// REGIONS:      tide.attention %{{.*}}, %arg4, %arg5 key_lengths %arg1 : tensor<2xi32> causal {{.*}} with_lse {tide.checkpoint_region = 0 : i64}
// REGIONS:      %[[Q2:.*]] = tide.matmul %arg0, %arg3 {tide.checkpoint_region = 0 : i64, tide.recomputed}
// REGIONS-NEXT: %[[O2:.*]], %[[LSE2:.*]] = tide.attention %[[Q2]], %arg4, %arg5 key_lengths %arg1 : tensor<2xi32> causal {{.*}} tide.recomputed
// REGIONS:      tide.attention_grad %[[Q2]], %arg4, %arg5, %[[O2]], %[[LSE2]], %{{.*}} key_lengths %arg1 : tensor<2xi32> causal scale = 2.500000e-01 chunks = [4, 4] : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8xf32>
// REGIONS:      tide.sgd_update %arg4, %{{.*}} : tensor<2x2x8x16xf32>
// REGIONS-LOG:  tide-remat @gqa policy regions
// REGIONS-LOG:  ops recomputed: 2, extra FLOPs: 53664

// Test 2 (liveness): the key lengths are an 8-byte pinned input (2 x i32). The query-side values
// are [2, 4, 8, 16] floats = 4096 B and lse [2, 4, 8] = 256 B; the key and value gradients have
// the 2 kv heads: [2, 2, 8, 16] = 2048 B each, the group's query-head contributions summed.
// LIVE-LABEL:   tide-buffer-liveness @gqa
// LIVE:         %arg1: 8 B, group {{[0-9]+}} (pinned)
// LIVE:         %result: tide.attention 4096 B
// LIVE-NEXT:    %lse: tide.attention 256 B
// LIVE:         %result_0: tide.attention 4096 B
// LIVE-NEXT:    %lse_1: tide.attention 256 B
// LIVE:         %d_query: tide.attention_grad 4096 B
// LIVE-NEXT:    %d_key: tide.attention_grad 2048 B
// LIVE-NEXT:    %d_value: tide.attention_grad 2048 B
func.func @gqa(%x: tensor<2x4x8x16xf32>, %lengths: tensor<2xi32>, %t: tensor<2x4x8x16xf32>,
               %wq: tensor<16x16xf32> {tide.param}, %k: tensor<2x2x8x16xf32> {tide.param},
               %v: tensor<2x2x8x16xf32> {tide.param}) -> tensor<f32> {
  %c = tide.checkpoint -> (tensor<2x4x8x16xf32>) {
    %q = tide.matmul %x, %wq : (tensor<2x4x8x16xf32>, tensor<16x16xf32>) -> tensor<2x4x8x16xf32>
    %a = tide.attention %q, %k, %v key_lengths %lengths : tensor<2xi32> causal scale = 0.25
        chunks = [4, 4] : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>
    %g = tide.gelu %a tanh : tensor<2x4x8x16xf32>
    tide.yield %g : tensor<2x4x8x16xf32>
  }
  %l = tide.mse_loss %c, %t : tensor<2x4x8x16xf32>
  return %l : tensor<f32>
}
