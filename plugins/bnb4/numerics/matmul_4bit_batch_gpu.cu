// Fused 4-bit matmul on tensor cores for batches of up to 32 rows (float16 / bfloat16): batch decode,
// y[M, N] = x[M, K] W[N, K]^T (+ residual), for one weight or a group of weights side by side.
//
// Why not the scheme of the tensor-core kernel this one replaced (2..16 rows): that kernel gave each
// 32-weight chunk its own output column so that block scales applied in float32 after the mma, which spent
// four of an n8 tile's columns on one batch row: 32 rows would need 16 n-tiles, 16 mma per 16 x 16 block of
// weights and a register file's worth of accumulators. Here a decoded value pair is scaled by its chunk's
// absmax in T first (one HMUL2, rounding as bitsandbytes' own GEMV does: code value and absmax in T, their
// product in T), so an n8 tile carries 8 batch rows and the mma accumulates straight into float32: 4 mma a
// block at M = 32.
//  - Work: a CTA owns kRowTiles x 16 weight rows; its warps split K in steps of 128 weights, interleaved,
//    kUnroll steps of loads in flight per warp; partial sums meet in shared memory (fixed order).
//  - k order inside an mma: lane c's k pairs are weights 4j..4j+3 of its own chunk (bytes 2j, 2j+1), so
//    the B fragment of batch row n is x[n][chunk][4j..4j+3], and one 16-byte load of x serves two mma
//    steps. A warp loads x once per step and n-tile and uses it for all of its row tiles: x is M x K, as
//    many bytes as 64 rows of codes at M = 32, so re-reading it per 16 rows would cost more than the
//    weights.
//  - Decode: byte b of a chunk holds two codes; the 256-entry table of value pairs in T (one copy per lane,
//    conflict-free) gives the pair, one HMUL2 scales it.
//  - Weight loads go out before the decode table is built and before the chained wait (no kernel writes
//    weights); x is read after it.
#include <type_traits>

#include "matmul_4bit_args.cuh"
#include "mma_common.cuh"

namespace bnb4 {
namespace {

// Byte b (0..15) of a 16-byte chunk of codes.
__device__ __forceinline__ uint32_t byte_of(const uint4& q, int b) {
  return (word_of(q, b / 4) >> ((b % 4) * 8)) & 0xffu;
}

// The CTA's decode table: entry [byte][lane] (256 x 32 words) is T2 of (value of the high code, value of the
// low code), one copy per lane so that a warp's 32 lookups hit 32 banks; nested, also the 256-entry dynamic
// map. The caller synchronizes before use.
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

// The epilogue: each output of a CTA's `tile_rows` weight rows from `row0` (of `rows`) by M batch rows is
// the sum of its warps' partial sums, taken in slice order (deterministic), plus the residual; one thread
// per output. partial(slice, r, m) reads a slice's sum for row row0 + r, batch row m.
template <typename T, typename Partial>
__device__ __forceinline__ void store_slice_sums(const GroupLayout& args, int s, int64_t row0, int64_t rows,
                                                 int tile_rows, int M, int slices, Partial partial,
                                                 const T* residual, T* y) {
  for (int o = threadIdx.x; o < tile_rows * M; o += blockDim.x) {
    const int r = o / M, m = o % M;
    const int64_t row = row0 + r;
    if (row >= rows) continue;
    float sum = 0.0f;
    for (int sl = 0; sl < slices; ++sl) sum += partial(sl, r, m);
    const int64_t at = static_cast<int64_t>(m) * args.total_rows + args.col0[s] + row;
    y[at] = store_value(sum, residual, at);
  }
}

// The fewest warps per CTA (a power of two, at most `most`) that leave each at most `unroll` of `steps`
// steps, so that a CTA's loads all go out at once where `most` allows.
inline int slices_for(int64_t steps, int unroll, int most) {
  int slices = 1;
  while (2 * slices <= most && static_cast<int64_t>(slices) * unroll < steps) slices *= 2;
  return slices;
}

constexpr int kStep = 128;  // weights of a row per warp step
constexpr int kTableWords = 256 * 32;
// Most warps (slices of K) a CTA: the partial sums reuse the table's 32 KB (slices x 16 kRowTiles rows x
// 8 kTiles batch rows floats), and from 4 accumulator tiles on a thread needs more than the 128 registers
// of a 512-thread CTA (ptxas spilled).
__host__ __device__ constexpr int max_slices(int row_tiles, int tiles) {
  const int fit = kTableWords / (16 * row_tiles * 8 * tiles), regs = row_tiles * tiles >= 4 ? 8 : 16;
  return fit < regs ? fit : regs;
}

// One weight row's chunk for a step: 32 codes and the chunk's scale (nested: its code and absmax2 until the
// step is decoded).
struct ChunkLoad {
  uint4 q;
  float scale;
  uint32_t code;
};

template <bool kNested>
__device__ __forceinline__ ChunkLoad load_chunk(const Packed4bit& w, int64_t row, bool ok, int64_t K,
                                                int64_t chunk, int shift) {
  ChunkLoad r{make_uint4(0, 0, 0, 0), 0.0f, 0u};
  if (!ok || chunk >= K / 32) return r;
  const int64_t e = row * K + chunk * 32;
  r.q = __ldcs(reinterpret_cast<const uint4*>(w.packed + e / 2));
  if constexpr (kNested) {
    r.code = __ldg(w.nested_codes + (e >> shift));
    r.scale = __ldg(w.absmax2 + (e >> shift) / kNestedBlocksize);
  } else {
    r.scale = __ldg(w.absmax + (e >> shift));
  }
  return r;
}

// kTiles n8 tiles of 8 batch rows; kRowTiles m16 tiles of weight rows per CTA; kUnroll steps in flight.
template <typename T, int kTiles, int kRowTiles, int kUnroll, bool kNested>
__global__ void __launch_bounds__(max_slices(kRowTiles, kTiles) * 32)
    batch_kernel(const T* __restrict__ x, int M, int64_t K, GroupLayout args, Table16 values,
                 Table256 dynamic_map, const T* __restrict__ residual, T* __restrict__ y) {
  constexpr int kRows = 16 * kRowTiles, kCols = 8 * kTiles;
  __shared__ uint32_t lut[kTableWords];  // [byte][lane]: T2 of (high code, low code); then partial sums
  __shared__ float map[kNested ? 256 : 1];
  const int lane = threadIdx.x % 32, slice = threadIdx.x / 32, slices = blockDim.x / 32;
  const int g = lane / 4, c = lane % 4;
  const int64_t steps = (K + kStep - 1) / kStep;

  const int s = args.weight_of(blockIdx.x);
  const Packed4bit& w = args.g.w[s];
  const int64_t rows = args.g.rows[s];
  const int64_t row0 = (blockIdx.x - args.first_block(s)) * kRows;
  const int shift = __ffs(w.blocksize) - 1;

  ChunkLoad la[kUnroll][kRowTiles], lb[kUnroll][kRowTiles];  // rows g and g + 8 of each row tile
  auto load = [&](int64_t st0) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t st = st0 + static_cast<int64_t>(u) * slices, chunk = st * 4 + c;
#pragma unroll
      for (int r = 0; r < kRowTiles; ++r) {
        const int64_t ra = row0 + 16 * r + g, rb = ra + 8;
        la[u][r] = load_chunk<kNested>(w, ra, st < steps && ra < rows, K, chunk, shift);
        lb[u][r] = load_chunk<kNested>(w, rb, st < steps && rb < rows, K, chunk, shift);
      }
    }
  };

  lq::cuda::let_next_kernel_start();
  load(slice);
  fill_pair_table<T, kNested>(lut, map, values, dynamic_map);
  lq::cuda::wait_for_previous_kernel();
  __syncthreads();

  const uint32_t* lut_lane = lut + lane;
  float acc[kRowTiles][kTiles][4] = {};
  for (int64_t st0 = slice; st0 < steps; st0 += static_cast<int64_t>(slices) * kUnroll) {
    if (st0 != slice) load(st0);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t st = st0 + static_cast<int64_t>(u) * slices;
      if (st >= steps) break;  // uniform across the warp
      const int64_t chunk = st * 4 + c;
      const bool chunk_ok = chunk < K / 32;
      uint32_t sa[kRowTiles], sb[kRowTiles];  // the chunk scales as T pairs
#pragma unroll
      for (int r = 0; r < kRowTiles; ++r) {
        // (A load that was out of range holds zeros: its scale is finite and meets zeros of x or a row
        // that is never stored.)
        const float a =
            kNested ? nested_absmax(map[la[u][r].code], la[u][r].scale, w.offset) : la[u][r].scale;
        const float b =
            kNested ? nested_absmax(map[lb[u][r].code], lb[u][r].scale, w.offset) : lb[u][r].scale;
        sa[r] = Pair<T>::pack(a, a);
        sb[r] = Pair<T>::pack(b, b);
      }
#pragma unroll
      for (int jj = 0; jj < 4; ++jj) {  // one 16-byte load of x per n-tile covers two mma steps
        uint4 xb[kTiles];
#pragma unroll
        for (int t = 0; t < kTiles; ++t) {
          const int n = 8 * t + g;
          xb[t] = chunk_ok && n < M ? __ldg(reinterpret_cast<const uint4*>(x + n * K + chunk * 32 + 8 * jj))
                                    : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int j = 2 * jj + h;
#pragma unroll
          for (int r = 0; r < kRowTiles; ++r) {
            const uint32_t a[4] = {Pair<T>::mul(lut_lane[byte_of(la[u][r].q, 2 * j) * 32], sa[r]),
                                   Pair<T>::mul(lut_lane[byte_of(lb[u][r].q, 2 * j) * 32], sb[r]),
                                   Pair<T>::mul(lut_lane[byte_of(la[u][r].q, 2 * j + 1) * 32], sa[r]),
                                   Pair<T>::mul(lut_lane[byte_of(lb[u][r].q, 2 * j + 1) * 32], sb[r])};
#pragma unroll
            for (int t = 0; t < kTiles; ++t)
              mma<T>(acc[r][t], a, h ? xb[t].z : xb[t].x, h ? xb[t].w : xb[t].y);
          }
        }
      }
    }
  }

  // acc[r][t]: weight rows 16 r + g (0, 1) and 16 r + g + 8 (2, 3), batch rows 8 t + 2 c (0, 2) and
  // 8 t + 2 c + 1 (1, 3).
  __syncthreads();                                 // every warp is done with the table
  float* partial = reinterpret_cast<float*>(lut);  // [slice][row][batch row]
#pragma unroll
  for (int r = 0; r < kRowTiles; ++r)
#pragma unroll
    for (int t = 0; t < kTiles; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int row = 16 * r + g + (i >= 2 ? 8 : 0), col = 8 * t + 2 * c + (i % 2);
        partial[(slice * kRows + row) * kCols + col] = acc[r][t][i];
      }
  __syncthreads();
  store_slice_sums(
      args, s, row0, rows, kRows, M, slices,
      [&](int sl, int r, int m) { return partial[(sl * kRows + r) * kCols + m]; }, residual, y);
}

template <typename T, int kTiles, int kRowTiles, int kUnroll, bool kNested>
cudaError_t launch(const T* x, int M, int64_t K, const WeightGroup& group, const T* residual, T* y,
                   cudaStream_t stream) {
  const GroupLayout args(group, 16 * kRowTiles);
  // Enough warps per CTA that each has at most kUnroll steps where the partial sums allow.
  const int64_t steps = (K + kStep - 1) / kStep;
  const int slices = slices_for(steps, kUnroll, max_slices(kRowTiles, kTiles));
  if (args.blocks() > 0x7fffffff) return cudaErrorInvalidValue;
  return lq::cuda::launch_chained<batch_kernel<T, kTiles, kRowTiles, kUnroll, kNested>>(
      dim3(static_cast<unsigned>(args.blocks())), dim3(slices * 32), 0, stream, x, M, K, args,
      table16(group.w[0].type), dynamic_map_table(), residual, y);
}

// The most row tiles a CTA (x read the fewest times) whose CTAs still cover two thirds of the SMs; steps in
// flight per warp: one at four row tiles (their loads are already many), four for a one-row-tile CTA over
// long rows (down_proj) at up to 16 batch rows, else two. Of row tiles 1/2/4 x 1/2/4 steps, this is the
// fastest (to 0.01 us) on ten of the twelve products of the 1B model's layers at 8, 16 and 32 rows, and
// within 0.42 us on the other two (q/k/v at 8, o at 16; H100, BENCHMARKS.md session 9): q/k/v 2 row
// tiles, gate/up 4, o and down 1.
template <typename T, int kTiles, bool kNested>
cudaError_t launch_rows(const T* x, int M, int64_t K, const WeightGroup& group, const T* residual, T* y,
                        cudaStream_t stream) {
  auto blocks = [&](int row_tiles) { return GroupLayout(group, 16 * row_tiles).blocks(); };
  const int64_t enough = 2 * static_cast<int64_t>(multiprocessors()) / 3;
  if (blocks(4) >= enough) return launch<T, kTiles, 4, 1, kNested>(x, M, K, group, residual, y, stream);
  if (blocks(2) >= enough) return launch<T, kTiles, 2, 2, kNested>(x, M, K, group, residual, y, stream);
  if constexpr (kTiles <= 2)
    if (K >= 4096) return launch<T, kTiles, 1, 4, kNested>(x, M, K, group, residual, y, stream);
  return launch<T, kTiles, 1, 2, kNested>(x, M, K, group, residual, y, stream);
}

template <typename T, bool kNested>
cudaError_t launch_batch(const T* x, int M, int64_t K, const WeightGroup& group, const T* residual, T* y,
                         cudaStream_t stream) {
  if (M <= 8) return launch_rows<T, 1, kNested>(x, M, K, group, residual, y, stream);
  if (M <= 16) return launch_rows<T, 2, kNested>(x, M, K, group, residual, y, stream);
  return launch_rows<T, 4, kNested>(x, M, K, group, residual, y, stream);
}

}  // namespace

cudaError_t matmul_4bit_batch_cuda(const void* x, ElemType x_type, int64_t M, int64_t K,
                                   const WeightGroup& group, const void* residual, void* y,
                                   cudaStream_t stream) {
  if (x_type == ElemType::kF32) return cudaErrorInvalidValue;
  if (const cudaError_t e = check_group_args(x, M, K, group); e != cudaSuccess) return e;
  if (!has_tensor_core_mma()) return cudaErrorNotSupported;  // mma.m16n8k16 needs sm_80 or newer
  const int m = static_cast<int>(M);
  BNB4_DISPATCH_ELEM(x_type, {
    if constexpr (!std::is_same_v<T, float>) {
      const T* xt = static_cast<const T*>(x);
      const T* rt = static_cast<const T*>(residual);
      T* yt = static_cast<T*>(y);
      if (group.w[0].nested()) return launch_batch<T, true>(xt, m, K, group, rt, yt, stream);
      return launch_batch<T, false>(xt, m, K, group, rt, yt, stream);
    }
  });
  return cudaErrorInvalidValue;
}

}  // namespace bnb4
