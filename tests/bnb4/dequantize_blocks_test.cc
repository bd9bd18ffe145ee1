// The fast dequantize (per-block tables, block ranges, threads) against the element-by-element reference
// dequantize_4bit_cpu, which the parity tests pin to bitsandbytes: equal bit for bit.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bnb4_linear.h"
#include "numerics/dequantize_4bit.h"

namespace bnb4 {
namespace {

// Bytes of the reference dequantization of the layer's weight in `type`.
std::vector<uint8_t> reference(const Packed4bit& w, ElemType type) {
  std::vector<uint8_t> out(static_cast<size_t>(w.n * elem_size(type)));
  dequantize_4bit_cpu(w, out.data(), type);
  return out;
}

// Random weights with an all-zero row and a row so small that its products are subnormal (flushed).
at::Tensor test_weight(int64_t N, int64_t K, at::ScalarType dtype) {
  at::Tensor w = at::randn({N, K}) * 0.05;
  w[1].zero_();
  w[2] = at::randn({K}) * 1e-37;
  return w.to(dtype);
}

TEST(Bnb4DequantizeBlocks, EqualsTheReferenceBitForBit) {
  at::manual_seed(5);
  const int64_t N = 301, K = 257;  // odd: the last byte holds one element, every blocksize ends partial
  for (int blocksize : {32, 64, 128, 256, 512, 1024, 2048, 4096})
    for (bool dq : {false, true})
      for (QuantType qt : {QuantType::kNF4, QuantType::kFP4}) {
        Config config;
        config.quant_type = qt;
        config.blocksize = blocksize;
        config.double_quant = dq;
        // Quantized from float32: the dequantized type is set by the output below.
        const Bnb4Linear layer("l", quantize_weight(test_weight(N, K, at::kFloat), config), at::kFloat);
        const Packed4bit w = layer.weight().view();
        const int64_t blocks = num_blocks(w.n, blocksize);
        for (at::ScalarType dtype : {at::kFloat, at::kHalf, at::kBFloat16}) {
          SCOPED_TRACE("blocksize " + std::to_string(blocksize) + (dq ? " dq " : " ") + quant_type_name(qt) +
                       " " + at::toString(dtype));
          const ElemType type = elem_type_of(dtype, "test");
          const std::vector<uint8_t> want = reference(w, type);

          // Uneven ranges, including empty ones and one past the last block (clipped).
          std::vector<uint8_t> got(want.size(), 0xAB);
          const std::vector<int64_t> cuts = {0, 0, 1, 4, blocks / 3, blocks / 3 + 7, blocks - 1, blocks + 5};
          for (size_t i = 0; i + 1 < cuts.size(); ++i)
            if (cuts[i] < cuts[i + 1])
              dequantize_4bit_blocks_cpu(w, got.data(), type, std::min(cuts[i], blocks), cuts[i + 1]);
          EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0);

          // The layer's dequantize, split across threads.
          for (int threads : {1, 2}) {
            at::set_num_threads(threads);
            const at::Tensor t = layer.dequantize(dtype);
            ASSERT_EQ(t.sizes(), (std::vector<int64_t>{N, K}));
            EXPECT_EQ(std::memcmp(t.data_ptr(), want.data(), want.size()), 0) << threads << " threads";
          }
        }
      }
}

// A single block, and a weight smaller than one block: the range form alone covers them.
TEST(Bnb4DequantizeBlocks, WeightsOfOneBlockOrLess) {
  at::manual_seed(6);
  for (int64_t K : {1, 2, 63, 64}) {
    Config config;
    config.blocksize = 64;
    config.double_quant = true;
    const Bnb4Linear layer("l", quantize_weight(test_weight(3, K, at::kFloat), config), at::kFloat);
    const Packed4bit w = layer.weight().view();
    for (ElemType type : {ElemType::kF32, ElemType::kF16, ElemType::kBF16}) {
      SCOPED_TRACE("K=" + std::to_string(K) + " " + elem_type_name(type));
      const std::vector<uint8_t> want = reference(w, type);
      std::vector<uint8_t> got(want.size(), 0xCD);
      for (int64_t b = 0; b < num_blocks(w.n, 64); ++b)
        dequantize_4bit_blocks_cpu(w, got.data(), type, b, b + 1);
      EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0);
    }
  }
}

}  // namespace
}  // namespace bnb4
