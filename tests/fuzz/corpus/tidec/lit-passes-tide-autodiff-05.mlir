// Test 6: updates are emitted as soon as a gradient is complete: b2's update comes before any
// gradient of the first layer is computed (w1's gradient needs the second layer's backward).
// SGD-LABEL: func.func @two_layers
// SGD:      tide.softmax_cross_entropy_grad
// SGD-NEXT: %[[DB2:.*]] = tide.reduce_to_shape
// SGD-NEXT: tide.sgd_update %arg5, %[[DB2]]
// SGD:      tide.relu_grad
// SGD:      tide.sgd_update %arg2,
// SGD-NEXT: return
func.func @two_layers(%x: tensor<32x64xf32>, %labels: tensor<32xi32>,
                      %w1: tensor<64x128xf32> {tide.param}, %b1: tensor<128xf32> {tide.param},
                      %w2: tensor<128x10xf32> {tide.param}, %b2: tensor<10xf32> {tide.param})
    -> tensor<f32> {
  %h0 = tide.matmul %x, %w1 : (tensor<32x64xf32>, tensor<64x128xf32>) -> tensor<32x128xf32>
  %h1 = tide.add %h0, %b1 : (tensor<32x128xf32>, tensor<128xf32>) -> tensor<32x128xf32>
  %h = tide.relu %h1 : tensor<32x128xf32>
  %l0 = tide.matmul %h, %w2 : (tensor<32x128xf32>, tensor<128x10xf32>) -> tensor<32x10xf32>
  %logits = tide.add %l0, %b2 : (tensor<32x10xf32>, tensor<10xf32>) -> tensor<32x10xf32>
  %loss = tide.softmax_cross_entropy %logits, %labels : tensor<32x10xf32>, tensor<32xi32>
  return %loss : tensor<f32>
}
