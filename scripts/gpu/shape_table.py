#!/usr/bin/env python3
"""Issue 7's table from one call: llama-quant's shape-benchmark records next to transformers' figures.

Reads the summary.json of `llama-quant run configs/llama32_1b_shape_bench.yaml` and, optionally, the JSON
lines that scripts/gpu/hf_baseline.py printed in the same call, and prints a Markdown table: decode tok/s at
each batch size with the batch-1 floor and the share of it reached, prefill ms at each prompt length, peak
memory. The batch-1 floor is the model's bytes (every weight is read once per token; a tied output head
shares the embedding matrix, counted once, as the record's size does) over the card's device-to-device copy
rate that the run measured before its benchmarks (the record's benchmark.copy_bytes_per_s, shown as
"copy GB/s"), or over --bandwidth where given; records without either get no floor.

    python3 scripts/gpu/shape_table.py OUT/shape/summary.json [--hf OUT/hf.txt] [--bandwidth BYTES_PER_S]
"""
import argparse
import json
import sys


def fail(message):
    sys.exit(f"shape_table.py: {message}")


def load_records(path):
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{path}: expected the summary.json of a llama-quant run ({e})")
    records = summary.get("records")
    if not isinstance(records, list):
        fail(f"{path}: no 'records' list; expected the summary.json of a llama-quant run")
    return records


def load_hf(path):
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.startswith("{"):
                continue  # transformers' own warnings
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                fail(f"{path}:{number}: expected a JSON line of hf_baseline.py ({e})")
    return rows


def fmt(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"


def ours(records, bandwidth):
    lengths = sorted({p["prompt_length"] for r in records if r.get("status") == "success"
                      for p in r["benchmark"]["prefill"]})
    batches = sorted({d["batch_size"] for r in records if r.get("status") == "success"
                      for d in r["benchmark"]["decode"]})
    head = (["experiment", "card", "copy GB/s"] + [f"decode b{b} (tok/s)" for b in batches] +
            ["b1 floor", "% of floor"] +
            [f"prefill {n} (ms)" for n in lengths] + ["peak MB"])
    rows = []
    for r in records:
        name = r.get("name", "?")
        if r.get("status") != "success":
            rows.append([name, "-", "-", f"failed: {(r.get('error') or {}).get('message', '?')[:60]}"])
            continue
        decode = {d["batch_size"]: d["tokens_per_s"]["median"] for d in r["benchmark"]["decode"]}
        prefill = {p["prompt_length"]: p["latency_ms"]["median"] for p in r["benchmark"]["prefill"]}
        rate = bandwidth or r["benchmark"].get("copy_bytes_per_s")
        floor = rate / r["size_bytes"] if rate and r.get("size_bytes") else None
        share = decode.get(1) / floor * 100 if floor and decode.get(1) else None
        peak = r.get("memory", {}).get("peak", {}).get("peak_bytes")
        rows.append([name, r.get("environment", {}).get("gpu_name", r.get("device", "?")),
                     fmt(rate / 1e9 if rate else None)] +
                    [fmt(decode.get(b)) for b in batches] + [fmt(floor), fmt(share) + "%" if share else "-"] +
                    [fmt(prefill.get(n), 2) for n in lengths] + [fmt(peak / 2**20 if peak else None)])
    return head, rows, batches, lengths


def theirs(hf_rows, batches, lengths, width):
    rows = []
    for h in hf_rows:
        decode = {b: h.get(f"decode_b{b}", {}).get("tok_per_s") for b in batches}
        prefill = {n: h["prefill_512_b1"]["median_ms"] if n == 512 and "prefill_512_b1" in h else None
                   for n in lengths}
        row = [f"transformers {h.get('backend', '?')}", h.get("device", "?"), ""] + \
              [fmt(decode[b]) for b in batches] + ["", ""] + [fmt(prefill[n], 2) for n in lengths] + \
              [fmt(h.get("peak_memory_mb"))]
        rows.append(row[:width])
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("summary")
    p.add_argument("--hf", help="hf_baseline.py's output from the same call")
    p.add_argument("--bandwidth", type=float,
                   help="copy bandwidth in bytes/s for every row (default: each record's measured rate)")
    args = p.parse_args()
    head, rows, batches, lengths = ours(load_records(args.summary), args.bandwidth)
    if args.hf:
        rows += theirs(load_hf(args.hf), batches, lengths, len(head))
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
