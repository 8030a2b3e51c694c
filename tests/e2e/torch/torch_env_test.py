"""bench/models/torch_env.py's BLAS check must pass on OpenBLAS and fail on the reference BLAS.

  1. With the OpenMP OpenBLAS first on LD_LIBRARY_PATH (as bench/models/run.sh runs PyTorch),
     `torch_env.py check` exits 0 and names that library and a core OpenBLAS reports.
  2. With Debian's reference BLAS folder first (when libblas3 is installed), it exits 1 and says
     PyTorch does not load OpenBLAS, naming the reference library it found mapped.
Exit 0: both hold; 1: one failed; 77: skipped (no torch for /usr/bin/python3, or no OpenBLAS).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_ENV = os.path.join(HERE, "..", "..", "..", "bench", "models", "torch_env.py")
LIBDIR = "/usr/lib/x86_64-linux-gnu"
OPENBLAS = os.path.join(LIBDIR, "openblas-openmp")
REFERENCE = os.path.join(LIBDIR, "blas")

try:
    import torch  # noqa: F401
except ImportError as error:
    print(f"SKIP: cannot import torch with {sys.executable}: {error}")
    sys.exit(77)
if not os.path.exists(os.path.join(OPENBLAS, "libblas.so.3")):
    print(f"SKIP: {OPENBLAS}/libblas.so.3 missing (install libopenblas0-openmp)")
    sys.exit(77)


def check(libdir):
    env = dict(os.environ, LD_LIBRARY_PATH=libdir, OMP_WAIT_POLICY="PASSIVE")
    return subprocess.run([sys.executable, TORCH_ENV, "check", "--threads", "1"],
                          capture_output=True, text=True, env=env)


failures = []
good = check(OPENBLAS)
if good.returncode != 0:
    failures.append(f"on OpenBLAS: exit {good.returncode}: {good.stderr.strip()}")
elif f"BLAS {OPENBLAS}/libblas.so.3 -> {OPENBLAS}/libopenblas" not in good.stdout or \
        "(core " not in good.stdout:
    failures.append(f"on OpenBLAS: the line does not name {OPENBLAS} and its core: "
                    f"{good.stdout.strip()}")
else:
    print(f"OpenBLAS accepted: {good.stdout.strip()}")

if os.path.exists(os.path.join(REFERENCE, "libblas.so.3")):
    bad = check(REFERENCE)
    if bad.returncode != 1:
        failures.append(f"on the reference BLAS: exit {bad.returncode} (want 1): "
                        f"{bad.stdout.strip()} {bad.stderr.strip()}")
    elif "does not load OpenBLAS" not in bad.stderr or REFERENCE not in bad.stderr:
        failures.append(f"on the reference BLAS: unclear message: {bad.stderr.strip()}")
    else:
        print(f"reference BLAS refused: {bad.stderr.strip()}")
else:
    print(f"({REFERENCE}/libblas.so.3 not installed: the refusal is not exercised)")

for failure in failures:
    print(f"FAIL: {failure}")
sys.exit(1 if failures else 0)
