func.func @fill_dynamic() {
  %0 = tide.fill 1.0 : tensor<?xf32>
  return
}
