// Every verifier rule of the gradient and optimizer ops, one malformed use per case.

func.func @relu_grad_types(%x: tensor<8xf32>, %dy: tensor<4xf32>) {
  %0 = "tide.relu_grad"(%x, %dy) : (tensor<8xf32>, tensor<4xf32>) -> tensor<8xf32>
  return
}
