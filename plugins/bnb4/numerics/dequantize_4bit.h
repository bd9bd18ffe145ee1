// Blockwise 4-bit dequantization (bitsandbytes dequantize_4bit): value = code_value * absmax in float32,
// then rounded to nearest even into the output type.
#pragma once

#include <cstdint>

#include "codebook.h"
#include "elem_type.h"
#include "float_env.h"

namespace bnb4 {

// Where a packed weight and its scales live (host or device pointers, by context). Exactly one of
// `absmax` or the nested triple (nested_codes, absmax2, offset) is used.
struct Packed4bit {
  const uint8_t* packed = nullptr;
  int64_t n = 0;  // element count
  int blocksize = 64;
  QuantType type = QuantType::kNF4;
  const float* absmax = nullptr;
  const uint8_t* nested_codes = nullptr;
  const float* absmax2 = nullptr;
  float offset = 0.0f;
  bool nested() const { return nested_codes != nullptr; }
};

// out: n elements of out_type. The reference: one element at a time, as the formula reads.
void dequantize_4bit_cpu(const Packed4bit& w, void* out, ElemType out_type);

// Blocks [block_begin, block_end) of w (elements from block_begin * blocksize up to the end of the last
// one, or n) into their places in out, the whole weight's buffer. Bit for bit dequantize_4bit_cpu's
// values, but each block's 16 possible outputs are computed once and the codes look them up: several
// times faster. Thread-safe on disjoint ranges: callers split [0, num_blocks) across threads.
void dequantize_4bit_blocks_cpu(const Packed4bit& w, void* out, ElemType out_type, int64_t block_begin,
                                int64_t block_end);

#ifdef LQ_BNB4_KERNELS
cudaError_t dequantize_4bit_cuda(const Packed4bit& w, void* out, ElemType out_type, cudaStream_t stream);
#endif

}  // namespace bnb4
