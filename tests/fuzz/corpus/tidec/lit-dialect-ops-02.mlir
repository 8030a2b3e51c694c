func.func @unary(%x: tensor<8x16xf32>, %h: tensor<3xf16>) {
  %0 = tide.relu %x : tensor<8x16xf32>
  %1 = tide.tanh %x : tensor<8x16xf32>
  %2 = tide.exp %x : tensor<8x16xf32>
  %3 = tide.gelu %x tanh : tensor<8x16xf32>
  %4 = tide.gelu %x exact : tensor<8x16xf32>
  // The element type is generic: f16 verifies too.
  %5 = tide.relu %h : tensor<3xf16>
  return
}
