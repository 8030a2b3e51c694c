func.func @reshape_dynamic(%x: tensor<?x8xf32>) {
  %0 = tide.reshape %x : tensor<?x8xf32> -> tensor<16xf32>
  return
}
