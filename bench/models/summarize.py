"""Summarizes bench/models rounds into the markdown table of docs/benchmarks.md.

  summarize.py WORK FAMILY...

WORK/FAMILY/round-R.torch.json (torch_step.py) and WORK/FAMILY/round-R.tide.json (tide-run
--report=json) hold one process each; the first step of every process is a warm-up and left out.
Per side and round: the median of the remaining steps' wall (and CPU) seconds; the table shows
the median over the rounds of those, the range over rounds, and Tidemark / PyTorch.
WORK/FAMILY/arena.json: {"none": bytes, "per_block": bytes} from tidec --report=json.
"""
import glob
import json
import os
import statistics
import sys


def per_round(files, key):
    """The median over steps 2.. of each file's `key` list, one value per round."""
    values = []
    for path in files:
        with open(path) as f:
            steps = json.load(f)[key][1:]
        if not steps:
            sys.exit(f"summarize: error: {path} has no step after the warm-up (STEPS must be >= 2)")
        values.append(statistics.median(steps))
    return values


def fmt_range(values):
    return f"{min(values):.2f}-{max(values):.2f}"


def main():
    work, families = sys.argv[1], sys.argv[2:]
    print("| family | PyTorch wall | Tidemark wall | wall ratio | PyTorch CPU | Tidemark CPU "
          "| CPU ratio | rounds |")
    print("|---|---|---|---|---|---|---|---|")
    arenas = []
    for family in families:
        d = os.path.join(work, family)
        with open(os.path.join(d, "arena.json")) as f:
            arenas.append((family, json.load(f)))
        torch_files = sorted(glob.glob(os.path.join(d, "round-*.torch.json")))
        tide_files = sorted(glob.glob(os.path.join(d, "round-*.tide.json")))
        if not torch_files or not tide_files:
            continue
        tw, mw = per_round(torch_files, "step_seconds"), per_round(tide_files, "step_seconds")
        tc, mc = (per_round(torch_files, "step_cpu_seconds"),
                  per_round(tide_files, "step_cpu_seconds"))
        row = [family]
        for torch_side, tide_side in ((tw, mw), (tc, mc)):
            t, m = statistics.median(torch_side), statistics.median(tide_side)
            row += [f"{t:.3f} s ({fmt_range(torch_side)})", f"{m:.3f} s ({fmt_range(tide_side)})",
                    f"**{m / t:.2f}x**"]
        row.append(str(len(tw)))
        print("| " + " | ".join(row) + " |")
    print()
    print("| family | arena, remat none | arena, per-block (`regions`) | cut |")
    print("|---|---|---|---|")
    for family, arena in arenas:
        none, block = arena["none"], arena["per_block"]
        print(f"| {family} | {none / 2**20:.1f} MiB | {block / 2**20:.1f} MiB | "
              f"{100 * (1 - block / none):.1f}% ({none / block:.2f}x smaller) |")


if __name__ == "__main__":
    main()
