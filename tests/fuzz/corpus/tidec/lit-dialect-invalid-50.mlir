func.func @param_integer(%w: tensor<8xi32> {tide.param}) {
  return
}
