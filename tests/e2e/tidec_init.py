"""tidec without --weights: the plan's initial parameters come from the model's tide.init.

1. Bit-identical to tide-models: for the same --seed, the state of a tidec inference plan holds
   exactly the bytes `tide-models --weights` writes, for an MLP and for a GPT with an LM head
   (layer-norm gains ones, weights normal, biases zeros); a training plan without --weights
   gives bit-identical losses and weights over 3 steps to the same plan given that file, with the
   state inside the plan or in `<plan>.state` next to it (--inline-state-limit=0).
2. It trains: examples/mlp.mlir compiled with `tidec --train=sgd` and no --weights learns its
   (fixed, seeded) batch: the loss falls below half its start within 200 steps and the first
   layer's weights move. The explicit `--init=zeros` plan, for contrast, only learns the label
   frequencies through the last bias (its first layer gets no gradient and stays exactly zero):
   the failure the default no longer has.
   `tidec --max-batch` writes the same state for the batch it finds.
3. A parameter with neither tide.init nor --weights is refused, with its name and the fixes, and
   no plan file is written.

Usage: tidec_init.py --tidec T --tide-run R --tide-models M --example examples/mlp.mlir
                     --workdir DIR
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch"))
import safetensors_io  # noqa: E402


def run(cmd, expect_ok=True):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if expect_ok and result.returncode != 0:
        raise SystemExit(f"FAILED {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    if not expect_ok and result.returncode == 0:
        raise SystemExit(f"expected a failure: {' '.join(cmd)}\n{result.stdout}")
    return result


def losses(output):
    return [float(m.group(1)) for m in re.finditer(r"^step \d+\s+loss (\S+)", output, re.M)]


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--tidec", "--tide-run", "--tide-models", "--example", "--workdir"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    work = lambda name: os.path.join(args.workdir, name)  # noqa: E731

    # 1. Bit-identical initial state.
    models = {
        "mlp": ["mlp", "--batch", "4", "--d-model", "12", "--hidden", "16,8", "--vocab", "5"],
        "gpt": ["gpt", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "8",
                "--batch", "2", "--vocab", "11"],
    }
    for name, model in models.items():
        seed = "9"
        run([args.tide_models, *model, "--output", work(f"{name}.mlir"),
             "--weights", work(f"{name}.ref.safetensors"), "--seed", seed])
        reference = safetensors_io.raw_bytes(work(f"{name}.ref.safetensors"))
        # The inference plan's state is never updated: what tide-run saves is the initial state.
        plan = work(f"{name}.infer.tplan")
        run([args.tidec, work(f"{name}.mlir"), "-o", plan, "--seed", seed])
        run([args.tide_run, plan, "--save-weights", work(f"{name}.infer.safetensors")])
        state = safetensors_io.raw_bytes(work(f"{name}.infer.safetensors"))
        for tensor, data in reference.items():
            if state.get(tensor) != data:
                raise SystemExit(f"{name}: the plan's '{tensor}' differs from tide-models "
                                 "--weights for the same seed")
        values, _ = safetensors_io.read(work(f"{name}.ref.safetensors"))
        gains = [t for t in values if t.endswith("ln1.weight") or t == "ln_f.weight"]
        if name == "gpt" and not gains:
            raise SystemExit("the GPT has no layer-norm gain to check")
        for tensor in gains:
            if not np.all(values[tensor] == 1.0):
                raise SystemExit(f"{tensor} should start at ones")
        # The same state kept outside the plan (<plan>.state, as for a model over 1 GiB).
        plan = work(f"{name}.external.tplan")
        run([args.tidec, work(f"{name}.mlir"), "-o", plan, "--seed", seed,
             "--inline-state-limit=0"])
        if not os.path.exists(plan + ".state"):
            raise SystemExit(f"{name}: no state file next to the plan")
        run([args.tide_run, plan, "--save-weights", work(f"{name}.external.safetensors")])
        if safetensors_io.raw_bytes(work(f"{name}.external.safetensors")) != state:
            raise SystemExit(f"{name}: the external state differs from the inline one")
        # A training step from tide.init trains exactly like the same step given the
        # tide-models file with --weights: the same losses and the same weights after 3 steps
        # (also with both states outside the plan).
        outputs = {}
        ref = work(f"{name}.ref.safetensors")
        for source, flags in (("init", []), ("weights", ["--weights", ref]),
                              ("init-ext", ["--inline-state-limit=0"]),
                              ("weights-ext", ["--weights", ref, "--inline-state-limit=0"])):
            plan = work(f"{name}.train.{source}.tplan")
            run([args.tidec, work(f"{name}.mlir"), "-o", plan, "--seed", seed, "--train=sgd",
                 *flags])
            out = run([args.tide_run, plan, "--steps", "3", "--seed", "4", "--save-weights",
                       work(f"{name}.train.{source}.st")]).stdout
            outputs[source] = (losses(out), safetensors_io.raw_bytes(work(f"{name}.train.{source}.st")))
        if len(outputs["init"][0]) != 3 or any(outputs[o] != outputs["init"] for o in outputs):
            raise SystemExit(f"{name}: training from tide.init differs from training from the "
                             f"tide-models weights: {outputs['init'][0]} vs {outputs['weights'][0]}")
        print(f"{name}: the tidec plans' initial state is bit-identical to tide-models --weights "
              f"--seed {seed} ({len(reference)} tensors); 3 SGD steps identical, losses "
              f"{outputs['init'][0]}")
    # --max-batch: the probes skip the values; the plan it writes for the batch found has them.
    mlp_cmd = " ".join([args.tide_models, *models["mlp"]]).replace("--batch 4", "--batch {}")
    out = run([args.tidec, "--max-batch", "--model-cmd", mlp_cmd, "--budget=8K", "--seed", "9",
               "--max-batch-limit=256", "-o", work("mlp.maxbatch.tplan")]).stdout
    run([args.tide_run, work("mlp.maxbatch.tplan"), "--save-weights", work("mlp.maxbatch.st")])
    if safetensors_io.raw_bytes(work("mlp.maxbatch.st")) != \
            safetensors_io.raw_bytes(work("mlp.infer.safetensors")):
        raise SystemExit("the --max-batch plan's initial state differs from tide-models --weights")
    print("--max-batch plan:", re.search(r"max batch +\d+", out).group(0), "with the same state")
    # A different seed gives different values (the seed reaches the generator).
    run([args.tidec, work("mlp.mlir"), "-o", work("mlp.seed10.tplan"), "--seed", "10"])
    run([args.tide_run, work("mlp.seed10.tplan"), "--save-weights", work("mlp.seed10.st")])
    if safetensors_io.raw_bytes(work("mlp.seed10.st"))["layers.0.weight"] == \
            safetensors_io.raw_bytes(work("mlp.ref.safetensors"))["layers.0.weight"]:
        raise SystemExit("--seed 10 gave the same initial weights as --seed 9")

    # 2. The example trains from its tide.init values; zeros (the explicit opt-out) do not.
    results = {}
    for mode in ("model", "zeros"):
        plan = work(f"example.{mode}.tplan")
        run([args.tidec, args.example, "-o", plan, "--train=sgd", "--lr=0.1", f"--init={mode}"])
        run([args.tide_run, plan, "--save-weights", work(f"example.{mode}.start.st")])
        out = run([args.tide_run, plan, "--steps", "200", "--seed", "3",
                   "--save-weights", work(f"example.{mode}.end.st")]).stdout
        start, _ = safetensors_io.read(work(f"example.{mode}.start.st"))
        end, _ = safetensors_io.read(work(f"example.{mode}.end.st"))
        curve = losses(out)
        if len(curve) != 200:
            raise SystemExit(f"expected 200 losses, got {len(curve)}:\n{out}")
        results[mode] = (curve, start, end)
        print(f"--init={mode}: loss {curve[0]:.4f} -> {curve[-1]:.4f}, first layer |w| "
              f"{np.abs(start['param0']).max():.4f} -> {np.abs(end['param0']).max():.4f}")
    curve, start, end = results["model"]
    if not curve[-1] < 0.5 * curve[0]:
        raise SystemExit(f"the loss did not fall below half its start: {curve[0]} -> {curve[-1]}")
    if not np.any(start["param0"] != 0) or np.array_equal(start["param0"], end["param0"]):
        raise SystemExit("the first layer should start random and move")
    curve, start, end = results["zeros"]
    if np.any(end["param0"] != 0) or not curve[-1] > 0.9 * curve[0]:
        raise SystemExit("--init=zeros was expected to stay stuck (first layer exactly zero)")

    # 3. A parameter without tide.init and no --weights: refused, nothing written.
    text = open(args.example).read().replace(', tide.init = "normal(0, 0.02)"}', "}", 1)
    with open(work("no-init.mlir"), "w") as f:
        f.write(text)
    plan = work("no-init.tplan")
    if os.path.exists(plan):
        os.remove(plan)
    err = run([args.tidec, work("no-init.mlir"), "-o", plan, "--train=sgd"], False).stderr
    for fragment in ("1 parameter(s) have no initial value: 'param0' (argument #2)",
                     "give --weights FILE.safetensors", "add tide.init", "--init=zeros"):
        if fragment not in err:
            raise SystemExit(f"the refusal should say '{fragment}':\n{err}")
    if os.path.exists(plan):
        raise SystemExit("a refused compile left a plan file")
    print("a parameter without an initial value is refused:", err.strip().splitlines()[0])


if __name__ == "__main__":
    main()
