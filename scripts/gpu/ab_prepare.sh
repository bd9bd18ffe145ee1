#!/usr/bin/env bash
# Here, where git is: the tree of REF (default main) without its tests into .ab/base, and of each further
# NAME=REF into .ab/NAME, for scripts/gpu/ab_run.sh to build and run beside the working tree on the GPU
# machine, so that changes are measured against their base on one card in one call. Name .ab in the device
# call's `carry` (64 MB in all with the working tree: each tree here is ~2 MB).
#
#   scripts/gpu/ab_prepare.sh [REF] [NAME=REF ...]
#   e.g. scripts/gpu/ab_prepare.sh main attention=wip/attention norms=wip/norms
set -euo pipefail
ref=${1:-main}
[ $# -gt 0 ] && shift
root=$(git rev-parse --show-toplevel)
# The commit REF names, or exit.
commit_of() {
  git -C "$root" rev-parse --short --verify --quiet "$1^{commit}" ||
    { echo "ab_prepare.sh: '$1' names no commit of this repository" >&2; exit 2; }
}
# Every argument is checked before .ab is touched.
names=(base) commits=("$(commit_of "$ref")") refs=("$ref")
for pair in "$@"; do
  [[ $pair == *=* ]] || { echo "ab_prepare.sh: '$pair' is not NAME=REF" >&2; exit 2; }
  name=${pair%%=*}
  [[ $name =~ ^[A-Za-z0-9_-]+$ ]] ||
    { echo "ab_prepare.sh: '$name' is not a variant name (letters, digits, _ and -)" >&2; exit 2; }
  case $name in base | tree) echo "ab_prepare.sh: '$name' names the base or the working tree" >&2; exit 2 ;; esac
  names+=("$name") commits+=("$(commit_of "${pair#*=}")") refs+=("${pair#*=}")
done
rm -rf "$root/.ab"
for i in "${!names[@]}"; do
  dir="$root/.ab/${names[$i]}"
  mkdir -p "$dir"
  git -C "$root" archive "${commits[$i]}" | tar -x -C "$dir"
  rm -rf "$dir/tests"  # its fixtures alone are 19 MB of a call's 64 MB; ab_run.sh builds no tests
  echo "${commits[$i]}" >"$root/.ab/${names[$i]}.commit"
  echo "ab_prepare: ${names[$i]} = ${refs[$i]} (${commits[$i]})"
done
echo "ab_prepare: .ab is $(du -sh "$root/.ab" | cut -f1); carry .ab"
