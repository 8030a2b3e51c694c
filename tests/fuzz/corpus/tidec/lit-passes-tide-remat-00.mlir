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
