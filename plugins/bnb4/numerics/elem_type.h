// Element types of weights and activations, and exact conversions between them, in plain C++.
// Conversions to 16-bit types round to nearest even, as CUDA's __float2half / __float2bfloat16 do.
#pragma once

#include <cstdint>
#include <cstring>

namespace bnb4 {

enum class ElemType { kF32, kF16, kBF16 };

inline int elem_size(ElemType t) { return t == ElemType::kF32 ? 4 : 2; }
const char* elem_type_name(ElemType t);

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float bf16_to_float(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

inline uint16_t float_to_bf16(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

// Reads element i of a buffer of type t as float (exact for every type).
inline float load_as_float(const void* data, ElemType t, int64_t i) {
  switch (t) {
    case ElemType::kF32:
      return static_cast<const float*>(data)[i];
    case ElemType::kF16:
      return half_to_float(static_cast<const uint16_t*>(data)[i]);
    default:
      return bf16_to_float(static_cast<const uint16_t*>(data)[i]);
  }
}

// Writes v, rounded to nearest even, as element i of a buffer of type t.
inline void store_from_float(void* data, ElemType t, int64_t i, float v) {
  switch (t) {
    case ElemType::kF32:
      static_cast<float*>(data)[i] = v;
      break;
    case ElemType::kF16:
      static_cast<uint16_t*>(data)[i] = float_to_half(v);
      break;
    default:
      static_cast<uint16_t*>(data)[i] = float_to_bf16(v);
      break;
  }
}

}  // namespace bnb4
