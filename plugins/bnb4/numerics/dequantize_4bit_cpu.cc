#include "dequantize_4bit.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "double_quant.h"

namespace bnb4 {

void dequantize_4bit_cpu(const Packed4bit& w, void* out, ElemType out_type) {
  const int64_t blocks = num_blocks(w.n, w.blocksize);
  std::vector<float> decoded;
  const float* absmax = w.absmax;
  if (w.nested()) {
    decoded.resize(static_cast<size_t>(blocks));
    decode_absmax_cpu(w.nested_codes, w.absmax2, w.offset, blocks, decoded.data());
    absmax = decoded.data();
  }
  const float* values = code_values(w.type);
  for (int64_t i = 0; i < w.n; ++i) {
    const uint8_t byte = w.packed[i / 2];
    const uint8_t code = (i & 1) ? (byte & 0x0f) : (byte >> 4);
    store_from_float(out, out_type, i, mul_ftz(values[code], absmax[i / w.blocksize]));
  }
}

namespace {

// T: the storage of out_type (float, or the uint16_t bits of float16 / bfloat16).
template <class T>
void dequantize_blocks(const Packed4bit& w, T* out, ElemType out_type, int64_t block_begin,
                       int64_t block_end) {
  const float* values = code_values(w.type);
  const int64_t bs = w.blocksize;
  T table[16];
  for (int64_t b = block_begin; b < block_end; ++b) {
    float absmax;
    if (w.nested())
      decode_absmax_cpu(w.nested_codes + b, w.absmax2 + b / kNestedBlocksize, w.offset, 1, &absmax);
    else
      absmax = w.absmax[b];
    for (int c = 0; c < 16; ++c) {
      uint32_t stored;  // room for any type; its first sizeof(T) bytes are the element
      store_from_float(&stored, out_type, 0, mul_ftz(values[c], absmax));
      std::memcpy(&table[c], &stored, sizeof(T));
    }
    // A block starts at an even element (blocksizes are even), so on a byte; only the weight's last
    // element can be a lone high nibble.
    const int64_t s = b * bs, e = std::min(w.n, s + bs);
    const uint8_t* bytes = w.packed + s / 2;
    T* o = out + s;
    const int64_t pairs = (e - s) / 2;
    for (int64_t i = 0; i < pairs; ++i) {
      o[2 * i] = table[bytes[i] >> 4];
      o[2 * i + 1] = table[bytes[i] & 15];
    }
    if ((e - s) & 1) o[2 * pairs] = table[bytes[pairs] >> 4];
  }
}

}  // namespace

void dequantize_4bit_blocks_cpu(const Packed4bit& w, void* out, ElemType out_type, int64_t block_begin,
                                int64_t block_end) {
  block_end = std::min(block_end, num_blocks(w.n, w.blocksize));
  if (out_type == ElemType::kF32)
    dequantize_blocks(w, static_cast<float*>(out), out_type, block_begin, block_end);
  else
    dequantize_blocks(w, static_cast<uint16_t*>(out), out_type, block_begin, block_end);
}

}  // namespace bnb4
