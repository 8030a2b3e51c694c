"""NumPy+OpenBLAS peer for bench_gemm: the same shapes, GFLOP/s of every repetition, as JSON.

Also reports GFLOP per CPU-second of the whole process (all OpenBLAS threads).

Usage: numpy_peer.py [--repetitions N] BENCHMARK_NAME... (names as bench_gemm lists them; the
thread count in the name is not applied here: set OPENBLAS_NUM_THREADS to it). Run with
/usr/bin/python3 and LD_LIBRARY_PATH pointing at the OpenBLAS pthread build (bench/gemm/run.sh
does all this). Transposes are passed as transposed
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


def shape_of_benchmark(name):
    """[m, n, k, trans_a, trans_b, batch] of a bench_gemm benchmark name."""
    args = {key: int(value) for key, value in re.findall(r"(\w+):(\d+)", name)}
    return [args[key] for key in ("m", "n", "k", "ta", "tb", "batch")]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("benchmarks", nargs="+",
                        help="bench_gemm benchmark names (bench_gemm --benchmark_list_tests)")
    parser.add_argument("--min-time", type=float, default=0.3)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    from threadpoolctl import threadpool_info
    rng = np.random.default_rng(0)
    results = []
    for m, n, k, trans_a, trans_b, batch in map(shape_of_benchmark, args.benchmarks):
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
