#!/usr/bin/env bash
# One call for the bnb4 kernels on a CUDA machine (H100, CUDA 13): the tests and their compute-sanitizer
# runs (bnb4_tests.sh), then the benchmark table with the issue-5 targets (bnb4_bench.sh), sharing one
# build folder. The benchmark runs even when a test fails; the exit status is the tests' (or the
# benchmark's, if the tests passed). Outputs go to $OUT/ (bnb4_tests.log, bnb4_bench_table.txt, JSON).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${OUT:?set OUT to the output folder}"
"$here/bnb4_tests.sh"
tests=$?
echo "== bnb4_tests.sh exit status $tests"
"$here/bnb4_bench.sh"
bench=$?
echo "== bnb4_bench.sh exit status $bench"
[ "$tests" -ne 0 ] && exit "$tests"
exit "$bench"
