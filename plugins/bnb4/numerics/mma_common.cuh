// What the tensor-core kernels share (matmul_4bit_batch_gpu.cu for M = 1..32, matvec_4bit_mma_gpu.cu for
// M = 1): the m16n8k16 instruction, value pairs packed for its A
// register, and one weight row's loads for a 128-weight step (a 16-byte chunk per lane, the lane's pair of
// chunk scales).
#pragma once

#include <type_traits>

#include "device_common.cuh"

namespace bnb4 {

// Whether the current device has mma.m16n8k16 for float16 / bfloat16 (sm_80 or newer).
inline bool has_tensor_core_mma() {
  int device = 0, major = 0;
  return cudaGetDevice(&device) == cudaSuccess &&
         cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess &&
         major >= 8;
}

// Two values of T in one 32-bit register, `lo` in the low half (the lower k of an mma operand pair).
template <typename T>
struct Pair;
template <>
struct Pair<__half> {
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    const __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  }
  // Both halves of `a` times those of `b`, rounded to T.
  static __device__ __forceinline__ uint32_t mul(uint32_t a, uint32_t b) {
    const __half2 h = __hmul2(*reinterpret_cast<const __half2*>(&a), *reinterpret_cast<const __half2*>(&b));
    return *reinterpret_cast<const uint32_t*>(&h);
  }
};
template <>
struct Pair<__nv_bfloat16> {
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  }
  static __device__ __forceinline__ uint32_t mul(uint32_t a, uint32_t b) {
    const __nv_bfloat162 h =
        __hmul2(*reinterpret_cast<const __nv_bfloat162*>(&a), *reinterpret_cast<const __nv_bfloat162*>(&b));
    return *reinterpret_cast<const uint32_t*>(&h);
  }
};

// d += A B for one m16n8k16 tile (A row-major 16 x 16, B column-major 16 x 8, float32 accumulators).
template <typename T>
__device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  if constexpr (std::is_same_v<T, __half>)
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  else
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Byte b (0..15) of a 16-byte chunk of codes.
__device__ __forceinline__ uint32_t byte_of(const uint4& q, int b) {
  return (word_of(q, b / 4) >> ((b % 4) * 8)) & 0xffu;
}

// The CTA's decode table for matmul_4bit_batch_gpu.cu: entry [byte][lane] (256 x
// 32 words) is T2 of (value of the high code, value of the low code), one copy per lane so that a warp's 32
// lookups hit 32 banks; nested, also the 256-entry dynamic map. The caller synchronizes before use.
template <typename T, bool kNested>
__device__ __forceinline__ void fill_pair_table(uint32_t* lut, float* map, const Table16& values,
                                                const Table256& dynamic_map) {
  for (int e = threadIdx.x; e < 256; e += blockDim.x) {
    const uint32_t p = Pair<T>::pack(values.v[e >> 4], values.v[e & 15]);
    uint4* dst = reinterpret_cast<uint4*>(lut + e * 32);
#pragma unroll
    for (int i = 0; i < 8; ++i) dst[(i + e) % 8] = make_uint4(p, p, p, p);  // rotated: no bank conflicts
    if constexpr (kNested) map[e] = dynamic_map.v[e];
  }
}

// One weight row's state for a step: its chunk, and the scales of the two chunks whose sums this lane
// scales (nested: the codes and absmax2 until the step is consumed).
struct RowLoad {
  uint4 q;
  float scale[2];
  uint32_t code[2];
};

// Chunk `chunk` of `row` (zeros unless code_ok and the chunk lies within K) and the scales of chunks
// scale_chunk and scale_chunk + 1 (zero unless scale_ok and within K). Codes stream past L1 (read once);
// scales go through it (a 32-byte sector holds the next steps' scales).
template <bool kNested>
__device__ __forceinline__ RowLoad load_row(const Packed4bit& w, int64_t row, bool code_ok, bool scale_ok,
                                            int64_t K, int64_t chunk, int64_t scale_chunk, int shift) {
  RowLoad r;
  const int64_t chunks = K / 32;
  const bool ok = code_ok && chunk < chunks;
  r.q = ok ? __ldcs(reinterpret_cast<const uint4*>(w.packed + (row * K + chunk * 32) / 2))
           : make_uint4(0, 0, 0, 0);
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const bool s_ok = scale_ok && scale_chunk + h < chunks;
    const int64_t b = (row * K + (scale_chunk + h) * 32) >> shift;
    if constexpr (kNested) {
      r.code[h] = s_ok ? __ldg(w.nested_codes + b) : 0u;
      r.scale[h] = s_ok ? __ldg(w.absmax2 + b / kNestedBlocksize) : 0.0f;
    } else {
      r.code[h] = 0;
      r.scale[h] = s_ok ? __ldg(w.absmax + b) : 0.0f;
    }
  }
  return r;
}

// The scale of a loaded chunk: the float32 absmax, or its nested form decoded through the dynamic map.
template <bool kNested>
__device__ __forceinline__ float chunk_scale(const RowLoad& r, int h, bool ok, const float* map,
                                             float offset) {
  if constexpr (kNested) return ok ? nested_absmax(map[r.code[h]], r.scale[h], offset) : 0.0f;
  return r.scale[h];
}

}  // namespace bnb4
