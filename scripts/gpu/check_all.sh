#!/usr/bin/env bash
# Everything the GPU machine checks (about 10 minutes on an H100, more than one call allows: pick STEPS):
# build, the whole test suite, the Llama-3.2-1B shape benchmark next to transformers, the bnb4 kernel
# table and the framework's decode kernels, and, when SmolLM2 is in models/, the graph-vs-reference
# parity with logit margins. Run from the repo root after `source .device/env.sh`
# (../shared/device/README.md); outputs under $OUT. STEPS picks a subset: build tests shape kernels parity.
set -uo pipefail
: "${OUT:?set OUT to the output folder}"
STEPS=${STEPS:-build tests shape kernels parity}
build=${LQ_BUILD_DIR:-build-gpu}
has() { [[ " $STEPS " == *" $1 "* ]]; }
source "$(dirname "$0")/build_flags.sh"
if has build; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLQ_BUILD_BENCHMARKS=ON >"$OUT/cmake.txt" 2>&1
  cmake --build "$build" >"$OUT/build.txt" 2>&1 || { grep -E "error|FAILED" "$OUT/build.txt" | head -20; exit 1; }
fi
if has tests; then
  (cd "$build" && ctest -j12 --output-on-failure --timeout 120 >"$OUT/ctest.txt" 2>&1)
  grep -E "tests passed|tests failed" "$OUT/ctest.txt"; sed -n '/The following tests FAILED/,$p' "$OUT/ctest.txt" | head -20
fi
if has shape; then
  # Issue 7's table in one step: the five variants at prompt 512 and batch 1/8/32, then transformers (and
  # bitsandbytes NF4 through it where bitsandbytes imports, e.g. PYTHONPATH=.bnb after
  # scripts/gpu/stage_bitsandbytes.sh here and .bnb carried) on the same card.
  "$build/framework/llama-quant" run configs/llama32_1b_shape_bench.yaml --set benchmark.prompt_lengths=[512] \
    --set benchmark.repetitions=5 --out "$OUT/shape" --force --progress none >"$OUT/shape.txt" 2>&1
  tail -n 8 "$OUT/shape.txt"
  nf4=$(python3 -c "import bitsandbytes" 2>/dev/null && echo --nf4 || true)
  python3 scripts/gpu/hf_baseline.py --config configs/models/llama-3.2-1b/config.json $nf4 --reps 2 \
    >"$OUT/hf.txt" 2>&1
  python3 scripts/gpu/shape_table.py "$OUT/shape/summary.json" --hf "$OUT/hf.txt" | tee "$OUT/shape_table.md"
fi
if has kernels; then
  "$build/plugins/bnb4/lq_bench_bnb4_cuda" --benchmark_min_time=0.05 \
    --benchmark_filter='BM_Copy|(BM_Matmul4bit|BM_Matmul4bitNested|BM_Matmul4bitGraph|BM_Matmul4bitBatch|BM_CublasFp16)/(2048/8192|8192/2048|2048/2048|2048/512)/1/|(BM_Matmul4bit|BM_CublasFp16)/(2048/8192|8192/2048|2048/2048)/(4|16|32)/|BM_Matmul4bitGroup' \
    >"$OUT/kernels.txt" 2>&1
  grep -E "^BM_" "$OUT/kernels.txt" | cut -c1-170
  # The framework's decode kernels chained (the default) and launched plainly, in one run.
  for chained in 1 0; do
    LQ_CHAINED_LAUNCHES=$chained "$build/framework/lq_bench_decode_kernels" --benchmark_min_time=0.05 \
      >"$OUT/decode_kernels_$chained.txt" 2>&1
    echo "decode kernels, LQ_CHAINED_LAUNCHES=$chained"; grep -E "^BM_" "$OUT/decode_kernels_$chained.txt" | cut -c1-170
  done
fi
if has parity && [ -f models/SmolLM2-135M-Instruct.Q4_1.gguf ]; then
  LQ_BUILD_DIR=$build scripts/gpu/graph_parity.sh | tail -n 8
fi
