// The nested 8-bit quantization of double quant on the GPU, as bitsandbytes' kQuantizeBlockwise with
// the dynamic map: one 256-thread CTA per 256-value block, absmax by shuffles + shared memory,
// rcp.approx scaling, and the binary search over the map in shared memory.
#include <cfloat>

#include "device_common.cuh"
#include "double_quant.h"

namespace bnb4 {
namespace {

__global__ void quantize_nested_kernel(const float* __restrict__ centred, int64_t n, Table256 dynamic_map,
                                       uint8_t* __restrict__ codes, float* __restrict__ absmax2) {
  __shared__ float map[256];
  __shared__ float warp_max[kNestedBlocksize / 32];
  map[threadIdx.x] = dynamic_map.v[threadIdx.x];
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kNestedBlocksize + threadIdx.x;
  const float x = i < n ? centred[i] : 0.0f;
  float m = fabsf(x);
  for (int off = 16; off > 0; off /= 2) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
  if (threadIdx.x % 32 == 0) warp_max[threadIdx.x / 32] = m;
  __syncthreads();
  m = warp_max[0];
  for (int w = 1; w < kNestedBlocksize / 32; ++w) m = fmaxf(m, warp_max[w]);
  if (threadIdx.x == 0) absmax2[blockIdx.x] = m;
  if (i < n) codes[i] = quantize_dynamic_in(map, dmul_ftz(x, drcp_approx_ftz(m)));
}

}  // namespace

cudaError_t quantize_nested_cuda(const float* centred, int64_t blocks, uint8_t* codes, float* absmax2,
                                 cudaStream_t stream) {
  if (blocks <= 0) return cudaErrorInvalidValue;
  quantize_nested_kernel<<<static_cast<unsigned>(num_blocks(blocks, kNestedBlocksize)), kNestedBlocksize, 0,
                           stream>>>(centred, blocks, dynamic_map_table(), codes, absmax2);
  return cudaGetLastError();
}

}  // namespace bnb4
