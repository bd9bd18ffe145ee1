#!/usr/bin/env bash
# On the GPU machine, from the repo root after `source .device/env.sh`: one `llama-quant run` for each tree
# that scripts/gpu/ab_prepare.sh put in .ab (the base, then any variants by name) and for the working tree,
# built in $LQ_BUILD_DIR (default build-gpu), in that order for --rounds rounds (default 1), so that all are
# measured on one card in one call. First builds each .ab tree's llama-quant and its plugins (no tests, no
# benchmarks), side by side: the base into build-ab, a variant NAME into build-ab-NAME. The configuration is
# a path in the working tree; each .ab tree runs its own copy of that path (sharing the working tree's
# models/). Each run's results go to $OUT/ab/<base|NAME|tree>-<round>, followed by its issue-7 table
# (shape_table.py), or its last lines where it failed or has no table.
#   --env NAME=VAR=VALUE  (repeatable) adds a run NAME of the working tree's build with VAR=VALUE in its
#                         environment, after the tree's own: an experiment's knob measured in the same rounds;
#   --build "TARGETS"     builds those targets of the working tree too, beside the .ab trees (llama-quant,
#                         the plugins the configuration loads, any test binaries); without it the working
#                         tree must be built already;
#   --tests "NAMES"       runs those test binaries of the working tree (scripts/gpu/test_binaries.sh, outputs
#                         in $OUT) once built, and stops, measuring nothing, if one fails;
#   --phases              builds each tree's phase tool (scripts/gpu/matvec_phases.cu) beside its llama-quant
#                         and prints each side's per-product summary, NF4 and double quant, before the rounds.
#
#   scripts/gpu/ab_run.sh [--rounds N] [--env NAME=VAR=VALUE ...] [--build "TARGETS"] [--tests "NAMES"]
#                         [--phases] CONFIG [llama-quant run arguments, without --out/--force/--progress]
#   e.g. scripts/gpu/ab_run.sh --build "llama-quant bnb4 fp16 lq_test_bnb4_cuda" --tests lq_test_bnb4_cuda \
#          --phases --rounds 3 --env hints=LQ_NORM_HINTS=1 configs/llama32_1b_shape_bench.yaml \
#          --only llama32_1b-nf4 --set benchmark.prompt_lengths=[512] --set benchmark.batch_sizes=[1]
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
usage() { sed -n 2,24p "$0"; exit 2; }
rounds=1 env_sides=() env_settings=() phases=0 build_targets="" tests=""
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
    --phases)
      phases=1
      shift ;;
    --build | --tests)
      [ -n "${2:-}" ] || { echo "ab_run.sh: $1 needs a list of names" >&2; exit 2; }
      if [ "$1" = --build ]; then build_targets=$2; else tests=$2; fi
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
[ -n "$build_targets" ] || [ -x "$tree_build/framework/llama-quant" ] ||
  { echo "ab_run.sh: no $tree_build/framework/llama-quant: build the working tree first, or pass --build" >&2; exit 2; }
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
jobs=$(($(nproc) / (${#sides[@]} + (${#build_targets} > 0))))
((jobs >= 2)) || jobs=2
for side in "${sides[@]}"; do
  (cmake -S ".ab/$side" -B "$(build_dir "$side")" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLQ_BUILD_TESTS=OFF \
     -DLQ_BUILD_BENCHMARKS=OFF ${LQ_AB_CMAKE_ARGS:-} && cmake --build "$(build_dir "$side")" -j "$jobs") \
    >"$OUT/ab_build_$side.txt" 2>&1 &
done
# The phase tool of a tree (its source root) into DIR/matvec_phases.
build_phases() {
  (cd "$1" && nvcc -arch=sm_90 -O3 -std=c++17 -ftz=true -DLQ_BNB4_KERNELS=1 -Iframework/include -Iplugins/bnb4 \
     -Iplugins/bnb4/numerics -o "$2/matvec_phases" scripts/gpu/matvec_phases.cu plugins/bnb4/numerics/codebook_cpu.cc)
}
builds=${#sides[@]}
mkdir -p "$tree_build"
if [ -n "$build_targets" ]; then
  # Benchmarks off: the A/B measures through llama-quant; tests as the targets ask.
  (cmake -S . -B "$tree_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLQ_BUILD_BENCHMARKS=OFF ${LQ_AB_CMAKE_ARGS:-} &&
     cmake --build "$tree_build" -j "$jobs" --target $build_targets) >"$OUT/ab_build_tree.txt" 2>&1 &
  builds=$((builds + 1))
fi
if [ $phases -eq 1 ]; then
  for side in "${sides[@]}"; do
    mkdir -p "$(build_dir "$side")"
    build_phases ".ab/$side" "$PWD/$(build_dir "$side")" >"$OUT/ab_phases_build_$side.txt" 2>&1 &
  done
  build_phases . "$PWD/$tree_build" >"$OUT/ab_phases_build_tree.txt" 2>&1 &
  builds=$((builds + ${#sides[@]} + 1))
fi
failed=0
for ((b = 0; b < builds; ++b)); do wait -n || failed=1; done
if [ $failed -ne 0 ]; then
  grep -HE "error|FAILED" "$OUT"/ab_*build_*.txt | head -20
  exit 1
fi
for side in "${sides[@]}"; do echo "ab_run: $side $(cat ".ab/$side.commit")"; done
for i in "${!env_sides[@]}"; do echo "ab_run: ${env_sides[$i]} = the tree with ${env_settings[$i]}"; done
echo "ab_run: built in $(($(date +%s) - start)) s"
if [ -n "$tests" ]; then
  LQ_BUILD_DIR=$tree_build "$(dirname "$0")/test_binaries.sh" $tests ||
    { echo "ab_run: a test failed: nothing measured (outputs in $OUT)"; exit 1; }
fi
# Relative model paths resolve within the configuration's tree: each .ab tree shares the working tree's models/.
for side in "${sides[@]}"; do
  if [ -d models ] && [ ! -e ".ab/$side/models" ]; then ln -s ../../models ".ab/$side/models"; fi
done
mkdir -p "$OUT/ab"
# The environment setting of an --env side (none for the others).
setting_of() {
  for i in "${!env_sides[@]}"; do [ "${env_sides[$i]}" != "$1" ] || echo "${env_settings[$i]}"; done
}
# Whether a side runs the working tree's build (the tree and its --env sides) rather than its .ab tree's.
runs_tree() { [ "$1" = tree ] || [ -n "$(setting_of "$1")" ]; }
if [ $phases -eq 1 ]; then
  for side in "${sides[@]}" tree "${env_sides[@]}"; do
    mapfile -t setting < <(setting_of "$side")
    if runs_tree "$side"; then tool=$tree_build/matvec_phases; else tool=$(build_dir "$side")/matvec_phases; fi
    for form in "" --nested; do
      echo "== phases: $side ${form:---plain}"
      timeout 60 env "${setting[@]}" "$tool" $form 2>&1 | head -n 7 || true
    done
  done
fi
for ((round = 1; round <= rounds; ++round)); do
  for side in "${sides[@]}" tree "${env_sides[@]}"; do
    mapfile -t setting < <(setting_of "$side")
    if runs_tree "$side"; then
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
