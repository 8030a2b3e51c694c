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
    samples, targets = defaultdict(list), {}
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
            targets[key] = bench.get("label", "?")
    return samples, targets


def load_peer(paths):
    samples, infos = defaultdict(list), []
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        blas = [i for i in run["threadpool_info"] if i.get("user_api") == "blas"]
        threads = blas[0]["num_threads"] if blas else 0
        infos.append(blas)
        for result in run["results"]:
            samples[shape_key(*result["shape"], threads)].extend(result["gflops"])
    return samples, infos


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
    ours, targets = load_tidemark(args.tidemark)
    theirs, infos = load_peer(args.peer)
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
    print("| shape (m x n x k) | threads | Tidemark GFLOP/s | OpenBLAS GFLOP/s | ratio | "
          "Highway target | samples |")
    print("|---|---|---|---|---|---|---|")
    for key in ours:
        mine = statistics.median(ours[key])
        peer = statistics.median(theirs[key]) if theirs.get(key) else float("nan")
        print(f"| {describe(key)} | {key[6]} | {mine:.1f} | {peer:.1f} | {mine / peer:.2f} | "
              f"{targets[key]} | {len(ours[key])}/{len(theirs.get(key, []))} |")


if __name__ == "__main__":
    main()
