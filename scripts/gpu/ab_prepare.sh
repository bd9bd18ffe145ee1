#!/usr/bin/env bash
# Here, where git is: the tree of REF (default main) without its tests into .ab/base, for
# scripts/gpu/ab_run.sh to build and run beside the working tree on the GPU machine, so that a change is
# measured against its base on one card in one call. Name .ab in the device call's `carry`.
#
#   scripts/gpu/ab_prepare.sh [REF]
set -euo pipefail
ref=${1:-main}
root=$(git rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse --short --verify --quiet "$ref^{commit}") ||
  { echo "ab_prepare.sh: '$ref' names no commit of this repository" >&2; exit 2; }
rm -rf "$root/.ab/base"
mkdir -p "$root/.ab/base"
git -C "$root" archive "$commit" | tar -x -C "$root/.ab/base"
rm -rf "$root/.ab/base/tests"  # its fixtures alone are 19 MB of a call's 64 MB; ab_run.sh builds no tests
echo "$commit" >"$root/.ab/base.commit"
echo "ab_prepare: $ref ($commit) in .ab/base ($(du -sh "$root/.ab" | cut -f1)); carry .ab"
