#!/usr/bin/env bash
# On the GPU machine, from the repo root after `source .device/env.sh` and a build of the working tree in
# $LQ_BUILD_DIR (default build-gpu): one `llama-quant run` for the base tree that scripts/gpu/ab_prepare.sh
# put in .ab/base and for the working tree, alternating base, tree for --rounds rounds (default 1), so that
# both are measured on one card in one call. Builds the base's llama-quant and all its plugins into
# build-ab first (no tests, no benchmarks). The configuration is a path in the working tree; the base runs
# its own copy of that path (sharing the working tree's models/). Each run's results go to $OUT/ab/<base|tree>-<round>,
# followed by its issue-7 table (shape_table.py), or its last lines where it failed or has no table.
#
#   scripts/gpu/ab_run.sh [--rounds N] CONFIG [llama-quant run arguments, without --out/--force/--progress]
#   e.g. scripts/gpu/ab_run.sh configs/llama32_1b_shape_bench.yaml --only llama32_1b-nf4 \
#          --set benchmark.prompt_lengths=[512] --set benchmark.batch_sizes=[1,32]
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
rounds=1
if [ "${1:-}" = --rounds ]; then rounds=${2:?--rounds needs a count}; shift 2; fi
[ $# -ge 1 ] || { sed -n 2,12p "$0"; exit 2; }
config=$1
shift
tree_build=${LQ_BUILD_DIR:-build-gpu}
[ -f .ab/base.commit ] || { echo "ab_run.sh: no .ab/base: run scripts/gpu/ab_prepare.sh here first and carry .ab" >&2; exit 2; }
[ -x "$tree_build/framework/llama-quant" ] || { echo "ab_run.sh: no $tree_build/framework/llama-quant: build the working tree first" >&2; exit 2; }
[ -f "$config" ] && [ -f ".ab/base/$config" ] || { echo "ab_run.sh: $config must exist in the working tree and in .ab/base" >&2; exit 2; }
source "$(dirname "$0")/build_flags.sh"
start=$(date +%s)
cmake -S .ab/base -B build-ab -G Ninja -DCMAKE_BUILD_TYPE=Release -DLQ_BUILD_TESTS=OFF -DLQ_BUILD_BENCHMARKS=OFF \
  ${LQ_AB_CMAKE_ARGS:-} >"$OUT/ab_build.txt" 2>&1
cmake --build build-ab >>"$OUT/ab_build.txt" 2>&1 ||
  { grep -E "error|FAILED" "$OUT/ab_build.txt" | head -20; exit 1; }
echo "ab_run: base $(cat .ab/base.commit) built in $(($(date +%s) - start)) s"
# Relative model paths resolve within the configuration's tree: the base shares the working tree's models/.
if [ -d models ] && [ ! -e .ab/base/models ]; then ln -s ../../models .ab/base/models; fi
mkdir -p "$OUT/ab"
for ((round = 1; round <= rounds; ++round)); do
  for side in base tree; do
    if [ $side = base ]; then cli=build-ab/framework/llama-quant cfg=.ab/base/$config; else cli=$tree_build/framework/llama-quant cfg=$config; fi
    out="$OUT/ab/$side-$round"
    status=0
    "$cli" run "$cfg" "$@" --out "$out" --force --progress none >"$out.txt" 2>&1 || status=$?
    echo "== $side (round $round, exit $status)"
    if [ $status -ne 0 ] || ! python3 "$(dirname "$0")/shape_table.py" "$out/summary.json" 2>/dev/null; then
      tail -n 8 "$out.txt"
    fi
  done
done
