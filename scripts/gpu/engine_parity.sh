#!/usr/bin/env bash
# Makes the engine's Hugging Face parity fixture (tests/fixtures/model/) with transformers.
# Run from the repo root on the GPU machine (torch, transformers 5.x, safetensors, numpy, Python 3.12):
#   scripts/gpu/engine_parity.sh
# Needs .whl/gguf-0.17.1-py3-none-any.whl (carry .whl) for the SmolLM2 entry, and the GGUF at
# models/SmolLM2-135M-Instruct.Q4_1.gguf or $SMOLLM2_GGUF (without it that entry is skipped). The GGUF
# (94 MiB) is over one call's carry limit; on a machine that stays warm between calls it can travel in
# two pieces: here `split -b 48M models/SmolLM2-135M-Instruct.Q4_1.gguf .smol/part-` (with .smol/ in
# .git/info/exclude); call 1 carries .smol/part-aa and runs `cp .smol/part-aa /tmp/`; call 2 carries
# .whl and .smol/part-ab and runs `cat /tmp/part-aa .smol/part-ab > /tmp/smol.gguf &&
# SMOLLM2_GGUF=/tmp/smol.gguf scripts/gpu/engine_parity.sh`.
# Writes $OUT/tiny_llama3_{tied,untied}/{config.json,model.safetensors} and $OUT/hf_logits.json; copy
# them into tests/fixtures/model/ and commit.
set -euo pipefail
out=${OUT:?set OUT to the output folder}
gguf=${SMOLLM2_GGUF:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
if ! python3 -c "import gguf" 2>/dev/null; then
  python3 -m pip install --quiet --no-index --no-deps .whl/gguf-*.whl || echo "engine_parity: gguf wheel missing"
fi
python3 scripts/fixtures/model_hf_parity.py "$out" "$gguf" 2>&1 | tee "$out/engine_parity.log"
ls -la "$out" "$out"/tiny_llama3_*
