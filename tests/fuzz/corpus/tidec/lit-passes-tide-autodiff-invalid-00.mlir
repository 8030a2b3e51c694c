// OPT: tide-autodiff: unknown optimizer 'rmsprop'; expected sgd, adam or none

func.func @not_scalar(%w: tensor<4xf32> {tide.param}) -> tensor<4xf32> {
  %r = tide.relu %w : tensor<4xf32>
  return %r : tensor<4xf32>
}
