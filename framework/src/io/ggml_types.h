// The ggml tensor storage types as GGUF files number them, with their block geometry, and the
// dequantizers for the ones llama-quant reads (F32, F16, BF16, Q8_0, Q4_0, Q4_1). Plain C++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lq::io {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct GgmlTypeTraits {
  const char* name;
  uint32_t block_size;   // elements per block (1 for plain types)
  uint32_t block_bytes;  // bytes per block
  bool dequantizable;    // llama-quant can convert it to float
};

// nullptr for a type id ggml does not define (or that was removed).
const GgmlTypeTraits* ggml_type_traits(uint32_t type);
std::string ggml_type_name(GgmlType type);
// "F32, F16, BF16, Q8_0, Q4_0, Q4_1", for error messages.
const char* ggml_dequantizable_types();

// Converts `n` elements stored as `type` at `src` (n a multiple of the block size, src holding the
// matching byte count) into floats. `type` must be dequantizable.
void dequantize_row(GgmlType type, const uint8_t* src, float* dst, size_t n);

}  // namespace lq::io
