// Test 5: layer_norm and attention switch to their training forms; e = o / h gives
//   do = de / h and dh = -(de / h) * e, and h collects four contributions (the division and
//   query, key, value of the attention) before layer_norm_grad.
// GRAD-LABEL: func.func @norm_attention
// GRAD:      %[[H:.*]], %[[STATS:.*]]:2 = tide.layer_norm %arg0, %arg1, %arg2 axis = -1 epsilon = 1.000000e-05 with_stats
// GRAD-NEXT: %[[O:.*]], %[[LSE:.*]] = tide.attention %[[H]], %[[H]], %[[H]] causal scale = 2.500000e-01 chunks = [2, 2] with_lse
// GRAD-NEXT: %[[E:.*]] = tide.div %[[O]], %[[H]]
// GRAD:      %[[DO:.*]] = tide.div %{{.*}}, %[[H]]
// GRAD-NEXT: %[[T:.*]] = tide.mul %[[DO]], %[[E]]
// GRAD-NEXT: %[[DH0:.*]] = tide.scale %[[T]] by -1.000000e+00
// GRAD-NEXT: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = tide.attention_grad %[[H]], %[[H]], %[[H]], %[[O]], %[[LSE]], %[[DO]] causal scale = 2.500000e-01 chunks = [2, 2]
// GRAD-NEXT: %[[DH1:.*]] = tide.add %[[DH0]], %[[DQ]]
// GRAD-NEXT: %[[DH2:.*]] = tide.add %[[DH1]], %[[DK]]
// GRAD-NEXT: %[[DH:.*]] = tide.add %[[DH2]], %[[DV]]
// GRAD-NEXT: %{{.*}}, %[[DG:.*]], %[[DBETA:.*]] = tide.layer_norm_grad %arg0, %arg1, %[[STATS]]#0, %[[STATS]]#1, %[[DH]] axis = -1
// GRAD-NEXT: return %{{.*}}, %[[DG]], %[[DBETA]]
func.func @norm_attention(%x: tensor<1x2x4x8xf32>, %g: tensor<8xf32> {tide.param},
                          %bias: tensor<8xf32> {tide.param}) -> tensor<f32> {
  %h = tide.layer_norm %x, %g, %bias axis = -1 epsilon = 1.0e-05 : tensor<1x2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %o = tide.attention %h, %h, %h causal scale = 0.25 chunks = [2, 2] : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
  %e = tide.div %o, %h : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %l = tide.reduce_sum %e axes = [0, 1, 2, 3] : tensor<1x2x4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
