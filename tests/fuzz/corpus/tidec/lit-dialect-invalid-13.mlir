func.func @tanh_dynamic(%a: tensor<?xf32>) {
  %0 = tide.tanh %a : tensor<?xf32>
  return
}
