#!/usr/bin/python3
"""Accuracy audit of the runtime kernels a GPT training step uses, against float64.

For each kernel: random inputs of the e2e GPT's sizes (float32), Tidemark's output
(bench/accuracy/accuracy_probe), PyTorch float32's output of the same computation, and PyTorch
float64's on the same float32 inputs (the reference). Printed per output: the error relative to
the output's norm, max|out - ref| / max|ref|, and the root-mean-square error over rms(ref), for
Tidemark and PyTorch, and their ratio (Tidemark / PyTorch; above 1 means Tidemark is less
accurate).

  /usr/bin/python3 bench/accuracy/audit.py --probe build/bench/accuracy/accuracy_probe
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)


class Probe:
    def __init__(self, exe, workdir):
        self.exe, self.dir = exe, workdir

    def run(self, kernel, args, inputs, outputs):
        for name, value in inputs.items():
            value.tofile(os.path.join(self.dir, name + ".bin"))
        subprocess.run([self.exe, self.dir, kernel] + [str(a) for a in args], check=True)
        return {name: np.fromfile(os.path.join(self.dir, name + ".bin"), np.float32).reshape(shape)
                for name, shape in outputs.items()}


def errors(out, ref):
    out, ref = np.asarray(out, np.float64), np.asarray(ref, np.float64)
    scale = max(np.max(np.abs(ref)), 1e-30)
    rms = max(math.sqrt(np.mean(ref * ref)), 1e-30)
    return np.max(np.abs(out - ref)) / scale, math.sqrt(np.mean((out - ref) ** 2)) / rms


ROWS = []


def report(kernel, name, tide, torch32, ref):
    t_max, t_rms = errors(tide, ref)
    p_max, p_rms = errors(torch32, ref)
    ratio = t_rms / p_rms if p_rms > 0 else float("inf")
    ROWS.append((kernel, name, t_max, p_max, t_rms, p_rms, ratio))
    print(f"{kernel:12s} {name:8s} max {t_max:9.2e} vs {p_max:9.2e}   rms {t_rms:9.2e} vs "
          f"{p_rms:9.2e}   rms ratio {ratio:5.2f}", flush=True)


def both(fn, *arrays):
    """fn on torch tensors in float32 and in float64 (the same float32 values upcast)."""
    r32 = fn(*[torch.tensor(a) for a in arrays])
    r64 = fn(*[torch.tensor(a.astype(np.float64)) if a.dtype == np.float32 else torch.tensor(a)
               for a in arrays])
    conv = lambda r: [x.detach().numpy() for x in (r if isinstance(r, tuple) else (r,))]
    return conv(r32), conv(r64)


def audit_gemm(probe, rng):
    for (m, n, k, ta, tb, what) in [(64, 64, 64, 0, 0, "x@W"), (64, 256, 64, 0, 0, "fc1"),
                                    (64, 64, 256, 0, 1, "dx=dy@W^T"), (64, 64, 64, 1, 0, "dW=x^T@dy"),
                                    (256, 64, 64, 1, 0, "dW fc2")]:
        a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
        out = probe.run("gemm", [m, n, k, ta, tb], {"a": a, "b": b}, {"c": (m, n)})
        f = lambda a, b: (a.T if ta else a) @ (b.T if tb else b)
        (p32,), (p64,) = both(f, a, b)
        report("gemm " + what, "c", out["c"], p32, p64)


def audit_layer_norm(probe, rng, rows=64, n=64):
    x = (rng.standard_normal((rows, n)) * 0.5 + 0.1).astype(np.float32)
    scale = (1 + 0.1 * rng.standard_normal(n)).astype(np.float32)
    bias = (0.1 * rng.standard_normal(n)).astype(np.float32)
    dy = (rng.standard_normal((rows, n)) * 1e-2).astype(np.float32)
    out = probe.run("layer_norm", [rows, n], {"x": x, "scale": scale, "bias": bias, "dy": dy},
                    {"y": (rows, n), "dx": (rows, n), "d_scale": (n,), "d_bias": (n,)})

    def f(x, s, b, dy):
        x, s, b = (t.clone().requires_grad_() for t in (x, s, b))
        y = F.layer_norm(x, (n,), s, b, eps=1e-5)
        y.backward(dy)
        return y, x.grad, s.grad, b.grad

    p32, p64 = both(f, x, scale, bias, dy)
    for i, name in enumerate(["y", "dx", "d_scale", "d_bias"]):
        report("layer_norm", name, out[name], p32[i], p64[i])


def audit_gelu(probe, rng, n=64 * 256):
    x = (rng.standard_normal(n) * 1.0).astype(np.float32)
    dy = (rng.standard_normal(n) * 1e-2).astype(np.float32)
    out = probe.run("gelu_tanh", [n], {"x": x, "dy": dy}, {"y": (n,), "dx": (n,)})

    def f(x, dy):
        x = x.clone().requires_grad_()
        y = F.gelu(x, approximate="tanh")
        y.backward(dy)
        return y, x.grad

    p32, p64 = both(f, x, dy)
    report("gelu_tanh", "y", out["y"], p32[0], p64[0])
    report("gelu_tanh", "dx", out["dx"], p32[1], p64[1])


def audit_attention(probe, rng, b=2, h=4, t=32, d=16, chunk=16, std=1.0, tag="", k_mean=0.0):
    """k_mean: a vector of that rms shared by every key of a (batch, head), as a key bias or a
    common component of the tokens gives: the softmax is invariant to it, its gradient is not."""
    shape = (b, h, t, d)
    q, k, v = ((rng.standard_normal(shape) * std).astype(np.float32) for _ in range(3))
    k = (k + k_mean * rng.standard_normal((b, h, 1, d))).astype(np.float32)
    d_out = (rng.standard_normal(shape) * 1e-2).astype(np.float32)
    out = probe.run("attention", [b, h, t, d, chunk], {"q": q, "k": k, "v": v, "d_out": d_out},
                    {"out": shape, "lse": shape[:3], "dq": shape, "dk": shape, "dv": shape})

    def f(q, k, v, do):
        q, k, v = (x.clone().requires_grad_() for x in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        o = torch.softmax(scores, dim=-1) @ v
        o.backward(do)
        return o, torch.logsumexp(scores, dim=-1), q.grad, k.grad, v.grad

    p32, p64 = both(f, q, k, v, d_out)
    for i, name in enumerate(["out", "lse", "dq", "dk", "dv"]):
        report("attention" + tag, name, out[name], p32[i], p64[i])


def audit_lm_head(probe, rng, rows=64, hidden=64, vocab=48, vchunk=48):
    hmat = rng.standard_normal((rows, hidden)).astype(np.float32)
    w = (rng.standard_normal((vocab, hidden)) * 0.3).astype(np.float32)
    labels = rng.integers(0, vocab, rows).astype(np.int32)
    out = probe.run("lm_head", [rows, hidden, vocab, vchunk], {"h": hmat, "w": w, "labels": labels},
                    {"loss": (1,), "dh": (rows, hidden), "dw": (vocab, hidden)})

    def f(hm, w, lab):
        hm, w = hm.clone().requires_grad_(), w.clone().requires_grad_()
        loss = F.cross_entropy(hm @ w.T, lab.long())
        loss.backward()
        return loss.reshape(1), hm.grad, w.grad

    p32, p64 = both(f, hmat, w, labels)
    for i, name in enumerate(["loss", "dh", "dw"]):
        report(f"lm_head v{vchunk}", name, out[name], p32[i], p64[i])


def audit_gather(probe, rng, count=64, rows=48, dim=64):
    ids = rng.integers(0, rows, count).astype(np.int32)
    dy = rng.standard_normal((count, dim)).astype(np.float32)
    out = probe.run("gather_grad", [count, rows, dim], {"ids": ids, "dy": dy},
                    {"d_table": (rows, dim)})

    def f(ids, dy):
        return torch.zeros(rows, dim, dtype=dy.dtype).index_add_(0, ids.long(), dy)

    (p32,), (p64,) = both(f, ids, dy)
    report("gather_grad", "d_table", out["d_table"], p32, p64)


def audit_column_sum(probe, rng, rows, cols=64):
    dy = (rng.standard_normal((rows, cols)) * 1e-2 + 3e-3).astype(np.float32)
    out = probe.run("column_sum", [rows, cols], {"dy": dy}, {"db": (cols,)})
    (p32,), (p64,) = both(lambda dy: dy.sum(0), dy)
    report(f"bias grad {rows}", "db", out["db"], p32, p64)


def audit_adam(probe, rng, n=4096, lr=0.01, wd=0.1):
    param = (rng.standard_normal(n) * 0.02).astype(np.float32)
    m0 = np.zeros(n, np.float32)
    v0 = np.zeros(n, np.float32)
    grads = [(rng.standard_normal(n) * 1e-3).astype(np.float32) for _ in range(3)]
    tide = (param.copy(), m0.copy(), v0.copy())
    for step, g in enumerate(grads, 1):
        o = probe.run("adam", [n, step, lr, wd], {"param": tide[0], "grad": g, "m": tide[1],
                                                  "v": tide[2]},
                      {"param_out": (n,), "m_out": (n,), "v_out": (n,)})
        tide = (o["param_out"], o["m_out"], o["v_out"])

    def f(p, *gs):
        p = p.clone().requires_grad_()
        opt = torch.optim.AdamW([p], lr=lr, weight_decay=wd)
        for g in gs:
            p.grad = g.clone()
            opt.step()
        return p.detach()

    (p32,), (p64,) = both(f, param, *grads)
    # The update, not the parameter, is what rounding changes: compare p - p0.
    report("adamw x3", "delta", tide[0] - param, p32 - param, p64 - param.astype(np.float64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probe", required=True, help="the accuracy_probe executable")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Probe(os.path.abspath(args.probe), tmp)
        audit_gemm(probe, rng)
        audit_layer_norm(probe, rng)
        audit_gelu(probe, rng)
        audit_attention(probe, rng)
        audit_attention(probe, rng, std=0.16, tag=" s.16")
        audit_attention(probe, rng, t=128, chunk=32, tag=" T128")
        audit_attention(probe, rng, std=0.5, k_mean=2.0, tag=" kbias")
        audit_lm_head(probe, rng, vchunk=48)
        audit_lm_head(probe, rng, vchunk=16)
        audit_gather(probe, rng)
        audit_column_sum(probe, rng, 64)
        audit_column_sum(probe, rng, 4096)
        audit_adam(probe, rng)
    print("\n| kernel | output | Tidemark max err / max | PyTorch f32 | Tidemark rms err / rms | "
          "PyTorch f32 | ratio (rms) |")
    print("|---|---|---|---|---|---|---|")
    for k, name, t_max, p_max, t_rms, p_rms, ratio in ROWS:
        print(f"| {k} | {name} | {t_max:.2e} | {p_max:.2e} | {t_rms:.2e} | {p_rms:.2e} | "
              f"{ratio:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
