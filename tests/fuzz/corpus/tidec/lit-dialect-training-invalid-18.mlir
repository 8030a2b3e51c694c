func.func @adam_state_types(%w: tensor<4xf32>, %m: tensor<5xf32>) {
  %0:3 = "tide.adam_update"(%w, %w, %m, %w) {learning_rate = 0.1 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-8 : f64, weight_decay = 0.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<5xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}
