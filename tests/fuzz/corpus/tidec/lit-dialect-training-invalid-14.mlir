func.func @sgd_lr(%w: tensor<4xf32>) {
  %0 = tide.sgd_update %w, %w lr = 0.0 momentum = 0.0 weight_decay = 0.0 : tensor<4xf32>
  return
}
