#!/usr/bin/env bash
# Installs llama-quant from BUILD_DIR into a temporary prefix, builds tests/sdk/out_of_tree against it with
# find_package(llama-quant), and checks that the installed CLI loads the plugin.
set -euo pipefail
build_dir=$1 source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
out=$(LQ_PLUGIN_PATH="$work/build/plugins" "$work/prefix/bin/llama-quant" plugins --json)
echo "$out"
grep -q '"name": "rounding"' <<<"$out"
grep -q '"name": "fp16"' <<<"$out"
