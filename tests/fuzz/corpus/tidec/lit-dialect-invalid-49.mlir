func.func @param_not_unit(%w: tensor<8xf32> {tide.param = 1}) {
  return
}
