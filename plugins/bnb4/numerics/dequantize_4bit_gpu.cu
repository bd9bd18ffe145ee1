// 4-bit dequantization on the GPU, bit-identical to bitsandbytes' kDequantizeBlockwise (+ its nested
// absmax decode): each thread reads 16 packed bytes with one 16-byte load and writes 32 elements with
// 16-byte stores; 32 elements always share one absmax since blocksizes are multiples of 32.
#include <algorithm>

#include "device_common.cuh"
#include "dequantize_4bit.h"
#include "double_quant.h"

namespace bnb4 {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void dequantize_4bit_kernel(Packed4bit w, Table16 values, Table256 dynamic_map,
                                       T* __restrict__ out) {
  __shared__ float lut[16];
  __shared__ float map[256];
  for (int i = threadIdx.x; i < 16; i += blockDim.x) lut[i] = values.v[i];
  if (w.nested_codes)
    for (int i = threadIdx.x; i < 256; i += blockDim.x) map[i] = dynamic_map.v[i];
  __syncthreads();
  const int64_t bytes = packed_bytes(w.n);
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t * 16 < bytes;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t e0 = t * 32;
    const float a = block_absmax(w, map, e0 / w.blocksize);
    uint8_t q[16];
    if ((t + 1) * 16 <= bytes) {
      *reinterpret_cast<uint4*>(q) = __ldg(reinterpret_cast<const uint4*>(w.packed) + t);
    } else {
      for (int j = 0; j < 16; ++j) q[j] = t * 16 + j < bytes ? w.packed[t * 16 + j] : 0;
    }
    alignas(16) T v[32];
#pragma unroll
    for (int j = 0; j < 16; ++j) {
      v[2 * j] = from_float<T>(dmul_ftz(lut[q[j] >> 4], a));
      v[2 * j + 1] = from_float<T>(dmul_ftz(lut[q[j] & 15], a));
    }
    if (e0 + 32 <= w.n) {
      uint4* dst = reinterpret_cast<uint4*>(out + e0);
      const uint4* s = reinterpret_cast<const uint4*>(v);
#pragma unroll
      for (int j = 0; j < static_cast<int>(32 * sizeof(T) / 16); ++j) __stcs(dst + j, s[j]);
    } else {
      for (int j = 0; j < 32 && e0 + j < w.n; ++j) out[e0 + j] = v[j];
    }
  }
}

}  // namespace

cudaError_t dequantize_4bit_cuda(const Packed4bit& w, void* out, ElemType out_type, cudaStream_t stream) {
  if (!valid_blocksize(w.blocksize) || w.n <= 0) return cudaErrorInvalidValue;
  if (!aligned16(w.packed) || !aligned16(out)) return cudaErrorMisalignedAddress;
  const int64_t threads_needed = (packed_bytes(w.n) + 15) / 16;
  const int64_t ctas = std::min<int64_t>((threads_needed + kThreads - 1) / kThreads, 132 * 64);
  const Table16 values = table16(w.type);
  const Table256 map = dynamic_map_table();
  BNB4_DISPATCH_ELEM(out_type, {
    dequantize_4bit_kernel<T>
        <<<static_cast<unsigned>(ctas), kThreads, 0, stream>>>(w, values, map, static_cast<T*>(out));
  });
  return cudaGetLastError();
}

}  // namespace bnb4
