#include "double_quant.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "codebook.h"

namespace bnb4 {

float absmax_mean(const float* absmax, int64_t blocks) {
  double sum = 0;
  for (int64_t i = 0; i < blocks; ++i) sum += absmax[i];
  return blocks ? static_cast<float>(sum / static_cast<double>(blocks)) : 0.0f;
}

void double_quant_cpu(const float* absmax, int64_t blocks, float offset, uint8_t* codes, float* absmax2,
                      const float* reciprocals) {
  const int64_t nested = num_blocks(blocks, kNestedBlocksize);
  for (int64_t b = 0; b < nested; ++b) {
    const int64_t begin = b * kNestedBlocksize, end = std::min(blocks, begin + kNestedBlocksize);
    float m = -FLT_MAX;
    // The centred values come from a plain (non fast-math) torch subtraction.
    for (int64_t i = begin; i < end; ++i) m = std::fmax(m, flush_denormal(std::fabs(absmax[i] - offset)));
    absmax2[b] = m;
    const float inv = reciprocals ? reciprocals[b] : reciprocal_ftz(m);
    for (int64_t i = begin; i < end; ++i) codes[i] = quantize_dynamic(mul_ftz(absmax[i] - offset, inv));
  }
}

void decode_absmax_cpu(const uint8_t* codes, const float* absmax2, float offset, int64_t blocks,
                       float* absmax) {
  for (int64_t i = 0; i < blocks; ++i)
    absmax[i] = mul_ftz(kDynamicMap[codes[i]], absmax2[i / kNestedBlocksize]) + offset;
}

}  // namespace bnb4
