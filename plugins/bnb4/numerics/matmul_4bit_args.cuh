// Host-side argument checks shared by the fused matmul entry points (matrix-vector and tiled).
#pragma once

#include "device_common.cuh"
#include "matmul_4bit.h"

namespace bnb4 {

// cudaErrorInvalidValue for a shape the kernels do not take (M outside 1..16, K not a positive multiple
// of 32, no rows, a weight that is not N x K, a blocksize bitsandbytes lacks); cudaErrorMisalignedAddress
// where a 16-byte vector load would be misaligned.
inline cudaError_t check_matmul_args(const void* x, int64_t M, int64_t K, const Packed4bit& w, int64_t N) {
  if (!fused_matmul_supported(M, K) || K < 32 || N < 1 || w.n != N * K || !valid_blocksize(w.blocksize))
    return cudaErrorInvalidValue;
  if (!aligned16(x) || !aligned16(w.packed)) return cudaErrorMisalignedAddress;
  return cudaSuccess;
}

}  // namespace bnb4
