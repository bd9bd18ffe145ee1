#!/usr/bin/env bash
# Configures and builds llama-quant into build/ (or $LQ_BUILD_DIR), with every core.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LQ_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} ${LQ_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
