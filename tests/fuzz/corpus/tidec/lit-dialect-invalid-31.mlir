func.func @reshape_element_type(%x: tensor<2x8xf32>) {
  %0 = tide.reshape %x : tensor<2x8xf32> -> tensor<16xf16>
  return
}
