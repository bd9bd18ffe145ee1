#!/usr/bin/env bash
# Generates the bitsandbytes parity fixtures for tests/bnb4 on a CUDA machine (H100, CUDA 13,
# PyTorch 2.11, Python 3.12, no internet). Needs, carried from the repo root (both git-ignored):
#   .bnb/  bitsandbytes 0.50.2 unpacked from its wheel, with only the CPU and CUDA 13 libraries
#          (made here by scripts/gpu/stage_bitsandbytes.sh), or
#   .whl/  that wheel itself (installed with pip --no-deps when .bnb/ is absent).
# Output: $OUT/bnb4_fixtures.tar.gz; unpack it into tests/fixtures/bnb4/ and commit:
#   tar -xzf bnb4_fixtures.tar.gz -C tests/fixtures/bnb4
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${OUT:?set OUT to the output folder}"
if [ -d "$root/.bnb/bitsandbytes" ]; then
  export PYTHONPATH="$root/.bnb${PYTHONPATH:+:$PYTHONPATH}"
else
  python3 -m pip install --no-deps --no-index "$root"/.whl/bitsandbytes-*.whl
fi
python3 -c "import bitsandbytes, torch; print('bitsandbytes', bitsandbytes.__version__, 'torch', torch.__version__, torch.version.cuda)"
work=$(mktemp -d)
python3 "$root/scripts/fixtures/bnb4_fixtures.py" "$work"
tar -czf "$OUT/bnb4_fixtures.tar.gz" -C "$work" .
ls -l "$OUT/bnb4_fixtures.tar.gz"
