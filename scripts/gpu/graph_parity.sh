#!/usr/bin/env bash
# Issue 7's correctness check of the fast path: SmolLM2-135M-Instruct on the bundled CoQA sample, every
# turn of every story (variant `coqa`, 256 new tokens as lm-evaluation-harness allows), generated twice in
# fp16 on the GPU — the fast path (`generation.cuda_graphs: true`, `fused_kernels: true`: graph replay
# over the framework's kernels) and the reference path (both false: libtorch's operators, run eagerly) —
# then compared prompt by prompt: the share of identical generations (target >= 99%), the F1 difference
# (target <= 0.005), and for each differing prompt the logit margins at its first differing token
# (`record_margins`), which show whether the two paths parted at a near-tie.
#
# Run from the repo root on the GPU machine after building llama-quant into $LQ_BUILD_DIR (default
# build-gpu) with ../shared/device/README.md's recipe; needs models/SmolLM2-135M-Instruct.Q4_1.gguf
# (scripts/fetch-models.sh; over one call's carry limit, so stage it with
# scripts/gpu/stage_in_pieces.sh). Outputs under $OUT.
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
cli=${LQ_BUILD_DIR:-build-gpu}/framework/llama-quant
for path in fast reference; do
  fast=$([ $path = fast ] && echo true || echo false)
  "$cli" run configs/fp16_baseline.yaml --device cuda --force --out "$OUT/$path" --progress none \
    --set generation.cuda_graphs=$fast --set generation.fused_kernels=$fast --set tasks.0.params.variant=coqa \
    --set tasks.0.params.max_new_tokens=256 --set tasks.0.params.record_margins=true --set tasks.0.limit=null \
    --set benchmark.enabled=false
done
python3 - "$OUT" <<'PY' | tee "$OUT/graph_parity.txt"
import json, sys
out = sys.argv[1]
def samples(path):
    with open(f"{out}/{path}/samples/fp16_baseline.coqa.samples.jsonl") as f:
        return {(s["id"], s["turn"]): s for s in map(json.loads, f)}
fast, ref = samples("fast"), samples("reference")
assert fast.keys() == ref.keys(), "the two runs evaluated different prompts"
same = [k for k in ref if fast[k]["raw_generation"] == ref[k]["raw_generation"]]
f1 = lambda run: sum(s["f1"] for s in run.values()) / len(run)
print(f"prompts {len(ref)}; identical generations {len(same)} ({100 * len(same) / len(ref):.2f}%, target >= 99%)")
print(f"F1 fast {f1(fast):.4f} vs reference {f1(ref):.4f}: difference {abs(f1(fast) - f1(ref)):.4f} (target <= 0.005)")
# Each difference at its first differing token: the reference's margin of its choice over the runner-up
# there (a near-tie when it is within a few units in the last place of the fp16 logits), and the fast path's.
for k in sorted(set(ref) - set(same)):
    a, b = fast[k]["tokens"], ref[k]["tokens"]
    i = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
    at = lambda run, j: run[k]["margins"][j] if j < len(run[k]["margins"]) else float("nan")
    print(f"  differs {k} at new token {i}: reference margin {at(ref, i):.4f}, fast margin {at(fast, i):.4f}; "
          f"fast {fast[k]['raw_generation'][:60]!r} | reference {ref[k]['raw_generation'][:60]!r}")
PY
