// CUDA kernel throughput on the Llama-3.2-1B layer shapes (N x K): the fused 4-bit matmul (tensor-core
// kernel at M = 1, 4, 16; at M = 1 also with double-quantized absmax, and replayed from a CUDA graph,
// without launch overhead), grouped q/k/v and gate/up launches, the CUDA-core tiled kernel at M = 1 for
// comparison, dequantize (a weight, or a group in one launch), and fp16 cuBLAS (cublasGemmEx) at the same
// shapes, plus a device-to-device copy as the bandwidth ceiling; one decode layer's four 4-bit products
// chained as a step runs them; and prefill's product at 512 tokens, dequantize + cuBLAS against wgmma. Timed
// with CUDA events after warm-up; inputs rotate over > 64 MB of distinct buffers so that HBM, not L2, is
// measured; weights are real quantized random data (never zeros). bytes_per_second counts the bytes each
// kernel must move.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "llama_quant/cuda/benchmark_timing.h"
#include "numerics/dequantize_4bit.h"
#include "numerics/double_quant.h"
#include "numerics/matmul_4bit.h"
#include "numerics/quantize_4bit.h"

namespace {

constexpr int64_t kRotateBytes = 64ll << 20;
constexpr int kLaunchesPerIteration = 20;

void* device_alloc(size_t bytes) {
  void* p = nullptr;
  return cudaMalloc(&p, bytes) == cudaSuccess ? p : nullptr;
}

std::vector<uint16_t> random_half(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<uint16_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = bnb4::float_to_half(dist(rng));
  return v;
}

// Enough copies of one quantized N x K weight to exceed L2 several times over (distinct addresses, same
// values). `nested` keeps the absmax double-quantized (8-bit codes + a float per 256 blocks), as
// double_quant: true does.
// One weight as a group of one, `rows` rows.
bnb4::WeightGroup group_of_one(const bnb4::Packed4bit& w, int64_t rows) {
  bnb4::WeightGroup g;
  g.w[0] = w;
  g.rows[0] = rows;
  g.count = 1;
  return g;
}

struct QuantizedCopies {
  int64_t n = 0;
  bool nested = false;
  float offset = 0;
  int copies = 0;
  std::vector<void*> packed, absmax, codes, absmax2;
  int64_t weight_bytes = 0;  // what a matmul reads of one copy: codes and scales
  QuantizedCopies(int64_t rows, int64_t cols, int blocksize, bool nested_absmax = false)
      : n(rows * cols), nested(nested_absmax) {
    const auto w = random_half(n, 1, 0.02f);
    const int64_t pb = bnb4::packed_bytes(n), blocks = bnb4::num_blocks(n, blocksize);
    const int64_t blocks2 = bnb4::num_blocks(blocks, bnb4::kNestedBlocksize);
    void* src = device_alloc(n * 2);
    void* packed0 = device_alloc(pb);
    void* absmax0 = device_alloc(blocks * 4);
    cudaMemcpy(src, w.data(), n * 2, cudaMemcpyHostToDevice);
    bnb4::quantize_4bit_cuda(src, bnb4::ElemType::kF16, n, blocksize, bnb4::QuantType::kNF4,
                             static_cast<uint8_t*>(packed0), static_cast<float*>(absmax0), nullptr);
    std::vector<uint8_t> host_codes;
    std::vector<float> host_absmax2;
    if (nested) {
      std::vector<float> a(static_cast<size_t>(blocks));
      cudaMemcpy(a.data(), absmax0, blocks * 4, cudaMemcpyDeviceToHost);
      offset = bnb4::absmax_mean(a.data(), blocks);
      host_codes.resize(a.size());
      host_absmax2.resize(static_cast<size_t>(blocks2));
      bnb4::double_quant_cpu(a.data(), blocks, offset, host_codes.data(), host_absmax2.data());
    }
    weight_bytes = pb + (nested ? blocks + blocks2 * 4 : blocks * 4);
    copies = static_cast<int>(std::max<int64_t>(2, kRotateBytes / weight_bytes + 1));
    for (int i = 0; i < copies; ++i) {
      packed.push_back(device_alloc(pb));
      cudaMemcpy(packed[i], packed0, pb, cudaMemcpyDeviceToDevice);
      if (nested) {
        codes.push_back(device_alloc(blocks));
        absmax2.push_back(device_alloc(blocks2 * 4));
        cudaMemcpy(codes[i], host_codes.data(), blocks, cudaMemcpyHostToDevice);
        cudaMemcpy(absmax2[i], host_absmax2.data(), blocks2 * 4, cudaMemcpyHostToDevice);
      } else {
        absmax.push_back(device_alloc(blocks * 4));
        cudaMemcpy(absmax[i], absmax0, blocks * 4, cudaMemcpyDeviceToDevice);
      }
    }
    cudaDeviceSynchronize();
    cudaFree(src);
    cudaFree(packed0);
    cudaFree(absmax0);
  }
  ~QuantizedCopies() {
    for (auto* list : {&packed, &absmax, &codes, &absmax2})
      for (void* p : *list) cudaFree(p);
  }
  bnb4::Packed4bit view(int i, int blocksize) const {
    bnb4::Packed4bit v;
    v.packed = static_cast<const uint8_t*>(packed[i]);
    if (nested) {
      v.nested_codes = static_cast<const uint8_t*>(codes[i]);
      v.absmax2 = static_cast<const float*>(absmax2[i]);
      v.offset = offset;
    } else {
      v.absmax = static_cast<const float*>(absmax[i]);
    }
    v.n = n;
    v.blocksize = blocksize;
    return v;
  }
};

// How a matmul benchmark calls the kernels: matmul_4bit_cuda (M = 1 goes to the tensor-core matrix-vector
// kernel) launched on the stream, the same with the absmax double-quantized, the same replayed from a CUDA
// graph (plain or double-quantized absmax), the CUDA-core matrix-vector kernel forced at M = 1, or the batch
// or the tiled kernel forced at every M.
enum class MatmulMode { kStream, kNested, kGraph, kNestedGraph, kCudaCores, kTiled, kBatch };

// Args: N, K, M.
void run_matmul_4bit(benchmark::State& state, MatmulMode mode) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t N = state.range(0), K = state.range(1), M = state.range(2);
  QuantizedCopies w(N, K, 64, mode == MatmulMode::kNested || mode == MatmulMode::kNestedGraph);
  const auto xh = random_half(M * K, 2, 1.0f);
  void* x = device_alloc(M * K * 2);
  void* y = device_alloc(M * N * 2);
  cudaMemcpy(x, xh.data(), M * K * 2, cudaMemcpyHostToDevice);
  auto launch = [&](int i, cudaStream_t stream) {
    const bnb4::Packed4bit v = w.view(i % w.copies, 64);
    const bnb4::WeightGroup one = group_of_one(v, N);
    return mode == MatmulMode::kTiled
               ? bnb4::matmul_4bit_tiled_cuda(x, bnb4::ElemType::kF16, M, K, v, N, y, stream)
           : mode == MatmulMode::kBatch
               ? bnb4::matmul_4bit_batch_cuda(x, bnb4::ElemType::kF16, M, K, one, nullptr, y, stream)
           : mode == MatmulMode::kCudaCores
               ? bnb4::matvec_4bit_cuda(x, bnb4::ElemType::kF16, K, one, nullptr, y, stream,
                                        bnb4::MatvecKernel::kCudaCores)
               : bnb4::matmul_4bit_cuda(x, bnb4::ElemType::kF16, M, K, v, N, y, stream);
  };
  // From a graph: one launch per weight copy, so each replay still reads HBM.
  const bool graph = mode == MatmulMode::kGraph || mode == MatmulMode::kNestedGraph;
  lq::cuda::time_launches(state, graph ? w.copies : kLaunchesPerIteration, graph, launch);
  state.SetBytesProcessed(state.iterations() * (w.weight_bytes + (M * K + M * N) * 2));
  state.counters["weight_GB/s"] = benchmark::Counter(static_cast<double>(state.iterations() * w.weight_bytes),
                                                     benchmark::Counter::kIsRate);
  cudaFree(x);
  cudaFree(y);
}

void BM_Matmul4bit(benchmark::State& state) { run_matmul_4bit(state, MatmulMode::kStream); }
void BM_Matmul4bitNested(benchmark::State& state) { run_matmul_4bit(state, MatmulMode::kNested); }
void BM_Matmul4bitGraph(benchmark::State& state) { run_matmul_4bit(state, MatmulMode::kGraph); }
void BM_Matmul4bitNestedGraph(benchmark::State& state) { run_matmul_4bit(state, MatmulMode::kNestedGraph); }
void BM_Matmul4bitTiled(benchmark::State& state) { run_matmul_4bit(state, MatmulMode::kTiled); }
void BM_Matmul4bitCudaCores(benchmark::State& state) { run_matmul_4bit(state, MatmulMode::kCudaCores); }
void BM_Matmul4bitBatch(benchmark::State& state) { run_matmul_4bit(state, MatmulMode::kBatch); }

// A block's q/k/v (2048 + 512 + 512 rows) or gate/up (8192 + 8192 rows) over K = 2048, each weight's copies
// rotated past L2 (QuantizedCopies), and the kernels' view of copy i of each.
struct BlockGroupCopies {
  static constexpr int64_t kK = 2048;
  std::vector<std::unique_ptr<QuantizedCopies>> parts;
  int64_t total_rows = 0, weight_bytes = 0;
  int copies = 0;  // the most of any part
  explicit BlockGroupCopies(bool gate_up) {
    for (int64_t r : gate_up ? std::vector<int64_t>{8192, 8192} : std::vector<int64_t>{2048, 512, 512}) {
      parts.push_back(std::make_unique<QuantizedCopies>(r, kK, 64));
      total_rows += r;
      weight_bytes += parts.back()->weight_bytes;
      copies = std::max(copies, parts.back()->copies);
    }
  }
  bnb4::WeightGroup group(int i) const {
    bnb4::WeightGroup g;
    for (const auto& p : parts) {
      g.w[g.count] = p->view(i % p->copies, 64);
      g.rows[g.count++] = p->n / kK;
    }
    return g;
  }
};

// A decode block's grouped products in one launch, as matmul_4bit_group_cuda picks the kernel by M: q/k/v
// (2048 + 512 + 512 rows) or gate/up (8192 + 8192 rows) over K = 2048, as the model runs them at decode.
// Args: group (0 q/k/v, 1 gate/up), M, graph (1: replayed from a CUDA graph).
void BM_Matmul4bitGroup(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t K = BlockGroupCopies::kK, M = state.range(1);
  const BlockGroupCopies w(state.range(0) != 0);
  const int64_t total = w.total_rows;
  const auto xh = random_half(M * K, 2, 1.0f);
  void* x = device_alloc(M * K * 2);
  void* y = device_alloc(M * total * 2);
  cudaMemcpy(x, xh.data(), M * K * 2, cudaMemcpyHostToDevice);
  auto launch = [&](int i, cudaStream_t stream) {
    return bnb4::matmul_4bit_group_cuda(x, bnb4::ElemType::kF16, M, K, w.group(i), nullptr, y, stream);
  };
  const bool graph = state.range(2) != 0;
  lq::cuda::time_launches(state, graph ? w.copies : kLaunchesPerIteration, graph, launch);
  state.SetBytesProcessed(state.iterations() * (w.weight_bytes + (M * K + M * total) * 2));
  state.counters["weight_GB/s"] = benchmark::Counter(static_cast<double>(state.iterations() * w.weight_bytes),
                                                     benchmark::Counter::kIsRate);
  cudaFree(x);
  cudaFree(y);
}

// One decode layer's 4-bit products at batch 1 as the model's step runs them, chained and replayed from a
// CUDA graph: q/k/v with the block's norm, o with the residual, gate/up with the norm and SwiGLU's gate,
// down with the residual (Llama-3.2-1B shapes; the attention between q/k/v and o is not run). 16 layers a
// replay over rotated weight copies, so that each layer reads HBM; time per layer. Args: nested
// (double-quantized absmax), prefetch (each product asks L2 for the next one's weights, as decode does),
// gated (gate/up with SwiGLU's gate in the kernel, as decode runs it; 0: both products stored, the engine's
// gate kernel not run).
void BM_DecodeLayer4bit(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const bool nested = state.range(0) != 0, prefetch = state.range(1) != 0, gated = state.range(2) != 0;
  constexpr int64_t kH = 2048, kI = 8192, kKv = 512, kLayers = 16;
  constexpr float kEps = 1e-5f;
  enum { kQ, kK, kV, kO, kGate, kUp, kDown, kWeights };
  const int64_t rows[kWeights] = {kH, kKv, kKv, kH, kI, kI, kH},
                cols[kWeights] = {kH, kH, kH, kH, kH, kH, kI};
  // Built once per absmax form for all runs of this benchmark (quantizing them takes seconds).
  static std::vector<std::unique_ptr<QuantizedCopies>> forms[2];
  std::vector<std::unique_ptr<QuantizedCopies>>& w = forms[nested];
  if (w.empty())
    for (int i = 0; i < kWeights; ++i)
      w.push_back(std::make_unique<QuantizedCopies>(rows[i], cols[i], 64, nested));
  int64_t layer_bytes = 0;
  for (const auto& copies : w) layer_bytes += copies->weight_bytes;
  const auto hh = random_half(kI, 2, 1.0f), gh = random_half(kH, 3, 1.0f);
  void* h = device_alloc(kI * 2);  // every product's input (the first kH elements where K = kH)
  void* gamma = device_alloc(kH * 2);
  void* out = device_alloc(2 * kI * 2);  // every product's output
  cudaMemcpy(h, hh.data(), kI * 2, cudaMemcpyHostToDevice);
  cudaMemcpy(gamma, gh.data(), kH * 2, cudaMemcpyHostToDevice);
  // The products of layer l in order, each a group of weights; `next` of the last is layer l + 1's first.
  const std::vector<std::vector<int>> products = {{kQ, kK, kV}, {kO}, {kGate, kUp}, {kDown}};
  auto group_of = [&](int layer, int product) {
    bnb4::WeightGroup g;
    for (int i : products[product]) {
      g.w[g.count] = w[i]->view(layer % w[i]->copies, 64);
      g.rows[g.count++] = rows[i];
    }
    return g;
  };
  auto group_with_next = [&](int layer, int product) {
    bnb4::WeightGroup g = group_of(layer, product);
    if (!prefetch) return g;
    const bool last = product + 1 == static_cast<int>(products.size());
    const bnb4::WeightGroup n = group_of(last ? layer + 1 : layer, last ? 0 : product + 1);
    for (int i = 0; i < n.count; ++i) {
      const int weight = products[last ? 0 : product + 1][i];
      const int64_t blocks = bnb4::num_blocks(w[weight]->n, 64);
      const void* data[] = {n.w[i].packed,
                            nested ? static_cast<const void*>(n.w[i].nested_codes) : n.w[i].absmax,
                            n.w[i].absmax2};
      const int64_t bytes[] = {bnb4::packed_bytes(w[weight]->n), nested ? blocks : blocks * 4,
                               nested ? bnb4::num_blocks(blocks, bnb4::kNestedBlocksize) * 4 : 0};
      for (int r = 0; r < 3; ++r)
        if (bytes[r] > 0) {
          g.next.data[g.next.count] = data[r];
          g.next.bytes[g.next.count++] = bytes[r];
        }
    }
    return g;
  };
  auto* y = static_cast<char*>(out);
  const auto tc = bnb4::MatvecKernel::kTensorCores;
  const auto f16 = bnb4::ElemType::kF16;
  lq::cuda::time_launches(state, kLayers, true, [&](int l, cudaStream_t stream) {
    cudaError_t e =
        bnb4::matvec_4bit_normed_cuda(h, f16, kH, group_with_next(l, 0), gamma, kEps, y, stream, tc);
    if (e == cudaSuccess) e = bnb4::matvec_4bit_cuda(h, f16, kH, group_with_next(l, 1), h, y, stream, tc);
    if (e == cudaSuccess)
      e = gated
              ? bnb4::matvec_4bit_normed_swiglu_cuda(h, f16, kH, group_with_next(l, 2), gamma, kEps, y,
                                                     stream)
              : bnb4::matvec_4bit_normed_cuda(h, f16, kH, group_with_next(l, 2), gamma, kEps, y, stream, tc);
    if (e == cudaSuccess) e = bnb4::matvec_4bit_cuda(h, f16, kI, group_with_next(l, 3), h, y, stream, tc);
    return e;
  });
  state.SetBytesProcessed(state.iterations() * layer_bytes);
  cudaFree(h);
  cudaFree(gamma);
  cudaFree(out);
}

void run_dequantize(benchmark::State& state, bool nested) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t N = state.range(0), K = state.range(1);
  QuantizedCopies w(N, K, 64, nested);
  void* out = device_alloc(N * K * 2);
  lq::cuda::time_launches(state, kLaunchesPerIteration, false, [&](int i, cudaStream_t stream) {
    return bnb4::dequantize_4bit_cuda(w.view(i % w.copies, 64), out, bnb4::ElemType::kF16, stream);
  });
  state.SetBytesProcessed(state.iterations() * (w.weight_bytes + N * K * 2));
  cudaFree(out);
}

// A block's q/k/v (2048 + 512 + 512 rows) or gate/up (8192 + 8192 rows), K = 2048, dequantized into one
// fp16 matrix as prefill does: in one launch (dequantize_4bit_group_cuda) or a launch per weight.
// Args: group (0 q/k/v, 1 gate/up), one_launch.
void BM_DequantizeGroup(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t K = BlockGroupCopies::kK;
  const BlockGroupCopies w(state.range(0) != 0);
  const bool one_launch = state.range(1) != 0;
  auto* out = static_cast<uint16_t*>(device_alloc(w.total_rows * K * 2));
  lq::cuda::time_launches(state, kLaunchesPerIteration, false, [&](int i, cudaStream_t stream) {
    const bnb4::WeightGroup group = w.group(i);
    if (one_launch) return bnb4::dequantize_4bit_group_cuda(group, out, bnb4::ElemType::kF16, stream);
    cudaError_t e = cudaSuccess;
    int64_t row = 0;
    for (int part = 0; part < group.count && e == cudaSuccess; row += group.rows[part++])
      e = bnb4::dequantize_4bit_cuda(group.w[part], out + row * K, bnb4::ElemType::kF16, stream);
    return e;
  });
  state.SetBytesProcessed(state.iterations() * (w.weight_bytes + w.total_rows * K * 2));
  cudaFree(out);
}

void BM_Dequantize(benchmark::State& state) { run_dequantize(state, false); }
void BM_DequantizeNested(benchmark::State& state) { run_dequantize(state, true); }

// y[M, N] = x[M, K] W[N, K]^T in float16 by cuBLAS on `stream` (row-major y is column-major y^T =
// W^T(op T) x^T); cudaErrorUnknown where cuBLAS refuses, so that the benchmark skips with an error.
cudaError_t cublas_fp16(cublasHandle_t handle, cudaStream_t stream, int64_t M, int64_t N, int64_t K,
                        const void* x, const void* w, void* y) {
  const float alpha = 1.0f, beta = 0.0f;
  cublasSetStream(handle, stream);
  return cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(N), static_cast<int>(M),
                      static_cast<int>(K), &alpha, w, CUDA_R_16F, static_cast<int>(K), x, CUDA_R_16F,
                      static_cast<int>(K), &beta, y, CUDA_R_16F, static_cast<int>(N), CUBLAS_COMPUTE_32F,
                      CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS
             ? cudaSuccess
             : cudaErrorUnknown;
}

void BM_CublasFp16(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t N = state.range(0), K = state.range(1), M = state.range(2);
  const int64_t wbytes = N * K * 2;
  const int copies = static_cast<int>(std::max<int64_t>(2, kRotateBytes / wbytes + 1));
  const auto wh = random_half(N * K, 3, 0.02f), xh = random_half(M * K, 2, 1.0f);
  std::vector<void*> ws;
  for (int i = 0; i < copies; ++i) {
    ws.push_back(device_alloc(wbytes));
    cudaMemcpy(ws.back(), wh.data(), wbytes, cudaMemcpyHostToDevice);
  }
  void* x = device_alloc(M * K * 2);
  void* y = device_alloc(M * N * 2);
  cudaMemcpy(x, xh.data(), M * K * 2, cudaMemcpyHostToDevice);
  cublasHandle_t handle;
  cublasCreate(&handle);
  lq::cuda::time_launches(state, kLaunchesPerIteration, false, [&](int i, cudaStream_t stream) {
    return cublas_fp16(handle, stream, M, N, K, x, ws[i % copies], y);
  });
  state.SetBytesProcessed(state.iterations() * (wbytes + (M * K + M * N) * 2));
  cublasDestroy(handle);
  for (void* p : ws) cudaFree(p);
  cudaFree(x);
  cudaFree(y);
}

// Prefill's 4-bit product at M = 512 tokens (float16) on the Llama-3.2-1B layer shapes, three ways: the
// weight dequantized into a float16 matrix and multiplied by cuBLAS (what prefill did before the wgmma
// kernel), the wgmma kernel on float32 absmax, and the wgmma kernel on a double-quantized absmax (decoded in
// the kernel); the wgmma kernel splits K as prefill does (counter "splits"). BM_CublasFp16 at M = 512 is the
// float16 model's product.
// Args: N, K, mode (0 dequantize + cuBLAS, 1 wgmma, 2 wgmma on a nested absmax).
void BM_Prefill4bit(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const int64_t N = state.range(0), K = state.range(1), M = 512;
  const int mode = static_cast<int>(state.range(2));
  QuantizedCopies w(N, K, 64, mode == 2);
  const auto xh = random_half(M * K, 2, 1.0f);
  void* x = device_alloc(M * K * 2);
  void* y = device_alloc(M * N * 2);
  void* dequantized = device_alloc(N * K * 2);
  const bnb4::WeightGroup shape = group_of_one(w.view(0, 64), N);  // prefill's slices of K, their workspace
  const int splits = bnb4::matmul_4bit_wgmma_splits(M, K, shape);
  void* workspace = device_alloc(static_cast<size_t>(
      std::max<int64_t>(16, bnb4::matmul_4bit_wgmma_workspace_bytes(M, K, shape, splits))));
  state.counters["splits"] = splits;
  cudaMemcpy(x, xh.data(), M * K * 2, cudaMemcpyHostToDevice);
  cublasHandle_t handle;
  cublasCreate(&handle);
  lq::cuda::time_launches(state, kLaunchesPerIteration, false, [&](int i, cudaStream_t stream) {
    const bnb4::Packed4bit v = w.view(i % w.copies, 64);
    if (mode == 0) {
      if (const cudaError_t e = bnb4::dequantize_4bit_cuda(v, dequantized, bnb4::ElemType::kF16, stream);
          e != cudaSuccess)
        return e;
      return cublas_fp16(handle, stream, M, N, K, x, dequantized, y);
    }
    return bnb4::matmul_4bit_wgmma_cuda(x, bnb4::ElemType::kF16, M, K, group_of_one(v, N), nullptr, y, stream,
                                        splits, static_cast<float*>(workspace));
  });
  state.SetBytesProcessed(state.iterations() * (w.weight_bytes + (M * K + M * N) * 2));
  state.counters["TFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2e-12 * M * N * K,
                                                 benchmark::Counter::kIsRate);
  cublasDestroy(handle);
  for (void* p : {x, y, dequantized, workspace}) cudaFree(p);
}

// The ceiling: device-to-device copy of 256 MB (read + write counted).
void BM_Copy(benchmark::State& state) {
  if (!lq::cuda::have_device()) return state.SkipWithError("no CUDA device");
  const size_t bytes = 256u << 20;
  void* a = device_alloc(bytes);
  void* b = device_alloc(bytes);
  cudaMemset(a, 1, bytes);
  lq::cuda::time_launches(state, kLaunchesPerIteration, false, [&](int, cudaStream_t stream) {
    cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, stream);
  });
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<int64_t>(bytes));
  cudaFree(a);
  cudaFree(b);
}

void Shapes(benchmark::internal::Benchmark* b, std::vector<int64_t> batches) {
  for (int64_t m : batches)
    for (auto nk :
         std::vector<std::pair<int64_t, int64_t>>{{2048, 2048}, {2048, 512}, {2048, 8192}, {8192, 2048}})
      b->Args({nk.first, nk.second, m});
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_Copy)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Matmul4bit)->Apply([](benchmark::internal::Benchmark* b) { Shapes(b, {1, 4, 16, 32}); });
BENCHMARK(BM_Matmul4bitNested)->Apply([](benchmark::internal::Benchmark* b) { Shapes(b, {1}); });
// From a graph also gate/up's rows as one weight: with the 8192-row shape, the kernel's cost per row beside
// its fixed cost per launch.
BENCHMARK(BM_Matmul4bitGraph)->Apply([](benchmark::internal::Benchmark* b) {
  Shapes(b, {1});
  b->Args({16384, 2048, 1});
});
BENCHMARK(BM_Matmul4bitNestedGraph)->Apply([](benchmark::internal::Benchmark* b) {
  Shapes(b, {1});
  b->Args({16384, 2048, 1});
});
BENCHMARK(BM_Matmul4bitGroup)
    ->ArgsProduct({{0, 1}, {1, 8, 32}, {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecodeLayer4bit)
    ->ArgsProduct({{0, 1}, {0, 1}, {1, 0}})
    ->ArgNames({"nested", "prefetch", "gated"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Matmul4bitBatch)->Apply([](benchmark::internal::Benchmark* b) { Shapes(b, {1, 2, 8}); });
BENCHMARK(BM_Matmul4bitCudaCores)->Apply([](benchmark::internal::Benchmark* b) { Shapes(b, {1}); });
BENCHMARK(BM_Matmul4bitTiled)->Apply([](benchmark::internal::Benchmark* b) { Shapes(b, {1}); });
BENCHMARK(BM_CublasFp16)->Apply([](benchmark::internal::Benchmark* b) {
  Shapes(b, {1, 4, 16, 32});
  for (auto nk :
       std::vector<std::pair<int64_t, int64_t>>{{3072, 2048}, {2048, 2048}, {16384, 2048}, {2048, 8192}})
    b->Args({nk.first, nk.second, 512});
});
BENCHMARK(BM_Prefill4bit)
    ->ArgsProduct({{3072, 2048, 16384}, {2048}, {0, 1, 2}})
    ->ArgsProduct({{2048}, {8192}, {0, 1, 2}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Dequantize)->Apply([](benchmark::internal::Benchmark* b) { Shapes(b, {1}); });
BENCHMARK(BM_DequantizeGroup)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"group", "one_launch"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DequantizeNested)->Apply([](benchmark::internal::Benchmark* b) { Shapes(b, {1}); });

}  // namespace

BENCHMARK_MAIN();
