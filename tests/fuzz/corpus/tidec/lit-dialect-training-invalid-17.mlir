func.func @adam_epsilon(%w: tensor<4xf32>) {
  %0:3 = tide.adam_update %w, %w, %w, %w lr = 0.1 betas = [0.9, 0.999] epsilon = 0.0 weight_decay = 0.0 : tensor<4xf32>
  return
}
