#!/usr/bin/env bash
# Builds and runs the bnb4 tests on a CUDA machine (H100, CUDA 13, PyTorch 2.11's libtorch found by
# CMake, e.g. through CMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')):
# the CPU/plugin tests, the CUDA-vs-reference tests, and the CUDA tests again under compute-sanitizer
# (memcheck, racecheck, initcheck). Logs go to $OUT/bnb4_tests.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${OUT:?set OUT to the output folder}"
build=${LQ_BUILD_DIR:-$root/build-bnb4-gpu}
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
log="$OUT/bnb4_tests.log"
{
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${prefix:+-DCMAKE_PREFIX_PATH=$prefix} -DLQ_BUILD_TESTS=ON
  cmake --build "$build" -j "$(nproc)" --target lq_test_bnb4 lq_test_bnb4_cuda bnb4
  nvidia-smi --query-gpu=name,driver_version --format=csv
  "$build/tests/bnb4/lq_test_bnb4_cuda"
  "$build/tests/bnb4/lq_test_bnb4"
  sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for tool in memcheck racecheck initcheck; do
    echo "== compute-sanitizer --tool $tool"
    "$sanitizer" --tool "$tool" --error-exitcode 1 "$build/tests/bnb4/lq_test_bnb4_cuda" \
      --gtest_filter='Bnb4Cuda.DequantizeIsBitExact:Bnb4Cuda.NestedQuantize*:Bnb4Cuda.FusedMatmul*:Bnb4Cuda.Matvec*:Bnb4Cuda.Tiled*:Bnb4Cuda.Rejects*'
  done
  echo "== compute-sanitizer memcheck, quantize"
  "$sanitizer" --tool memcheck --error-exitcode 1 "$build/tests/bnb4/lq_test_bnb4_cuda" \
    --gtest_filter='Bnb4Cuda.Quantize*'
} 2>&1 | tee "$log"
