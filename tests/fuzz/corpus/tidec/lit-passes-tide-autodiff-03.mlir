// Test 4: a checkpoint region is inlined and its ops tagged; reduce_mean over 32 elements scales
// the seed by 1/32 = 0.03125; a parameter the loss never reads gets a zero gradient.
// GRAD-LABEL: func.func @checkpointed
// GRAD-NOT:  tide.checkpoint ->
// GRAD:      %[[A:.*]] = tide.matmul %arg0, %arg1 {tide.checkpoint_region = 0 : i64}
// GRAD-NEXT: tide.gelu %[[A]] exact {tide.checkpoint_region = 0 : i64}
// GRAD:      tide.scale %{{.*}} by 3.125000e-02 : tensor<1x1xf32>
// GRAD:      tide.gelu_grad %[[A]], %{{.*}} exact
// GRAD:      %[[ZERO:.*]] = tide.fill 0.000000e+00 : tensor<8xf32>
// GRAD-NEXT: return %{{.*}}, %{{.*}}, %[[ZERO]]
func.func @checkpointed(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tide.param},
                        %unused: tensor<8xf32> {tide.param}) -> tensor<f32> {
  %h = tide.checkpoint -> (tensor<4x8xf32>) {
    %a = tide.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    %g = tide.gelu %a exact : tensor<4x8xf32>
    tide.yield %g : tensor<4x8xf32>
  }
  %l = tide.reduce_mean %h axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
