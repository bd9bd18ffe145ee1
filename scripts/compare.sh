#!/usr/bin/env bash
# The default comparison, from a fresh machine: installs dependencies, fetches the test model, builds,
# then runs configs/default_comparison.yaml (fp16 vs NF4 vs FP4) and prints the summary table and where
# the results went. Arguments are passed to `llama-quant run` (e.g. --limit 5, --device cpu, --force).
# A rerun skips experiments already done with the same configuration.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LQ_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
"$root/scripts/fetch-models.sh"
"$root/scripts/build.sh"
# Relative paths in the configuration and the default results/ folder are resolved from the repository root.
cd "$root"
echo "compare: fp16 vs NF4 vs FP4 on SmolLM2-135M-Instruct; CoQA variant coqa_last_turn on the first 6 stories"
echo "compare: of the bundled sample (configs/base/smollm2_coqa.yaml sets variant and limit; --set or --limit change them)"
status=0
"$build/framework/llama-quant" run configs/default_comparison.yaml "$@" || status=$?
case $status in
  0) echo "compare: all experiments succeeded; results where the \"results:\" line above says" ;;
  1) echo "compare: some experiments failed (see the table above and the records/ of the results folder it names)" ;;
  *) echo "compare: bad usage or configuration (exit $status)" ;;
esac
exit $status
