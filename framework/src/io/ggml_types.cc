#include "io/ggml_types.h"

#include <cstring>
#include <stdexcept>

#include "io/half_float.h"

namespace lq::io {
namespace {

// Block geometry as ggml defines it (ggml.h / ggml-common.h); ids absent here are unused or removed.
struct Entry {
  uint32_t id;
  GgmlTypeTraits traits;
};
constexpr Entry kTypes[] = {
    {0, {"F32", 1, 4, true}},          {1, {"F16", 1, 2, true}},          {2, {"Q4_0", 32, 18, true}},
    {3, {"Q4_1", 32, 20, true}},       {6, {"Q5_0", 32, 22, false}},      {7, {"Q5_1", 32, 24, false}},
    {8, {"Q8_0", 32, 34, true}},       {9, {"Q8_1", 32, 40, false}},      {10, {"Q2_K", 256, 84, false}},
    {11, {"Q3_K", 256, 110, false}},   {12, {"Q4_K", 256, 144, false}},   {13, {"Q5_K", 256, 176, false}},
    {14, {"Q6_K", 256, 210, false}},   {15, {"Q8_K", 256, 292, false}},   {16, {"IQ2_XXS", 256, 66, false}},
    {17, {"IQ2_XS", 256, 74, false}},  {18, {"IQ3_XXS", 256, 98, false}}, {19, {"IQ1_S", 256, 50, false}},
    {20, {"IQ4_NL", 32, 18, false}},   {21, {"IQ3_S", 256, 110, false}},  {22, {"IQ2_S", 256, 82, false}},
    {23, {"IQ4_XS", 256, 136, false}}, {24, {"I8", 1, 1, false}},         {25, {"I16", 1, 2, false}},
    {26, {"I32", 1, 4, false}},        {27, {"I64", 1, 8, false}},        {28, {"F64", 1, 8, false}},
    {29, {"IQ1_M", 256, 56, false}},   {30, {"BF16", 1, 2, true}},        {34, {"TQ1_0", 256, 54, false}},
    {35, {"TQ2_0", 256, 66, false}},   {39, {"MXFP4", 32, 17, false}},
};

// Q8_0: fp16 scale d, then 32 signed bytes; x = q * d.
void dequantize_q8_0(const uint8_t* src, float* dst, size_t blocks) {
  for (size_t b = 0; b < blocks; ++b, src += 34, dst += 32) {
    const float d = fp16_to_float(load_u16(src));
    const auto* q = reinterpret_cast<const int8_t*>(src + 2);
    for (int j = 0; j < 32; ++j) dst[j] = static_cast<float>(q[j]) * d;
  }
}

// Q4_0: fp16 scale d, then 16 bytes of nibbles; low nibbles are elements 0-15, high nibbles 16-31,
// each offset by 8: x = (q - 8) * d.
void dequantize_q4_0(const uint8_t* src, float* dst, size_t blocks) {
  for (size_t b = 0; b < blocks; ++b, src += 18, dst += 32) {
    const float d = fp16_to_float(load_u16(src));
    const uint8_t* q = src + 2;
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>((q[j] & 0x0F) - 8) * d;
      dst[j + 16] = static_cast<float>((q[j] >> 4) - 8) * d;
    }
  }
}

// Q4_1: fp16 scale d and fp16 minimum m, then nibbles laid out as in Q4_0, unsigned: x = q * d + m.
void dequantize_q4_1(const uint8_t* src, float* dst, size_t blocks) {
  for (size_t b = 0; b < blocks; ++b, src += 20, dst += 32) {
    const float d = fp16_to_float(load_u16(src));
    const float m = fp16_to_float(load_u16(src + 2));
    const uint8_t* q = src + 4;
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>(q[j] & 0x0F) * d + m;
      dst[j + 16] = static_cast<float>(q[j] >> 4) * d + m;
    }
  }
}

}  // namespace

const GgmlTypeTraits* ggml_type_traits(uint32_t type) {
  for (const auto& e : kTypes)
    if (e.id == type) return &e.traits;
  return nullptr;
}

std::string ggml_type_name(GgmlType type) {
  const GgmlTypeTraits* t = ggml_type_traits(static_cast<uint32_t>(type));
  return t ? t->name : "type " + std::to_string(static_cast<uint32_t>(type));
}

const char* ggml_dequantizable_types() { return "F32, F16, BF16, Q8_0, Q4_0, Q4_1"; }

void dequantize_row(GgmlType type, const uint8_t* src, float* dst, size_t n) {
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, n * sizeof(float));
      return;
    case GgmlType::kF16:
      for (size_t i = 0; i < n; ++i) dst[i] = fp16_to_float(load_u16(src + 2 * i));
      return;
    case GgmlType::kBF16:
      for (size_t i = 0; i < n; ++i) dst[i] = bf16_to_float(load_u16(src + 2 * i));
      return;
    case GgmlType::kQ8_0:
      dequantize_q8_0(src, dst, n / 32);
      return;
    case GgmlType::kQ4_0:
      dequantize_q4_0(src, dst, n / 32);
      return;
    case GgmlType::kQ4_1:
      dequantize_q4_1(src, dst, n / 32);
      return;
    default:
      break;
  }
  // Callers check ggml_type_traits()->dequantizable first; reaching here is a programming error.
  throw std::logic_error("dequantize_row: " + ggml_type_name(type) + " is not dequantizable");
}

}  // namespace lq::io
