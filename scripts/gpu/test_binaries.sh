#!/usr/bin/env bash
# On the GPU machine, from the repo root, after building the named test binaries in $LQ_BUILD_DIR (default
# build-gpu), e.g. `cmake --build build-gpu --target lq_test_bnb4_cuda lq_test_model`: runs each under a time
# limit (default 100 s), its output in $OUT/<name>.txt, and prints its result lines (gtest's PASSED,
# SKIPPED and FAILED lines), so that a device call can run just the tests a change touches instead of the
# whole suite. Exits 1 if any binary failed, timed out or is missing.
#
#   scripts/gpu/test_binaries.sh [--timeout S] NAME...
#   e.g. scripts/gpu/test_binaries.sh lq_test_bnb4_cuda lq_test_bnb4 lq_test_model
set -uo pipefail
: "${OUT:?set OUT to the output folder}"
limit=100
if [ "${1:-}" = --timeout ]; then limit=${2:?--timeout needs seconds}; shift 2; fi
[ $# -ge 1 ] || { sed -n 2,9p "$0"; exit 2; }
build=${LQ_BUILD_DIR:-build-gpu}
failed=0
for name in "$@"; do
  binary=$(find "$build/tests" "$build/plugins" -name "$name" -type f -perm -u+x 2>/dev/null | head -1)
  if [ -z "$binary" ]; then
    echo "== $name: not built in $build"
    failed=1
    continue
  fi
  start=$(date +%s)
  status=0
  timeout "$limit" "$binary" --gtest_brief=1 >"$OUT/$name.txt" 2>&1 || status=$?
  note=""
  [ $status -eq 124 ] && note=" (stopped at the ${limit} s limit)"
  echo "== $name: exit $status in $(($(date +%s) - start)) s$note"
  grep -E "^\[  (PASSED|SKIPPED|FAILED) " "$OUT/$name.txt" | head -12
  [ $status -eq 0 ] || failed=1
done
exit $failed
