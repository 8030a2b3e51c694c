func.func @sgd_no_momentum(%w: tensor<4xf32>) {
  %0:2 = tide.sgd_update %w, %w velocity %w : tensor<4xf32> lr = 0.1 momentum = 0.0 weight_decay = 0.0 : tensor<4xf32>
  return
}
