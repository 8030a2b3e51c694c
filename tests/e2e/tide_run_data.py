"""tide-run --data end to end: an MLP trained on labelled examples read from a safetensors file,
with held-out evaluation through the model's inference plan.

Builds a 10-class problem whose labels are a fixed linear function of the features (argmax of
x W*), compiles examples/mlp.mlir twice (tidec --train=sgd and tidec without --train), starts
from seeded random weights, and checks that the training loss and the held-out loss both fall,
that two runs with the same seed are bit-identical, that the report names the data, and that
token files, missing inputs and bad flags are clear errors.

Usage: tide_run_data.py --tidec T --tide-run R --example examples/mlp.mlir --workdir DIR
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch"))
import safetensors_io  # noqa: E402


def run(cmd, expect_ok=True):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if expect_ok and result.returncode != 0:
        raise SystemExit(f"FAILED {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--tidec", "--tide-run", "--example", "--workdir"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    work = lambda name: os.path.join(args.workdir, name)  # noqa: E731

    rng = np.random.default_rng(7)
    w_true = rng.standard_normal((64, 10)).astype(np.float32)
    x = rng.standard_normal((2000, 64)).astype(np.float32)
    labels = np.argmax(x @ w_true, axis=1).astype(np.int32)
    safetensors_io.write(work("examples.safetensors"), {"inputs": x, "labels": labels})

    run([args.tidec, "--train=sgd", args.example, "-o", work("train.plan")])
    run([args.tidec, args.example, "-o", work("eval.plan")])
    # Seeded random initial weights (a zero-initialised MLP has no gradient into its first layer).
    init = {
        "param0": (rng.standard_normal((64, 128)) * 0.12).astype(np.float32),
        "param1": np.zeros(128, np.float32),
        "param2": (rng.standard_normal((128, 10)) * 0.09).astype(np.float32),
        "param3": np.zeros(10, np.float32),
    }
    safetensors_io.write(work("init.safetensors"), init)

    def train(seed):
        out = run([args.tide_run, work("train.plan"), "--steps", "1000", "--seed", str(seed),
                   "--weights", work("init.safetensors"), "--weights-partial",
                   "--data", work("examples.safetensors"), "--data-type", "examples",
                   "--eval-fraction", "0.2", "--eval-every", "250", "--eval-plan",
                   work("eval.plan"), "--eval-batches", "8", "--report=json"])
        return json.loads(out.stdout)

    report = train(3)
    losses = report["losses"]
    evals = report["eval_losses"]
    print("train loss: first 10 mean %.4f, last 10 mean %.4f" %
          (np.mean(losses[:10]), np.mean(losses[-10:])))
    print("held-out:", evals)
    assert "examples.safetensors (examples, 2000, 400 held out)" in report["data"], report["data"]
    assert [step for step, _ in evals] == [250, 500, 750, 1000], evals
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:10]), "training loss did not fall"
    assert evals[-1][1] < 0.8 * evals[0][1] or evals[-1][1] < 0.7 * np.mean(losses[:10]), \
        "held-out loss did not fall"
    assert report["allocations_per_step"] == 0, report["allocations_per_step"]
    again = train(3)
    assert again["losses"] == losses and again["eval_losses"] == evals, "not reproducible"
    other = train(4)
    assert other["losses"] != losses, "the seed does not change the batches"

    # Errors: a token file for a model without token inputs, --eval-every without a plan,
    # --data with --inputs, a missing data file.
    bad = run([args.tide_run, work("train.plan"), "--data", args.example, "--data-type", "bytes"],
              expect_ok=False)
    assert bad.returncode == 1 and "needs a plan with two i32 inputs" in bad.stderr, bad.stderr
    bad = run([args.tide_run, work("train.plan"), "--data", work("examples.safetensors"),
               "--data-type", "examples", "--eval-every", "5"], expect_ok=False)
    assert bad.returncode != 0 and "--eval-every needs --data and --eval-plan" in bad.stderr
    bad = run([args.tide_run, work("train.plan"), "--data", work("nope.bin")], expect_ok=False)
    assert bad.returncode == 1 and "nope.bin" in bad.stderr, bad.stderr
    bad = run([args.tide_run, work("train.plan"), "--data", work("examples.safetensors"),
               "--data-type", "examples", "--inputs", work("init.safetensors")], expect_ok=False)
    assert bad.returncode != 0 and "--inputs and --data exclude each other" in bad.stderr
    bad = run([args.tide_run, work("train.plan"), "--data", work("examples.safetensors"),
               "--data-type", "examples", "--eval-fraction", "1.5"], expect_ok=False)
    assert bad.returncode != 0 and "--eval-fraction must be a number in [0, 1)" in bad.stderr
    print("ok")


if __name__ == "__main__":
    main()
