// Decode attention's chunking is host code: checked wherever the kernels are built, with or without a GPU.
#include <gtest/gtest.h>

#include "ops/fused_kernels.h"

namespace lq::kernels {
namespace {

// Two CTAs per SM over the (row, head) pairs, except at small batches, where chunks of more than one round
// of loads become one-round chunks while they still form a cluster (up to 16) and fit about one wave.
// Llama-3.2-1B heads (32 query heads, 64 wide, fp16: 8 lanes a key, 16 groups, rounds of 64 slots) on an
// H100's 132 SMs.
TEST(DecodeAttentionPlan, SmallBatchesGetOneRoundChunks) {
  EXPECT_EQ(decode_attention_splits(1, 32, 640, 64, Dtype::kF16, 132), 10);   // 9 wanted: 72 slots, 2 rounds
  EXPECT_EQ(decode_attention_splits(1, 32, 513, 64, Dtype::kF16, 132), 9);    // 57 slots: one round already
  EXPECT_EQ(decode_attention_splits(1, 32, 1024, 64, Dtype::kF16, 132), 16);  // the largest cluster
  EXPECT_EQ(decode_attention_splits(1, 32, 4096, 64, Dtype::kF16, 132), 9);   // 64 rounds: as wanted
  EXPECT_EQ(decode_attention_splits(8, 32, 640, 64, Dtype::kF16, 132), 2);    // 2,560 CTAs: past a wave
  EXPECT_EQ(decode_attention_splits(32, 32, 640, 64, Dtype::kF16, 132), 1);
  // 128 wide in fp16, or 64 wide in fp32: 16 lanes a key, 8 groups, rounds of 32 slots.
  EXPECT_EQ(decode_attention_splits(1, 32, 640, 128, Dtype::kF16, 132), 9);  // 20 rounds: no cluster of 20
  EXPECT_EQ(decode_attention_splits(1, 32, 500, 128, Dtype::kF16, 132), 16);
  EXPECT_EQ(decode_attention_splits(1, 32, 500, 64, Dtype::kF32, 132), 16);
  // Chunks keep at least 32 slots.
  EXPECT_EQ(decode_attention_splits(1, 4, 40, 64, Dtype::kF16, 132), 1);
}

}  // namespace
}  // namespace lq::kernels
