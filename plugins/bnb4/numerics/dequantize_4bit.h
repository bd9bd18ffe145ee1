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

// Elements [e0, e0 + count) of w as a weight of their own (a run of rows): e0 a multiple of 32 (the codes
// stay 16-byte aligned) and of the blocksize, nested: of blocksize x 256 (absmax2's blocks start with it).
inline Packed4bit elements_of(const Packed4bit& w, int64_t e0, int64_t count) {
  Packed4bit part = w;
  const int64_t block0 = e0 / w.blocksize;
  part.packed = w.packed + e0 / 2;
  part.n = count;
  if (w.nested()) {
    part.nested_codes = w.nested_codes + block0;
    part.absmax2 = w.absmax2 + block0 / 256;
  } else {
    part.absmax = w.absmax + block0;
  }
  return part;
}

// out: n elements of out_type. The reference: one element at a time, as the formula reads.
void dequantize_4bit_cpu(const Packed4bit& w, void* out, ElemType out_type);

// Blocks [block_begin, block_end) of w (elements from block_begin * blocksize up to the end of the last
// one, or n) into their places in out, the whole weight's buffer. Bit for bit dequantize_4bit_cpu's
// values, but each block's 16 possible outputs are computed once and the codes look them up: several
// times faster. Thread-safe on disjoint ranges: callers split [0, num_blocks) across threads.
void dequantize_4bit_blocks_cpu(const Packed4bit& w, void* out, ElemType out_type, int64_t block_begin,
                                int64_t block_end);

#ifdef LQ_BNB4_KERNELS
// kStream: stores evict first (a whole weight, read back from HBM). kKeep: stores stay in L2, for a piece
// that the next kernel reads at once (prefill's products piece by piece).
enum class Stores { kStream, kKeep };
cudaError_t dequantize_4bit_cuda(const Packed4bit& w, void* out, ElemType out_type, cudaStream_t stream,
                                 Stores stores = Stores::kStream);
#endif

}  // namespace bnb4
