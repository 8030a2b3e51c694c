"""NumPy+OpenBLAS peer for bench_gemm: the same shapes, GFLOP/s of every repetition, as JSON.

Also reports GFLOP per CPU-second of the whole process (all OpenBLAS threads).

Run with /usr/bin/python3, LD_LIBRARY_PATH pointing at the OpenBLAS pthread build and
OPENBLAS_NUM_THREADS set (bench/gemm/run.sh does this). Transposes are passed as transposed
views, which NumPy hands to sgemm as transpose flags without copying; the batched shape uses
np.matmul on 3-D arrays (one sgemm per item). Output goes to a preallocated array.
"""
import argparse
import json
import sys
import time

import numpy as np


def make_operands(m, n, k, trans_a, trans_b, batch, rng):
    a_shape = (k, m) if trans_a else (m, k)
    b_shape = (n, k) if trans_b else (k, n)
    if batch > 1:
        a_shape, b_shape = (batch,) + a_shape, (batch,) + b_shape
    a = rng.uniform(-1, 1, a_shape).astype(np.float32)
    b = rng.uniform(-1, 1, b_shape).astype(np.float32)
    op_a = np.swapaxes(a, -1, -2) if trans_a else a
    op_b = np.swapaxes(b, -1, -2) if trans_b else b
    c = np.empty(((batch,) if batch > 1 else ()) + (m, n), dtype=np.float32)
    return op_a, op_b, c


def seconds_per_call(op_a, op_b, c, min_time, repetitions):
    """`repetitions` (wall, process CPU) timings, each averaging enough calls to last min_time."""
    np.matmul(op_a, op_b, out=c)  # warm-up: threads started, pages touched
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(op_a, op_b, out=c)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        calls *= 2
    timings, cpu_timings = [], []
    for _ in range(repetitions):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(calls):
            np.matmul(op_a, op_b, out=c)
        timings.append((time.perf_counter() - start) / calls)
        cpu_timings.append((time.process_time() - cpu_start) / calls)
    return timings, cpu_timings


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shapes", required=True,
                        help="JSON list of [m, n, k, trans_a, trans_b, batch]")
    parser.add_argument("--min-time", type=float, default=0.3)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    from threadpoolctl import threadpool_info
    rng = np.random.default_rng(0)
    results = []
    for m, n, k, trans_a, trans_b, batch in json.loads(args.shapes):
        op_a, op_b, c = make_operands(m, n, k, trans_a, trans_b, batch, rng)
        timings, cpu_timings = seconds_per_call(op_a, op_b, c, args.min_time, args.repetitions)
        flops = 2.0 * batch * m * n * k
        results.append({"shape": [m, n, k, trans_a, trans_b, batch],
                        "gflops": [flops / seconds * 1e-9 for seconds in timings],
                        "gflop_per_cpu_second": [flops / seconds * 1e-9 for seconds in cpu_timings]})
    json.dump({"numpy": np.__version__, "threadpool_info": threadpool_info(), "results": results},
              sys.stdout)


if __name__ == "__main__":
    main()
