"""End-to-end check of the ONNX importer: models exported by torch.onnx.export (PyTorch 1.13) from
the modules below are compiled by `tidec MODEL.onnx` into inference plans, run by
`tide-run --inputs --save-outputs` on fixed inputs, and compared to PyTorch's forward:
relative error rel(a, b) = max|a - b| / max(max|b|, FLOOR) <= 1e-5 per output (b = PyTorch,
FLOOR = 1e-3).

  * mlp: Linear(16, 32) - ReLU - Linear(32, 4), batch 8, opset 13 (Gemm with transB), and the
    same module exported at opset 17 with a symbolic batch, fixed by --input-shape x=8x16
    (without it tidec must refuse, naming the dimension). `tide-import-onnx --weights-out`
    writes every initializer under its state_dict name, bit for bit.
  * parts: the simple parts of a transformer at opset 13: token embedding (Gather on int64 ids),
    the decomposed LayerNorm (ReduceMean, Sub, Pow, Sqrt, Div), two-head attention written out
    (view with x.size(): Shape -> Gather -> Unsqueeze -> Concat folded; Transpose; 4-D MatMul;
    Div; Softmax), exact GELU (Erf), tanh, sigmoid, sum over the last axis, unsqueeze/squeeze,
    a dropout in eval mode and log_softmax as the output.
  * parts17: at opset 17: LayerNormalization, a fused qkv projection split in three (Split), a
    causal mask buffer sliced and compared (masked_fill: Slice, Equal, Where; the buffer is a
    constant, not a parameter), slices of the sequence (Slice), a broadcast first row (Expand).
    `--weights-out` holds exactly the module's parameters (no buffer).
  * parts and parts17 are compiled twice: with tidec's default fusion (the report must say that
    the attention, the decomposed LayerNorm and the GELU were fused) and with --fusion=off.
  * fusable: RMSNorm, a two-head causal attention masked with -inf from a boolean buffer (the
    scale applied to q and k) and the tanh GELU, opset 13: fused (the report must say so) and
    not, both against PyTorch.
  * gemm: a hand-made ONNX Gemm with transA, transB, alpha and beta (onnx.helper), against NumPy.

Exit 0: all pass; 1: a check failed; 77: skipped (/usr/bin/python3 cannot import torch or onnx).
"""
import argparse
import math
import os
import subprocess
import sys
import warnings

TOLERANCE = 1e-5
FLOOR = 1e-3

try:
    import numpy as np
    import onnx
    import onnx.helper as oh
    import onnx.numpy_helper
    import torch
except ImportError as error:
    print(f"SKIP: cannot import torch/onnx/numpy with {sys.executable}: {error} "
          "(install python3-torch python3-onnx python3-numpy)")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch"))
import safetensors_io  # noqa: E402


def run(cmd, expect_ok=True):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if expect_ok and result.returncode != 0:
        raise SystemExit(f"FAILED {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    if not expect_ok and result.returncode == 0:
        raise SystemExit(f"expected a failure: {' '.join(cmd)}\n{result.stdout}")
    return result


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), FLOOR))


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Parts(torch.nn.Module):
    """Embedding, decomposed layer norm, written-out attention, GELU and friends."""

    def __init__(self, vocab=11, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.wte = torch.nn.Embedding(vocab, dim)
        self.ln = torch.nn.LayerNorm(dim)
        self.q = torch.nn.Linear(dim, dim)
        self.k = torch.nn.Linear(dim, dim)
        self.v = torch.nn.Linear(dim, dim)
        self.out = torch.nn.Linear(dim, dim)
        self.fc = torch.nn.Linear(dim, 2 * dim)
        self.head = torch.nn.Linear(2 * dim, vocab)
        self.drop = torch.nn.Dropout(0.1)

    def split(self, t):
        b, s, d = t.size()
        return t.view(b, s, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, ids):
        x = self.ln(self.wte(ids))
        b, s, d = x.size()
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.drop(self.out(y))
        h = torch.nn.functional.gelu(self.fc(x))
        h = h * torch.sigmoid(h) + torch.tanh(h)
        h = h - h.sum(-1, keepdim=True).unsqueeze(0).squeeze(0) / 64.0
        return torch.log_softmax(self.head(h), dim=-1)


class Parts17(torch.nn.Module):
    """Opset 17: LayerNormalization, a fused qkv projection split in three, a causal mask
    (a buffer sliced and compared: Slice, Equal, Where), slices, expand."""

    def __init__(self, dim=16):
        super().__init__()
        self.dim = dim
        self.ln = torch.nn.LayerNorm(dim)
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        # A causal mask buffer (exported as a float initializer, compared, so not a parameter).
        self.register_buffer("mask", torch.tril(torch.ones(8, 8)))

    def forward(self, x):
        t = x.size(1)
        q, k, v = self.qkv(self.ln(x)).split(self.dim, dim=2)
        scores = (q @ k.transpose(-2, -1) * 0.25).masked_fill(self.mask[:t, :t] == 0, -1e9)
        y = torch.softmax(scores, dim=-1) @ v
        first = x[:, :1, :].expand(-1, x.size(1) - 1, -1)
        return self.proj(y[:, 1:, :]) + first - x[:, :-1, 2:].sum(-1, keepdim=True)


class Fusable(torch.nn.Module):
    """RMSNorm (x * rsqrt(mean(x^2) + eps) * w), a 4-D causal attention masked with -inf from a
    boolean tril buffer (the scale on q and k, 2 heads), and the tanh GELU."""

    def __init__(self, dim=16, heads=2, seq=6):
        super().__init__()
        self.heads = heads
        self.w = torch.nn.Parameter(torch.rand(dim) + 0.5)
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.fc = torch.nn.Linear(dim, dim)
        self.register_buffer("causal", torch.tril(torch.ones(seq, seq, dtype=torch.bool)))

    def forward(self, x):
        b, t, d = x.shape
        h = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.w
        q, k, v = (y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for y in self.qkv(h).split(d, dim=2))
        s = (q * 0.5) @ (k * 0.5).transpose(-2, -1)
        s = s.masked_fill(~self.causal[:t, :t], float("-inf"))
        y = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        return torch.nn.functional.gelu(self.fc(y), approximate="tanh")


def compile_and_run(args, model, inputs, name, extra=(), reports=None):
    plan = os.path.join(args.workdir, name + ".tplan")
    compiled = run([args.tidec, model, "-o", plan, *extra])
    if reports is not None:
        reports.append(compiled.stdout)
    feed = os.path.join(args.workdir, name + "-inputs.safetensors")
    outputs = os.path.join(args.workdir, name + "-outputs.safetensors")
    safetensors_io.write(feed, inputs)
    run([args.tide_run, plan, "--inputs", feed, "--save-outputs", outputs])
    tensors, _ = safetensors_io.read(outputs)
    return tensors


def check_fusions(label, report, want, failures):
    """tidec's report line "fused: attention 1, gelu 1, layer_norm 1" must list `want`."""
    line = next((l.strip() for l in report.splitlines() if l.strip().startswith("fused:")), "")
    ok = line == "fused: " + ", ".join(want)
    print(f"{'ok  ' if ok else 'FAIL'} {label} report: '{line}'")
    if not ok:
        failures.append(f"{label}: report says '{line}', expected fused: {', '.join(want)}")


def check(label, got, want, failures):
    error = rel(got, want)
    ok = got.shape == want.shape and error <= TOLERANCE
    print(f"{'ok  ' if ok else 'FAIL'} {label}: shape {list(got.shape)}, rel error {error:.3g}")
    if not ok:
        failures.append(label)


def test_mlp(args, failures):
    torch.manual_seed(0)
    module = Mlp().eval()
    x = torch.randn(8, 16)
    want = module(x).detach().numpy()
    static = os.path.join(args.workdir, "mlp.onnx")
    torch.onnx.export(module, x, static, input_names=["x"], output_names=["y"], opset_version=13)
    got = compile_and_run(args, static, {"x": x.numpy()}, "mlp")["output0"]
    check("mlp opset 13", got, want, failures)

    weights = os.path.join(args.workdir, "mlp-weights.safetensors")
    run([args.tide_import_onnx, static, "-o", os.path.join(args.workdir, "mlp.mlir"),
         "--weights-out", weights])
    written, _ = safetensors_io.read(weights)
    state = {k: v.numpy() for k, v in module.state_dict().items()}
    same = sorted(written) == sorted(state) and all(
        np.array_equal(written[k], state[k]) for k in state)
    print(f"{'ok  ' if same else 'FAIL'} mlp --weights-out: {sorted(written)}")
    if not same:
        failures.append("mlp --weights-out")

    dynamic = os.path.join(args.workdir, "mlp-dynamic.onnx")
    torch.onnx.export(module, x, dynamic, input_names=["x"], output_names=["y"],
                      opset_version=17, dynamic_axes={"x": {0: "batch"}})
    refused = run([args.tidec, dynamic, "-o", os.path.join(args.workdir, "never.tplan")],
                  expect_ok=False)
    named = "'x' dimension 0 ('batch')" in refused.stderr
    print(f"{'ok  ' if named else 'FAIL'} mlp symbolic batch refused without --input-shape")
    if not named:
        failures.append("symbolic batch message: " + refused.stderr)
    got = compile_and_run(args, dynamic, {"x": x.numpy()}, "mlp-dynamic",
                          ["--input-shape", "x=8x16"])["output0"]
    check("mlp opset 17, --input-shape x=8x16", got, want, failures)


def test_parts(args, failures):
    torch.manual_seed(1)
    module = Parts().eval()
    with torch.no_grad():  # A layer norm that is not the identity, so its parameters matter.
        module.ln.weight.uniform_(0.5, 1.5)
        module.ln.bias.uniform_(-0.5, 0.5)
    ids = torch.randint(0, 11, (2, 5))
    want = module(ids).detach().numpy()
    feed = {"ids": ids.numpy().astype(np.int32)}  # int64 graph input -> i32 plan input.
    # Static shapes: the exporter folds x.size() to constants. Symbolic batch and sequence: the
    # views compute their shapes with Shape -> Gather -> Unsqueeze -> Concat, which the importer
    # folds once --input-shape fixes the dimensions.
    for name, dynamic, needed in (
            ("parts", None, ("Gather", "ReduceMean", "Pow", "Erf", "Softmax", "LogSoftmax")),
            ("parts-dynamic", {"ids": {0: "batch", 1: "seq"}}, ("Shape", "Concat"))):
        path = os.path.join(args.workdir, name + ".onnx")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # The tracer's notes on x.size() arithmetic.
            torch.onnx.export(module, ids, path, input_names=["ids"], output_names=["logp"],
                              opset_version=13, dynamic_axes=dynamic)
        ops = sorted({node.op_type for node in onnx.load(path).graph.node})
        print(f"     {name} exports {', '.join(ops)}")
        for op in needed:
            if op not in ops:
                failures.append(f"{name}: the export has no {op} node (the test lost coverage)")
        extra = ["--input-shape", "ids=2x5"] if dynamic else []
        reports = []
        got = compile_and_run(args, path, feed, name, extra, reports)["output0"]
        check(name + " opset 13 (fused)", got, want, failures)
        # The decomposed LayerNorm, the written-out attention and the exact GELU are fused
        # (tide-fuse-attention, tide-fuse-norms); without fusion the same outputs.
        check_fusions(name, reports[0], ["attention 1", "gelu 1", "layer_norm 1"], failures)
        got = compile_and_run(args, path, feed, name + "-unfused",
                              extra + ["--fusion=off"])["output0"]
        check(name + " opset 13, --fusion=off", got, want, failures)


def test_parts17(args, failures):
    torch.manual_seed(3)
    module = Parts17().eval()
    with torch.no_grad():
        module.ln.weight.uniform_(0.5, 1.5)
        module.ln.bias.uniform_(-0.5, 0.5)
    x = torch.randn(2, 6, 16)
    want = module(x).detach().numpy()
    path = os.path.join(args.workdir, "parts17.onnx")
    torch.onnx.export(module, x, path, input_names=["x"], output_names=["y"], opset_version=17)
    ops = sorted({node.op_type for node in onnx.load(path).graph.node})
    print(f"     parts17 exports {', '.join(ops)}")
    for op in ("LayerNormalization", "Split", "Slice", "Expand", "Equal", "Where"):
        if op not in ops:
            failures.append(f"parts17: the export has no {op} node (the test lost coverage)")
    reports = []
    got = compile_and_run(args, path, {"x": x.numpy()}, "parts17", (), reports)["output0"]
    check("parts17 opset 17 (fused)", got, want, failures)
    # The causal single-head attention (masked_fill with the buffer) becomes tide.attention.
    check_fusions("parts17", reports[0], ["attention 1"], failures)
    got = compile_and_run(args, path, {"x": x.numpy()}, "parts17-unfused",
                          ["--fusion=off"])["output0"]
    check("parts17 opset 17, --fusion=off", got, want, failures)
    weights = os.path.join(args.workdir, "parts17-weights.safetensors")
    run([args.tide_import_onnx, path, "-o", os.path.join(args.workdir, "parts17.mlir"),
         "--weights-out", weights])
    written, _ = safetensors_io.read(weights)
    params = sum(p.numel() for p in module.parameters())
    got_params = sum(v.size for v in written.values())
    ok = got_params == params and not any("mask" in name for name in written)
    print(f"{'ok  ' if ok else 'FAIL'} parts17 parameters: {got_params} floats in "
          f"{len(written)} tensors (the module has {params}; the mask buffer is no parameter)")
    if not ok:
        failures.append("parts17 parameters: " + ", ".join(sorted(written)))


def test_fusable(args, failures):
    torch.manual_seed(4)
    module = Fusable().eval()
    x = torch.randn(2, 6, 16)
    want = module(x).detach().numpy()
    path = os.path.join(args.workdir, "fusable.onnx")
    torch.onnx.export(module, x, path, input_names=["x"], output_names=["y"], opset_version=13)
    reports = []
    got = compile_and_run(args, path, {"x": x.numpy()}, "fusable", (), reports)["output0"]
    check("fusable (RMSNorm, causal -inf attention, tanh GELU) fused", got, want, failures)
    check_fusions("fusable", reports[0], ["attention 1", "gelu 1", "rms_norm 1"], failures)
    got = compile_and_run(args, path, {"x": x.numpy()}, "fusable-unfused",
                          ["--fusion=off"])["output0"]
    check("fusable --fusion=off", got, want, failures)


def test_gemm(args, failures):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 3)).astype(np.float32)  # transA: A is [K, M] = [5, 3].
    b = rng.standard_normal((4, 5)).astype(np.float32)  # transB: B is [N, K] = [4, 5].
    c = rng.standard_normal((4,)).astype(np.float32)
    graph = oh.make_graph(
        [oh.make_node("Gemm", ["a", "b", "c"], ["y"], transA=1, transB=1, alpha=0.5, beta=-2.0)],
        "gemm", [oh.make_tensor_value_info("a", onnx.TensorProto.FLOAT, [5, 3])],
        [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3, 4])],
        initializer=[onnx.numpy_helper.from_array(b, "b"), onnx.numpy_helper.from_array(c, "c")])
    path = os.path.join(args.workdir, "gemm.onnx")
    onnx.save(oh.make_model(graph, opset_imports=[oh.make_opsetid("", 13)]), path)
    want = 0.5 * (a.astype(np.float64).T @ b.astype(np.float64).T) - 2.0 * c
    got = compile_and_run(args, path, {"a": a}, "gemm")["output0"]
    check("gemm transA transB alpha 0.5 beta -2", got, want, failures)


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--tidec", "--tide-run", "--tide-import-onnx", "--workdir"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    failures = []
    test_mlp(args, failures)
    test_parts(args, failures)
    test_parts17(args, failures)
    test_fusable(args, failures)
    test_gemm(args, failures)
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("all ONNX end-to-end checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
