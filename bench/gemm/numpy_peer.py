"""NumPy+OpenBLAS peer for bench_gemm: the same shapes, GFLOP/s of every repetition, as JSON.

Also reports GFLOP per CPU-second of the whole process (all OpenBLAS threads).

Run with /usr/bin/python3, LD_LIBRARY_PATH pointing at the OpenBLAS pthread build and
OPENBLAS_NUM_THREADS set (bench/gemm/run.sh does this). Transposes are passed as transposed
views, which NumPy hands to sgemm as transpose flags without copying. A batch runs one 2-D
np.matmul (one sgemm) per item: np.matmul on 3-D arrays does not call BLAS in NumPy 1.24 and
measured ~5 GFLOP/s, which would handicap the peer. Output goes to preallocated arrays.
"""
import argparse
import json
import re
import sys
import time

import numpy as np


def make_multiply(m, n, k, trans_a, trans_b, batch, rng):
    """Returns a function computing C[i] = op(A[i]) op(B[i]) for every batch item."""
    a_shape = (batch, k, m) if trans_a else (batch, m, k)
    b_shape = (batch, n, k) if trans_b else (batch, k, n)
    a = rng.uniform(-1, 1, a_shape).astype(np.float32)
    b = rng.uniform(-1, 1, b_shape).astype(np.float32)
    op_a = [x.T if trans_a else x for x in a]
    op_b = [x.T if trans_b else x for x in b]
    c = np.empty((batch, m, n), dtype=np.float32)

    def multiply():
        for item in range(batch):
            np.matmul(op_a[item], op_b[item], out=c[item])

    return multiply


def seconds_per_call(multiply, min_time, repetitions):
    """`repetitions` (wall, process CPU) timings, each averaging enough calls to last min_time."""
    multiply()  # warm-up: threads started, pages touched
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            multiply()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        calls *= 2
    timings, cpu_timings = [], []
    for _ in range(repetitions):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(calls):
            multiply()
        timings.append((time.perf_counter() - start) / calls)
        cpu_timings.append((time.process_time() - cpu_start) / calls)
    return timings, cpu_timings


def shapes_of_benchmark(path, threads):
    """[m, n, k, trans_a, trans_b, batch] of every bench_gemm case run on `threads` threads."""
    with open(path) as f:
        run = json.load(f)
    shapes = []
    for bench in run["benchmarks"]:
        args = {key: int(value) for key, value in re.findall(r"(\w+):(\d+)", bench["name"])}
        shape = [args[key] for key in ("m", "n", "k", "ta", "tb", "batch")]
        if args["threads"] == threads and shape not in shapes:
            shapes.append(shape)
    return shapes


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench-json", required=True,
                        help="bench_gemm --benchmark_format=json output; its shapes are run")
    parser.add_argument("--threads", type=int, required=True,
                        help="run only the shapes bench_gemm ran on this many threads")
    parser.add_argument("--min-time", type=float, default=0.3)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    from threadpoolctl import threadpool_info
    rng = np.random.default_rng(0)
    results = []
    for m, n, k, trans_a, trans_b, batch in shapes_of_benchmark(args.bench_json, args.threads):
        multiply = make_multiply(m, n, k, trans_a, trans_b, batch, rng)
        timings, cpu_timings = seconds_per_call(multiply, args.min_time, args.repetitions)
        flops = 2.0 * batch * m * n * k
        results.append({"shape": [m, n, k, trans_a, trans_b, batch],
                        "gflops": [flops / seconds * 1e-9 for seconds in timings],
                        "gflop_per_cpu_second": [flops / seconds * 1e-9 for seconds in cpu_timings]})
    json.dump({"numpy": np.__version__, "threadpool_info": threadpool_info(), "results": results},
              sys.stdout)


if __name__ == "__main__":
    main()
