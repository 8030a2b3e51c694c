"""End-to-end check: Tidemark training steps (tide-run) against PyTorch 1.13 on the same model,
initial weights (tide-models --weights) and inputs (written here as safetensors).

Checks, each a failure with a message:
  * losses per step and final parameters: relative error <= 1e-4, where
    rel(a, b) = max|a - b| / max(max|b|, FLOOR) per tensor (b = PyTorch), FLOOR = 1e-3;
  * and norm-wise per tensor (the issue's criterion): ||a - b||_2 / max(||b||_2, FLOOR sqrt(n))
    <= 1e-4 for every parameter that float64 moves (--elementwise-exempt names a parameter held
    to this rule only);
  * the plans compared (tidec's remat `none` and `budget` at the tightest budget it meets among
    50%..100% of the `none` arena, or two arena packings of a hand-built plan) give bit-identical
    losses and bit-identical saved state tensors;
  * except at ill-conditioned elements, found from PyTorch alone: where PyTorch float32 differs
    from PyTorch float64 by more than 1e-5 relative (a tenth of the tolerance), the value is
    rounding-sensitive in any f32 summation order (Adam on a near-zero, sign-changing gradient;
    every element of a tensor that float64 does not move, e.g. the attention key bias, whose
    gradient is zero in exact arithmetic); there Tidemark's error
    against float64 (largest over those elements) must be at most 10x PyTorch float32's
    (see docs/end-to-end.md);
  * with --dropout p (gpt, bert): PyTorch multiplies by the masks Tidemark's Philox4x32-10 draws
    (philox.py, checked against the Random123 known-answer vectors first), per site and step;
  * heap allocations per step (steps 2..N) == 0;
  * measured peak resident growth during the steps <= planned bytes + the fixed overhead.
Exit 0: all pass; 1: a check failed; 77: skipped (/usr/bin/python3 cannot import torch).
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys

TOLERANCE = 1e-4
FLOOR = 1e-3
ILL_CONDITIONED = 0.1  # PyTorch f32 vs f64 beyond 10% of the tolerance: ill-conditioned.
AS_ACCURATE = 10.0  # There, Tidemark's error vs f64 may be at most this multiple of PyTorch's.
STILL = 1e-6  # float64 moves a tensor by at most STILL * steps * lr: its gradient is exactly 0.

try:
    import numpy as np
    import torch
except ImportError as error:  # The only reason to skip.
    print(f"SKIP: cannot import torch/numpy with {sys.executable}: {error} "
          "(install python3-torch python3-numpy)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import philox  # noqa: E402
import safetensors_io  # noqa: E402
import torch_models  # noqa: E402

HYPER = {"sgd": {"lr": 0.1}, "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}}
# Clipping and schedules (tidec only). The clip norms are below the models' gradient norms (the
# run fails unless PyTorch's clip_grad_norm_ really scaled step 1), and the cosine schedule's
# 4 steps visit the warm-up (t = 0, 1) and the decay (t = 2, 3) branches.
HYPER["adamw-clip-cosine"] = {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1,
                              "clip": 0.05, "warmup": 2, "total": 5, "min_lr": 1e-3}
HYPER["sgd-momentum-clip"] = {"lr": 0.1, "momentum": 0.9, "clip": 0.05}


# The plan's seed (tidec --seed): the key of every dropout stream. Both key words are nonzero so
# a mix-up of the key's halves shows.
PLAN_SEED = 0x00C0FFEE_5EED0007


def tidec_flags(optimizer):
    h = HYPER[optimizer]
    if optimizer in ("sgd", "adam"):
        return [f"--train={optimizer}", f"--lr={h['lr']}"]
    if optimizer == "sgd-momentum-clip":
        return ["--train=sgd", f"--lr={h['lr']}", f"--momentum={h['momentum']}",
                f"--clip-grad-norm={h['clip']}"]
    return ["--train=adamw", f"--lr={h['lr']}", f"--weight-decay={h['weight_decay']}",
            f"--clip-grad-norm={h['clip']}", "--lr-schedule=cosine",
            f"--warmup-steps={h['warmup']}", f"--total-steps={h['total']}",
            f"--min-lr={h['min_lr']}"]


def cosine_lr(h, t):
    """docs/tidec.md's schedule for update t (0-based): linear warm-up, cosine decay to min_lr."""
    if t < h["warmup"]:
        return h["lr"] * (t + 1) / h["warmup"]
    if t >= h["total"]:
        return h["min_lr"]
    progress = (t - h["warmup"]) / (h["total"] - h["warmup"])
    return h["min_lr"] + (h["lr"] - h["min_lr"]) * 0.5 * (1 + math.cos(math.pi * progress))


def torch_optimizer(optimizer, params):
    """(optimizer, LambdaLR scheduler or None, clip max_norm or None) as PyTorch runs them."""
    h = HYPER[optimizer]
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=h["lr"]), None, None
    if optimizer == "adam":
        return torch.optim.Adam(params, **h), None, None
    if optimizer == "sgd-momentum-clip":
        return torch.optim.SGD(params, lr=h["lr"], momentum=h["momentum"]), None, h["clip"]
    opt = torch.optim.AdamW(params, lr=h["lr"], betas=h["betas"], eps=h["eps"],
                            weight_decay=h["weight_decay"])
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: cosine_lr(h, t) / h["lr"])
    return opt, schedule, h["clip"]


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {result.returncode}:\n{result.stderr}")
    return result.stdout


GQA_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gqa_attention.mlir")


def make_model(args, work):
    mlir, weights = os.path.join(work, "model.mlir"), os.path.join(work, "init.safetensors")
    if args.model == "gqa":  # A fixed model file; its weights drawn here.
        rng = np.random.default_rng(7)
        shapes = {"wq": (16, 16), "wk": (16, 8), "wv": (16, 8), "wo": (16, 16)}
        safetensors_io.write(weights, {name: (rng.standard_normal(shape) * 0.5).astype(np.float32)
                                       for name, shape in shapes.items()})
        return GQA_MODEL, weights
    dropout = ["--dropout", repr(args.dropout)] if args.dropout > 0 else []
    if args.model == "mlp":
        shape = ["mlp", "--batch", "16", "--d-model", "32", "--hidden", "64", "--vocab", "10"]
    elif args.model == "bert":
        shape = ["bert", "--layers", "2", "--d-model", "64", "--heads", "4", "--seq", "32",
                 "--batch", "2", "--vocab", "48", "--attention-chunk", "16", "--type-vocab", "2",
                 "--tie-weights", "--head-chunks", "24,20", "--padding-mask"] + dropout
    elif args.model == "llama":  # Grouped-query: 4 query heads over 2 key/value heads.
        shape = ["llama", "--layers", "2", "--d-model", "64", "--heads", "4", "--kv-heads", "2",
                 "--seq", "32", "--batch", "2", "--vocab", "48", "--attention-chunk", "16",
                 "--head-chunks", "24,20"]
    else:
        shape = ["gpt", "--layers", "2", "--d-model", "64", "--heads", "4", "--seq", "32",
                 "--batch", "2", "--vocab", "48", "--attention-chunk", "16", "--tie-weights",
                 "--head-chunks", "24,20"] + dropout
    run([args.tide_models] + shape + ["--output", mlir, "--weights", weights, "--seed", "7"])
    if args.dropout > 0:
        check_dropout_sites(args, mlir)
    return mlir, weights


DROPOUT_LAYERS = 2  # the gpt and bert models above


def check_dropout_sites(args, mlir):
    """The model's tide.dropout ops must be the sites torch_models numbers: 0 (embeddings), then
    per block the attention and MLP outputs, each with p = --dropout."""
    found, ops = {}, 0
    with open(mlir) as f:
        for match in re.finditer(r"tide\.dropout\s+%\S+\s+p\s*=\s*(\S+)\s+site\s*=\s*(\d+)",
                                 f.read()):
            found[int(match.group(2))] = float(match.group(1))
            ops += 1
    expected = set(range(1 + 2 * DROPOUT_LAYERS))
    if set(found) != expected or ops != len(expected):
        sys.exit(f"FAIL: {mlir} has {ops} tide.dropout op(s) with sites {sorted(found)}, "
                 f"torch_models expects one per site {sorted(expected)}")
    wrong = {site: p for site, p in found.items() if np.float32(p) != np.float32(args.dropout)}
    if wrong:
        sys.exit(f"FAIL: {mlir}: dropout p {wrong} != --dropout {args.dropout}")
    print(f"  {len(found)} dropout sites (0..{max(found)}), p = {args.dropout}")


def dropout_of_step(args, step_number, dtype, stats):
    """drop(site, x) for one training step (1-based, as the runtime numbers its updates): x times
    Tidemark's mask of that site and step, as a constant (its backward is the same mask)."""
    if args.dropout <= 0:
        return torch_models._no_dropout

    def drop(site, x):
        mask = philox.dropout_mask(PLAN_SEED, step_number + args.mask_step_offset,
                                   site + args.mask_site_offset, tuple(x.shape), args.dropout)
        stats.append(float(np.mean(mask == 0)))
        return x * torch.from_numpy(mask.astype(dtype))

    return drop


def make_inputs(args, work):
    rng = np.random.default_rng(1234)
    if args.model == "mlp":
        inputs = {"x": rng.standard_normal((16, 32)).astype(np.float32),
                  "labels": rng.integers(0, 10, size=(16,)).astype(np.int32)}
    elif args.model == "bert":
        # Masked LM: about 15% of the positions carry the target, the rest the ignore index;
        # item 0 is padded after 20 of its 32 tokens (keys masked, labels ignored), item 1 full.
        lengths = np.array([20, 32], dtype=np.int32)
        targets = rng.integers(0, 48, size=(2 * 32,)).astype(np.int32)
        masked = rng.random(2 * 32) < 0.15
        masked[:2] = True  # at least two rows count
        masked[20:32] = False
        inputs = {"tokens": rng.integers(0, 48, size=(2, 32)).astype(np.int32),
                  "token_types": (np.arange(32)[None, :] >= 16).repeat(2, 0).astype(np.int32),
                  "lengths": lengths,
                  "labels": np.where(masked, targets, -100).astype(np.int32)}
    elif args.model == "gqa":  # Item 0 padded to 5 of its 8 keys, item 1 to 7.
        inputs = {"x": rng.standard_normal((2, 8, 16)).astype(np.float32),
                  "key_lengths": np.array([5, 7], dtype=np.int32),
                  "target": rng.standard_normal((2, 8, 16)).astype(np.float32)}
    else:
        inputs = {"tokens": rng.integers(0, 48, size=(2, 32)).astype(np.int32),
                  "labels": rng.integers(0, 48, size=(2 * 32,)).astype(np.int32)}
    path = os.path.join(work, "inputs.safetensors")
    safetensors_io.write(path, inputs)
    return inputs, path


def make_plans(args, mlir, work):
    """Returns [(label, plan path)]: the plans that must agree with each other bit for bit."""
    plans = []
    if args.plan_maker == "mlp-plan":
        for packing in ("none", "reuse"):
            plan = os.path.join(work, f"{packing}.tplan")
            lr = str(HYPER[args.optimizer]["lr"])
            run([args.maker_path, "--optimizer", args.optimizer, "--lr", lr, "--batch", "16",
                 "--features", "32", "--hidden", "64", "--classes", "10", "--packing", packing,
                 "-o", plan])
            plans.append((f"packing {packing}", plan))
    else:
        tidec = [args.maker_path, mlir, f"--seed={PLAN_SEED}"] + tidec_flags(args.optimizer)
        plan = os.path.join(work, "none.tplan")
        run(tidec + ["-o", plan, "--remat=none"])
        plans.append(("remat none", plan))
        # The tightest budget tidec can meet, so the budget plan really recomputes where it can.
        plan = os.path.join(work, "budget.tplan")
        for percent in args.budgets:
            result = subprocess.run(tidec + ["-o", plan, "--remat=budget", f"--budget={percent}%"],
                                    capture_output=True, text=True)
            if result.returncode == 0:
                plans.append((f"remat budget {percent}%", plan))
                for line in result.stdout.splitlines():
                    if "recomput" in line or line.lstrip().startswith(("arena ", "LOAD")):
                        print(f"tidec budget {percent}%: {line.strip()}")
                if args.dropout > 0:
                    check_recomputed_dropout(tidec + ["--remat=budget", f"--budget={percent}%"],
                                             work)
                break
        else:
            sys.exit(f"FAIL: tidec met none of the budgets {args.budgets}:\n{result.stderr}")
    return plans


def check_recomputed_dropout(tidec, work):
    """The budget plan must recompute at least one tide.dropout (a clone tagged tide.recomputed
    regenerating its original's mask in the backward), so the comparison covers a recomputed
    mask."""
    planned = os.path.join(work, "budget.planned.mlir")
    run(tidec + ["--emit=mlir", "-o", planned])
    with open(planned) as f:
        sites = sorted(int(m.group(1)) for m in re.finditer(
            r"tide\.dropout\s+%\S+\s+p\s*=\s*\S+\s+site\s*=\s*(\d+)\s*\{[^}]*tide\.recomputed",
            f.read()))
    if not sites:
        sys.exit(f"FAIL: the budget plan recomputes no tide.dropout ({planned}): the test would "
                 "not cover a recomputed mask")
    print(f"  budget plan: dropout site(s) {sites} recomputed")


def run_tidemark(args, plan, weights, inputs_path, work, label):
    saved = os.path.join(work, label.replace(" ", "-") + ".final.safetensors")
    out = run([args.tide_run, plan, "--steps", str(args.steps), "--threads", str(args.threads),
               "--weights", weights, "--weights-partial", "--inputs", inputs_path,
               "--save-weights", saved, "--report=json"])
    return json.loads(out), saved


def run_torch(args, weights_path, inputs, dtype):
    """The same steps in PyTorch, in float32 (the comparison) or float64 (the near-exact answer
    that tells how well conditioned each value is)."""
    init, _ = safetensors_io.read(weights_path)
    params = {name: torch.tensor(value.astype(dtype), requires_grad=True)
              for name, value in init.items()}
    inputs = {name: value.astype(dtype) if value.dtype.kind == "f" else value
              for name, value in inputs.items()}
    opt, schedule, clip = torch_optimizer(args.optimizer, list(params.values()))
    losses, dropped = [], []
    for step in range(args.steps):
        opt.zero_grad()
        drop = dropout_of_step(args, step + 1, dtype, dropped)
        if args.model == "mlp":
            loss = torch_models.mlp_loss(params, inputs, hidden_layers=1)
        elif args.model == "bert":
            loss = torch_models.bert_loss(params, inputs, layers=DROPOUT_LAYERS, heads=4,
                                          drop=drop)
        elif args.model == "llama":
            loss = torch_models.llama_loss(params, inputs, layers=2, heads=4, kv_heads=2)
        elif args.model == "gqa":
            loss = torch_models.gqa_loss(params, inputs)
        else:
            loss = torch_models.gpt_loss(params, inputs, layers=DROPOUT_LAYERS, heads=4,
                                         drop=drop)
        loss.backward()
        if clip is not None:
            norm = float(torch.nn.utils.clip_grad_norm_(list(params.values()), clip))
            if step == 0 and dtype == np.float32:
                print(f"  PyTorch step 1 gradient norm {norm:.4g}, clipped to {clip}")
                if not norm > clip:
                    sys.exit(f"FAIL: the step 1 gradient norm {norm} does not exceed the clip "
                             f"norm {clip}: the test would not exercise clipping")
        opt.step()
        if schedule is not None:
            schedule.step()
        losses.append(float(loss))
    if dropped and dtype == np.float32:
        print(f"  PyTorch: {len(dropped)} dropout masks, dropped fraction "
              f"{min(dropped):.3f}..{max(dropped):.3f} (p = {args.dropout})")
    return losses, {name: p.detach().numpy() for name, p in params.items()}, init


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), FLOOR))


def compare_tensor(args, name, tide, torch32, torch64, init, failures):
    """Two rules per tensor, both against PyTorch float32:

    norm-wise (the issue's criterion): ||tide - torch32||_2 / max(||torch32||_2, FLOOR * sqrt(n))
    <= TOLERANCE, for every tensor float64 moves (a tensor float64 does not move holds only
    rounding noise and is left to the ill-conditioned rule below);

    element-wise (stricter): rel(tide, torch32) <= TOLERANCE, except at ill-conditioned
    elements: where PyTorch's own float32 result is more than ILL_CONDITIONED of the tolerance
    away from float64 (e.g. Adam dividing a near-zero, sign-changing gradient by its own root mean
    square, or a parameter whose gradient is zero in exact arithmetic such as the attention key
    bias), float32 arithmetic in any summation order scatters by about the tolerance, so there
    Tidemark must be about as accurate as PyTorch: over those elements, max|tide - f64| <=
    AS_ACCURATE * max|torch32 - f64| (maxima, not element by element: where the exact value is 0
    both sides are pure noise, and noise is compared by its size).

    A tensor named by --elementwise-exempt is held to the norm-wise rule only; its element-wise
    result is printed ("passes" when this build does not need the exemption)."""
    scale = max(float(np.max(np.abs(torch32))), FLOOR)
    t, b32, b64 = (np.asarray(x, dtype=np.float64) for x in (tide, torch32, torch64))
    err = np.abs(t - b32) / scale
    ill = np.abs(b32 - b64) / scale > ILL_CONDITIONED * TOLERANCE
    # A tensor that float64 does not move (its gradient is zero in exact arithmetic) holds only
    # rounding noise in any float32 run: every element is ill-conditioned.
    lr = HYPER[args.optimizer]["lr"]
    still = float(np.max(np.abs(b64 - init))) <= STILL * args.steps * lr
    if still:
        ill[...] = True
    elementwise = []
    well_err = float(np.max(err[~ill])) if (~ill).any() else 0.0
    line = f"  {name:32s} rel err {well_err:.2e}" if (~ill).any() else f"  {name:32s}"
    if ill.any():
        tide_dev = float(np.max(np.abs(t - b64)[ill]))
        torch_dev = float(np.max(np.abs(b32 - b64)[ill]))
        ratio = tide_dev / torch_dev if torch_dev > 0 else (0.0 if tide_dev == 0 else np.inf)
        line += (f" {int(ill.sum())} ill-conditioned element(s) of {ill.size}: rel err there "
                 f"{float(np.max(err[ill])):.2e}, largest error vs float64 {ratio:.2f}x PyTorch's")
        if not ratio <= AS_ACCURATE:
            elementwise.append(f"{name}: at ill-conditioned elements Tidemark's error is "
                               f"{ratio:.2f}x PyTorch float32's (limit {AS_ACCURATE}x)")
    if not well_err <= TOLERANCE:
        elementwise.append(f"{name}: rel err {well_err:.3e} > {TOLERANCE}")
    if not still:
        norm = float(np.linalg.norm(t - b32)) / max(float(np.linalg.norm(b32)),
                                                     FLOOR * math.sqrt(b32.size))
        line += f", norm-wise {norm:.2e}"
        if not norm <= TOLERANCE:
            failures.append(f"{name}: norm-wise rel err {norm:.3e} > {TOLERANCE}")
    if name in args.elementwise_exempt:
        line += (" [element-wise rule exempt: " + ("; ".join(elementwise) if elementwise else
                                                   "passes") + "]")
        # Not a failure when it passes: the exempt element sits at the limit by chance (10.9x in
        # the gcc build, 9.9x in the clang sanitizer build), so the printed line says which.
    else:
        failures.extend(elementwise)
    print(line)
    return well_err


def compare_to_torch(args, report, saved, torch32, torch64, failures):
    for step, (a, b) in enumerate(zip(report["losses"], torch32[0]), 1):
        err = relative_error(a, b)
        print(f"  step {step}: loss tidemark {a:.9g} torch {b:.9g} rel err {err:.2e}")
        if not err <= TOLERANCE:
            failures.append(f"step {step} loss rel err {err:.3e} > {TOLERANCE}")
    final, _ = safetensors_io.read(saved)
    init = torch32[2]
    worst = max((compare_tensor(args, name, final[name], expected, torch64[1][name], init[name],
                                failures), name) for name, expected in torch32[1].items())
    print(f"  worst parameter rel err {worst[0]:.2e} ({worst[1]})")


def check_runtime_contracts(args, label, report, failures):
    allocs, growth, planned = (report["allocations_per_step"], report["step_peak_growth_bytes"],
                               report["planned_bytes"])
    print(f"  {label}: allocations/step {allocs}, peak RSS growth {growth} B, planned {planned} B"
          f" + overhead {args.overhead_bytes} B")
    if allocs != 0:
        failures.append(f"{label}: {allocs} heap allocations per step, expected 0")
    if "ASAN_OPTIONS" in os.environ:
        # AddressSanitizer's shadow memory and quarantine grow the resident set by megabytes that
        # the plan does not own; the bound is checked in the normal (uninstrumented) suite.
        print(f"  {label}: peak RSS bound not checked under AddressSanitizer")
    elif growth > planned + args.overhead_bytes:
        failures.append(f"{label}: peak RSS growth {growth} B > planned {planned} B + fixed "
                        f"overhead {args.overhead_bytes} B")


def check_identical(runs, failures):
    (label0, report0, saved0), rest = runs[0], runs[1:]
    bytes0 = safetensors_io.raw_bytes(saved0)
    for label, report, saved in rest:
        same_loss = json.dumps(report["losses"]) == json.dumps(report0["losses"])
        same_state = safetensors_io.raw_bytes(saved) == bytes0
        print(f"  {label} vs {label0}: losses {'identical' if same_loss else 'DIFFER'}, "
              f"{len(bytes0)} state tensors {'bit-identical' if same_state else 'DIFFER'}")
        if not (same_loss and same_state):
            failures.append(f"{label} and {label0} differ (losses or state bytes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", help="build these targets there first")
    parser.add_argument("--build-targets", nargs="*", default=[])
    parser.add_argument("--cmake", default="cmake", help="the cmake that builds them")
    parser.add_argument("--model", choices=["mlp", "gpt", "gqa", "llama", "bert"],
                        required=True)
    parser.add_argument("--optimizer", choices=sorted(HYPER), required=True)
    parser.add_argument("--plan-maker", choices=["mlp-plan", "tidec"], required=True)
    parser.add_argument("--maker-path", required=True, help="e2e-mlp-plan or tidec binary")
    parser.add_argument("--tide-run", required=True)
    parser.add_argument("--tide-models", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--steps", type=int, default=None,
                        help="default 3 (4 for adamw-clip-cosine: both schedule branches)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budgets", type=int, nargs="+", default=[50, 60, 70, 80, 90, 100],
                        help="tidec --budget percentages to try, tightest first")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="gpt/bert: tide-models --dropout p; PyTorch applies Tidemark's masks")
    parser.add_argument("--mask-site-offset", type=int, default=0,
                        help="(negative check) shift the sites of the masks PyTorch applies: "
                             "any nonzero value must make the comparison fail")
    parser.add_argument("--mask-step-offset", type=int, default=0,
                        help="(negative check) shift the step numbers of PyTorch's masks")
    parser.add_argument("--elementwise-exempt", action="append", default=[], metavar="TENSOR",
                        help="hold this parameter to the norm-wise rule only (each use is "
                             "explained next to the test's registration and in "
                             "docs/end-to-end.md)")
    parser.add_argument("--overhead-bytes", type=int, default=8 << 20,
                        help="fixed RSS overhead allowed above the planned bytes (docs/tide-run.md)")
    args = parser.parse_args()
    if args.steps is None:
        args.steps = 4 if args.optimizer == "adamw-clip-cosine" else 3
    if args.plan_maker == "mlp-plan" and args.optimizer not in ("sgd", "adam"):
        parser.error("the hand-built plan has sgd and adam only; use --plan-maker tidec")
    if args.dropout > 0 and args.model not in ("gpt", "bert"):
        parser.error(f"--dropout: the {args.model} model has no dropout")
    if args.dropout > 0 and args.plan_maker != "tidec":
        parser.error("--dropout needs --plan-maker tidec (the plan's seed)")
    try:
        philox.check_known_answers()
    except AssertionError as error:
        sys.exit(f"FAIL: philox.py: {error}")
    if args.build_dir and args.build_targets:
        run([args.cmake, "--build", args.build_dir, "--target"] + args.build_targets)
    os.makedirs(args.workdir, exist_ok=True)
    torch.manual_seed(0)
    print(f"{args.model} / {args.optimizer}: torch {torch.__version__}, {args.steps} steps"
          + (f", dropout {args.dropout} (plan seed {PLAN_SEED:#x})" if args.dropout > 0 else ""))
    mlir, weights = make_model(args, args.workdir)
    inputs, inputs_path = make_inputs(args, args.workdir)
    torch32 = run_torch(args, weights, inputs, np.float32)
    torch64 = run_torch(args, weights, inputs, np.float64)
    failures, runs = [], []
    for label, plan in make_plans(args, mlir, args.workdir):
        report, saved = run_tidemark(args, plan, weights, inputs_path, args.workdir, label)
        print(f"{label}: vs PyTorch (rel err = max|a-b| / max(max|b|, {FLOOR}), "
              f"tolerance {TOLERANCE})")
        compare_to_torch(args, report, saved, torch32, torch64, failures)
        check_runtime_contracts(args, label, report, failures)
        runs.append((label, report, saved))
    check_identical(runs, failures)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
