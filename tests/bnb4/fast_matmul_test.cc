// The fused CPU matmul (few rows of x) against dequantize_4bit_cpu + a float64 dot: every layout of
// blocks over rows, both code tables, nested absmax, the three weight roundings, subnormal products.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "numerics/double_quant.h"
#include "numerics/matmul_4bit_fast.h"
#include "numerics/quantize_4bit.h"

namespace bnb4 {
namespace {

// A quantized N x K weight that owns its buffers.
struct Weight {
  int64_t N = 0, K = 0;
  std::vector<uint8_t> packed, codes;
  std::vector<float> absmax, absmax2;
  Packed4bit view;
};

// Normal weights whose blocks are scaled in turn by 1, 2e-36 and 4e-37: the last two put some
// products code_value * absmax below FLT_MIN, where dequantization flushes them to zero.
Weight make_weight(int64_t N, int64_t K, int blocksize, QuantType qt, bool nested, bool tiny_blocks,
                   uint32_t seed) {
  Weight w;
  w.N = N;
  w.K = K;
  const int64_t n = N * K, blocks = num_blocks(n, blocksize);
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  const float scales[3] = {1.0f, 2e-36f, 4e-37f};
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[i] = dist(rng) * (tiny_blocks ? scales[(i / blocksize) % 3] : 1.0f);
  w.packed.resize(packed_bytes(n));
  w.absmax.resize(blocks);
  quantize_4bit_cpu(x.data(), ElemType::kF32, n, blocksize, qt, w.packed.data(), w.absmax.data());
  w.view.packed = w.packed.data();
  w.view.n = n;
  w.view.blocksize = blocksize;
  w.view.type = qt;
  if (nested) {
    w.view.offset = absmax_mean(w.absmax.data(), blocks);
    w.codes.resize(blocks);
    w.absmax2.resize(num_blocks(blocks, kNestedBlocksize));
    double_quant_cpu(w.absmax.data(), blocks, w.view.offset, w.codes.data(), w.absmax2.data());
    w.view.nested_codes = w.codes.data();
    w.view.absmax2 = w.absmax2.data();
  } else {
    w.view.absmax = w.absmax.data();
  }
  return w;
}

// The weight as the dequantize path hands it to the matmul: dequantize_4bit_cpu into w_type, as float.
std::vector<float> dequantized(const Weight& w, ElemType w_type) {
  const int64_t n = w.view.n;
  std::vector<uint8_t> raw(static_cast<size_t>(n * elem_size(w_type)));
  dequantize_4bit_cpu(w.view, raw.data(), w_type);
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[i] = load_as_float(raw.data(), w_type, i);
  return out;
}

std::vector<float> fast(const Weight& w, ElemType w_type, const std::vector<float>& x, int64_t M,
                        CpuDecode d) {
  std::vector<float> y(static_cast<size_t>(M * w.N), NAN);
  matmul_4bit_fast_cpu(x.data(), M, w.K, w.view, w_type, w.N, y.data(), 0, w.N, d);
  return y;
}

// y = x W^T against the float64 dot of the dequantized W: float32 summation of K terms is good to
// ~1e-5 of the sum of their magnitudes.
void expect_matches_dequantized(const Weight& w, ElemType w_type, int64_t M, uint32_t seed, CpuDecode d) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(M * w.K));
  for (auto& v : x) v = dist(rng);
  const std::vector<float> deq = dequantized(w, w_type), y = fast(w, w_type, x, M, d);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t r = 0; r < w.N; ++r) {
      double dot = 0, magnitude = 0;
      for (int64_t k = 0; k < w.K; ++k) {
        const double term = static_cast<double>(x[m * w.K + k]) * deq[r * w.K + k];
        dot += term;
        magnitude += std::fabs(term);
      }
      ASSERT_NEAR(y[m * w.N + r], dot, 1e-5 * magnitude + 1e-30) << "m=" << m << " row=" << r;
    }
}

struct Shape {
  int64_t N, K;
};
// Odd and tiny sizes, rows shorter and longer than a block, K not a multiple of any blocksize, K
// longer than the kernel's 1024-weight chunk.
const Shape kShapes[] = {{1, 1},    {3, 5},    {7, 33},   {5, 97}, {17, 200},
                         {2, 1000}, {4, 1031}, {3, 4099}, {6, 64}};

// Every test runs the decode this CPU would take (AVX-512 where present) and the portable one.
class Bnb4FastMatmul : public ::testing::TestWithParam<CpuDecode> {};

TEST_P(Bnb4FastMatmul, MatchesDequantizeThenMultiply) {
  const ElemType types[] = {ElemType::kF32, ElemType::kF16, ElemType::kBF16};
  uint32_t seed = 1;
  for (QuantType qt : {QuantType::kNF4, QuantType::kFP4})
    for (bool nested : {false, true})
      for (int bs : {32, 64, 128, 256, 512, 1024, 2048, 4096})
        for (const Shape& s : kShapes) {
          const Weight w = make_weight(s.N, s.K, bs, qt, nested, false, ++seed);
          const ElemType w_type = types[seed % 3];
          const int64_t M = 1 + seed % kFastCpuMaxRows;
          SCOPED_TRACE(std::string(quant_type_name(qt)) + (nested ? " nested" : "") + " bs=" +
                       std::to_string(bs) + " N=" + std::to_string(s.N) + " K=" + std::to_string(s.K) +
                       " M=" + std::to_string(M) + " " + elem_type_name(w_type));
          expect_matches_dequantized(w, w_type, M, seed, GetParam());
        }
}

TEST_P(Bnb4FastMatmul, EveryRowCountUpToSixteenAndBeyond) {
  const Weight w = make_weight(11, 150, 64, QuantType::kNF4, false, false, 7);
  for (int64_t M = 1; M <= kFastCpuMaxRows + 5; ++M) {
    SCOPED_TRACE("M=" + std::to_string(M));
    expect_matches_dequantized(w, ElemType::kF32, M, 100 + static_cast<uint32_t>(M), GetParam());
  }
}

// Unit rows of x read single weights out of W: each must be the dequantized value bit for bit, in every
// rounding, including the products that dequantization flushes to zero.
TEST_P(Bnb4FastMatmul, DecodesEachWeightExactly) {
  for (QuantType qt : {QuantType::kNF4, QuantType::kFP4})
    for (bool nested : {false, true})
      for (ElemType w_type : {ElemType::kF32, ElemType::kF16, ElemType::kBF16})
        for (int bs : {32, 64}) {
          SCOPED_TRACE(std::string(quant_type_name(qt)) + (nested ? " nested " : " ") +
                       elem_type_name(w_type) + " bs=" + std::to_string(bs));
          const int64_t N = 9, K = 75;  // odd rows: blocks span rows and rows start on a low nibble
          const Weight w = make_weight(N, K, bs, qt, nested, true, 5);
          const std::vector<float> deq = dequantized(w, w_type);
          int flushed = 0;
          for (float v : deq) flushed += v == 0.0f;
          EXPECT_GT(flushed, 0);
          for (int64_t k0 = 0; k0 < K; k0 += kFastCpuMaxRows) {
            const int64_t M = std::min(kFastCpuMaxRows, K - k0);
            std::vector<float> x(static_cast<size_t>(M * K), 0.0f);
            for (int64_t m = 0; m < M; ++m) x[m * K + k0 + m] = 1.0f;
            const std::vector<float> y = fast(w, w_type, x, M, GetParam());
            for (int64_t m = 0; m < M; ++m)
              for (int64_t r = 0; r < N; ++r)
                ASSERT_EQ(y[m * N + r], deq[r * K + k0 + m]) << "row " << r << " column " << k0 + m;
          }
        }
}

TEST_P(Bnb4FastMatmul, RowRangesWriteOnlyTheirColumns) {
  const Weight w = make_weight(13, 77, 128, QuantType::kFP4, true, false, 9);
  const int64_t M = 3;
  std::vector<float> x(static_cast<size_t>(M * w.K), 0.5f);
  const std::vector<float> whole = fast(w, ElemType::kF32, x, M, GetParam());
  std::vector<float> y(static_cast<size_t>(M * w.N), NAN);
  matmul_4bit_fast_cpu(x.data(), M, w.K, w.view, ElemType::kF32, w.N, y.data(), 4, 9, GetParam());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t r = 0; r < w.N; ++r) {
      if (r >= 4 && r < 9)
        EXPECT_EQ(y[m * w.N + r], whole[m * w.N + r]);  // a row's sum does not depend on the split
      else
        EXPECT_TRUE(std::isnan(y[m * w.N + r])) << "column " << r << " written";
    }
}

INSTANTIATE_TEST_SUITE_P(BestAndPortable, Bnb4FastMatmul,
                         ::testing::Values(CpuDecode::kBest, CpuDecode::kPortable), [](const auto& info) {
                           return info.param == CpuDecode::kBest ? "best" : "portable";
                         });

}  // namespace
}  // namespace bnb4
