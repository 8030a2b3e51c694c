func.func @checkpoint_left(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tide.checkpoint -> (tensor<4xf32>) {
    %a = tide.relu %x : tensor<4xf32>
    tide.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
