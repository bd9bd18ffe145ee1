#!/usr/bin/env bash
# The test suite, from a fresh machine: installs dependencies, fetches the test model, builds, runs ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
[ -x "$root/scripts/fetch-models.sh" ] && "$root/scripts/fetch-models.sh"
"$root/scripts/build.sh"
ctest --test-dir "${LQ_BUILD_DIR:-$root/build}" --output-on-failure -j "$(nproc)" "$@"
