func.func @sgd_velocity(%w: tensor<4xf32>) {
  %0 = tide.sgd_update %w, %w lr = 0.1 momentum = 0.9 weight_decay = 0.0 : tensor<4xf32>
  return
}
