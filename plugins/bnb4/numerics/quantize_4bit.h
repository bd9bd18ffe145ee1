// Blockwise 4-bit quantization (bitsandbytes quantize_4bit): the flattened row-major input is cut into
// blocks of `blocksize`; each block's absmax (float32) scales it into [-1, 1] by multiplying with the
// reciprocal of absmax, and each value becomes the nearest NF4 / FP4 code. Element 2i goes to the high
// nibble of byte i, element 2i+1 to the low one. A partial last block uses its own elements only; an
// all-zero block gets absmax 0 and code 0 everywhere (0 * inf is NaN, which every comparison rejects).
#pragma once

#include <cstdint>

#include "codebook.h"
#include "elem_type.h"
#include "float_env.h"

namespace bnb4 {

// src: n elements of `type`; packed: packed_bytes(n); absmax: num_blocks(n, blocksize).
// reciprocals (optional, one per block): 1/absmax as the GPU computed it, to reproduce bitsandbytes'
// CUDA output bit for bit; by default the correctly rounded reciprocal is used, which differs from
// rcp.approx in rare last-bit cases and then only flips a code whose scaled value lies within an ulp of
// a decision threshold.
void quantize_4bit_cpu(const void* src, ElemType type, int64_t n, int blocksize, QuantType qt,
                       uint8_t* packed, float* absmax, const float* reciprocals = nullptr);

#ifdef LQ_BNB4_KERNELS
// Same layout on the GPU, with rcp.approx.ftz like bitsandbytes. All pointers are device pointers.
cudaError_t quantize_4bit_cuda(const void* src, ElemType type, int64_t n, int blocksize, QuantType qt,
                               uint8_t* packed, float* absmax, cudaStream_t stream);
// The GPU's approximate reciprocal of each value (to feed quantize_4bit_cpu in tests).
cudaError_t reciprocal_approx_cuda(const float* x, int64_t n, float* out, cudaStream_t stream);
#endif

}  // namespace bnb4
