// Round trip of the gradient and optimizer ops, and of the training forms of layer_norm
// (with_stats) and attention (with_lse).

func.func @activations(%x: tensor<8x16xf32>, %dy: tensor<8x16xf32>) {
  %0 = tide.relu_grad %x, %dy : tensor<8x16xf32>
  %1 = tide.tanh_grad %x, %dy : tensor<8x16xf32>
  %2 = tide.gelu_grad %x, %dy tanh : tensor<8x16xf32>
  %3 = tide.gelu_grad %x, %dy exact : tensor<8x16xf32>
  %4 = tide.softmax_grad %x, %dy axis = -1 : tensor<8x16xf32>
  return
}
