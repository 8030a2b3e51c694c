// tide.dropout and tide.dropout_grad with p outside [0, 1): negative, 1 (keep nothing: the scale
// 1 / (1 - p) would be infinite), a NaN (written as its f64 bit pattern) and infinity. Each is a
// located error at the op; tidec reports the same before writing anything (model-ops.test).
// RUN: tide-opt %s -split-input-file -verify-diagnostics

func.func @negative(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout p must be in [0, 1) (as a 32-bit float), got -1.000000e-01}}
  %0 = tide.dropout %x p = -0.1 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @one(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout p must be in [0, 1) (as a 32-bit float), got 1.000000e+00}}
  %0 = tide.dropout %x p = 1.0 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @nan(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout p must be in [0, 1) (as a 32-bit float), got nan}}
  %0 = tide.dropout %x p = 0x7FF8000000000000 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @infinity(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout p must be in [0, 1) (as a 32-bit float), got INF}}
  %0 = tide.dropout %x p = 0x7FF0000000000000 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @grad_nan(%dy: tensor<4xf32>) {
  // expected-error @+1 {{dropout_grad p must be in [0, 1) (as a 32-bit float), got nan}}
  %0 = tide.dropout_grad %dy p = 0x7FF8000000000000 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @grad_one(%dy: tensor<4xf32>) {
  // expected-error @+1 {{dropout_grad p must be in [0, 1) (as a 32-bit float), got 1.000000e+00}}
  %0 = tide.dropout_grad %dy p = 1.0 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @grad_negative(%dy: tensor<4xf32>) {
  // expected-error @+1 {{dropout_grad p must be in [0, 1) (as a 32-bit float), got -1.000000e-01}}
  %0 = tide.dropout_grad %dy p = -0.1 site = 0 : tensor<4xf32>
  return
}
