// Device helpers shared by the bnb4 kernels: element loads/stores, the exact float operations
// bitsandbytes' fast-math kernels perform, and code tables passed by value (no device globals written at run
// time, so any device and context works without initialisation; the M = 1 kernel's static copy of the
// dynamic map comes with its module).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "codebook.h"
#include "dequantize_4bit.h"
#include "double_quant.h"
#include "elem_type.h"
#include "llama_quant/cuda/chained_launch.cuh"
#include "llama_quant/cuda/device_traits.h"
#include "llama_quant/cuda/element_rounding.cuh"

namespace bnb4 {

using lq::cuda::from_float;
using lq::cuda::to_float;

struct Table16 {
  float v[16];
};
struct Table256 {
  float v[256];
};
// The code values of `t`, to pass to a kernel.
inline Table16 table16(QuantType t) {
  Table16 out;
  for (int i = 0; i < 16; ++i) out.v[i] = code_values(t)[i];
  return out;
}
// The dynamic map of nested absmax codes, to pass to a kernel.
inline Table256 dynamic_map_table() {
  Table256 out;
  for (int i = 0; i < 256; ++i) out.v[i] = kDynamicMap[i];
  return out;
}

// rcp.approx.ftz / mul.ftz: what --use_fast_math makes of bitsandbytes' 1.0f / absmax and x * inv.
__device__ __forceinline__ float drcp_approx_ftz(float x) {
  float r;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}
__device__ __forceinline__ float dmul_ftz(float a, float b) {
  float r;
  asm("mul.rn.ftz.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
  return r;
}
// Separately rounded add (torch's absmax += offset); asm keeps it from fusing into an FMA.
__device__ __forceinline__ float dadd_rn(float a, float b) {
  float r;
  asm("add.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
  return r;
}

// A 4-bit block's absmax from its nested state: dynamic_map[code] * absmax2 + offset, each operation
// rounded as bitsandbytes does (every kernel decodes it with this one sequence).
__device__ __forceinline__ float nested_absmax(float map_value, float absmax2, float offset) {
  return dadd_rn(dmul_ftz(map_value, absmax2), offset);
}

// The absmax of 4-bit block b, from the float32 array or the nested state (map: the dynamic map).
__device__ __forceinline__ float block_absmax(const Packed4bit& w, const float* map, int64_t b) {
  if (!w.nested_codes) return __ldg(w.absmax + b);
  return nested_absmax(map[__ldg(w.nested_codes + b)], __ldg(w.absmax2 + b / kNestedBlocksize), w.offset);
}

// The 16 / sizeof(T) elements of one 16-byte unit as floats, element by element: the form these kernels
// were measured with (lq::cuda::unit_to_floats converts pairs, and compiles to other code).
template <typename T>
__device__ __forceinline__ void unit_to_float(const uint4& u, float* out) {
  const T* e = reinterpret_cast<const T*>(&u);
#pragma unroll
  for (int j = 0; j < static_cast<int>(16 / sizeof(T)); ++j) out[j] = to_float(e[j]);
}

// Eight consecutive elements as floats: one or two 16-byte loads when aligned and in range, else
// element by element with zeros past n (the padding bitsandbytes loads).
template <typename T>
__device__ __forceinline__ void load8(const T* src, int64_t i, int64_t n, bool vector_ok, float (&v)[8]) {
  if (vector_ok && i + 8 <= n) {
    if constexpr (sizeof(T) == 4) {
      const float4 a = __ldg(reinterpret_cast<const float4*>(src + i));
      const float4 b = __ldg(reinterpret_cast<const float4*>(src + i + 4));
      v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
    } else {
      const uint4 raw = __ldg(reinterpret_cast<const uint4*>(src + i));
      const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
      for (int j = 0; j < 8; ++j) v[j] = to_float(e[j]);
    }
    return;
  }
#pragma unroll
  for (int j = 0; j < 8; ++j) v[j] = i + j < n ? to_float(src[i + j]) : 0.0f;
}

// Dispatches on the element type with T bound to float, __half or __nv_bfloat16.
#define BNB4_DISPATCH_ELEM(type, ...) \
  switch (type) {                     \
    case ElemType::kF32: {            \
      using T = float;                \
      __VA_ARGS__;                    \
      break;                          \
    }                                 \
    case ElemType::kF16: {            \
      using T = __half;               \
      __VA_ARGS__;                    \
      break;                          \
    }                                 \
    default: {                        \
      using T = __nv_bfloat16;        \
      __VA_ARGS__;                    \
      break;                          \
    }                                 \
  }

// 32-bit word i (0..3) of a 16-byte unit: bytes 4 i .. 4 i + 3, the first in the low bits.
__device__ __forceinline__ uint32_t word_of(const uint4& q, int i) {
  return i == 0 ? q.x : i == 1 ? q.y : i == 2 ? q.z : q.w;
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace bnb4
