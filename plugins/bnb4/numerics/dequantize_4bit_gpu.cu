// 4-bit dequantization on the GPU, bit-identical to bitsandbytes' kDequantizeBlockwise (+ its nested
// absmax decode). Output is 4x (fp16) or 8x (fp32) the bytes of input, so the stores decide the speed: a
// warp writes 512 contiguous bytes per store instruction. Per step a warp covers kUnroll runs of 32 x kE
// elements (kE = one 16-byte store of the output type); lane l takes elements [kE l, kE l + kE) of each run,
// loading their kE / 2 code bytes with one 4- or 2-byte load (the warp reads 128 or 64 contiguous bytes),
// all kUnroll loads issued before the first decode. kE elements never straddle a block (blocksizes are
// multiples of 32). A launch may take a group of weights (one code type, one absmax form) into one matrix:
// the warp steps run over the weights one after another, so that q/k/v or gate/up cost one launch, whose
// ramp and tail the small weights would otherwise each pay.
#include <limits>

#include "device_common.cuh"
#include "matmul_4bit_args.cuh"
#include "dequantize_4bit.h"
#include "double_quant.h"

namespace bnb4 {
namespace {

constexpr int kThreads = 256;

// The kE / 2 code bytes of elements [e0, e0 + kE): one aligned load when they are all in range.
template <int kE>
__device__ __forceinline__ uint32_t load_codes(const Packed4bit& w, int64_t e0) {
  if (e0 + kE <= w.n) {
    if constexpr (kE == 8)
      return __ldcs(reinterpret_cast<const unsigned int*>(w.packed + e0 / 2));
    else
      return __ldcs(reinterpret_cast<const unsigned short*>(w.packed + e0 / 2));
  }
  uint32_t q = 0;
  for (int j = 0; j < kE / 2; ++j)
    if (e0 + 2 * j < w.n) q |= static_cast<uint32_t>(w.packed[e0 / 2 + j]) << (8 * j);
  return q;
}

// A launch's weights: weight s takes warp steps [first_step[s], first_step[s + 1]) and its output starts
// out_offset[s] elements into the matrix.
struct GroupSteps {
  Packed4bit w[kMaxGroup];
  int64_t first_step[kMaxGroup + 1] = {};
  int64_t out_offset[kMaxGroup] = {};
  int count = 0;
};

template <typename T, int kUnroll>
__global__ void __launch_bounds__(kThreads)
    dequantize_4bit_kernel(GroupSteps args, Table16 values, Table256 dynamic_map, T* __restrict__ matrix) {
  constexpr int kE = 16 / static_cast<int>(sizeof(T));
  constexpr int64_t kRun = 32 * kE, kStepElems = kRun * kUnroll;
  __shared__ float lut[16];
  __shared__ float map[256];
  for (int i = threadIdx.x; i < 16; i += blockDim.x) lut[i] = values.v[i];
  if (args.w[0].nested_codes)
    for (int i = threadIdx.x; i < 256; i += blockDim.x) map[i] = dynamic_map.v[i];
  __syncthreads();
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t group_step = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
       group_step < args.first_step[args.count]; group_step += warps) {
    int s = 0;
    while (s + 1 < args.count && group_step >= args.first_step[s + 1]) ++s;
    const Packed4bit w = args.w[s];
    T* const out = matrix + args.out_offset[s];
    const int64_t step = group_step - args.first_step[s];
    uint32_t q[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t e0 = step * kStepElems + u * kRun + lane * kE;
      q[u] = e0 < w.n ? load_codes<kE>(w, e0) : 0u;
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t e0 = step * kStepElems + u * kRun + lane * kE;
      if (e0 >= w.n) break;
      const float a = block_absmax(w, map, e0 / w.blocksize);
      alignas(16) T v[kE];
#pragma unroll
      for (int j = 0; j < kE / 2; ++j) {
        const uint32_t byte = (q[u] >> (8 * j)) & 0xffu;
        v[2 * j] = from_float<T>(dmul_ftz(lut[byte >> 4], a));
        v[2 * j + 1] = from_float<T>(dmul_ftz(lut[byte & 15], a));
      }
      if (e0 + kE <= w.n) {
        __stcs(reinterpret_cast<uint4*>(out + e0), *reinterpret_cast<const uint4*>(v));
      } else {
#pragma unroll  // constant indices keep v in registers
        for (int j = 0; j < kE; ++j)
          if (e0 + j < w.n) out[e0 + j] = v[j];
      }
    }
  }
}

}  // namespace

cudaError_t dequantize_4bit_group_cuda(const WeightGroup& group, void* out, ElemType out_type,
                                       cudaStream_t stream) {
  if (group.count < 1 || group.count > kMaxGroup) return cudaErrorInvalidValue;
  if (!aligned16(out)) return cudaErrorMisalignedAddress;
  const int64_t elem_bytes = elem_size(out_type);
  int64_t total = 0;
  for (int i = 0; i < group.count; ++i) {
    const Packed4bit& w = group.w[i];
    if (!valid_blocksize(w.blocksize) || w.n <= 0 || w.type != group.w[0].type ||
        w.nested() != group.w[0].nested())
      return cudaErrorInvalidValue;
    if (!aligned16(w.packed) || total * elem_bytes % 16 != 0) return cudaErrorMisalignedAddress;
    total += w.n;
  }
  // More steps per warp keep more loads in flight (on an H100, 2048 x 8192: 19.7 us at 16 steps, 22.0 at
  // 8, 23.1 at 4), but a grid under two CTAs per SM leaves SMs idle (2048 x 2048: 8.2 us at 16 steps,
  // 6.6 at 8): take the most steps, of 16, 8 and 4, that still give every SM two CTAs. The grid then
  // covers the weights once (a CTA takes kThreads / 32 warp steps).
  const int64_t elems_per_store = 16 / elem_bytes;
  const auto steps_for = [&](int64_t unroll, int64_t n) {
    const int64_t per_step = unroll * 32 * elems_per_store;
    return (n + per_step - 1) / per_step;
  };
  const auto ctas_for = [&](int64_t unroll) {
    int64_t steps = 0;
    for (int i = 0; i < group.count; ++i) steps += steps_for(unroll, group.w[i].n);
    return (steps + kThreads / 32 - 1) / (kThreads / 32);
  };
  const int64_t enough = 2 * static_cast<int64_t>(multiprocessors());
  const int unroll = ctas_for(16) >= enough ? 16 : ctas_for(8) >= enough ? 8 : 4;
  const int64_t ctas = ctas_for(unroll);
  if (ctas > std::numeric_limits<int>::max()) return cudaErrorInvalidValue;
  GroupSteps args;
  args.count = group.count;
  for (int i = 0; i < group.count; ++i) {
    args.w[i] = group.w[i];
    args.out_offset[i] = i ? args.out_offset[i - 1] + group.w[i - 1].n : 0;
    args.first_step[i + 1] = args.first_step[i] + steps_for(unroll, group.w[i].n);
  }
  const Table16 values = table16(group.w[0].type);
  const Table256 map = dynamic_map_table();
  BNB4_DISPATCH_ELEM(out_type, {
    T* const o = static_cast<T*>(out);
    const auto grid = static_cast<unsigned>(ctas);
    if (unroll == 16)
      dequantize_4bit_kernel<T, 16><<<grid, kThreads, 0, stream>>>(args, values, map, o);
    else if (unroll == 8)
      dequantize_4bit_kernel<T, 8><<<grid, kThreads, 0, stream>>>(args, values, map, o);
    else
      dequantize_4bit_kernel<T, 4><<<grid, kThreads, 0, stream>>>(args, values, map, o);
  });
  return cudaGetLastError();
}

cudaError_t dequantize_4bit_cuda(const Packed4bit& w, void* out, ElemType out_type, cudaStream_t stream) {
  WeightGroup one;
  one.w[0] = w;
  one.count = 1;
  return dequantize_4bit_group_cuda(one, out, out_type, stream);
}

}  // namespace bnb4
