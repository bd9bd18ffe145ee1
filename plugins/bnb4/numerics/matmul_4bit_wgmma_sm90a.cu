// Prefill's 4-bit product on the H100's warpgroup tensor cores: y [M, rows] = x W^T (+ residual) with W
// decoded stage by stage into the wgmma's A registers, instead of dequantized into a float16 matrix that
// cuBLAS then reads back (four times the codes' bytes written to memory and read again).
//
// The weights are A (M of the wgmma: 64 rows a warpgroup) and the tokens B (N: kTokens a CTA), so that
// y^T's tile sits in the accumulators. A CTA of two warpgroups takes 128 weight rows of one weight of the
// group by kTokens tokens, over K in stages of 64: per stage, every thread copies its share of x's tile
// (kTokens rows of 128 bytes, swizzled as wgmma reads them), of the codes (128 rows x 32 bytes) and of the
// rows' absmax into shared memory with cp.async, kStages - 2 stages ahead. A thread decodes its A fragment
// (rows g and g + 8 of its warp's 16, k pairs 2t and 2t + 8 of each k16 step: bytes t, t + 4, t + 8, t + 12
// of each 16-byte chunk of a row, in bitsandbytes' order) as dequantize_4bit_cuda does, code value times
// absmax in float32 rounded to T, then issues four wgmma; the decode of the next stage overlaps them.
// The epilogue goes through shared memory so that each thread stores 16 contiguous bytes.
//
// Where the token tiles are too few to give every SM a CTA (down's 2,048 rows at 512 tokens), K is split
// into slices (the grid's z): each CTA stores its float32 sums in a workspace, and a second launch adds the
// slices in order (plus the residual) and rounds once.
#include <algorithm>

#include "matmul_4bit_args.cuh"
#include "mma_common.cuh"
#include "wgmma.cuh"

namespace bnb4 {
namespace {

constexpr int kRows = 128;   // weight rows a CTA: two warpgroups of 64
constexpr int kStageK = 64;  // one 128-byte row of x's tile per token
constexpr int kThreads = 256;
constexpr int kStages = 5;  // in flight: kStages - 2 (a stage's buffer is refilled two stages after its use)
constexpr int kCodeBytes = kRows * kStageK / 2;

// Per stage: x's tile, the codes, and a row's scale (its absmax; nested: the 4-byte word holding its scale
// code, then its absmax2 and the code's byte within the word).
template <int kTokens, bool kNested>
struct Smem {
  static constexpr int kXBytes = kTokens * kStageK * 2;
  static constexpr int kOutStride = kRows + 4;  // floats a token row of the output tile: no bank conflicts
  static constexpr int kScaleBytes = kRows * (kNested ? 4 + 4 + 1 : 4);
  static constexpr int kPipeline = kStages * (kXBytes + kCodeBytes + kScaleBytes);
  static constexpr int kBytes = std::max(kPipeline, kTokens* kOutStride * 4) + 1024;  // + alignment
};

__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(src) : "memory");
}
__device__ __forceinline__ void cp_async4(uint32_t dst, const void* src) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(dst), "l"(src) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

// y[o, o + 8) = the float32 sums v (+ residual), each rounded once to T, in one 16-byte store.
template <typename T>
__device__ __forceinline__ void store_sums(float (&v)[8], const T* residual, T* y, int64_t o) {
  if (residual) {
    float rv[8];
    unit_to_float<T>(*reinterpret_cast<const uint4*>(residual + o), rv);
#pragma unroll
    for (int e = 0; e < 8; ++e) v[e] += rv[e];
  }
  uint4 packed;
  packed.x = Pair<T>::pack(v[0], v[1]);
  packed.y = Pair<T>::pack(v[2], v[3]);
  packed.z = Pair<T>::pack(v[4], v[5]);
  packed.w = Pair<T>::pack(v[6], v[7]);
  *reinterpret_cast<uint4*>(y + o) = packed;
}

// A CTA's slice of K, in stages: gridDim.z slices of `per` stages, the last one shorter.
struct Slice {
  int first, count;
};
__device__ __forceinline__ Slice slice_of(int K) {
  const int stages = K / kStageK, per = (stages + gridDim.z - 1) / gridDim.z, first = blockIdx.z * per;
  return {first, min(per, stages - first)};
}

template <typename T, int kTokens, bool kNested>
__global__ void __launch_bounds__(kThreads, 1)
    matmul_4bit_wgmma_kernel(const T* __restrict__ x, int M, int K, GroupLayout layout, Table16 values,
                             const __grid_constant__ Table256 dynamic_map, const T* residual,
                             T* __restrict__ y, float* __restrict__ partial) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using S = Smem<kTokens, kNested>;
  extern __shared__ uint8_t smem_raw[];
  __shared__ float lut[16];
  __shared__ float map[kNested ? 256 : 1];  // the dynamic map of a nested absmax's codes
  // wgmma's swizzle is a function of the address: x's tiles start on 1024 bytes.
  const uint32_t raw = static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw));
  const uint32_t pad = (1024 - raw % 1024) % 1024;
  uint8_t* const base = smem_raw + pad;
  const uint32_t xs = raw + pad;                       // [kStages][kTokens][64] T, swizzled
  uint8_t* const codes = base + kStages * S::kXBytes;  // [kStages][kRows][32] bytes
  float* const scales = reinterpret_cast<float*>(codes + kStages * kCodeBytes);  // [kStages][kRows]
  // Nested: scales holds each row's scale-code word; then [kStages][kRows] absmax2 and the code's byte.
  float* const absmax2s = scales + kStages * kRows;
  uint8_t* const code_byte = reinterpret_cast<uint8_t*>(absmax2s + kStages * kRows);
  if constexpr (kNested) map[threadIdx.x] = dynamic_map.v[threadIdx.x];  // before the first stage's barrier
  if (threadIdx.x == 0)  // constant indices: the table stays in parameter space, not a local copy
#pragma unroll
    for (int i = 0; i < 16; ++i) lut[i] = values.v[i];

  const int tid = threadIdx.x;
  const int weight = layout.weight_of(blockIdx.x);
  // The weight's pointers in registers once: indexed by `weight`, they would be reloaded each stage.
  const uint8_t* const packed = layout.g.w[weight].packed;
  const float* const absmax = layout.g.w[weight].absmax;
  const uint8_t* const nested_codes = layout.g.w[weight].nested_codes;
  const float* const absmax2 = layout.g.w[weight].absmax2;
  const float offset = layout.g.w[weight].offset;
  const int shift = __ffs(layout.g.w[weight].blocksize) - 1;
  const int64_t rows = layout.g.rows[weight];
  const int64_t row0 = (blockIdx.x - layout.first_block(weight)) * kRows;
  const int m0 = blockIdx.y * kTokens;
  const Slice slice = slice_of(K);
  const int stages = slice.count, k_first = slice.first * kStageK;  // stages below count from the slice's

  // What this thread copies each stage: unit tid % 8 of x's token rows tid / 8 + 32 j (32 K elements apart
  // in a full token tile, one pointer for all; a partial tile repeats the last token), a row's code chunk
  // and a row's absmax (rows past the weight's end repeat the last one). Repeats are computed, never stored.
  const int unit = tid % 8, token_row = tid / 8;
  const bool full_tile = m0 + kTokens <= M;
  const T* const x_src = x + static_cast<int64_t>(full_tile ? m0 + token_row : 0) * K + unit * 8;
  const uint32_t x_dst = xs + token_row * 128 + ((unit ^ (token_row % 8)) << 4);
  const int code_row = tid / 2;
  const auto clamp_row = [&](int64_t r) { return row0 + r < rows ? row0 + r : rows - 1; };
  const uint8_t* const code_src = packed + clamp_row(code_row) * K / 2 + (tid % 2) * 16;
  const uint32_t code_dst =
      static_cast<uint32_t>(__cvta_generic_to_shared(codes)) + code_row * 32 + (tid % 2) * 16;
  // A row's absmax of stage k0: block (e + k0) >> shift of its first element e, split so that the per-stage
  // part is 32-bit (e's remainder within its block plus k0).
  // Nested: threads tid < kRows copy the 4-byte word holding the block's scale code (cp.async copies no
  // fewer; the last word may reach up to 3 bytes past the codes, within the allocation's 256-byte
  // granularity), the others its absmax2 (one per 256 blocks) and store which byte of the word the code is.
  const int64_t scale_elem = clamp_row(tid % kRows) * K, scale_block = scale_elem >> shift;
  const float* const scale_src = absmax + scale_block;
  const int scale_rem = static_cast<int>(scale_elem & ((int64_t{1} << shift) - 1));
  const uint32_t scale_dst =
      static_cast<uint32_t>(__cvta_generic_to_shared(tid < kRows ? scales : absmax2s)) + tid % kRows * 4;
  const int64_t x_row_stride = 32 * static_cast<int64_t>(K);  // elements between a thread's token rows
  auto load_stage = [&](int stage) {
    const int buf = stage % kStages, k0 = k_first + stage * kStageK;
    const uint32_t x_buf = x_dst + buf * S::kXBytes;
    if (full_tile) {
#pragma unroll
      for (int j = 0; j < kTokens / 32; ++j) cp_async16(x_buf + j * 32 * 128, x_src + k0 + j * x_row_stride);
    } else {
      const int last = M - 1 - m0;
#pragma unroll
      for (int j = 0; j < kTokens / 32; ++j) {
        const int r = token_row + 32 * j;
        cp_async16(x_buf + j * 32 * 128,
                   x + static_cast<int64_t>(m0 + (r < last ? r : last)) * K + unit * 8 + k0);
      }
    }
    cp_async16(code_dst + buf * kCodeBytes, code_src + k0 / 2);
    if constexpr (kNested) {
      const int64_t b = scale_block + ((scale_rem + k0) >> shift);
      if (tid < kRows) {
        cp_async4(scale_dst + buf * kRows * 4, nested_codes + (b & ~int64_t{3}));
      } else {
        cp_async4(scale_dst + buf * kRows * 4, absmax2 + b / kNestedBlocksize);
        code_byte[buf * kRows + tid % kRows] = static_cast<uint8_t>(b & 3);
      }
    } else if (tid < kRows) {
      cp_async4(scale_dst + buf * kRows * 4, scale_src + ((scale_rem + k0) >> shift));
    }
  };

  // The A fragment's rows and pair position.
  const int lane = tid % 32, g = lane / 4, t = lane % 4;
  const int ra = (tid / 128) * 64 + (tid % 128) / 32 * 16 + g, rb = ra + 8;
  float acc[kTokens / 2];
#pragma unroll
  for (int i = 0; i < kTokens / 2; ++i) acc[i] = 0.0f;
  uint32_t a[2][4][4];  // [stage parity][k16 step][register]: the registers of a stage in flight stay put

  // The code value whose index, times 4, is in bits 2..5 of `v` (a nibble shifted to a byte offset in one
  // instruction instead of a mask and a scale).
  const auto entry = [&](uint32_t v) {
    return *reinterpret_cast<const float*>(reinterpret_cast<const char*>(lut) + (v & 0x3c));
  };
  // Row r's absmax in stage buffer `buf`: nested, decoded by nested_absmax as every kernel decodes it.
  const auto row_absmax = [&](int buf, int r) {
    if constexpr (kNested) {
      const uint32_t word = reinterpret_cast<const uint32_t*>(scales)[buf * kRows + r];
      const uint32_t code = word >> (8 * code_byte[buf * kRows + r]) & 0xff;
      return nested_absmax(map[code], absmax2s[buf * kRows + r], offset);
    } else {
      return scales[buf * kRows + r];
    }
  };
  // Stage `stage`'s A fragments into registers a[parity], from its codes and absmax in shared memory.
  auto decode = [&](int stage, auto parity) {
    constexpr int p = decltype(parity)::value;
    const int buf = stage % kStages;
    const float sa = row_absmax(buf, ra), sb = row_absmax(buf, rb);
#pragma unroll
    for (int c = 0; c < 2; ++c) {
      const uint4 qa = *reinterpret_cast<const uint4*>(codes + buf * kCodeBytes + ra * 32 + c * 16);
      const uint4 qb = *reinterpret_cast<const uint4*>(codes + buf * kCodeBytes + rb * 32 + c * 16);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const uint32_t ba = word_of(qa, j) >> (8 * t), bb = word_of(qb, j) >> (8 * t);
        const int step = c * 2 + j / 2, reg = (j % 2) * 2;
        a[p][step][reg] = Pair<T>::pack(dmul_ftz(entry(ba >> 2), sa), dmul_ftz(entry(ba << 2), sa));
        a[p][step][reg + 1] = Pair<T>::pack(dmul_ftz(entry(bb >> 2), sb), dmul_ftz(entry(bb << 2), sb));
      }
    }
  };
  // Waits for stage `stage`'s copies (everyone's), then starts those of stage + kAhead into the buffer of
  // stage - 2 (whose wgmma both warpgroups have waited for before reaching the barrier).
  constexpr int kAhead = kStages - 2;
  auto arrive = [&](int stage) {
    cp_async_wait<kAhead - 1>();
    wgmma::fence_shared_for_async();
    __syncthreads();
    if (stage + kAhead < stages) load_stage(stage + kAhead);
    cp_async_commit();
  };
  // Stage `stage`'s four wgmma on a[parity]; while they run, the next stage's fragments are decoded into
  // the other registers, then the wgmma are waited for (the next stage may only then reuse a[parity]).
  auto multiply = [&](int stage, auto parity) {
    constexpr int p = decltype(parity)::value;
    const uint32_t tile = xs + stage % kStages * S::kXBytes;
    wgmma::fence();
#pragma unroll
    for (int step = 0; step < 4; ++step)
      wgmma::mma<T, kTokens>(acc, a[p][step], wgmma::k_major_sw128(tile + step * 32));
    wgmma::commit();
    if (stage + 1 < stages) {
      arrive(stage + 1);
      decode(stage + 1, std::integral_constant<int, 1 - p>{});
    }
    wgmma::wait<0>();
  };

#pragma unroll
  for (int s = 0; s < kAhead; ++s) {
    if (s < stages) load_stage(s);
    cp_async_commit();
  }
  arrive(0);
  decode(0, std::integral_constant<int, 0>{});
  for (int stage = 0; stage < stages; stage += 2) {
    multiply(stage, std::integral_constant<int, 0>{});
    if (stage + 1 < stages) multiply(stage + 1, std::integral_constant<int, 1>{});
  }
  cp_async_wait<0>();
  __syncthreads();  // every warpgroup is done with the pipeline's shared memory

  // Accumulator i of a thread: weight row ra or rb ((i / 2) % 2), token 8 (i / 4) + 2 t + i % 2.
  float* const out = reinterpret_cast<float*>(base);  // [kTokens][kOutStride]
#pragma unroll
  for (int i = 0; i < kTokens / 2; ++i)
    out[(8 * (i / 4) + 2 * t + i % 2) * S::kOutStride + ((i / 2) % 2 ? rb : ra)] = acc[i];
  __syncthreads();
  const int64_t total = layout.total_rows, col0 = layout.col0[weight];
  float* const slice_sums = partial ? partial + blockIdx.z * static_cast<int64_t>(M) * total : nullptr;
  for (int unit = tid; unit < kTokens * kRows / 8; unit += kThreads) {
    const int token = unit / (kRows / 8), r = unit % (kRows / 8) * 8;
    if (m0 + token >= M || row0 + r >= rows) continue;  // rows is a multiple of 8
    const float4 lo = *reinterpret_cast<const float4*>(out + token * S::kOutStride + r);
    const float4 hi = *reinterpret_cast<const float4*>(out + token * S::kOutStride + r + 4);
    const int64_t o = static_cast<int64_t>(m0 + token) * total + col0 + row0 + r;
    if (slice_sums) {
      *reinterpret_cast<float4*>(slice_sums + o) = lo;
      *reinterpret_cast<float4*>(slice_sums + o + 4) = hi;
      continue;
    }
    float v[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
    store_sums(v, residual, y, o);
  }
#else
  (void)x, (void)M, (void)K, (void)layout, (void)values, (void)dynamic_map, (void)residual, (void)y,
      (void)partial;
  __trap();  // the host side launches this kernel on compute capability 9.0 only
#endif
}

// y = the slices' sums added in order (+ residual), rounded once to T: 8 outputs a thread.
template <typename T>
__global__ void add_slices_kernel(const float* __restrict__ partial, int slices, int64_t count,
                                  const T* __restrict__ residual, T* __restrict__ y) {
  const int64_t o = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * 8;
  if (o >= count) return;
  float v[8] = {};
  for (int z = 0; z < slices; ++z) {
    const float4 lo = *reinterpret_cast<const float4*>(partial + z * count + o);
    const float4 hi = *reinterpret_cast<const float4*>(partial + z * count + o + 4);
    v[0] += lo.x, v[1] += lo.y, v[2] += lo.z, v[3] += lo.w, v[4] += hi.x, v[5] += hi.y, v[6] += hi.z,
        v[7] += hi.w;
  }
  store_sums(v, residual, y, o);
}

// Slices that each have at least one stage: `splits` rounded down to what ceil(stages / splits) covers.
int slices_of(int64_t K, int splits) {
  const int64_t stages = K / kStageK, per = (stages + splits - 1) / splits;
  return static_cast<int>((stages + per - 1) / per);
}

template <typename T, int kTokens, bool kNested>
cudaError_t launch(const T* x, int M, int K, const WeightGroup& group, const T* residual, T* y, int slices,
                   float* workspace, cudaStream_t stream) {
  constexpr auto kernel = matmul_4bit_wgmma_kernel<T, kTokens, kNested>;
  constexpr int smem = Smem<kTokens, kNested>::kBytes;
  if (const cudaError_t e =
          lq::cuda::set_attribute_once_per_device<kernel, cudaFuncAttributeMaxDynamicSharedMemorySize>(smem);
      e != cudaSuccess)
    return e;
  const GroupLayout layout(group, kRows);
  const dim3 grid(static_cast<unsigned>(layout.blocks()), static_cast<unsigned>((M + kTokens - 1) / kTokens),
                  static_cast<unsigned>(slices));
  const bool split = slices > 1;
  kernel<<<grid, kThreads, smem, stream>>>(x, M, K, layout, table16(group.w[0].type), dynamic_map_table(),
                                           split ? nullptr : residual, y, split ? workspace : nullptr);
  if (!split) return cudaGetLastError();
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  const int64_t count = static_cast<int64_t>(M) * layout.total_rows, threads = 256;
  add_slices_kernel<T><<<static_cast<unsigned>((count / 8 + threads - 1) / threads), threads, 0, stream>>>(
      workspace, slices, count, residual, y);
  return cudaGetLastError();
}

// launch() of the kernel variant with `tokens` a CTA.
template <typename T, bool kNested>
cudaError_t launch_tiles(int tokens, const T* x, int M, int K, const WeightGroup& group, const T* residual,
                         T* y, int slices, float* workspace, cudaStream_t stream) {
  return tokens == 256   ? launch<T, 256, kNested>(x, M, K, group, residual, y, slices, workspace, stream)
         : tokens == 128 ? launch<T, 128, kNested>(x, M, K, group, residual, y, slices, workspace, stream)
                         : launch<T, 64, kNested>(x, M, K, group, residual, y, slices, workspace, stream);
}

// The widest token tile (256, 128 or 64) that still gives every SM a CTA: wider tiles decode each weight
// value for more tokens, so fewer decode instructions stand beside each wgmma.
int tokens_per_cta(int64_t M, const WeightGroup& group) {
  const int64_t row_tiles = GroupLayout(group, kRows).blocks(), sms = multiprocessors();
  for (int tokens : {256, 128})
    if (row_tiles * ((M + tokens - 1) / tokens) >= sms) return tokens;
  return 64;
}

// 256-token tiles of the product, over every weight of the group.
int64_t wide_tiles(int64_t M, const WeightGroup& group) {
  return GroupLayout(group, kRows).blocks() * ((M + 255) / 256);
}

}  // namespace

int matmul_4bit_wgmma_splits(int64_t M, int64_t K, const WeightGroup& group) {
  constexpr int64_t kMinSliceStages = 16;  // a slice's pipeline fill and epilogue against its stages
  const int64_t tiles = wide_tiles(M, group), sms = multiprocessors();
  int splits = 1;
  if (tiles < sms)
    for (int s = 2; s <= 8; s *= 2)
      if (tiles * s <= sms && K / kStageK / s >= kMinSliceStages) splits = s;
  return splits;
}

int64_t matmul_4bit_wgmma_workspace_bytes(int64_t M, int64_t K, const WeightGroup& group, int splits) {
  if (splits <= 1 || K < kStageK || slices_of(K, splits) <= 1) return 0;
  return slices_of(K, splits) * M * GroupLayout(group, kRows).total_rows *
         static_cast<int64_t>(sizeof(float));
}

bool matmul_4bit_wgmma_preferred(int64_t M, int64_t K, const WeightGroup& group) {
  if (tokens_per_cta(M, group) == 256) return true;
  const int splits = matmul_4bit_wgmma_splits(M, K, group);
  return splits > 1 && wide_tiles(M, group) * splits * 10 >= multiprocessors() * 9;
}

bool matmul_4bit_wgmma_device() {
  const lq::cuda::DeviceTraits t = lq::cuda::current_device_traits();
  return t.major == 9 && t.minor == 0;
}

bool matmul_4bit_wgmma_supported(int64_t M, int64_t K, const WeightGroup& group, ElemType x_type) {
  constexpr int64_t kMostTokens = 65535 * 64;  // a grid's y extent over the narrowest token tiles
  if (x_type == ElemType::kF32 || M < 1 || M > kMostTokens || K < kStageK || K % kStageK != 0 ||
      K > (1 << 30))
    return false;
  if (group.count < 1 || group.count > kMaxGroup) return false;
  for (int i = 0; i < group.count; ++i) {
    const Packed4bit& w = group.w[i];
    if (w.blocksize % kStageK != 0 || group.rows[i] % 8 != 0 || w.n != group.rows[i] * K ||
        w.type != group.w[0].type)
      return false;
  }
  return true;
}

cudaError_t matmul_4bit_wgmma_cuda(const void* x, ElemType x_type, int64_t M, int64_t K,
                                   const WeightGroup& group, const void* residual, void* y,
                                   cudaStream_t stream, int splits, float* workspace) {
  if (!matmul_4bit_wgmma_supported(M, K, group, x_type) || splits < 1 || splits > 65535 ||
      (splits > 1 && !workspace))
    return cudaErrorInvalidValue;
  const bool nested = group.w[0].nested();
  for (int i = 0; i < group.count; ++i) {
    const Packed4bit& w = group.w[i];
    if (w.nested() != nested || (nested ? !w.absmax2 : !w.absmax)) return cudaErrorInvalidValue;
  }
  if (!matmul_4bit_wgmma_device()) return cudaErrorNotSupported;
  if (!aligned16(x) || !aligned16(y) || (residual && !aligned16(residual)) ||
      (splits > 1 && !aligned16(workspace)))
    return cudaErrorMisalignedAddress;
  for (int i = 0; i < group.count; ++i) {
    const Packed4bit& w = group.w[i];
    // Scale codes are copied a 4-byte word at a time: the word of code b starts at b & ~3.
    const void* scales = nested ? static_cast<const void*>(w.nested_codes) : w.absmax;
    if (!aligned16(w.packed) || reinterpret_cast<uintptr_t>(scales) % 4 != 0 ||
        (nested && reinterpret_cast<uintptr_t>(w.absmax2) % 4 != 0))
      return cudaErrorMisalignedAddress;
  }
  const int slices = slices_of(K, splits);
  const int tokens = slices > 1 ? 256 : tokens_per_cta(M, group);  // splits are for want of wide tiles
  const int m = static_cast<int>(M), k = static_cast<int>(K);
  BNB4_DISPATCH_ELEM(x_type, {
    if constexpr (!std::is_same_v<T, float>) {
      const T* xt = static_cast<const T*>(x);
      const T* rt = static_cast<const T*>(residual);
      T* yt = static_cast<T*>(y);
      return nested ? launch_tiles<T, true>(tokens, xt, m, k, group, rt, yt, slices, workspace, stream)
                    : launch_tiles<T, false>(tokens, xt, m, k, group, rt, yt, slices, workspace, stream);
    }
  });
  return cudaErrorInvalidValue;
}

}  // namespace bnb4
