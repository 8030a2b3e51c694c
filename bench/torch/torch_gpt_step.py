"""PyTorch 1.13 side of bench/torch: training steps (Adam) of the tide-models GPT, eager or with
torch.utils.checkpoint around every block. Prints one JSON line: median step seconds and the
peak resident-set growth over the process before the model existed (parameters, gradients,
Adam state and activations; the same quantity tide-run reports as its step peak growth).

Peak memory: VmHWM (reset through /proc/self/clear_refs after `import torch`) minus VmRSS at
that point; ru_maxrss is printed too.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "e2e", "torch"))
import torch_models  # noqa: E402


def status_bytes(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def make_params(layers, d, f):
    """The GPT's parameters (docs/models.md shapes; values as tide-models: N(0, 0.02), ones,
    zeros). Values do not change the step time."""
    g = torch.Generator().manual_seed(0)
    params = {}

    def normal(*shape):
        return (torch.randn(*shape, generator=g) * 0.02).requires_grad_()

    for i in range(layers):
        pre = f"blocks.{i}"
        for ln in ("ln1", "ln2"):
            params[f"{pre}.{ln}.weight"] = torch.ones(d, requires_grad=True)
            params[f"{pre}.{ln}.bias"] = torch.zeros(d, requires_grad=True)
        for proj in ("q", "k", "v", "out"):
            params[f"{pre}.attn.{proj}.weight"] = normal(d, d)
            params[f"{pre}.attn.{proj}.bias"] = torch.zeros(d, requires_grad=True)
        params[f"{pre}.mlp.fc1.weight"] = normal(d, f)
        params[f"{pre}.mlp.fc1.bias"] = torch.zeros(f, requires_grad=True)
        params[f"{pre}.mlp.fc2.weight"] = normal(f, d)
        params[f"{pre}.mlp.fc2.bias"] = torch.zeros(d, requires_grad=True)
    return params


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--d-model", type=int, required=True)
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--d-ff", type=int, required=True)
    p.add_argument("--seq", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--mode", choices=["eager", "checkpoint"], required=True)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    reset = False
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        pass
    base = status_bytes("VmRSS:")
    base_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    params = make_params(a.layers, a.d_model, a.d_ff)
    g = torch.Generator().manual_seed(1)
    inputs = {"x": torch.randn(a.batch, a.seq, a.d_model, generator=g).numpy(),
              "target": torch.randn(a.batch, a.seq, a.d_model, generator=g).numpy()}
    opt = torch.optim.Adam(params.values(), lr=1e-3)
    times, cpu_times, losses = [], [], []
    for _ in range(a.steps):
        cpu_start = time.process_time()
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch_models.gpt_loss(params, inputs, a.layers, a.heads,
                                     checkpoint=a.mode == "checkpoint")
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        losses.append(float(loss))
    print(json.dumps({
        "mode": a.mode, "threads": torch.get_num_threads(), "steps": a.steps,
        "step_seconds": times, "median_step_seconds": statistics.median(times),
        "median_step_cpu_seconds": statistics.median(cpu_times),
        "peak_growth_bytes": status_bytes("VmHWM:") - base, "peak_reset": reset,
        "ru_maxrss_growth_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        - base_maxrss,
        "losses": losses, "torch": torch.__version__,
        "parallel_info": torch.__config__.parallel_info().splitlines()[:6]}))


if __name__ == "__main__":
    main()
