func.func @f(%q: tensor<1x1x8x4xf32>, %k: tensor<1x1x8x4xf32>, %v: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  %o = tide.attention %q, %k, %v scale = 0.5 chunks = [1099511627776, 8] : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}
