#!/usr/bin/env bash
# Where one batch-1 decode step's time goes, kernel by kernel: Nsight Compute times every kernel of a short
# run of one variant of the Llama-3.2-1B shape benchmark (CUDA graphs off, so each launch is seen; chained
# launches as usual), and decode_step_profile.py sums the kernels of one decode step by name (count, time,
# DRAM bytes read, GB/s). On the GPU machine, from the repo root, after building llama-quant and the
# plugins; outputs under $OUT.
#
#   scripts/gpu/decode_step_profile.sh [VARIANT]     (default llama32_1b-nf4; e.g. llama32_1b-fp16)
#
# A run takes minutes under the profiler (the fp16 variant was still in its first decode steps after 150 s
# on an H100), so give it a call of its own.
# Kernel times under the profiler are serialized (no overlap between kernels), so their sum exceeds the
# step's time in a graph; the split between kernels is what this is for.
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
variant=${1:-llama32_1b-nf4}
build=${LQ_BUILD_DIR:-build-gpu}
ncu --clock-control none --print-units base --metrics gpu__time_duration.sum,dram__bytes_read.sum --csv \
  "$build/framework/llama-quant" run configs/llama32_1b_shape_bench.yaml --only "$variant" \
  --set benchmark.prompt_lengths=[128] --set benchmark.batch_sizes=[1] --set benchmark.decode_prompt_length=128 \
  --set benchmark.new_tokens=3 --set benchmark.warmup=0 --set benchmark.repetitions=1 \
  --set generation.cuda_graphs=false --out "$OUT/profile_run" --force --progress plain \
  >"$OUT/ncu_$variant.csv" 2>"$OUT/ncu_$variant.err"
python3 "$(dirname "$0")/decode_step_profile.py" "$OUT/ncu_$variant.csv" | tee "$OUT/decode_step_$variant.txt"
