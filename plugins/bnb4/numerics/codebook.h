// The code tables of bitsandbytes' 4-bit types (NF4, FP4) and of its signed 8-bit dynamic map (used for
// the nested absmax of double quantization), with the exact decision rules of its CUDA kernels.
#pragma once

#include <cstdint>

#include "host_device.h"

namespace bnb4 {

enum class QuantType { kNF4, kFP4 };
const char* quant_type_name(QuantType t);

// Dequantization tables: value of a 4-bit code before scaling by the block's absmax.
extern const float kNF4Values[16];
extern const float kFP4Values[16];  // sign bit 3, magnitude bits 0..2
inline const float* code_values(QuantType t) { return t == QuantType::kNF4 ? kNF4Values : kFP4Values; }

// Nearest-code decisions on a normalised value, as binary trees of strict '>' comparisons against
// bitsandbytes' midpoints. A NaN (0 * inf from an all-zero block) compares false everywhere and maps to
// code 0, as on the GPU.
BNB4_HD uint8_t quantize_nf4(float x) {
  if (x > 0.03979014977812767f) {
    if (x > 0.3893125355243683f) {
      if (x > 0.6427869200706482f) return x > 0.8614784181118011f ? 15 : 14;
      return x > 0.5016634166240692f ? 13 : 12;
    }
    if (x > 0.2035212516784668f) return x > 0.2920137718319893f ? 11 : 10;
    return x > 0.1202552504837513f ? 9 : 8;
  }
  if (x > -0.33967943489551544f) {
    if (x > -0.13791173323988914f) return x > -0.045525018125772476f ? 7 : 6;
    return x > -0.23460740596055984f ? 5 : 4;
  }
  if (x > -0.6106329262256622f) return x > -0.4599952697753906f ? 3 : 2;
  return x > -0.8480964004993439f ? 1 : 0;
}

BNB4_HD uint8_t quantize_fp4(float x) {
  const uint8_t sign = x < 0 ? 8 : 0;
  const float a = x < 0 ? -x : x;  // fabsf; NaN stays NaN and falls through to code 0
  uint8_t m;
  if (a > 0.29166667f) {
    if (a > 0.583333f)
      m = a > 0.8333333f ? 3 : 2;
    else
      m = a > 0.4166667f ? 5 : 4;
  } else if (a > 0.0859375f) {
    m = a > 0.20833333f ? 7 : 6;
  } else {
    m = a > 0.00260417f ? 1 : 0;
  }
  return static_cast<uint8_t>(m + sign);
}

BNB4_HD uint8_t quantize_4bit_code(QuantType t, float x) {
  return t == QuantType::kNF4 ? quantize_nf4(x) : quantize_fp4(x);
}

// create_dynamic_map(signed=True): 256 sorted float32 values in [-1, 1].
extern const float kDynamicMap[256];

// bitsandbytes' 8-bit quantizer: a 7-step binary search over kDynamicMap, then the nearer of the two
// neighbours by comparing against their float midpoint (ties go to the pivot found by the search).
BNB4_HD uint8_t quantize_dynamic_in(const float* code, float x) {
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = -1.0f, upper = 1.0f;
  float val = code[pivot];
  for (int step = 64; step > 0; step >>= 1) {
    if (x > val) {
      lower_pivot = pivot;
      lower = val;
      pivot += step;
    } else {
      upper_pivot = pivot;
      upper = val;
      pivot -= step;
    }
    val = code[pivot];
  }
  if (upper_pivot == 255) upper = code[upper_pivot];
  if (lower_pivot == 0) lower = code[lower_pivot];
  if (x > val) {
    const float midpoint = (upper + val) * 0.5f;
    return static_cast<uint8_t>(x > midpoint ? upper_pivot : pivot);
  }
  const float midpoint = (lower + val) * 0.5f;
  return static_cast<uint8_t>(x < midpoint ? lower_pivot : pivot);
}
inline uint8_t quantize_dynamic(float x) { return quantize_dynamic_in(kDynamicMap, x); }

}  // namespace bnb4
