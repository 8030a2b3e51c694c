func.func @checkpoint_types(%x: tensor<8xf32>) {
  %0 = tide.checkpoint -> (tensor<4xf32>) {
    %a = tide.relu %x : tensor<8xf32>
    tide.yield %a : tensor<8xf32>
  }
  return
}
