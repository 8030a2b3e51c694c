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
