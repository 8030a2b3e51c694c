"""Runs `TOOL PREFIX.onnx` on every prefix of MODEL (0 to size - 1 bytes, each STEP-th) and on
copies with one byte flipped at every STEP-th offset; each run must exit 0 or 1 (never a signal
or another code) and a failure must print one `error:` message. Prints a summary line.

Usage: truncations.py TOOL MODEL WORKDIR STEP
"""
import os
import subprocess
import sys


def main():
    tool, model, workdir, step = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    os.makedirs(workdir, exist_ok=True)
    data = open(model, "rb").read()
    cases = [("prefix", data[:n]) for n in range(0, len(data), step)]
    cases += [("flip", data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
              for i in range(0, len(data), step)]
    path = os.path.join(workdir, "case.onnx")
    counts = {"prefix": {0: 0, 1: 0}, "flip": {0: 0, 1: 0}}  # exit code -> runs
    for kind, blob in cases:
        with open(path, "wb") as f:
            f.write(blob)
        result = subprocess.run([tool, path, "-o", os.path.join(workdir, "case.mlir")],
                                capture_output=True, text=True, errors="strict")
        if result.returncode not in (0, 1):
            print(f"FAIL {kind} of {len(blob)} bytes: exit {result.returncode}\n{result.stderr}")
            return 1
        if result.returncode == 1 and "error: " not in result.stderr:
            print(f"FAIL {kind}: exit 1 without a message")
            return 1
        if kind == "prefix" and result.returncode == 0:
            print(f"FAIL prefix of {len(blob)} bytes was imported")
            return 1
        counts[kind][result.returncode] += 1
    print(f"prefixes rejected {counts['prefix'][1]} of {sum(counts['prefix'].values())}; "
          f"byte flips rejected {counts['flip'][1]}, imported {counts['flip'][0]}; no crash")
    return 0


if __name__ == "__main__":
    sys.exit(main())
