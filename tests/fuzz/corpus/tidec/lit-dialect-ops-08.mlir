func.func @checkpoint(%x: tensor<8x16xf32>, %w: tensor<16x16xf32> {tide.param}) -> tensor<8x16xf32> {
  %r:2 = tide.checkpoint -> (tensor<8x16xf32>, tensor<8x16xf32>) {
    %a = tide.matmul %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
    %b = tide.gelu %a tanh : tensor<8x16xf32>
    tide.yield %a, %b : tensor<8x16xf32>, tensor<8x16xf32>
  }
  // A region with no results.
  tide.checkpoint {
    tide.yield
  }
  %s = tide.add %r#0, %r#1 : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  return %s : tensor<8x16xf32>
}
