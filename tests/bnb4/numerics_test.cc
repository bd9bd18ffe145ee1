// The CPU reference numerics on hand-checked and random inputs (no fixtures needed).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "numerics/codebook.h"
#include "numerics/dequantize_4bit.h"
#include "numerics/double_quant.h"
#include "numerics/matmul_4bit.h"
#include "numerics/quantize_4bit.h"

namespace bnb4 {
namespace {

std::vector<float> random_weights(int64_t n, uint32_t seed, float scale = 0.02f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

struct Quantized {
  std::vector<uint8_t> packed;
  std::vector<float> absmax;
};

Quantized quantize(const std::vector<float>& x, int blocksize, QuantType qt) {
  const int64_t n = static_cast<int64_t>(x.size());
  Quantized q{std::vector<uint8_t>(packed_bytes(n)), std::vector<float>(num_blocks(n, blocksize))};
  quantize_4bit_cpu(x.data(), ElemType::kF32, n, blocksize, qt, q.packed.data(), q.absmax.data());
  return q;
}

std::vector<float> dequantize(const Quantized& q, int64_t n, int blocksize, QuantType qt) {
  Packed4bit w;
  w.packed = q.packed.data();
  w.n = n;
  w.blocksize = blocksize;
  w.type = qt;
  w.absmax = q.absmax.data();
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_4bit_cpu(w, out.data(), ElemType::kF32);
  return out;
}

TEST(Bnb4ElemType, HalfConversionsMatchLibtorch) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    const float ref = static_cast<float>(c10::Half(static_cast<uint16_t>(h), c10::Half::from_bits()));
    if (std::isnan(ref)) {
      ASSERT_TRUE(std::isnan(f)) << h;
      continue;
    }
    ASSERT_EQ(float_bits(f), float_bits(ref)) << "half bits " << h;
    ASSERT_EQ(float_to_half(f), h) << "half bits " << h;
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    const float f = bits_float(bits(rng));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), c10::Half(f).x) << std::hexfloat << f;
    ASSERT_EQ(float_to_bf16(f), c10::BFloat16(f).x) << std::hexfloat << f;
  }
}

TEST(Bnb4Codebook, EachCodeValueMapsToItself) {
  for (int i = 0; i < 16; ++i) EXPECT_EQ(quantize_nf4(kNF4Values[i]), i);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(quantize_fp4(kFP4Values[i]), i == 8 ? 0 : i) << i;  // -0 has no sign
  for (int i = 0; i < 256; ++i) EXPECT_EQ(quantize_dynamic(kDynamicMap[i]), i) << i;
  for (int i = 1; i < 256; ++i) EXPECT_LT(kDynamicMap[i - 1], kDynamicMap[i]);
  EXPECT_EQ(kDynamicMap[255], 1.0f);
  EXPECT_EQ(kDynamicMap[127], 0.0f);
}

TEST(Bnb4Codebook, ThresholdsAreStrict) {
  const float t = 0.03979014977812767f;  // NF4 between 0.0 (code 7) and 0.0796 (code 8)
  EXPECT_EQ(quantize_nf4(t), 7);
  EXPECT_EQ(quantize_nf4(std::nextafter(t, 1.0f)), 8);
  EXPECT_EQ(quantize_fp4(0.8333333f), 2);
  EXPECT_EQ(quantize_fp4(std::nextafter(0.8333333f, 1.0f)), 3);
  EXPECT_EQ(quantize_fp4(-0.3f), 8 + 4);  // nearest 0.333
  EXPECT_EQ(quantize_nf4(std::nanf("")), 0);
  EXPECT_EQ(quantize_fp4(std::nanf("")), 0);
  EXPECT_EQ(quantize_dynamic(std::nanf("")), 0);
}

TEST(Bnb4Quantize, HandCheckedBlock) {
  // absmax 2: scaled values 1, -1, 0.5, 0, 0.25, -0.09 ...
  std::vector<float> x(32, 0.0f);
  x[0] = 2.0f, x[1] = -2.0f, x[2] = 1.0f, x[3] = 0.0f, x[4] = 0.5f, x[5] = -0.18f;
  Quantized nf4 = quantize(x, 32, QuantType::kNF4);
  EXPECT_EQ(nf4.absmax[0], 2.0f);
  EXPECT_EQ(nf4.packed[0], 0xF0);  // 1 -> 15, -1 -> 0
  EXPECT_EQ(nf4.packed[1], 0xC7);  // 0.5 -> 12 (0.4407: below the 0.5017 midpoint), 0 -> 7
  EXPECT_EQ(nf4.packed[2], 0xA6);  // 0.25 -> 10 (0.2461), -0.09 -> 6 (-0.0911)
  Quantized fp4 = quantize(x, 32, QuantType::kFP4);
  EXPECT_EQ(fp4.packed[0], 0x3B);  // 1 -> 3, -1 -> 8 + 3
  EXPECT_EQ(fp4.packed[1], 0x50);  // 0.5 -> 5, 0 -> 0
  EXPECT_EQ(fp4.packed[2], 0x7E);  // 0.25 -> 7, -0.09 -> 8 + 6 (0.1667 nearer than 0.0052)
}

TEST(Bnb4Quantize, AllZeroBlockGivesZeroAbsmaxAndCodeZero) {
  std::vector<float> x(128, 0.0f);
  for (int i = 64; i < 128; ++i) x[i] = 0.01f * static_cast<float>(i - 90);
  for (QuantType qt : {QuantType::kNF4, QuantType::kFP4}) {
    Quantized q = quantize(x, 64, qt);
    EXPECT_EQ(q.absmax[0], 0.0f);
    for (int i = 0; i < 32; ++i) ASSERT_EQ(q.packed[i], 0) << i;
    std::vector<float> back = dequantize(q, 128, 64, qt);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(back[i], 0.0f);
    EXPECT_EQ(std::signbit(back[0]), qt == QuantType::kNF4);  // NF4 code 0 is -1.0 * 0
  }
}

TEST(Bnb4Quantize, PartialLastBlockUsesOnlyItsElements) {
  std::vector<float> x = random_weights(100, 3);
  x[99] = 5.0f;  // in the partial second block (64..99)
  Quantized q = quantize(x, 64, QuantType::kNF4);
  ASSERT_EQ(q.absmax.size(), 2u);
  EXPECT_EQ(q.absmax[1], 5.0f);
  float m0 = 0;
  for (int i = 0; i < 64; ++i) m0 = std::max(m0, std::fabs(x[i]));
  EXPECT_EQ(q.absmax[0], m0);
  EXPECT_EQ(q.packed[49] & 0x0f, 15);
}

TEST(Bnb4Quantize, OddLengthPadsTheLastNibbleWithZero) {
  std::vector<float> x = {1.0f, -1.0f, 0.5f};
  Quantized nf4 = quantize(x, 32, QuantType::kNF4);
  ASSERT_EQ(nf4.packed.size(), 2u);
  EXPECT_EQ(nf4.packed[1], 0xC7);  // 0.5 -> 12, padding 0 -> 7
  Quantized fp4 = quantize(x, 32, QuantType::kFP4);
  EXPECT_EQ(fp4.packed[1], 0x50);
}

TEST(Bnb4Quantize, RoundTripIsCloseAndIdempotent) {
  for (QuantType qt : {QuantType::kNF4, QuantType::kFP4})
    for (int bs : {32, 64, 128, 256, 512, 1024, 2048, 4096}) {
      const int64_t n = 3 * bs + 17;  // partial last block, odd length
      std::vector<float> x = random_weights(n, static_cast<uint32_t>(bs));
      Quantized q = quantize(x, bs, qt);
      std::vector<float> back = dequantize(q, n, bs, qt);
      for (int64_t i = 0; i < n; ++i) {
        const float a = q.absmax[i / bs];
        // Half the widest gap between neighbouring codes: FP4 0.667..1, NF4 -1..-0.696.
        ASSERT_LE(std::fabs(back[i] - x[i]), a * 0.17f) << i;
      }
      // Dequantized values quantize to themselves (codes may differ only as FP4 -0 vs +0).
      Quantized again = quantize(back, bs, qt);
      EXPECT_EQ(again.absmax, q.absmax);
      EXPECT_EQ(dequantize(again, n, bs, qt), back) << quant_type_name(qt) << " " << bs;
    }
}

TEST(Bnb4Quantize, SixteenBitInputsQuantizeLikeTheirFloatValues) {
  std::vector<float> x = random_weights(1000, 11);
  std::vector<uint16_t> h(x.size()), b(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    h[i] = float_to_half(x[i]);
    b[i] = float_to_bf16(x[i]);
  }
  for (ElemType t : {ElemType::kF16, ElemType::kBF16}) {
    const std::vector<uint16_t>& src = t == ElemType::kF16 ? h : b;
    std::vector<float> as_float(x.size());
    for (size_t i = 0; i < x.size(); ++i) as_float[i] = load_as_float(src.data(), t, static_cast<int64_t>(i));
    std::vector<uint8_t> packed(500);
    std::vector<float> absmax(16);
    quantize_4bit_cpu(src.data(), t, 1000, 64, QuantType::kNF4, packed.data(), absmax.data());
    Quantized ref = quantize(as_float, 64, QuantType::kNF4);
    EXPECT_EQ(packed, ref.packed);
    EXPECT_EQ(absmax, ref.absmax);
  }
}

TEST(Bnb4Quantize, SuppliedReciprocalsReplaceTheDivision) {
  std::vector<float> x = random_weights(256, 5);
  Quantized q = quantize(x, 64, QuantType::kNF4);
  std::vector<float> inv(4), doubled(4);
  for (int b = 0; b < 4; ++b) inv[b] = 1.0f / q.absmax[b], doubled[b] = 2.0f / q.absmax[b];
  std::vector<uint8_t> same(128), other(128);
  std::vector<float> absmax(4);
  quantize_4bit_cpu(x.data(), ElemType::kF32, 256, 64, QuantType::kNF4, same.data(), absmax.data(),
                    inv.data());
  EXPECT_EQ(same, q.packed);
  quantize_4bit_cpu(x.data(), ElemType::kF32, 256, 64, QuantType::kNF4, other.data(), absmax.data(),
                    doubled.data());
  EXPECT_NE(other, q.packed);
}

TEST(Bnb4DoubleQuant, DecodesCloseToTheAbsmax) {
  std::vector<float> x = random_weights(64 * 1000, 9);
  Quantized q = quantize(x, 64, QuantType::kNF4);
  const int64_t blocks = 1000;
  const float offset = absmax_mean(q.absmax.data(), blocks);
  std::vector<uint8_t> codes(blocks);
  std::vector<float> absmax2(num_blocks(blocks, kNestedBlocksize)), decoded(blocks);
  ASSERT_EQ(absmax2.size(), 4u);
  double_quant_cpu(q.absmax.data(), blocks, offset, codes.data(), absmax2.data());
  decode_absmax_cpu(codes.data(), absmax2.data(), offset, blocks, decoded.data());
  for (int64_t i = 0; i < blocks; ++i) {
    ASSERT_NEAR(decoded[i], q.absmax[i], 0.02 * absmax2[i / 256] + 1e-7) << i;
    ASSERT_EQ(decoded[i], mul_ftz(kDynamicMap[codes[i]], absmax2[i / 256]) + offset);
  }
  // The packed state dequantizes through the decoded absmax.
  Packed4bit nested;
  nested.packed = q.packed.data();
  nested.n = 64 * 1000;
  nested.nested_codes = codes.data();
  nested.absmax2 = absmax2.data();
  nested.offset = offset;
  std::vector<float> out(64 * 1000);
  dequantize_4bit_cpu(nested, out.data(), ElemType::kF32);
  for (int64_t i = 0; i < 64 * 1000; ++i)
    ASSERT_EQ(out[i], kNF4Values[(q.packed[i / 2] >> ((i & 1) ? 0 : 4)) & 15] * decoded[i / 64]) << i;
}

TEST(Bnb4DoubleQuant, ConstantAbsmaxDecodesToTheOffset) {
  std::vector<float> absmax(10, 0.5f);
  const float offset = absmax_mean(absmax.data(), 10);
  EXPECT_EQ(offset, 0.5f);
  std::vector<uint8_t> codes(10, 99);
  float absmax2 = -1, decoded[10];
  double_quant_cpu(absmax.data(), 10, offset, codes.data(), &absmax2);
  EXPECT_EQ(absmax2, 0.0f);
  for (uint8_t c : codes) EXPECT_EQ(c, 0);  // 0 * inf is NaN, which lands on code 0
  decode_absmax_cpu(codes.data(), &absmax2, offset, 10, decoded);
  for (float d : decoded) EXPECT_EQ(d, 0.5f);
}

TEST(Bnb4Dequantize, RoundsToTheOutputType) {
  std::vector<float> x = random_weights(4096, 13, 1.0f);
  Quantized q = quantize(x, 128, QuantType::kFP4);
  std::vector<float> f32 = dequantize(q, 4096, 128, QuantType::kFP4);
  Packed4bit w;
  w.packed = q.packed.data();
  w.n = 4096;
  w.blocksize = 128;
  w.type = QuantType::kFP4;
  w.absmax = q.absmax.data();
  std::vector<uint16_t> h(4096), b(4096);
  dequantize_4bit_cpu(w, h.data(), ElemType::kF16);
  dequantize_4bit_cpu(w, b.data(), ElemType::kBF16);
  for (int i = 0; i < 4096; ++i) {
    ASSERT_EQ(h[i], c10::Half(f32[i]).x);
    ASSERT_EQ(b[i], c10::BFloat16(f32[i]).x);
  }
}

TEST(Bnb4Matmul, ReferenceIsDequantizeThenDot) {
  const int64_t M = 3, N = 5, K = 96;
  std::vector<float> wf = random_weights(N * K, 21), x = random_weights(M * K, 22, 1.0f);
  Quantized q = quantize(wf, 64, QuantType::kNF4);
  std::vector<float> deq = dequantize(q, N * K, 64, QuantType::kNF4);
  Packed4bit w;
  w.packed = q.packed.data();
  w.n = N * K;
  w.absmax = q.absmax.data();
  std::vector<float> y(M * N);
  matmul_4bit_cpu(x.data(), M, K, w, N, y.data());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t r = 0; r < N; ++r) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(x[m * K + k]) * deq[r * K + k];
      EXPECT_FLOAT_EQ(y[m * N + r], static_cast<float>(acc));
    }
}

}  // namespace
}  // namespace bnb4
