"""Checks and describes the PyTorch the benchmarks compare against (bench/models, bench/torch).

  torch_env.py check [--threads T]   one line: CPU model, torch version, the BLAS library the
                                     process really mapped, OPENBLAS_CORETYPE, OMP_WAIT_POLICY,
                                     threads, load average. Exits 1 (with the mapped libraries
                                     named) unless the BLAS torch calls is OpenBLAS.
  torch_env.py gemm [--threads T] [--size M,K,N] [--reps R]
                                     the same check, then the median wall and CPU seconds
                                     (process CPU time, all threads) of R float32 torch.mm calls
                                     of [M, K] x [K, N], GFLOP/s of each and of the fastest call
                                     (one JSON line).

Debian's python3-torch links libblas.so.3, which the alternatives system resolves to whatever
provides it: the reference BLAS (netlib, unblocked loops) unless an OpenBLAS package is
installed. A benchmark against the reference BLAS would compare with a crippled PyTorch, so the
check reads /proc/self/maps after a matrix product (the library actually loaded, not what ldd or
the alternatives say) and refuses anything but libopenblas.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import torch


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def cpu_family_model():
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if ":" not in line:
                if fields:
                    break
                continue
            key, value = (s.strip() for s in line.split(":", 1))
            fields.setdefault(key, value)
    return fields.get("cpu family", "?"), fields.get("model", "?")


def mapped_libraries():
    """Paths of the shared objects mapped into this process."""
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ".so" in parts[5]:
                paths.add(parts[5])
    return sorted(paths)


def blas_library():
    """(the libblas torch resolved, the libopenblas behind it or None, OpenBLAS's core name and
    threading, every BLAS-like library mapped). Runs one product first so a lazily loaded BLAS is
    mapped too."""
    a = torch.ones(64, 64)
    (a @ a).sum().item()
    mapped = [p for p in mapped_libraries()
              if any(k in os.path.basename(p) for k in ("blas", "lapack", "mkl", "blis"))]
    libblas = [p for p in mapped if os.path.basename(p).startswith("libblas")]
    openblas = [p for p in mapped if os.path.basename(p).startswith("libopenblas")]
    # Debian's openblas-*/libblas.so.3 is a thin front of libopenblas.so.0 in the same folder.
    if len(libblas) != 1 or len(openblas) != 1 or \
            os.path.dirname(libblas[0]) != os.path.dirname(openblas[0]):
        return None, None, None, mapped
    lib = ctypes.CDLL(openblas[0])  # already loaded: the same handle, no second copy
    lib.openblas_get_corename.restype = ctypes.c_char_p
    core = lib.openblas_get_corename().decode()
    threading = {0: "sequential", 1: "pthreads", 2: "OpenMP"}.get(lib.openblas_get_parallel(), "?")
    return libblas[0], openblas[0], f"{core}, {threading}", mapped


def capability():
    """The vector width ATen's own kernels were dispatched to (ATEN_CPU_CAPABILITY)."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def describe(threads):
    """Checks the BLAS (exit 1 unless OpenBLAS) and returns the description line."""
    torch.set_num_threads(threads)
    blas, openblas, core, mapped = blas_library()
    if openblas is None:
        sys.exit("torch_env: error: PyTorch does not load OpenBLAS as its libblas.so.3 (mapped "
                 "BLAS/LAPACK "
                 f"libraries: {', '.join(mapped) or 'none'}); install libopenblas0-openmp "
                 "(scripts/setup.sh does) so the comparison is not against the reference BLAS")
    family, model = cpu_family_model()
    load = open("/proc/loadavg").read().split()[:3]
    return (f"CPU: {cpu_model()} (family {family} model {model}), {os.cpu_count()} logical CPUs; "
            f"PyTorch {torch.__version__}, torch.set_num_threads({torch.get_num_threads()}); "
            f"BLAS {blas} -> {os.path.realpath(openblas)} (core {core}); "
            f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')} "
            f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}; "
            f"ATen CPU capability {capability()}; "
            f"load average {' '.join(load)}")


def gemm(size, reps):
    m, k, n = size
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
    for _ in range(2):
        torch.mm(a, b)
    times, cpu_times = [], []
    for _ in range(reps):
        cpu_start = time.process_time()
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    median, cpu = statistics.median(times), statistics.median(cpu_times)
    flops = 2.0 * m * k * n
    return {"size": [m, k, n], "reps": reps, "median_seconds": median,
            "median_cpu_seconds": cpu, "min_seconds": min(times),
            "best_gflops": flops / min(times) / 1e9, "gflops": flops / median / 1e9,
            "gflops_per_cpu_second": flops / cpu / 1e9}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["check", "gemm"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", default="2048,512,2048")
    p.add_argument("--reps", type=int, default=10)
    a = p.parse_args()
    line = describe(a.threads)
    if a.what == "check":
        print(line)
        return
    size = [int(s) for s in a.size.split(",")]
    if len(size) != 3 or min(size) < 1:
        sys.exit(f"torch_env: error: --size wants M,K,N (positive), got '{a.size}'")
    result = gemm(size, a.reps)
    result["env"] = line
    print(json.dumps(result))


if __name__ == "__main__":
    main()
