func.func @checkpoint_no_yield(%x: tensor<8xf32>) {
  %0 = "tide.checkpoint"() ({
    %a = tide.relu %x : tensor<8xf32>
  }) : () -> tensor<8xf32>
  return
}
