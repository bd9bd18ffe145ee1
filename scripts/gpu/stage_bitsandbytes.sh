#!/usr/bin/env bash
# Here (where pip reaches the package index): bitsandbytes 0.50.2 unpacked from its wheel into .bnb/, with
# only the CPU and CUDA 13 libraries (8 MB instead of ~60), for the GPU machine, which has no internet:
# carry .bnb and put it on PYTHONPATH there, e.g. `PYTHONPATH=.bnb STEPS=shape scripts/gpu/check_all.sh`
# (transformers + bitsandbytes NF4 beside our figures) or scripts/gpu/bnb4_fixtures.sh (parity fixtures).
#
#   scripts/gpu/stage_bitsandbytes.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=0.50.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The GPU machine's Python (3.12) and glibc, whatever this machine runs.
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_24_x86_64 -d "$work" "bitsandbytes==$version"
wheel=$(ls "$work"/bitsandbytes-"$version"-*.whl)
python3 - "$wheel" "$work/unpacked" <<'EOF'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
EOF
find "$work/unpacked/bitsandbytes" -name 'libbitsandbytes_*.so' \
  ! -name 'libbitsandbytes_cpu.so' ! -name 'libbitsandbytes_cuda13*.so' -delete
rm -rf "$root/.bnb"
mv "$work/unpacked" "$root/.bnb"
echo "stage_bitsandbytes: bitsandbytes $version in .bnb ($(du -sh "$root/.bnb" | cut -f1)); carry .bnb"
