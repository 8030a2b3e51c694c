"""Merges bench_gemm JSON runs and numpy_peer.py JSON runs into one Markdown table of medians.

Usage: make_table.py --tidemark run1.json [run2.json ...] --peer peer1.json [peer2.json ...]
Each peer file holds one thread count (its threadpool_info says which).
"""
import argparse
import json
import re
import statistics
from collections import defaultdict


def shape_key(m, n, k, trans_a, trans_b, batch, threads):
    return (int(m), int(n), int(k), int(trans_a), int(trans_b), int(batch), int(threads))


def load_tidemark(paths):
    samples, cpu_samples, targets = defaultdict(list), defaultdict(list), {}
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        for bench in run["benchmarks"]:
            if bench.get("run_type", "iteration") != "iteration":
                continue
            args = dict(re.findall(r"(\w+):(\d+)", bench["name"]))
            key = shape_key(args["m"], args["n"], args["k"], args["ta"], args["tb"],
                            args["batch"], args["threads"])
            samples[key].append(bench["GFLOPS"])
            unit_seconds = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[bench["time_unit"]]
            flops = 2.0 * key[0] * key[1] * key[2] * key[5]
            cpu_samples[key].append(flops / (bench["cpu_time"] * unit_seconds) * 1e-9)
            targets[key] = bench.get("label", "?")
    return samples, cpu_samples, targets


def load_peer(paths):
    samples, cpu_samples, infos = defaultdict(list), defaultdict(list), []
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        blas = [i for i in run["threadpool_info"] if i.get("user_api") == "blas"]
        threads = blas[0]["num_threads"] if blas else 0
        infos.append(blas)
        for result in run["results"]:
            key = shape_key(*result["shape"], threads)
            samples[key].extend(result["gflops"])
            cpu_samples[key].extend(result["gflop_per_cpu_second"])
    return samples, cpu_samples, infos


def describe(key):
    m, n, k, trans_a, trans_b, batch, _ = key
    flags = "".join(name for name, on in (("A^T ", trans_a), ("B^T ", trans_b)) if on)
    text = f"{m}x{n}x{k} {flags}".strip()
    return text + (f" batch {batch}" if batch > 1 else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tidemark", nargs="+", required=True)
    parser.add_argument("--peer", nargs="+", required=True)
    args = parser.parse_args()
    ours, ours_cpu, targets = load_tidemark(args.tidemark)
    theirs, theirs_cpu, infos = load_peer(args.peer)
    seen = set()
    for blas in infos:
        for info in blas:
            line = (f"peer BLAS (threadpoolctl): {info['internal_api']} {info['version']} "
                    f"architecture={info['architecture']} threads={info['num_threads']} "
                    f"({info['filepath']})")
            if line not in seen:
                seen.add(line)
                print(line)
    print()
    print("Wall-clock GFLOP/s (the target), and GFLOP per CPU-second of the whole process (all")
    print("threads; less sensitive to other load on the machine). Medians over all samples.")
    print()
    print("| shape (m x n x k) | threads | Tidemark GFLOP/s | OpenBLAS GFLOP/s | ratio | "
          "Tidemark GFLOP/cpu-s | OpenBLAS GFLOP/cpu-s | ratio | Highway target | samples |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in ours:
        mine, mine_cpu = statistics.median(ours[key]), statistics.median(ours_cpu[key])
        peer = statistics.median(theirs[key]) if theirs.get(key) else float("nan")
        peer_cpu = statistics.median(theirs_cpu[key]) if theirs_cpu.get(key) else float("nan")
        print(f"| {describe(key)} | {key[6]} | {mine:.1f} | {peer:.1f} | {mine / peer:.2f} | "
              f"{mine_cpu:.1f} | {peer_cpu:.1f} | {mine_cpu / peer_cpu:.2f} | "
              f"{targets[key]} | {len(ours[key])}/{len(theirs.get(key, []))} |")


if __name__ == "__main__":
    main()
