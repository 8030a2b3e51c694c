func.func @optimizers(%w: tensor<16x4xf32>, %dw: tensor<16x4xf32>, %v: tensor<16x4xf32>) {
  %0 = tide.sgd_update %w, %dw lr = 0.01 momentum = 0.0 weight_decay = 0.0 : tensor<16x4xf32>
  %1, %2 = tide.sgd_update %w, %dw velocity %v : tensor<16x4xf32> lr = 0.01 momentum = 0.9 weight_decay = 1.0e-04 : tensor<16x4xf32>
  %3, %4, %5 = tide.adam_update %w, %dw, %v, %v lr = 1.0e-03 betas = [0.9, 0.999] epsilon = 1.0e-08 weight_decay = 0.0 : tensor<16x4xf32>
  return
}
