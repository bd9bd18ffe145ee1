// The framework's batch-1 decode kernels on the Llama-3.2-1B shapes (fp16): the GEMV (plain, with the
// residual, with the block's RMSNorm inside, with RMSNorm + SwiGLU's gate) on every block projection and
// the output head, decode attention (also at batch 8 and 32), the stand-alone RMSNorm and the greedy choice
// over the logits, next to a device-to-device copy as the bandwidth ceiling. Each runs launched on a stream
// and replayed from a CUDA graph (the decode step is a graph), timed with CUDA events after warm-up; weights
// rotate over more than 64 MB of distinct copies so that HBM, not L2, is measured, and are random (never
// zeros). bytes_per_second counts the bytes each kernel must move.
#include <benchmark/benchmark.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "llama_quant/cuda/benchmark_timing.h"
#include "ops/fused_kernels.h"

namespace {

namespace k = lq::kernels;

constexpr int64_t kRotateBytes = 64ll << 20;
constexpr int kLaunchesPerIteration = 20;
constexpr float kEps = 1e-5f;

// `n` random fp16 values on the device (about normal: a sum of four uniforms, scaled), or null.
void* random_device_half(int64_t n, uint32_t seed, float scale) {
  std::minstd_rand rng(seed);
  const float unit = scale * 1.7320508f / static_cast<float>(std::minstd_rand::max());
  std::vector<__half> h(static_cast<size_t>(n));
  for (auto& v : h) {
    const float sum = static_cast<float>(rng()) + static_cast<float>(rng()) + static_cast<float>(rng()) +
                      static_cast<float>(rng());
    v = __float2half((sum - 2.0f * static_cast<float>(std::minstd_rand::max())) * unit);
  }
  void* p = nullptr;
  if (cudaMalloc(&p, n * 2) != cudaSuccess) return nullptr;
  cudaMemcpy(p, h.data(), n * 2, cudaMemcpyHostToDevice);
  return p;
}

// Distinct copies of one random [rows, cols] fp16 weight, enough to exceed L2 several times over.
struct WeightCopies {
  std::vector<void*> copies;
  int64_t bytes = 0;
  WeightCopies(int64_t rows, int64_t cols) : bytes(rows * cols * 2) {
    void* first = random_device_half(rows * cols, 1, 0.02f);
    const int n = static_cast<int>(std::max<int64_t>(2, kRotateBytes / bytes + 1));
    copies.push_back(first);
    for (int i = 1; i < n && first; ++i) {
      void* p = nullptr;
      if (cudaMalloc(&p, bytes) != cudaSuccess) break;
      cudaMemcpy(p, first, bytes, cudaMemcpyDeviceToDevice);
      copies.push_back(p);
    }
  }
  ~WeightCopies() {
    for (void* p : copies) cudaFree(p);
  }
  void* at(int i) const { return copies[static_cast<size_t>(i) % copies.size()]; }
  WeightCopies(const WeightCopies&) = delete;
  WeightCopies& operator=(const WeightCopies&) = delete;
};

// One set of copies per shape for the whole run: Google Benchmark calls a benchmark several times while
// it settles the iteration count, and drawing a 128,256 x 2048 weight takes seconds.
const WeightCopies& weights(int64_t rows, int64_t cols) {
  static std::map<std::pair<int64_t, int64_t>, std::unique_ptr<WeightCopies>> cache;
  auto& w = cache[{rows, cols}];
  if (!w) w = std::make_unique<WeightCopies>(rows, cols);
  return *w;
}

// Times `launch(i, stream)`, kLaunchesPerIteration calls an iteration, from the stream or (graph) replayed.
template <class F>
void time_launches(benchmark::State& state, bool graph, F&& launch) {
  lq::cuda::time_launches(state, kLaunchesPerIteration, graph, std::forward<F>(launch));
}

enum class Variant { kPlain, kResidual, kNorm, kNormSwiGLU };

// Args: N (output rows), K, variant, graph. kNormSwiGLU reads a [2N, K] weight.
void BM_Gemv(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t N = state.range(0), K = state.range(1);
  const auto variant = static_cast<Variant>(state.range(2));
  const int64_t rows = variant == Variant::kNormSwiGLU ? 2 * N : N;
  const WeightCopies& w = weights(rows, K);
  void* x = random_device_half(K, 2, 1.0f);
  void* gamma = random_device_half(K, 3, 0.1f);
  void* residual = random_device_half(N, 4, 1.0f);
  void* y = nullptr;
  cudaMalloc(&y, N * 2);
  time_launches(state, state.range(3) != 0, [&](int i, cudaStream_t stream) {
    return variant == Variant::kPlain ? k::gemv(w.at(i), x, nullptr, y, N, K, k::Dtype::kF16, stream)
           : variant == Variant::kResidual
               ? k::gemv(w.at(i), x, residual, y, N, K, k::Dtype::kF16, stream)
               : k::gemv_norm(w.at(i), x, gamma, kEps, variant == Variant::kNormSwiGLU, y, N, K,
                              k::Dtype::kF16, stream);
  });
  state.SetBytesProcessed(state.iterations() * (w.bytes + (K + N) * 2));
  for (void* p : {x, gamma, residual, y}) cudaFree(p);
}

// Args: cols, graph. One row, as decode normalizes it.
void BM_RmsNorm(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t cols = state.range(0);
  void* x = random_device_half(cols, 2, 1.0f);
  void* gamma = random_device_half(cols, 3, 0.1f);
  void* y = nullptr;
  cudaMalloc(&y, cols * 2);
  time_launches(state, state.range(1) != 0, [&](int, cudaStream_t stream) {
    return k::rms_norm(x, gamma, y, 1, cols, kEps, k::Dtype::kF16, stream);
  });
  state.SetBytesProcessed(state.iterations() * cols * 2 * 3);
  for (void* p : {x, gamma, y}) cudaFree(p);
}

// Greedy choice over one row of fp16 logits (Llama 3's vocabulary), with the margin to the runner-up.
void BM_Greedy(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t rows = state.range(0), vocab = 128256;
  void* logits = random_device_half(rows * vocab, 5, 4.0f);
  float* bias = nullptr;
  int64_t* next = nullptr;
  float* margins = nullptr;
  void* workspace = nullptr;
  cudaMalloc(&bias, vocab * 4);
  cudaMemset(bias, 0, vocab * 4);
  cudaMalloc(&next, rows * 8);
  cudaMalloc(&margins, rows * 4);
  cudaMalloc(&workspace, k::greedy_workspace_bytes(rows, vocab));
  time_launches(state, state.range(1) != 0, [&](int, cudaStream_t stream) {
    return k::greedy(logits, bias, rows, vocab, next, margins, workspace, k::Dtype::kF16, stream);
  });
  state.SetBytesProcessed(state.iterations() * rows * vocab * 2 + vocab * 4);
  for (void* p :
       {logits, static_cast<void*>(bias), static_cast<void*>(next), static_cast<void*>(margins), workspace})
    cudaFree(p);
}

// Decode attention as a decode step runs it on the Llama-3.2-1B shape (32 query heads over 8 kv heads of
// 64, fp16): the step's token rotated, appended at the last of S slots and attended with the cache, one
// launch per copy of the cache (WeightCopies: enough to exceed L2) so that the cache comes from HBM.
// Args: B, S, graph.
void BM_DecodeAttention(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t B = state.range(0), S = state.range(1), H = 32, kv = 8, D = 64;
  const int64_t cache_elems = B * kv * S * D, qkv_cols = (H + 2 * kv) * D;
  const WeightCopies keys(B * kv * S, D), values(B * kv * S, D);  // each over more than L2
  if (!keys.at(0) || !values.at(0)) return state.SkipWithError("out of device memory");
  const int copies = static_cast<int>(std::min(keys.copies.size(), values.copies.size()));
  void* qkv = random_device_half(B * qkv_cols, 6, 1.0f);
  void* cos = random_device_half(B * D, 7, 0.5f);
  void* sin = random_device_half(B * D, 8, 0.5f);
  void *allowed = nullptr, *slot = nullptr, *out = nullptr, *workspace = nullptr;
  int device = 0, sms = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  const int splits = k::decode_attention_splits(B, H, S, D, k::Dtype::kF16, sms);
  const int64_t last = S - 1;
  cudaMalloc(&allowed, B * S);
  cudaMemset(allowed, 1, B * S);
  cudaMalloc(&slot, 8);
  cudaMemcpy(slot, &last, 8, cudaMemcpyHostToDevice);
  cudaMalloc(&out, B * H * D * 2);
  cudaMalloc(&workspace, std::max<int64_t>(1, k::decode_attention_workspace_floats(B, H, D, splits)) * 4);
  const auto* half = static_cast<const __half*>(qkv);
  const k::AttentionView q{half, qkv_cols, D, 0};
  k::FreshToken fresh;
  fresh.k = {half + H * D, qkv_cols, D, 0};
  fresh.v = {half + (H + kv) * D, qkv_cols, D, 0};
  fresh.cos = cos, fresh.sin = sin, fresh.angles_stride_b = D;
  fresh.slot = static_cast<const int64_t*>(slot);
  const bool graph = state.range(2) != 0;
  lq::cuda::time_launches(
      state, graph ? copies : kLaunchesPerIteration, graph, [&](int i, cudaStream_t stream) {
        void* k_cache = keys.at(i % copies);
        void* v_cache = values.at(i % copies);
        fresh.keys = {k_cache, kv * S * D, S * D, D};
        fresh.values = {v_cache, kv * S * D, S * D, D};
        return k::decode_attention(q, {k_cache, kv * S * D, S * D, D}, {v_cache, kv * S * D, S * D, D},
                                   static_cast<const bool*>(allowed), S, out, static_cast<float*>(workspace),
                                   B, H, kv, S, D, splits, 0.125f, k::Dtype::kF16, &fresh, stream);
      });
  state.SetBytesProcessed(state.iterations() * cache_elems * 4);
  state.counters["splits"] = splits;
  for (void* p : {qkv, cos, sin, allowed, slot, out, workspace}) cudaFree(p);
}

// The ceiling: device-to-device copy of 256 MB (read + write counted).
void BM_Copy(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const size_t bytes = 256u << 20;
  void *a = nullptr, *b = nullptr;
  cudaMalloc(&a, bytes);
  cudaMalloc(&b, bytes);
  cudaMemset(a, 1, bytes);
  time_launches(state, false, [&](int, cudaStream_t stream) {
    cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, stream);
  });
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<int64_t>(bytes));
  cudaFree(a);
  cudaFree(b);
}

// The Llama-3.2-1B decode products: q/k/v with its norm, o_proj and down_proj with their residuals,
// gate/up with norm and gate, the output head; and the plain GEMV on the same shapes.
void DecodeShapes(benchmark::internal::Benchmark* b) {
  for (int64_t graph : {0, 1}) {
    b->Args({3072, 2048, static_cast<int64_t>(Variant::kNorm), graph});
    b->Args({2048, 2048, static_cast<int64_t>(Variant::kResidual), graph});
    b->Args({8192, 2048, static_cast<int64_t>(Variant::kNormSwiGLU), graph});
    b->Args({2048, 8192, static_cast<int64_t>(Variant::kResidual), graph});
    b->Args({128256, 2048, static_cast<int64_t>(Variant::kPlain), graph});
    for (auto [n, kk] : std::vector<std::pair<int64_t, int64_t>>{{3072, 2048}, {16384, 2048}})
      b->Args({n, kk, static_cast<int64_t>(Variant::kPlain), graph});
  }
  b->ArgNames({"N", "K", "variant", "graph"})->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_Copy)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gemv)->Apply(DecodeShapes);
// The benchmark's decode (prompt 512, 128 new tokens: 640 slots) at batch 1, 8 and 32; a long cache too.
BENCHMARK(BM_DecodeAttention)
    ->Apply([](benchmark::internal::Benchmark* b) {
      for (int64_t graph : {0, 1})
        for (auto [batch, slots] :
             std::vector<std::pair<int64_t, int64_t>>{{1, 640}, {8, 640}, {32, 640}, {1, 4096}, {8, 4096}})
          b->Args({batch, slots, graph});
    })
    ->ArgNames({"B", "S", "graph"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Greedy)
    ->ArgsProduct({{1, 32}, {0, 1}})
    ->ArgNames({"rows", "graph"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RmsNorm)
    ->ArgsProduct({{2048}, {0, 1}})
    ->ArgNames({"cols", "graph"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
