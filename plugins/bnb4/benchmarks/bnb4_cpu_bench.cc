// CPU reference throughput on one core: quantize (input bytes/s) and dequantize (output bytes/s).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "numerics/dequantize_4bit.h"
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

// Args: quant type (0 nf4, 1 fp4), blocksize.
BENCHMARK(BM_Quantize)->Args({0, 64})->Args({1, 64})->Args({0, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dequantize)->Args({0, 64})->Args({1, 64})->Args({0, 4096})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
