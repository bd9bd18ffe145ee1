// CPU throughput. On one core: quantize (input bytes/s) and dequantize (output bytes/s); the plugin's
// dequantize (per-block tables) on 1 and 2 threads against that reference. Decode (M = 1) on the
// Llama-3.2-1B layer shapes, 1 and 2 threads: the fused matmul against dequantize + at::matmul, the
// plugin's CPU forward before it (packed bytes/s).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "numerics/dequantize_4bit.h"
#include "numerics/matmul_4bit_fast.h"
#include "numerics/quantize_4bit.h"

namespace {

constexpr int64_t kN = 2048 * 2048;

std::vector<uint16_t> random_half(int64_t n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<uint16_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = bnb4::float_to_half(dist(rng));
  return v;
}

void BM_Quantize(benchmark::State& state) {
  const auto qt = static_cast<bnb4::QuantType>(state.range(0));
  const int bs = static_cast<int>(state.range(1));
  const auto x = random_half(kN);
  std::vector<uint8_t> packed(bnb4::packed_bytes(kN));
  std::vector<float> absmax(bnb4::num_blocks(kN, bs));
  for (auto _ : state) {
    bnb4::quantize_4bit_cpu(x.data(), bnb4::ElemType::kF16, kN, bs, qt, packed.data(), absmax.data());
    benchmark::DoNotOptimize(packed.data());
  }
  state.SetBytesProcessed(state.iterations() * kN * 2);
}

void BM_Dequantize(benchmark::State& state) {
  const auto qt = static_cast<bnb4::QuantType>(state.range(0));
  const int bs = static_cast<int>(state.range(1));
  const auto x = random_half(kN);
  std::vector<uint8_t> packed(bnb4::packed_bytes(kN));
  std::vector<float> absmax(bnb4::num_blocks(kN, bs));
  bnb4::quantize_4bit_cpu(x.data(), bnb4::ElemType::kF16, kN, bs, qt, packed.data(), absmax.data());
  bnb4::Packed4bit w;
  w.packed = packed.data();
  w.n = kN;
  w.blocksize = bs;
  w.type = qt;
  w.absmax = absmax.data();
  std::vector<uint16_t> out(kN);
  for (auto _ : state) {
    bnb4::dequantize_4bit_cpu(w, out.data(), bnb4::ElemType::kF16);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kN * 2);
}

// The plugin's dequantize before a prefill's matmul: per-block tables, blocks split over threads, into
// float32 (the CPU experiment's dtype) or float16. Args: output (0 float32, 1 float16), threads, and 1 for
// the element-by-element reference (one thread) instead.
void BM_DequantizeBlocks(benchmark::State& state) {
  const auto type = state.range(0) ? bnb4::ElemType::kF16 : bnb4::ElemType::kF32;
  at::set_num_threads(static_cast<int>(state.range(1)));
  const bool reference = state.range(2) != 0;
  const auto x = random_half(kN);
  std::vector<uint8_t> packed(bnb4::packed_bytes(kN));
  std::vector<float> absmax(bnb4::num_blocks(kN, 64));
  bnb4::quantize_4bit_cpu(x.data(), bnb4::ElemType::kF16, kN, 64, bnb4::QuantType::kNF4, packed.data(),
                          absmax.data());
  bnb4::Packed4bit w;
  w.packed = packed.data();
  w.n = kN;
  w.absmax = absmax.data();
  std::vector<float> out(kN);
  for (auto _ : state) {
    if (reference)
      bnb4::dequantize_4bit_cpu(w, out.data(), type);
    else
      at::parallel_for(0, bnb4::num_blocks(kN, 64), 16384 / 64, [&](int64_t begin, int64_t end) {
        bnb4::dequantize_4bit_blocks_cpu(w, out.data(), type, begin, end);
      });
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kN * bnb4::elem_size(type));
}

// An NF4 (blocksize 64) weight [N, K] and one float32 row of activations.
struct DecodeLayer {
  int64_t N, K;
  std::vector<uint8_t> packed;
  std::vector<float> absmax;
  bnb4::Packed4bit w;
  at::Tensor x;

  DecodeLayer(int64_t n, int64_t k) : N(n), K(k) {
    std::vector<float> weight(static_cast<size_t>(N * K));
    std::mt19937 rng(2);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    for (auto& v : weight) v = dist(rng);
    packed.resize(bnb4::packed_bytes(N * K));
    absmax.resize(bnb4::num_blocks(N * K, 64));
    bnb4::quantize_4bit_cpu(weight.data(), bnb4::ElemType::kF32, N * K, 64, bnb4::QuantType::kNF4,
                            packed.data(), absmax.data());
    w.packed = packed.data();
    w.n = N * K;
    w.blocksize = 64;
    w.absmax = absmax.data();
    x = at::randn({1, K});
  }
};

// Args: N, K, threads, and for the fused kernel its decode (0 the best this CPU has, 1 portable C++).
void BM_DecodeFused(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(2)));
  const DecodeLayer l(state.range(0), state.range(1));
  const auto decode = state.range(3) ? bnb4::CpuDecode::kPortable : bnb4::CpuDecode::kBest;
  at::Tensor y = at::empty({1, l.N});
  for (auto _ : state) {
    at::parallel_for(0, l.N, bnb4::fast_cpu_grain(l.K), [&](int64_t begin, int64_t end) {
      bnb4::matmul_4bit_fast_cpu(l.x.data_ptr<float>(), 1, l.K, l.w, bnb4::ElemType::kF32, l.N,
                                 y.data_ptr<float>(), begin, end, decode);
    });
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(l.packed.size()));
}

void BM_DecodeDequantizeMatmul(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(2)));
  const DecodeLayer l(state.range(0), state.range(1));
  for (auto _ : state) {
    at::Tensor w = at::empty({l.N, l.K});
    bnb4::dequantize_4bit_cpu(l.w, w.data_ptr(), bnb4::ElemType::kF32);
    at::Tensor y = at::matmul(l.x, w.t());
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(l.packed.size()));
}

// Llama-3.2-1B: q/o_proj 2048x2048, k/v_proj 512x2048, gate/up_proj 8192x2048, down_proj 2048x8192.
void decode_shapes(benchmark::internal::Benchmark* b, bool fused) {
  for (int64_t portable : {0, 1})
    for (int64_t threads : {1, 2})
      for (auto [n, k] : {std::pair<int64_t, int64_t>{2048, 2048}, {512, 2048}, {8192, 2048}, {2048, 8192}}) {
        if (fused)
          b->Args({n, k, threads, portable});
        else if (!portable)
          b->Args({n, k, threads});
      }
  if (fused)
    b->ArgNames({"N", "K", "threads", "portable"});
  else
    b->ArgNames({"N", "K", "threads"});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

// Args: quant type (0 nf4, 1 fp4), blocksize.
BENCHMARK(BM_Quantize)->Args({0, 64})->Args({1, 64})->Args({0, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dequantize)->Args({0, 64})->Args({1, 64})->Args({0, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DequantizeBlocks)
    ->ArgNames({"f16", "threads", "reference"})
    ->Args({0, 1, 1})
    ->Args({0, 1, 0})
    ->Args({0, 2, 0})
    ->Args({1, 1, 1})
    ->Args({1, 1, 0})
    ->Args({1, 2, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_DecodeFused)->Apply([](benchmark::internal::Benchmark* b) { decode_shapes(b, true); });
BENCHMARK(BM_DecodeDequantizeMatmul)->Apply([](benchmark::internal::Benchmark* b) {
  decode_shapes(b, false);
});

}  // namespace

BENCHMARK_MAIN();
