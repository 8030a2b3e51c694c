func.func @param_misspelled(%w: tensor<8xf32> {tide.parameter}) {
  return
}
