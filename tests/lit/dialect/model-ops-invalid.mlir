// Every verifier rule of the ops real models are made of (elementwise extras, rms_norm, slice /
// concat / pad, gather, rope, dropout, the fused LM head loss) and of their gradient ops: one
// malformed use per case, each with its located message.
// RUN: tide-opt %s -split-input-file -verify-diagnostics

func.func @pow_exponent(%x: tensor<4xf32>) {
  // expected-error @+1 {{pow exponent must be finite as a 32-bit float (|x| <= 3.4e38), got 1.000000e+39}}
  %0 = tide.pow %x exponent = 1.0e39 : tensor<4xf32>
  return
}

// -----

func.func @clamp_order(%x: tensor<4xf32>) {
  // expected-error @+1 {{clamp min 1.000000e+00 must not exceed max -1.000000e+00 (as 32-bit floats)}}
  %0 = tide.clamp %x min = 1.0 max = -1.0 : tensor<4xf32>
  return
}

// -----

func.func @clamp_finite(%x: tensor<4xf32>) {
  // expected-error @+1 {{clamp min must be finite as a 32-bit float (|x| <= 3.4e38), got -1.000000e+39}}
  %0 = tide.clamp %x min = -1.0e39 max = 1.0 : tensor<4xf32>
  return
}

// -----

func.func @maximum_shapes(%x: tensor<4xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{operand shapes [4] and [3] are not broadcast-compatible (trailing dimensions must be equal or 1)}}
  %0 = tide.maximum %x, %y : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @rms_scale(%x: tensor<2x4xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{rms_norm scale shape [3] must equal the normalized shape [4]}}
  %0 = tide.rms_norm %x, %g axis = -1 epsilon = 1.0e-06 : tensor<2x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @rms_epsilon(%x: tensor<2x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{rms_norm epsilon must be positive and finite (as a 32-bit float), got 0.000000e+00}}
  %0 = tide.rms_norm %x, %g axis = -1 epsilon = 0.0 : tensor<2x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @rms_axis(%x: tensor<2x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{rms_norm axis 2 is out of range for a tensor of rank 2 (expected an axis in [-2, 2))}}
  %0 = tide.rms_norm %x, %g axis = 2 epsilon = 1.0e-06 : tensor<2x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @rms_grad_rstd(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %r: tensor<4xf32>) {
  // expected-error @+1 {{rstd 'tensor<4xf32>' must have the type of the row statistics 'tensor<2xf32>'}}
  %0:2 = tide.rms_norm_grad %x, %g, %r, %x axis = -1 : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @slice_count(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{slice start [0] has 1 entries but the input has rank 2}}
  %0 = tide.slice %x start = [0] sizes = [2, 4] : tensor<2x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{slice of dimension 1 (size 4) at start 2 with size 3 is out of bounds (need 0 <= start, 0 <= size, start + size <= 4)}}
  %0 = tide.slice %x start = [0, 2] sizes = [2, 3] : tensor<2x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_negative(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{slice of dimension 0 (size 2) at start -1 with size 1 is out of bounds (need 0 <= start, 0 <= size, start + size <= 2)}}
  %0 = tide.slice %x start = [-1, 0] sizes = [1, 4] : tensor<2x4xf32> -> tensor<1x4xf32>
  return
}

// -----

func.func @concat_dims(%x: tensor<2x4xf32>, %y: tensor<3x3xf32>) {
  // expected-error @+1 {{concat input #1 [3, 3] must match input #0 [2, 4] in every dimension but the axis 1}}
  %0 = tide.concat %x, %y axis = 1 : tensor<2x4xf32>, tensor<3x3xf32> -> tensor<2x7xf32>
  return
}

// -----

func.func @concat_types(%x: tensor<2x4xf32>, %y: tensor<2x4xf16>) {
  // expected-error @+1 {{input #0 and input #1 must have the same element type, got 'f32' and 'f16'}}
  %0 = tide.concat %x, %y axis = 1 : tensor<2x4xf32>, tensor<2x4xf16> -> tensor<2x8xf32>
  return
}

// -----

func.func @concat_axis(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{concat axis 2 is out of range for a tensor of rank 2 (expected an axis in [-2, 2))}}
  %0 = tide.concat %x axis = 2 : tensor<2x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @concat_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{concat inputs must have rank >= 1}}
  %0 = tide.concat %x axis = 0 : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @concat_none() {
  // expected-error @+1 {{expected non-function type}}
  %0 = tide.concat axis = 0 : -> tensor<2xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{pad of dimension 1 must be non-negative, got low -1 and high 0}}
  %0 = tide.pad %x low = [0, -1] high = [0, 0] value = 0.0 : tensor<2x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{pad low [0] has 1 entries but the input has rank 2}}
  %0 = tide.pad %x low = [0] high = [0, 0] value = 0.0 : tensor<2x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @pad_value(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{pad value must be finite as a 32-bit float (|x| <= 3.4e38), got 1.000000e+40}}
  %0 = tide.pad %x low = [0, 0] high = [0, 0] value = 1.0e40 : tensor<2x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @gather_table(%t: tensor<10xf32>, %ids: tensor<3xi32>) {
  // expected-error @+1 {{gather table must have rank 2 [rows, dim], got 'tensor<10xf32>'}}
  %0 = tide.gather %t, %ids : tensor<10xf32>, tensor<3xi32>
  return
}

// -----

func.func @gather_ids(%t: tensor<10x4xf32>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{'tide.gather' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<3xi64>'}}
  %0 = tide.gather %t, %ids : tensor<10x4xf32>, tensor<3xi64>
  return
}

// -----

// ids of rank 6 give a result of rank 7.
func.func @gather_rank(%t: tensor<10x4xf32>, %ids: tensor<1x1x1x1x1x1xi32>) {
  // expected-error @+1 {{result #0 has rank 7; at most 6 is supported, got 'tensor<1x1x1x1x1x1x4xf32>'}}
  %0 = tide.gather %t, %ids : tensor<10x4xf32>, tensor<1x1x1x1x1x1xi32>
  return
}

// -----

func.func @gather_grad_result(%ids: tensor<3xi32>, %dy: tensor<3x4xf32>) {
  // expected-error @+1 {{'tide.gather_grad' op result must be the table's type [rows, dim], got 'tensor<40xf32>'}}
  %0 = tide.gather_grad %ids, %dy : tensor<3xi32>, tensor<3x4xf32> -> tensor<40xf32>
  return
}

// -----

func.func @gather_grad_shape(%ids: tensor<3xi32>, %dy: tensor<3x5xf32>) {
  // expected-error @+1 {{'tide.gather_grad' op grad shape [3, 5] must be the ids' shape plus the table's dim [3, 4]}}
  %0 = tide.gather_grad %ids, %dy : tensor<3xi32>, tensor<3x5xf32> -> tensor<10x4xf32>
  return
}

// -----

func.func @rope_rank(%x: tensor<2x3x8xf32>) {
  // expected-error @+1 {{rope input must have rank 4 ([batch, seq, heads, head_dim] or [batch, heads, seq, head_dim]), got 'tensor<2x3x8xf32>'}}
  %0 = tide.rope %x bthd base = 10000.0 rot_dim = 8 offset = 0 : tensor<2x3x8xf32>
  return
}

// -----

func.func @rope_odd(%x: tensor<2x3x2x8xf32>) {
  // expected-error @+1 {{rope rot_dim must be even and in [2, head_dim = 8], got 5}}
  %0 = tide.rope %x bthd base = 10000.0 rot_dim = 5 offset = 0 : tensor<2x3x2x8xf32>
  return
}

// -----

func.func @rope_wide(%x: tensor<2x3x2x8xf32>) {
  // expected-error @+1 {{rope rot_dim must be even and in [2, head_dim = 8], got 10}}
  %0 = tide.rope %x bthd base = 10000.0 rot_dim = 10 offset = 0 : tensor<2x3x2x8xf32>
  return
}

// -----

func.func @rope_base(%x: tensor<2x3x2x8xf32>) {
  // expected-error @+1 {{rope base must be positive and finite, got 0.000000e+00}}
  %0 = tide.rope %x bthd base = 0.0 rot_dim = 8 offset = 0 : tensor<2x3x2x8xf32>
  return
}

// -----

func.func @rope_offset(%x: tensor<2x3x2x8xf32>) {
  // expected-error @+1 {{rope offset must be in [0, 2147483647], got -1}}
  %0 = tide.rope %x bthd base = 10000.0 rot_dim = 8 offset = -1 : tensor<2x3x2x8xf32>
  return
}

// -----

func.func @rope_layout(%x: tensor<2x3x2x8xf32>) {
  // expected-error @+1 {{custom op 'tide.rope' expected rope layout 'bthd' ([batch, seq, heads, head_dim]) or 'bhtd' ([batch, heads, seq, head_dim]), got 'tbhd'}}
  %0 = tide.rope %x tbhd base = 10000.0 rot_dim = 8 offset = 0 : tensor<2x3x2x8xf32>
  return
}

// -----

func.func @dropout_one(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout p must be in [0, 1) (as a 32-bit float), got 1.000000e+00}}
  %0 = tide.dropout %x p = 1.0 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @dropout_negative(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout p must be in [0, 1) (as a 32-bit float), got -1.000000e-01}}
  %0 = tide.dropout %x p = -0.1 site = 0 : tensor<4xf32>
  return
}

// -----

// 0.99999999 rounds to 1.0 as a 32-bit float: every element would be dropped.
func.func @dropout_rounds_to_one(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout p must be in [0, 1) (as a 32-bit float), got 1.000000e+00}}
  %0 = tide.dropout %x p = 0.99999999 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @dropout_site(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout site must be in [0, 4294967295], got 4294967296}}
  %0 = tide.dropout %x p = 0.1 site = 4294967296 : tensor<4xf32>
  return
}

// -----

// Two dropout ops with one site would draw the same mask; the second one reports.
func.func @dropout_twice(%x: tensor<4xf32>) {
  // expected-note @+1 {{the other tide.dropout with site 3}}
  %0 = tide.dropout %x p = 0.1 site = 3 : tensor<4xf32>
  // expected-error @+1 {{'tide.dropout' op site 3 is already used by another tide.dropout of this function; each dropout needs its own site (its random stream)}}
  %1 = tide.dropout %0 p = 0.2 site = 3 : tensor<4xf32>
  return
}

// -----

func.func @dropout_grad_p(%x: tensor<4xf32>) {
  // expected-error @+1 {{dropout_grad p must be in [0, 1) (as a 32-bit float), got 1.500000e+00}}
  %0 = tide.dropout_grad %x p = 1.5 site = 0 : tensor<4xf32>
  return
}

// -----

func.func @head_rank(%h: tensor<6xf32>, %w: tensor<7x4xf32>, %l: tensor<6xi32>) {
  // expected-error @+1 {{lm_head_loss hidden must be [rows, dim] and weight [vocab, dim], got 'tensor<6xf32>' and 'tensor<7x4xf32>'}}
  %0 = tide.lm_head_loss %h, %w, %l ignore_index = -100 chunks = [4, 4] : tensor<6xf32>, tensor<7x4xf32>, tensor<6xi32>
  return
}

// -----

func.func @head_dim(%h: tensor<6x5xf32>, %w: tensor<7x4xf32>, %l: tensor<6xi32>) {
  // expected-error @+1 {{lm_head_loss weight [7, 4] must have the hidden dim 5 ([vocab, dim])}}
  %0 = tide.lm_head_loss %h, %w, %l ignore_index = -100 chunks = [4, 4] : tensor<6x5xf32>, tensor<7x4xf32>, tensor<6xi32>
  return
}

// -----

func.func @head_labels(%h: tensor<6x4xf32>, %w: tensor<7x4xf32>, %l: tensor<5xi32>) {
  // expected-error @+1 {{lm_head_loss labels [5] must be [rows] = [6]}}
  %0 = tide.lm_head_loss %h, %w, %l ignore_index = -100 chunks = [4, 4] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<5xi32>
  return
}

// -----

func.func @head_bias(%h: tensor<6x4xf32>, %w: tensor<7x4xf32>, %l: tensor<6xi32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{lm_head_loss bias [6] must be [vocab] = [7]}}
  %0 = tide.lm_head_loss %h, %w, %l bias %b : tensor<6xf32> ignore_index = -100 chunks = [4, 4] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>
  return
}

// -----

func.func @head_ignore(%h: tensor<6x4xf32>, %w: tensor<7x4xf32>, %l: tensor<6xi32>) {
  // expected-error @+1 {{lm_head_loss ignore_index must be a 32-bit integer, got 2147483648}}
  %0 = tide.lm_head_loss %h, %w, %l ignore_index = 2147483648 chunks = [4, 4] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>
  return
}

// -----

func.func @head_chunk(%h: tensor<6x4xf32>, %w: tensor<7x4xf32>, %l: tensor<6xi32>) {
  // expected-error @+1 {{lm_head_loss chunks must be in [1, 2147483647], got [0, 4]}}
  %0 = tide.lm_head_loss %h, %w, %l ignore_index = -100 chunks = [0, 4] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>
  return
}

// -----

func.func @head_empty(%h: tensor<0x4xf32>, %w: tensor<7x4xf32>, %l: tensor<0xi32>) {
  // expected-error @+1 {{lm_head_loss needs rows, dim and vocab >= 1, got hidden [0, 4] and weight [7, 4]}}
  %0 = tide.lm_head_loss %h, %w, %l ignore_index = -100 chunks = [4, 4] : tensor<0x4xf32>, tensor<7x4xf32>, tensor<0xi32>
  return
}

// -----

func.func @head_grad_lse(%h: tensor<6x4xf32>, %w: tensor<7x4xf32>, %l: tensor<6xi32>, %lse: tensor<7xf32>, %g: tensor<f32>) {
  // expected-error @+1 {{lse 'tensor<7xf32>' must have the type of the [rows] row statistics 'tensor<6xf32>'}}
  %0:2 = tide.lm_head_loss_grad %h, %w, %l, %lse, %g ignore_index = -100 chunks = [4, 4] : tensor<6x4xf32>, tensor<7x4xf32>, tensor<6xi32>, tensor<7xf32>, tensor<f32>
  return
}

// -----

func.func @minmax_operand(%x: tensor<4xf32>) {
  // expected-error @+1 {{maximum_grad operand must be 0 (lhs) or 1 (rhs), got 2}}
  %0 = tide.maximum_grad %x, %x, %x operand = 2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @minmax_grad_shape(%x: tensor<4xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{grad 'tensor<3xf32>' must have the type of the broadcast result 'tensor<4xf32>'}}
  %0 = tide.minimum_grad %x, %x, %g operand = 0 : tensor<4xf32>, tensor<4xf32>, tensor<3xf32>
  return
}

// -----

func.func @pow_grad_exponent(%x: tensor<4xf32>) {
  // expected-error @+1 {{pow_grad exponent must be finite as a 32-bit float (|x| <= 3.4e38), got INF}}
  %0 = tide.pow_grad %x, %x exponent = 0x7FF0000000000000 : tensor<4xf32>
  return
}

// -----

func.func @clamp_grad_order(%x: tensor<4xf32>) {
  // expected-error @+1 {{clamp_grad min 2.000000e+00 must not exceed max 1.000000e+00 (as 32-bit floats)}}
  %0 = tide.clamp_grad %x, %x min = 2.0 max = 1.0 : tensor<4xf32>
  return
}
