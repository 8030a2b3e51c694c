"""PyTorch 1.13 side of bench/models: training steps (AdamW) of a tide-models GPT or Llama, from
the same safetensors weights and inputs tide-run is given. Eager mode, the model code of the
end-to-end checks (tests/e2e/torch/torch_models.py, written from docs/models.md).

Prints one JSON line: per-step wall seconds (time.perf_counter) and CPU seconds (process CPU
time, all threads), the losses, and the environment line of torch_env.py (which fails the run
unless torch's BLAS is OpenBLAS).
"""
import argparse
import json
import os
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "e2e", "torch"))
sys.path.insert(0, here)
import safetensors_io  # noqa: E402
import torch_env  # noqa: E402
import torch_models  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--family", choices=["gpt", "llama"], required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--kv-heads", type=int)
    p.add_argument("--weights", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--foreach", action="store_true",
                   help="AdamW's multi-tensor (foreach) implementation")
    a = p.parse_args()
    env = torch_env.describe(a.threads)
    init, _ = safetensors_io.read(a.weights)
    params = {name: torch.from_numpy(value).requires_grad_() for name, value in init.items()}
    inputs, _ = safetensors_io.read(a.inputs)
    opt = torch.optim.AdamW(params.values(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=a.weight_decay, foreach=a.foreach)
    times, cpu_times, losses = [], [], []
    for _ in range(a.steps):
        cpu_start = time.process_time()
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        if a.family == "gpt":
            loss = torch_models.gpt_loss(params, inputs, a.layers, a.heads)
        else:
            loss = torch_models.llama_loss(params, inputs, a.layers, a.heads,
                                           a.kv_heads or a.heads)
        loss.backward()
        opt.step()
        value = float(loss)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        losses.append(value)
    print(json.dumps({"family": a.family, "threads": torch.get_num_threads(), "steps": a.steps,
                      "step_seconds": times, "step_cpu_seconds": cpu_times, "losses": losses,
                      "foreach": a.foreach,
                      "cpu_capability": torch_env.capability(),
                      "env": env}))


if __name__ == "__main__":
    main()
