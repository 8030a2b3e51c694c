func.func @binary(%x: tensor<8x16xf32>, %row: tensor<16xf32>, %col: tensor<8x1xf32>,
                  %s: tensor<f32>, %y: tensor<2x1x16xf32>) {
  %0 = tide.add %x, %x : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %1 = tide.sub %x, %row : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  %2 = tide.mul %col, %x : (tensor<8x1xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %3 = tide.div %x, %s : (tensor<8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
  // Both operands broadcast: [2, 1, 16] with [8, 1] gives [2, 8, 16].
  %4 = tide.add %y, %col : (tensor<2x1x16xf32>, tensor<8x1xf32>) -> tensor<2x8x16xf32>
  return
}
