func.func @f(%x: tensor<1x1x1x1x1x1x2xf32>) -> tensor<1x1x1x1x1x1x2xf32> {
  %y = tide.relu %x : tensor<1x1x1x1x1x1x2xf32>
  return %y : tensor<1x1x1x1x1x1x2xf32>
}
