// Random weights: deterministic per seed and name (whatever the load order, dtype or thread count),
// normal(0, initializer_range)-like, norms 1; opened from a bare config.json with a seed.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <chrono>

#include "io/random_weights.h"
#include "model/model_files.h"
#include "test_files.h"

namespace lq {
namespace {

using test::expect_error;

const char* kConfig =
    R"({"vocab_size": 300, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": true, "initializer_range": 0.05})";

TEST(RandomWeights, SameSeedSameWeights) {
  test::ScratchDir dir;
  test::write_file(dir / "config.json", std::string(kConfig));
  ModelFiles a = open_model_files(dir / "config.json", 7);
  ModelFiles b = open_model_files(dir.path(), 7);  // a folder holding only config.json
  ModelFiles c = open_model_files(dir.path(), 8);
  EXPECT_EQ(a.format, "random");
  EXPECT_FALSE(a.tokenizer);
  EXPECT_EQ(a.weights->names().size(), llama_tensor_specs(a.config).size());
  EXPECT_FALSE(a.weights->has("lm_head.weight"));
  const std::string q = "model.layers.1.self_attn.q_proj.weight";
  // b loads in another order first, and with one thread.
  b.weights->load("model.embed_tokens.weight", at::kFloat, {300, 64});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  at::Tensor tb = b.weights->load(q, at::kFloat, {64, 64});
  at::set_num_threads(threads);
  at::Tensor ta = a.weights->load(q, at::kFloat, {64, 64});
  EXPECT_TRUE(at::equal(ta, tb));
  EXPECT_FALSE(at::equal(ta, c.weights->load(q, at::kFloat, {64, 64})));
  EXPECT_FALSE(
      at::equal(ta, a.weights->load("model.layers.0.self_attn.q_proj.weight", at::kFloat, {64, 64})));
  EXPECT_TRUE(at::equal(a.weights->load(q, at::kBFloat16, {64, 64}), ta.to(at::kBFloat16)));
  EXPECT_TRUE(at::equal(a.weights->load("model.norm.weight", at::kHalf, {64}), at::ones({64}, at::kHalf)));
  expect_error(
      [&] {
        a.weights->load(q, at::kFloat, {64, 32});
      },
      {"random weights (seed 7)", q, "expected [64, 32]"});
  expect_error([&] { a.weights->load("lm_head.weight", at::kFloat, {300, 64}); }, {"lm_head.weight"});
}

// The generator uses integer hashing and exactly-rounded arithmetic only: these bits, computed
// independently by scripts/fixtures/io_random_golden.py, must come out on every machine.
TEST(RandomWeights, GoldenValues) {
  float v[4];
  io::fill_normal(42, 0, v, 4, 1.0);
  float w[2];
  io::fill_normal(42, 2, w, 2, 1.0);  // a stream is addressable at any element
  EXPECT_EQ(v[2], w[0]);
  EXPECT_EQ(v[3], w[1]);
  const float golden[4] = {0x1.2f7e7ap-1f, 0x1.98ca82p+0f, -0x1.4261f4p+0f, 0x1.a802fap+0f};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(v[i], golden[i]) << i;
}

TEST(RandomWeights, Distribution) {
  std::vector<float> v(1 << 20);
  io::fill_normal(3, 0, v.data(), v.size(), 0.02);
  at::Tensor t = at::from_blob(v.data(), {static_cast<int64_t>(v.size())}, at::kFloat).to(at::kDouble);
  EXPECT_NEAR(t.mean().item<double>(), 0.0, 1e-4);
  EXPECT_NEAR(t.std().item<double>(), 0.02, 2e-4);
  // Normal tails: P(|z| > 2) = 4.55%, P(|z| > 3) = 0.27%.
  EXPECT_NEAR((t.abs() > 0.04).to(at::kDouble).mean().item<double>(), 0.0455, 0.003);
  EXPECT_NEAR((t.abs() > 0.06).to(at::kDouble).mean().item<double>(), 0.0027, 0.0008);
}

TEST(RandomWeights, Llama32OneBShapeIsFast) {
  test::ScratchDir dir;
  test::write_file(dir / "config.json", std::string(R"({"vocab_size": 128256, "hidden_size": 2048,
    "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
    "head_dim": 64, "tie_word_embeddings": true})"));
  ModelFiles m = open_model_files(dir.path(), 1);
  EXPECT_EQ(m.weights->names().size(), 16u * 9 + 2);
  auto start = std::chrono::steady_clock::now();
  at::Tensor t =
      m.weights->load("model.layers.3.mlp.up_proj.weight", at::kBFloat16, {8192, 2048});  // 16.8M values
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(t.scalar_type(), at::kBFloat16);
  EXPECT_LT(seconds, 5.0);  // ~1.2 G values for the whole model: well under a minute even on 2 cores
}

TEST(RandomWeights, NeedsAConfig) {
  test::ScratchDir dir;
  expect_error([&] { open_model_files(dir.path(), 1); }, {"no config.json"});
  test::write_file(dir / "config.json", std::string(kConfig));
  expect_error([&] { open_model_files(dir / "config.json"); }, {"config.json", "random seed"});
  expect_error([&] { open_model_files(dir.path()); }, {"no model.safetensors", "random seed"});
  expect_error([&] { open_model_files(test::fixture_dir() / "tiny_llama.gguf", 1); },
               {"tiny_llama.gguf", "config.json"});
}

}  // namespace
}  // namespace lq
