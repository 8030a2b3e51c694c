func.func @yield_outside(%x: tensor<8xf32>) {
  tide.yield %x : tensor<8xf32>
}
