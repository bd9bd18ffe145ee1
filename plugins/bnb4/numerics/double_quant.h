// Double quantization (bitsandbytes compress_statistics): the float32 absmax of the 4-bit blocks, minus
// their mean (the offset), quantized blockwise (256) to 8 bits with the signed dynamic map. A block's
// absmax is decoded as (map[code] * absmax2[block / 256]) + offset, rounded after each operation.
#pragma once

#include <cstdint>

#include "float_env.h"

namespace bnb4 {

constexpr int kNestedBlocksize = 256;

// The offset: mean of the absmax values, accumulated in double and rounded once. (bitsandbytes takes
// torch's float32 mean, whose summation order depends on the device, so the last bit may differ.)
float absmax_mean(const float* absmax, int64_t blocks);

// codes: blocks bytes; absmax2: num_blocks(blocks, kNestedBlocksize) floats. reciprocals: as in
// quantize_4bit_cpu, one per nested block.
void double_quant_cpu(const float* absmax, int64_t blocks, float offset, uint8_t* codes, float* absmax2,
                      const float* reciprocals = nullptr);

// Decodes the nested state back into one float32 absmax per 4-bit block.
void decode_absmax_cpu(const uint8_t* codes, const float* absmax2, float offset, int64_t blocks,
                       float* absmax);

#ifdef LQ_BNB4_KERNELS
// The 8-bit blockwise quantizer on the GPU over centred = absmax - offset (computed by the caller).
cudaError_t quantize_nested_cuda(const float* centred, int64_t blocks, uint8_t* codes, float* absmax2,
                                 cudaStream_t stream);
#endif

}  // namespace bnb4
