func.func @sgd_decay(%w: tensor<4xf32>) {
  %0 = tide.sgd_update %w, %w lr = 0.1 momentum = 0.0 weight_decay = -1.0 : tensor<4xf32>
  return
}
