#include "quantize_4bit.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace bnb4 {

void quantize_4bit_cpu(const void* src, ElemType type, int64_t n, int blocksize, QuantType qt,
                       uint8_t* packed, float* absmax, const float* reciprocals) {
  const int64_t blocks = num_blocks(n, blocksize);
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t begin = b * blocksize, end = std::min(n, begin + blocksize);
    // fmaxf ignores NaN; the fast-math abs/max flush subnormals to zero.
    float m = -FLT_MAX;
    for (int64_t i = begin; i < end; ++i)
      m = std::fmax(m, flush_denormal(std::fabs(load_as_float(src, type, i))));
    absmax[b] = m;
    const float inv = reciprocals ? reciprocals[b] : reciprocal_ftz(m);
    // Pairs of elements; a missing partner of the last element is the zero padding the GPU loads.
    for (int64_t i = begin; i < end; i += 2) {
      const float hi = load_as_float(src, type, i);
      const float lo = i + 1 < end ? load_as_float(src, type, i + 1) : 0.0f;
      packed[i / 2] = static_cast<uint8_t>((quantize_4bit_code(qt, mul_ftz(hi, inv)) << 4) |
                                           quantize_4bit_code(qt, mul_ftz(lo, inv)));
    }
  }
}

}  // namespace bnb4
