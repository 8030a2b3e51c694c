func.func @checkpoint_nested(%x: tensor<8xf32>) {
  %0 = tide.checkpoint -> (tensor<8xf32>) {
    %a = tide.checkpoint -> (tensor<8xf32>) {
      %b = tide.relu %x : tensor<8xf32>
      tide.yield %b : tensor<8xf32>
    }
    tide.yield %a : tensor<8xf32>
  }
  return
}
