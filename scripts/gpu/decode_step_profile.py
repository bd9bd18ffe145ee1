#!/usr/bin/env python3
"""One decode step's kernels from Nsight Compute's CSV (decode_step_profile.sh): the step is the run of
kernels after one output-head product (the kernel reading the most DRAM bytes, the head's weights) up to
and including the next, i.e. one whole token; its kernels are summed by name, largest time first.

    python3 scripts/gpu/decode_step_profile.py ncu.csv
"""
import collections
import csv
import sys


def kernels(path):
    """[(name, {metric: value})] in launch order."""
    rows = list(csv.reader(open(path, newline="")))
    try:
        start = next(i for i, r in enumerate(rows) if "Kernel Name" in r and "Metric Name" in r)
    except StopIteration:
        sys.exit(f"{path}: no Nsight Compute metric rows (is this ncu --csv output?)")
    head = rows[start]
    at = {k: head.index(k) for k in ("ID", "Kernel Name", "Metric Name", "Metric Value")}
    per = collections.OrderedDict()
    for r in rows[start + 1:]:
        if len(r) < len(head):
            continue
        value = float(r[at["Metric Value"]].replace(",", "") or 0)
        per.setdefault(r[at["ID"]], [r[at["Kernel Name"]], {}])[1][r[at["Metric Name"]]] = value
    return [tuple(v) for v in per.values()]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ks = kernels(sys.argv[1])
    reads = [m.get("dram__bytes_read.sum", 0.0) for _, m in ks]
    if not ks or max(reads) <= 0:
        sys.exit("no kernel read DRAM: nothing to find the output head by")
    heads = [i for i, b in enumerate(reads) if b >= 0.5 * max(reads)]
    if len(heads) < 2:
        sys.exit(f"{len(heads)} head-sized kernel(s) among {len(ks)}: need two for a whole decode step")
    step = ks[heads[-2] + 1: heads[-1] + 1]
    agg = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for name, m in step:
        a = agg[name[:110]]
        a[0] += 1
        a[1] += m.get("gpu__time_duration.sum", 0.0)
        a[2] += m.get("dram__bytes_read.sum", 0.0)
    total_ns = sum(a[1] for a in agg.values())
    total_b = sum(a[2] for a in agg.values())
    print(f"one decode step: {len(step)} kernels, {total_ns / 1e3:.1f} us of kernel time, "
          f"{total_b / 1e6:.1f} MB read from DRAM")
    print(f"{'total us':>9} {'count':>6} {'us each':>8} {'MB each':>8} {'GB/s':>6}  kernel")
    for name, (count, ns, b) in sorted(agg.items(), key=lambda x: -x[1][1]):
        print(f"{ns / 1e3:9.1f} {count:6d} {ns / count / 1e3:8.2f} {b / count / 1e6:8.2f} "
              f"{b / ns if ns else 0:6.0f}  {name}")


if __name__ == "__main__":
    main()
