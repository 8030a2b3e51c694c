"""Training an imported ONNX model (issue 11, item 4): an MLP nn.Module (Linear(16, 32) - ReLU -
Linear(32, 4), batch 8) exported by torch.onnx.export (opset 13) is compiled by
`tidec mlp.onnx --loss=... --train=...` (the loss appended to the imported graph; the
initial weights are the model's initializers), trained 3 steps by
`tide-run --steps 3 --inputs --save-weights` on one fixed batch, and compared with PyTorch
training the same module (same initial weights, same batch) for 3 steps:

  * cross-entropy:y,labels and mse:y,target, each with SGD (lr 0.1) and AdamW (lr 0.01,
    weight decay 0.1, betas 0.9 / 0.999, eps 1e-8);
  * the loss of every step (tide-run --report=json) and every trained parameter within 1e-4
    relative: rel(a, b) = max|a - b| / max(max|b|, 1e-3), b = PyTorch;
  * with AdamW, the saved moments `<param>.adam_m` / `.adam_v` against PyTorch's exp_avg /
    exp_avg_sq (1e-4);
  * the round trip: the saved parameters are under the ONNX initializer names, which for
    nn.Linear are the module's state_dict names, so a fresh module takes them with
    load_state_dict(strict=True), and its forward equals the PyTorch-trained module's (1e-4).

Exit 0: all pass; 1: a check failed; 77: skipped (/usr/bin/python3 cannot import torch or onnx).
"""
import argparse
import json
import os
import subprocess
import sys
import warnings

TOLERANCE = 1e-4
FLOOR = 1e-3
STEPS = 3

try:
    import numpy as np
    import onnx  # noqa: F401
    import torch
except ImportError as error:
    print(f"SKIP: cannot import torch/onnx/numpy with {sys.executable}: {error}")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch"))
import safetensors_io  # noqa: E402

OPTIMIZERS = {
    "sgd": (["--train=sgd", "--lr=0.1"], lambda p: torch.optim.SGD(p, lr=0.1)),
    "adamw": (["--train=adamw", "--lr=0.01", "--weight-decay=0.1"],
              lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                                          weight_decay=0.1)),
}


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"FAILED {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), FLOOR))


def torch_train(initial, loss_kind, optimizer, x, target):
    module = Mlp()
    module.load_state_dict(initial)
    opt = OPTIMIZERS[optimizer][1](list(module.parameters()))
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        y = module(x)
        if loss_kind == "cross-entropy":
            loss = torch.nn.functional.cross_entropy(y, target)
        else:
            loss = torch.nn.functional.mse_loss(y, target)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    slots = {}  # tidec's AdamW slots, named <param>.adam_m / .adam_v (docs/tidec.md)
    if optimizer == "adamw":
        for k, p in module.named_parameters():
            slots[k + ".adam_m"] = opt.state[p]["exp_avg"].numpy()
            slots[k + ".adam_v"] = opt.state[p]["exp_avg_sq"].numpy()
    return module, losses, slots


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--tidec", "--tide-run", "--workdir"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    module = Mlp()
    initial = {k: v.clone() for k, v in module.state_dict().items()}
    x = torch.randn(8, 16)
    labels = torch.randint(0, 4, (8,))
    target = torch.randn(8, 4)
    model = os.path.join(args.workdir, "mlp.onnx")
    torch.onnx.export(module.eval(), x, model, input_names=["x"], output_names=["y"],
                      opset_version=13)
    failures = []
    for loss_kind, name, value in (("cross-entropy", "labels", labels),
                                   ("mse", "target", target)):
        feed = os.path.join(args.workdir, f"{loss_kind}-inputs.safetensors")
        fed = value.numpy().astype(np.int32) if loss_kind == "cross-entropy" else value.numpy()
        safetensors_io.write(feed, {"x": x.numpy(), name: fed})
        for optimizer in OPTIMIZERS:
            label = f"{loss_kind} {optimizer}"
            plan = os.path.join(args.workdir, f"{loss_kind}-{optimizer}.tplan")
            saved = os.path.join(args.workdir, f"{loss_kind}-{optimizer}.trained.safetensors")
            run([args.tidec, model, f"--loss={loss_kind}:y,{name}", *OPTIMIZERS[optimizer][0],
                 "-o", plan])
            report = json.loads(run([args.tide_run, plan, "--steps", str(STEPS), "--inputs",
                                     feed, "--save-weights", saved, "--report=json"]))
            trained, losses, slots = torch_train(initial, loss_kind, optimizer, x, value)
            errors = [rel(a, b) for a, b in zip(report["losses"], losses)]
            ok = len(report["losses"]) == STEPS and max(errors) <= TOLERANCE
            print(f"{'ok  ' if ok else 'FAIL'} {label}: losses {report['losses']} vs PyTorch "
                  f"{losses}, rel errors {['%.2g' % e for e in errors]}")
            if not ok:
                failures.append(label + " losses")
            saved_all, _ = safetensors_io.read(saved)
            state = {k: v.detach().numpy() for k, v in trained.state_dict().items()}
            if sorted(saved_all) != sorted(list(state) + list(slots)):
                print(f"FAIL {label}: saved names {sorted(saved_all)} are not the state_dict's "
                      f"{sorted(state)} and the optimizer slots {sorted(slots)}")
                failures.append(label + " names")
                continue
            # The optimizer's moments against PyTorch's exp_avg / exp_avg_sq.
            for k, v in slots.items():
                error = rel(saved_all[k], v)
                if error > TOLERANCE:
                    print(f"FAIL {label}: optimizer slot {k} rel error {error:.2g}")
                    failures.append(label + " " + k)
            if slots:
                print(f"ok   {label}: {len(slots)} AdamW slots, worst rel error "
                      f"{max(rel(saved_all[k], v) for k, v in slots.items()):.2g}")
            weights = {k: saved_all[k] for k in state}
            worst = max(rel(weights[k], state[k]) for k in state)
            moved = min(rel(state[k], initial[k].numpy()) for k in state)
            ok = worst <= TOLERANCE and moved > 10 * TOLERANCE
            print(f"{'ok  ' if ok else 'FAIL'} {label}: trained parameters rel error {worst:.2g} "
                  f"(each moved at least {moved:.2g} from its initial value)")
            if not ok:
                failures.append(label + " parameters")
            loaded = Mlp()
            loaded.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()},
                                   strict=True)
            with torch.no_grad():
                error = rel(loaded(x).numpy(), trained(x).numpy())
            ok = error <= TOLERANCE
            print(f"{'ok  ' if ok else 'FAIL'} {label}: load_state_dict of the saved weights, "
                  f"forward rel error {error:.2g} against the PyTorch-trained module")
            if not ok:
                failures.append(label + " round trip")
    if failures:
        print("FAILED: " + ", ".join(failures))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
