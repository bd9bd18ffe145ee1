#!/usr/bin/env bash
# On the GPU machine, from the repo root after `source .device/env.sh` and a build of the working tree in
# $LQ_BUILD_DIR (default build-gpu): one `llama-quant run` for each tree that scripts/gpu/ab_prepare.sh put
# in .ab (the base, then any variants by name) and for the working tree, in that order for --rounds rounds
# (default 1), so that all are measured on one card in one call. First builds each .ab tree's llama-quant
# and its plugins (no tests, no benchmarks), side by side: the base into build-ab, a variant NAME into
# build-ab-NAME. The configuration is a path in the working tree; each .ab tree runs its own copy of that
# path (sharing the working tree's models/). Each run's results go to $OUT/ab/<base|NAME|tree>-<round>,
# followed by its issue-7 table (shape_table.py), or its last lines where it failed or has no table.
# `--env NAME=VAR=VALUE` (repeatable) adds a run NAME of the working tree's build with VAR=VALUE in its
# environment, after the tree's own: an experiment's runtime knob measured in the same rounds.
#
#   scripts/gpu/ab_run.sh [--rounds N] [--env NAME=VAR=VALUE ...] CONFIG [llama-quant run arguments, without
#                         --out/--force/--progress]
#   e.g. scripts/gpu/ab_run.sh --rounds 2 --env hints=LQ_NORM_HINTS=1 configs/llama32_1b_shape_bench.yaml \
#          --only llama32_1b-nf4 --set benchmark.prompt_lengths=[512] --set benchmark.batch_sizes=[1,32]
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
usage() { sed -n 2,16p "$0"; exit 2; }
rounds=1 env_sides=() env_settings=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds)
      rounds=${2:-}
      [[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ab_run.sh: --rounds needs a count, not '$rounds'" >&2; exit 2; }
      shift 2 ;;
    --env)
      pair=${2:-}
      [[ $pair =~ ^([A-Za-z0-9_-]+)=([A-Za-z_][A-Za-z0-9_]*=.*)$ ]] ||
        { echo "ab_run.sh: --env needs NAME=VAR=VALUE, not '$pair'" >&2; exit 2; }
      name=${BASH_REMATCH[1]}
      case $name in base | tree) echo "ab_run.sh: '$name' names the base or the working tree" >&2; exit 2 ;; esac
      [ -e ".ab/$name.commit" ] && { echo "ab_run.sh: '$name' already names a tree in .ab" >&2; exit 2; }
      for taken in "${env_sides[@]}"; do
        [ "$taken" != "$name" ] || { echo "ab_run.sh: --env '$name' is given twice" >&2; exit 2; }
      done
      env_sides+=("$name") env_settings+=("${BASH_REMATCH[2]}")
      shift 2 ;;
    -h | --help) usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
config=$1
shift
tree_build=${LQ_BUILD_DIR:-build-gpu}
[ -f .ab/base.commit ] || { echo "ab_run.sh: no .ab/base: run scripts/gpu/ab_prepare.sh here first and carry .ab" >&2; exit 2; }
[ -x "$tree_build/framework/llama-quant" ] || { echo "ab_run.sh: no $tree_build/framework/llama-quant: build the working tree first" >&2; exit 2; }
sides=(base)
for f in .ab/*.commit; do
  name=$(basename "$f" .commit)
  [ "$name" = base ] || sides+=("$name")
done
for side in "${sides[@]}"; do
  [ -f "$config" ] && [ -f ".ab/$side/$config" ] ||
    { echo "ab_run.sh: $config must exist in the working tree and in .ab/$side" >&2; exit 2; }
done
source "$(dirname "$0")/build_flags.sh"
build_dir() { [ "$1" = base ] && echo build-ab || echo "build-ab-$1"; }
start=$(date +%s)
jobs=$(($(nproc) / ${#sides[@]}))
((jobs >= 2)) || jobs=2
for side in "${sides[@]}"; do
  (cmake -S ".ab/$side" -B "$(build_dir "$side")" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLQ_BUILD_TESTS=OFF \
     -DLQ_BUILD_BENCHMARKS=OFF ${LQ_AB_CMAKE_ARGS:-} && cmake --build "$(build_dir "$side")" -j "$jobs") \
    >"$OUT/ab_build_$side.txt" 2>&1 &
done
failed=0
for side in "${sides[@]}"; do wait -n || failed=1; done
if [ $failed -ne 0 ]; then
  grep -HE "error|FAILED" "$OUT"/ab_build_*.txt | head -20
  exit 1
fi
for side in "${sides[@]}"; do echo "ab_run: $side $(cat ".ab/$side.commit")"; done
for i in "${!env_sides[@]}"; do echo "ab_run: ${env_sides[$i]} = the tree with ${env_settings[$i]}"; done
echo "ab_run: built in $(($(date +%s) - start)) s"
# Relative model paths resolve within the configuration's tree: each .ab tree shares the working tree's models/.
for side in "${sides[@]}"; do
  if [ -d models ] && [ ! -e ".ab/$side/models" ]; then ln -s ../../models ".ab/$side/models"; fi
done
mkdir -p "$OUT/ab"
for ((round = 1; round <= rounds; ++round)); do
  for side in "${sides[@]}" tree "${env_sides[@]}"; do
    setting=()
    for i in "${!env_sides[@]}"; do [ "${env_sides[$i]}" != "$side" ] || setting=("${env_settings[$i]}"); done
    if [ "$side" = tree ] || [ ${#setting[@]} -gt 0 ]; then
      cli=$tree_build/framework/llama-quant cfg=$config
    else
      cli=$(build_dir "$side")/framework/llama-quant cfg=.ab/$side/$config
    fi
    out="$OUT/ab/$side-$round"
    status=0
    env "${setting[@]}" "$cli" run "$cfg" "$@" --out "$out" --force --progress none >"$out.txt" 2>&1 || status=$?
    echo "== $side (round $round, exit $status)"
    if [ $status -ne 0 ] || ! python3 "$(dirname "$0")/shape_table.py" "$out/summary.json" 2>/dev/null; then
      tail -n 8 "$out.txt"
    fi
  done
done
