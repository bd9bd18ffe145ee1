// bitsandbytes builds its CUDA kernels with --use_fast_math: float multiplies and max/abs flush
// subnormal inputs and results to zero, and 1/absmax is the GPU's approximate reciprocal
// (rcp.approx.ftz.f32). The CPU reference reproduces the flushing exactly; for the reciprocal it uses
// the correctly rounded 1/x unless the caller supplies the GPU's values (see quantize_4bit.h).
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>

#ifdef LQ_BNB4_KERNELS
#include <cuda_runtime_api.h>
#endif

#include "host_device.h"

namespace bnb4 {

inline float flush_denormal(float x) { return std::fabs(x) < FLT_MIN ? std::copysign(0.0f, x) : x; }
inline float mul_ftz(float a, float b) { return flush_denormal(flush_denormal(a) * flush_denormal(b)); }
inline float reciprocal_ftz(float x) { return flush_denormal(1.0f / flush_denormal(x)); }

// Blocks of a flattened weight of n elements; the last one may be partial.
BNB4_HD int64_t num_blocks(int64_t n, int64_t blocksize) { return (n + blocksize - 1) / blocksize; }
// Two 4-bit codes per byte; an odd count leaves the low nibble of the last byte as padding.
BNB4_HD int64_t packed_bytes(int64_t n) { return (n + 1) / 2; }
BNB4_HD bool valid_blocksize(int64_t b) {
  return b == 32 || b == 64 || b == 128 || b == 256 || b == 512 || b == 1024 || b == 2048 || b == 4096;
}

}  // namespace bnb4
