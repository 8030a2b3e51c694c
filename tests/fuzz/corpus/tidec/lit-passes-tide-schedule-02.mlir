// Test 3: a state update waits for every other reader of its parameter. Greedy would run the
// update (it frees the gradient) before the matmul that still reads %w, which the runtime would
// then see already overwritten: the constraint keeps the matmul first.
func.func @update_last(%x: tensor<4x4xf32>, %w: tensor<4x4xf32> {tide.param}, %g: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32> {tide.updates = 1 : i64}) attributes {tide.optimizer = "sgd"} {
  %y = tide.matmul %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %d = tide.relu %g : tensor<4x4xf32>
  %w1 = tide.sgd_update %w, %d lr = 0.1 momentum = 0.0 weight_decay = 0.0 : tensor<4x4xf32>
  return %y, %w1 : tensor<4x4xf32>, tensor<4x4xf32>
}
