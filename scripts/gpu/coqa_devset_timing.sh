#!/usr/bin/env bash
# CoQA evaluation wall time on the Llama-3.2-1B shape (random weights, fp16, Llama 3 tokenizer) over a
# synthetic workload shaped like the CoQA dev set (500 stories, 7,983 turns; `coqa-synthesize`), for the
# four variants of configs/coqa_devset_timing.yaml: prefix reuse on/off x batch 32/1 (issue 4).
#
# Run from anywhere, after `source /tmp/lq-env.sh`, on a machine with an NVIDIA GPU, CUDA 13 and
# PyTorch 2.11 (its libtorch is found through python3 -c 'import torch'). Needs nothing else: no network,
# no Python package beyond the standard library. Builds llama-quant, fp16 and coqa in build-gpu/ (Ninja,
# Release), synthesizes the workload, runs each variant in its own `llama-quant run --only`, and prints
# one table.
#
#   OUT=/some/dir scripts/gpu/coqa_devset_timing.sh
#
# Environment:
#   OUT           output folder (required): workload.json (its shape), the synthetic data, results/
#                 (records, samples, summary), logs/<variant>.txt, coqa_devset_timing.{txt,json}
#   STORIES       stories evaluated by the batch-32 variants (default 500, the whole set)
#   SLOW_STORIES  stories evaluated by the batch-1 variants (default 100); their whole-set time is
#                 then extrapolated from their time per prompt and labelled as such
#   VARIANTS      which variants (default all four: reuse-b32 reuse-b1 noreuse-b32 noreuse-b1)
#   DEVICE        default cuda; DTYPE and MODEL (a config.json) override the configuration's, e.g.
#                 DEVICE=cpu DTYPE=float32 MODEL=tests/coqa/data/tiny_llama3_vocab/config.json for a
#                 quick check of the pipeline on a CPU
#   LQ_BUILD_DIR  build folder (default build-gpu); SKIP_BUILD=1 uses it as it is
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${OUT:?set OUT to the output folder}"
STORIES=${STORIES:-500}
SLOW_STORIES=${SLOW_STORIES:-100}
VARIANTS=${VARIANTS:-reuse-b32 reuse-b1 noreuse-b32 noreuse-b1}
DEVICE=${DEVICE:-cuda}
build=${LQ_BUILD_DIR:-$root/build-gpu}
mkdir -p "$OUT/logs"

if [ -z "${SKIP_BUILD:-}" ]; then
  prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${prefix:+-DCMAKE_PREFIX_PATH=$prefix} \
    -DLQ_BUILD_TESTS=OFF -DLQ_BUILD_BENCHMARKS=OFF >"$OUT/logs/cmake.txt"
  cmake --build "$build" -j "$(nproc)" --target llama-quant fp16 coqa 2>&1 | tee "$OUT/logs/build.txt" | tail -n 3
fi
cli="$build/framework/llama-quant"

# The whole dev-shaped set; each variant evaluates its first STORIES or SLOW_STORIES stories of it.
data="$OUT/coqa-synth-devset-seed1.json"
"$cli" coqa-synthesize --stories 500 --seed 1 --out "$data" >"$OUT/workload.json"

overrides=(--set "tasks.0.params.data=$data")
[ -n "${MODEL:-}" ] && overrides+=(--set "model.path=$(realpath "$MODEL")")
[ -n "${DTYPE:-}" ] && overrides+=(--set "dtype=$DTYPE")
failed=0
for variant in $VARIANTS; do
  stories=$STORIES
  case "$variant" in *-b1) stories=$SLOW_STORIES ;; esac
  echo "== $variant: $stories stories on $DEVICE"
  "$cli" run "$root/configs/coqa_devset_timing.yaml" --only "coqa_devset_timing-$variant" --limit "$stories" \
    --device "$DEVICE" --out "$OUT/results" --progress plain --force "${overrides[@]}" \
    >"$OUT/logs/$variant.txt" 2>&1 || { failed=1; tail -n 20 "$OUT/logs/$variant.txt"; }
done

python3 - "$OUT" $VARIANTS <<'PY'
import json, os, sys
out, variants = sys.argv[1], sys.argv[2:]
workload = json.load(open(os.path.join(out, "workload.json")))
all_prompts = workload["questions"]
rows, table = [], []
head = ("variant", "stories", "prompts", "prompt tok", "reused tok", "new tok", "eval s", "prompts/s",
        "ms/prompt", f"est. s, all {all_prompts} prompts")
for v in variants:
    path = os.path.join(out, "results", "records", f"coqa_devset_timing-{v}.json")
    if not os.path.exists(path):
        table.append((v, "no record") + ("",) * (len(head) - 2))
        continue
    r = json.load(open(path))
    if r["status"] != "success":
        table.append((v, "failed: " + r["error"]["stage"]) + ("",) * (len(head) - 2))
        continue
    d = r["tasks"]["coqa"]["details"]
    g, n = d["generation"], d["counts"]
    seconds, prompts = r["timings_s"]["evaluate:coqa"], n["prompts"]
    whole = n["stories_evaluated"] == n["stories_total"]
    estimate = seconds if whole else seconds / prompts * all_prompts
    row = {"variant": v, "stories": n["stories_evaluated"], "prompts": prompts,
           "prompt_tokens": g["prompt_tokens"], "reused_prompt_tokens": g["reused_prompt_tokens"],
           "new_tokens": g["new_tokens"], "eval_s": seconds, "prompts_per_s": prompts / seconds,
           "ms_per_prompt": 1000 * seconds / prompts, "all_prompts_s": estimate, "measured_whole_set": whole,
           "generator": r["model"]["generator"], "device": r["device"],
           "gpu": r["environment"].get("gpu_name"), "peak_memory": r["memory"].get("peak")}
    rows.append(row)
    table.append((v, row["stories"], prompts, row["prompt_tokens"], row["reused_prompt_tokens"],
                  row["new_tokens"], f"{seconds:.1f}", f"{row['prompts_per_s']:.1f}",
                  f"{row['ms_per_prompt']:.1f}", f"{estimate:.0f}" + ("" if whole else " (extrapolated)")))
widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
lines = ["  ".join(str(x).rjust(w) for x, w in zip(line, widths)) for line in [head] + table]
lines.append(f"workload: synthetic, CoQA dev-set shape ({workload['stories']} stories, {all_prompts} prompts, "
             f"{workload['passage_words']:.0f}/{workload['question_words']:.2f}/{workload['answer_words']:.2f} "
             "words per passage/question/answer); max_new_tokens 8, every turn runs to it (random weights)")
lines.append("eval s: the record's timings_s['evaluate:coqa'] (tokenizing, generating, scoring). "
             "'extrapolated': eval s / prompts x all prompts, from the first stories only")
if rows:
    lines.append(f"device: {rows[0]['device']} {rows[0]['gpu'] or ''}")
text = "\n".join(lines)
print(text)
open(os.path.join(out, "coqa_devset_timing.txt"), "w").write(text + "\n")
json.dump({"workload": workload, "variants": rows}, open(os.path.join(out, "coqa_devset_timing.json"), "w"),
          indent=2)
PY
exit $failed
