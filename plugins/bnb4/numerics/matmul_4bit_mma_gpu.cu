// Fused 4-bit matmul on tensor cores for float16 / bfloat16 activations and M = 1..16 (decode and small
// batches): y[M, N] = x[M, K] W[N, K]^T (+ residual), for one weight or a group of weights side by side.
//
// Why this shape: a CUDA-core decode (one table lookup and one FMA per weight and batch row, the tiled
// kernel this replaced for float16 / bfloat16) costs more cycles than the bytes take to arrive. Here the
// FMAs go to mma.m16n8k16 (products exact, float32 accumulation, up to 16 batch rows per decoded weight)
// and a decode is one shared-memory load per byte, i.e. per two weights. (At M = 1 the matrix-vector
// kernel measured faster, so the dispatch sends M = 1 there.)
//  - Work: a CTA owns 16 weight rows (the mma's m16 tile); its warps split K, each taking at most
//    kUnroll steps where K allows, and reduce through shared memory. Every warp issues all the loads of
//    its steps before it decodes any, so a whole layer's weights are in flight at once (a 2048 x 8192
//    layer: 128 CTAs of 16 warps), and the CTA builds its decode table while the first loads travel.
//  - Loads: per step a lane loads one 16-byte chunk (32 weights) of each of its two rows (lane / 4 and
//    lane / 4 + 8) plus the chunks' scales; the 4 lanes of a row cover 128 weights.
//  - Decode: byte b of a chunk holds two codes; a 256-entry table of value pairs (T2), one copy per lane
//    so that a warp's 32 loads hit 32 banks, gives the mma's A register for the pair.
//  - Scales: the 4 chunks of a row may lie in 4 blocks (blocksize 32), so each chunk gets its own output
//    column: B holds x of batch row m in column 4 m + (chunk lane) and zeros elsewhere, and the mma's
//    per-chunk sums are scaled in float32 before they are added. Two batch rows per n8 tile.
//  - Nested absmax: the 256-entry dynamic map sits in shared memory beside the table.
//  - Launches are chained (lq::cuda::launch_chained): a CTA prefetches its 16 rows into L2 while the
//    kernel before it finishes.
// Values: the 16 code values are rounded to T once (bitsandbytes' own GEMV rounds them and the absmax to T
// and multiplies in T); products and sums are float32 and the scale is applied in float32.
#include <algorithm>
#include <type_traits>

#include "matmul_4bit_args.cuh"
#include "mma_common.cuh"

namespace bnb4 {
namespace {

constexpr int kMaxThreads = 512;
constexpr int kStep = 128;  // weights of a row per warp step
// Most warps (slices of K) per CTA: 16, or 8 with 8 n-tiles, which keeps the partial sums in 8 KB.
__host__ __device__ constexpr int max_slices(int tiles) { return tiles >= 8 ? 8 : 16; }
constexpr unsigned kFullMask = 0xffffffffu;

// kTiles n8 tiles (2 batch rows each); kUnroll steps of loads in flight per warp. One CTA per m16 tile, one
// warp per slice of K (blockDim.x / 32 slices).
template <typename T, int kTiles, int kUnroll, bool kNested>
__global__ void __launch_bounds__(kMaxThreads)
    mma_kernel(const T* __restrict__ x, int M, int64_t K, GroupLayout args, Table16 values,
               Table256 dynamic_map, const T* __restrict__ residual, T* __restrict__ y) {
  __shared__ uint32_t lut[256 * 32];                            // [byte][lane]: T2 of (high code, low code)
  __shared__ float map[kNested ? 256 : 1];                      // dynamic map of the nested absmax
  __shared__ float partial[max_slices(kTiles)][kTiles][16][2];  // per slice: [tile][row][batch row in tile]
  const int lane = threadIdx.x % 32, slice = threadIdx.x / 32, slices = blockDim.x / 32;
  const int g = lane / 4, c = lane % 4;
  const int64_t steps = (K + kStep - 1) / kStep;

  const int s = args.weight_of(blockIdx.x);
  const Packed4bit& w = args.g.w[s];
  const int64_t rows = args.g.rows[s];
  const int64_t row0 = (blockIdx.x - args.first_block(s)) * 16;
  const int64_t ra = row0 + g, rb = row0 + g + 8;
  const bool ra_ok = ra < rows, rb_ok = rb < rows;
  const int shift = __ffs(w.blocksize) - 1;

  lq::cuda::let_next_kernel_start();
  if (threadIdx.x == 0) prefetch_rows_l2(w, row0, 16, K);
  lq::cuda::wait_for_previous_kernel();

  RowLoad la[kUnroll], lb[kUnroll];
  auto load = [&](int64_t st0) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t st = st0 + static_cast<int64_t>(u) * slices;
      const int64_t chunk = st * 4 + c, scale_chunk = st * 4 + 2 * (c % 2);
      la[u] =
          load_row<kNested>(w, ra, ra_ok && st < steps, ra_ok && st < steps, K, chunk, scale_chunk, shift);
      lb[u] =
          load_row<kNested>(w, rb, rb_ok && st < steps, rb_ok && st < steps, K, chunk, scale_chunk, shift);
    }
  };
  // The first loads go out before the tables are built, so that building them hides under HBM latency.
  load(slice);
  fill_pair_table<T, kNested>(lut, map, values, dynamic_map);
  __syncthreads();

  // This lane's B operand: x of batch row 2 t + g / 4 in the columns of chunk lane g % 4 == c, else 0.
  const bool b_lane = (g % 4) == c;
  const int b_row = g / 4;
  const uint32_t* lut_lane = lut + lane;
  float acc[kTiles][4] = {};
  for (int64_t st0 = slice; st0 < steps; st0 += static_cast<int64_t>(slices) * kUnroll) {
    if (st0 != slice) load(st0);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t st = st0 + static_cast<int64_t>(u) * slices;
      if (st >= steps) break;  // uniform across the warp
      const int64_t bchunk = st * 4 + (g % 4);
      const bool bk_ok = b_lane && bchunk < K / 32;
      float d[kTiles][4] = {};
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        const uint32_t a[4] = {lut_lane[byte_of(la[u].q, 2 * j) * 32], lut_lane[byte_of(lb[u].q, 2 * j) * 32],
                               lut_lane[byte_of(la[u].q, 2 * j + 1) * 32],
                               lut_lane[byte_of(lb[u].q, 2 * j + 1) * 32]};
#pragma unroll
        for (int t = 0; t < kTiles; ++t) {
          const int m = 2 * t + b_row;
          uint2 b = make_uint2(0, 0);
          if (bk_ok && m < M) b = __ldg(reinterpret_cast<const uint2*>(x + m * K + bchunk * 32 + 4 * j));
          mma<T>(d[t], a, b.x, b.y);
        }
      }
      float scale[4];
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        scale[h] = chunk_scale<kNested>(la[u], h, ra_ok, map, w.offset);
        scale[2 + h] = chunk_scale<kNested>(lb[u], h, rb_ok, map, w.offset);
      }
      // d[t]: rows g, g, g + 8, g + 8 by the chunks 2 (c % 2), 2 (c % 2) + 1 of batch row 2 t + c / 2.
#pragma unroll
      for (int t = 0; t < kTiles; ++t)
#pragma unroll
        for (int i = 0; i < 4; ++i) acc[t][i] = fmaf(d[t][i], scale[i], acc[t][i]);
    }
  }

  // Lanes c and c ^ 1 hold the other two chunks of the same (row, batch row).
#pragma unroll
  for (int t = 0; t < kTiles; ++t) {
    float top = acc[t][0] + acc[t][1], bottom = acc[t][2] + acc[t][3];
    top += __shfl_xor_sync(kFullMask, top, 1);
    bottom += __shfl_xor_sync(kFullMask, bottom, 1);
    if (c % 2 == 0) {
      partial[slice][t][g][c / 2] = top;
      partial[slice][t][g + 8][c / 2] = bottom;
    }
  }
  __syncthreads();
  store_slice_sums(
      args, s, row0, rows, 16, M, slices, [&](int sl, int r, int m) { return partial[sl][m / 2][r][m % 2]; },
      residual, y);
}

template <typename T, int kTiles, int kUnroll, bool kNested>
cudaError_t launch(const T* x, int M, int64_t K, const GroupLayout& args, const T* residual, T* y,
                   cudaStream_t stream) {
  // Enough warps per tile that each has at most kUnroll steps, so that a tile's loads all go out at once;
  // the whole weight is then in flight as far as registers allow.
  const int64_t steps = (K + kStep - 1) / kStep;
  const int slices = slices_for(steps, kUnroll, max_slices(kTiles));
  if (args.blocks() > 0x7fffffff) return cudaErrorInvalidValue;
  return lq::cuda::launch_chained(mma_kernel<T, kTiles, kUnroll, kNested>,
                                  dim3(static_cast<unsigned>(args.blocks())), dim3(slices * 32), 0, stream, x,
                                  M, K, args, table16(args.g.w[0].type), dynamic_map_table(), residual, y);
}

template <typename T, int kTiles, int kUnroll>
cudaError_t launch_nested(const T* x, int M, int64_t K, const GroupLayout& args, const T* residual, T* y,
                          cudaStream_t stream) {
  if (args.g.w[0].nested()) return launch<T, kTiles, kUnroll, true>(x, M, K, args, residual, y, stream);
  return launch<T, kTiles, kUnroll, false>(x, M, K, args, residual, y, stream);
}

}  // namespace

cudaError_t matmul_4bit_mma_cuda(const void* x, ElemType x_type, int64_t M, int64_t K,
                                 const WeightGroup& group, const void* residual, void* y,
                                 cudaStream_t stream) {
  if (x_type == ElemType::kF32) return cudaErrorInvalidValue;
  if (const cudaError_t e = check_group_args(x, M, K, group); e != cudaSuccess) return e;
  if (M > kMmaMaxBatch) return cudaErrorInvalidValue;
  if (!has_tensor_core_mma()) return cudaErrorNotSupported;  // mma.m16n8k16 needs sm_80 or newer
  const GroupLayout args(group, 16);                         // one m16 tile per block
  const int m = static_cast<int>(M);
  BNB4_DISPATCH_ELEM(x_type, {
    if constexpr (!std::is_same_v<T, float>) {
      const T* xt = static_cast<const T*>(x);
      const T* rt = static_cast<const T*>(residual);
      T* yt = static_cast<T*>(y);
      if (m <= 2) return launch_nested<T, 1, 4>(xt, m, K, args, rt, yt, stream);
      if (m <= 4) return launch_nested<T, 2, 2>(xt, m, K, args, rt, yt, stream);
      if (m <= 8) return launch_nested<T, 4, 1>(xt, m, K, args, rt, yt, stream);
      return launch_nested<T, 8, 1>(xt, m, K, args, rt, yt, stream);
    }
  });
  return cudaErrorInvalidValue;
}

}  // namespace bnb4
