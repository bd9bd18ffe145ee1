#!/usr/bin/env bash
# Builds the runner against PyTorch 2.11's CUDA libtorch on a CUDA machine (H100, CUDA 13) and checks the
# CUDA-only parts of runner/ and bench/ that the CPU build never compiles (CUDA-event timing, caching-
# allocator peak memory, GPU environment block): the runner/report tests, then the tiny random-weights
# experiment on cuda, and with two or more GPUs the same sweep pinned with --gpus 0,1.
# Output in $OUT/: the test log and the results folders (records carry memory and environment blocks).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${OUT:?set OUT to the output folder}"
build=${LQ_BUILD_DIR:-$root/build-runner-gpu}
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${prefix:+-DCMAKE_PREFIX_PATH=$prefix} \
  -DLQ_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target llama-quant fp16 lq_test_runner lq_test_report 2>&1 | tail -n 20
"$build/tests/runner/lq_test_runner" 2>&1 | tee "$OUT/runner_tests.txt" | tail -n 5
"$build/tests/report/lq_test_report" 2>&1 | tee "$OUT/report_tests.txt" | tail -n 5
cli="$build/framework/llama-quant"
"$cli" run "$root/tests/runner/data/tiny_fp32.yaml" --device cuda --set dtype=float16 --out "$OUT/tiny_cuda" \
  --progress plain 2>&1 | tee "$OUT/tiny_cuda.txt"
python3 - "$OUT/tiny_cuda/records/tiny_fp32.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "success", r["error"]
assert r["benchmark"]["timer"]["prefill"] == "cuda_events", r["benchmark"]["timer"]
assert r["memory"]["peak"]["source"] == "cuda_caching_allocator", r["memory"]
assert r["memory"]["peak"]["peak_bytes"] > 0 and "gpu_name" in r["environment"], r["environment"]
print("cuda record ok:", r["environment"]["gpu_name"], r["memory"]["peak"])
PY
if [ "$(nvidia-smi -L | wc -l)" -ge 2 ]; then
  "$cli" run "$root/tests/runner/data/tiny_fp32.yaml" --device cuda --set dtype=float16 --out "$OUT/tiny_gpus" \
    --gpus 0,1 --progress plain 2>&1 | tee "$OUT/tiny_gpus.txt"
fi
