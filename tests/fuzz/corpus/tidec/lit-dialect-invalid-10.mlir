func.func @sub_result(%a: tensor<8x1xf32>, %b: tensor<16xf32>) {
  // [8, 1] and [16] broadcast to [8, 16], not [8, 1].
  %0 = tide.sub %a, %b : (tensor<8x1xf32>, tensor<16xf32>) -> tensor<8x1xf32>
  return
}
