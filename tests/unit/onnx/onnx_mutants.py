"""The ONNX importer over 10 000 mutated models (issue 11, "fails well"): writes the seed models
of tests/lit/onnx (tests/lit/onnx/Inputs/make_models.py: onnx.helper graphs covering shapes,
reductions, gathers, folding, MatMul/Gemm, Clip/Max/Min, and an MLP exported by
torch.onnx.export), then runs the in-process driver onnx_mutants (onnx_mutants.cpp) over COUNT
byte-level and field-aware mutants of them: every mutant must import or be rejected with a
message; a crash fails the test and leaves the mutant in WORKDIR/case.onnx.

Usage: onnx_mutants.py --driver BIN --make-models make_models.py --workdir DIR [--count N]
Exit 0: pass; 1: a failure; 77: skipped (/usr/bin/python3 cannot import onnx or torch).
"""
import argparse
import os
import subprocess
import sys

SEEDS = ["shapes", "reduce", "gather", "fold", "matmul", "boxes", "minmax", "mlp"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    parser.add_argument("--make-models", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
    except ImportError as error:
        print(f"SKIP: cannot import onnx/torch with {sys.executable}: {error}")
        return 77
    os.makedirs(args.workdir, exist_ok=True)
    paths = []
    for name in SEEDS:
        path = os.path.join(args.workdir, f"seed-{name}.onnx")
        subprocess.run([sys.executable, args.make_models, name, path], check=True)
        paths.append(path)
    result = subprocess.run([args.driver, args.workdir, str(args.count), str(args.seed)] + paths)
    if result.returncode != 0:
        print(f"FAIL: onnx_mutants exited with {result.returncode} (a negative code is a signal); "
              f"the mutant is {args.workdir}/case.onnx, described in {args.workdir}/case.txt")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
