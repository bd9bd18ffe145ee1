// 4-bit blockwise quantization on the GPU, bit-identical to bitsandbytes' kQuantizeBlockwise: each
// thread loads 8 elements with 16-byte loads; the blocksize / 8 threads of a block reduce its absmax
// with warp shuffles (and shared memory past a warp), then scale by rcp.approx(absmax).
#include <algorithm>
#include <cfloat>

#include "device_common.cuh"
#include "quantize_4bit.h"

namespace bnb4 {
namespace {

constexpr int kThreads = 256;

template <typename T, QuantType QT>
__global__ void quantize_4bit_kernel(const T* __restrict__ src, int64_t n, int blocksize,
                                     uint8_t* __restrict__ packed, float* __restrict__ absmax,
                                     bool vector_ok) {
  __shared__ float warp_max[512 / 32];  // up to 512 threads (blocksize 4096)
  const int group = blocksize / 8;      // threads per quantization block
  const int groups_per_cta = blockDim.x / group;
  const int rank = threadIdx.x % group, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t blocks = num_blocks(n, blocksize);
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * groups_per_cta; first < blocks;
       first += static_cast<int64_t>(gridDim.x) * groups_per_cta) {
    const int64_t qb = first + threadIdx.x / group;
    const int64_t start = qb * blocksize + rank * 8;
    float v[8];
    load8(src, start, qb < blocks ? n : 0, vector_ok, v);
    float m = -FLT_MAX;
#pragma unroll
    for (int j = 0; j < 8; ++j) m = fmaxf(m, fabsf(v[j]));
    for (int off = min(group, 32) / 2; off > 0; off /= 2) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
    if (group > 32) {  // combine the warps of one group through shared memory
      __syncthreads();
      if (lane == 0) warp_max[warp] = m;
      __syncthreads();
      const int warps = group / 32, first_warp = (warp / warps) * warps;
      m = warp_max[first_warp];
      for (int w = 1; w < warps; ++w) m = fmaxf(m, warp_max[first_warp + w]);
    }
    if (qb >= blocks) continue;
    const float inv = drcp_approx_ftz(m);
    if (rank == 0) absmax[qb] = m;
    uint32_t word = 0;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t byte = (quantize_4bit_code(QT, dmul_ftz(v[2 * j], inv)) << 4) |
                            quantize_4bit_code(QT, dmul_ftz(v[2 * j + 1], inv));
      word |= byte << (8 * j);
    }
    const int64_t at = start / 2, bytes = packed_bytes(n);
    if (at + 4 <= bytes) {
      *reinterpret_cast<uint32_t*>(packed + at) = word;
    } else {
      for (int j = 0; j < 4 && at + j < bytes; ++j) packed[at + j] = static_cast<uint8_t>(word >> (8 * j));
    }
  }
}

__global__ void reciprocal_kernel(const float* x, int64_t n, float* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = drcp_approx_ftz(x[i]);
}

}  // namespace

cudaError_t quantize_4bit_cuda(const void* src, ElemType type, int64_t n, int blocksize, QuantType qt,
                               uint8_t* packed, float* absmax, cudaStream_t stream) {
  if (!valid_blocksize(blocksize) || n <= 0) return cudaErrorInvalidValue;
  const int threads = std::max(kThreads, blocksize / 8);  // 512 for blocksize 4096
  const int groups = threads / (blocksize / 8);
  const int64_t ctas = std::min<int64_t>((num_blocks(n, blocksize) + groups - 1) / groups, 132 * 32);
  if (reinterpret_cast<uintptr_t>(packed) & 3) return cudaErrorMisalignedAddress;  // stored as 32-bit words
  const bool vector_ok = aligned16(src);                                           // else element loads
  BNB4_DISPATCH_ELEM(type, {
    if (qt == QuantType::kNF4)
      quantize_4bit_kernel<T, QuantType::kNF4><<<static_cast<unsigned>(ctas), threads, 0, stream>>>(
          static_cast<const T*>(src), n, blocksize, packed, absmax, vector_ok);
    else
      quantize_4bit_kernel<T, QuantType::kFP4><<<static_cast<unsigned>(ctas), threads, 0, stream>>>(
          static_cast<const T*>(src), n, blocksize, packed, absmax, vector_ok);
  });
  return cudaGetLastError();
}

cudaError_t reciprocal_approx_cuda(const float* x, int64_t n, float* out, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  reciprocal_kernel<<<static_cast<unsigned>((n + 255) / 256), 256, 0, stream>>>(x, n, out);
  return cudaGetLastError();
}

}  // namespace bnb4
