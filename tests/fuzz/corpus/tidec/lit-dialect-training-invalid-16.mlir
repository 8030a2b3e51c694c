func.func @adam_betas(%w: tensor<4xf32>) {
  %0:3 = tide.adam_update %w, %w, %w, %w lr = 0.1 betas = [0.9, 1.0] epsilon = 1.0e-08 weight_decay = 0.0 : tensor<4xf32>
  return
}
