#include "dequantize_4bit.h"

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

}  // namespace bnb4
