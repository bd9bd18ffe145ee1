// The real test model, SmolLM2-135M-Instruct in Q4_1 (scripts/fetch-models.sh): metadata, tensor list,
// config, and dequantized tensors against the gguf Python package
// (tests/fixtures/io/smollm2_q4_1_slices.json, made by scripts/fixtures/io_gguf_fixture.py). Skipped when the
// model has not been fetched.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/gguf_file.h"
#include "io/mapped_file.h"
#include "model/model_files.h"
#include "test_files.h"

namespace lq {
namespace {

const std::filesystem::path kModel =
    std::filesystem::path(LQ_TEST_DIR).parent_path() / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";

class SmolLM2 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kModel)) GTEST_SKIP() << kModel << " absent: run scripts/fetch-models.sh";
  }
};

TEST_F(SmolLM2, MetadataAndTensorDirectory) {
  auto file = io::MappedFile::open(kModel);
  auto g = io::GgufFile::parse(file->data(), file->size(), file->name());
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.keys().size(), 33u);
  EXPECT_EQ(g.get_string("general.architecture"), "llama");
  EXPECT_EQ(g.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(g.get_string("tokenizer.ggml.pre"), "smollm");
  EXPECT_EQ(g.get_strings("tokenizer.ggml.tokens").size(), 49152u);
  EXPECT_EQ(g.get_strings("tokenizer.ggml.merges").size(), 48900u);
  EXPECT_EQ(g.get_ints("tokenizer.ggml.token_type").size(), 49152u);
  EXPECT_EQ(g.tensors().size(), 272u);
  const auto* embd = g.find_tensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->ne, (std::vector<uint64_t>{576, 49152}));
  EXPECT_EQ(embd->type, io::GgmlType::kQ8_0);
  EXPECT_EQ(g.find_tensor("blk.0.ffn_down.weight")->type, io::GgmlType::kQ4_1);
  EXPECT_EQ(g.find_tensor("output.weight"), nullptr);
}

TEST_F(SmolLM2, Config) {
  ModelFiles m = open_model_files(kModel);
  const LlamaConfig& c = m.config;
  EXPECT_EQ(c.num_hidden_layers, 30);
  EXPECT_EQ(c.hidden_size, 576);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.num_attention_heads, 9);
  EXPECT_EQ(c.num_key_value_heads, 3);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.vocab_size, 49152);
  EXPECT_EQ(c.max_position_embeddings, 8192);
  EXPECT_DOUBLE_EQ(c.rope_theta, 100000.0);
  EXPECT_NEAR(c.rms_norm_eps, 1e-5, 1e-10);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
  EXPECT_EQ(m.weights->names().size(), 272u);
  EXPECT_FALSE(m.weights->has("lm_head.weight"));
  for (const auto& spec : llama_tensor_specs(c)) EXPECT_TRUE(m.weights->has(spec.name)) << spec.name;
}

TEST_F(SmolLM2, DequantizedTensorsMatchTheGgufPackage) {
  ModelFiles m = open_model_files(kModel);
  const auto fixture =
      nlohmann::json::parse(test::read_file(test::fixture_dir() / "smollm2_q4_1_slices.json"));
  for (const auto& t : fixture["tensors"]) {
    const std::string name = t["name"];
    at::Tensor w = m.weights->load(name, at::kFloat, t["shape"].get<std::vector<int64_t>>());
    at::Tensor w2 = w.dim() == 1 ? w.reshape({1, -1}) : w;
    for (const auto& s : t["slices"]) {
      const auto values = s["values"].get<std::vector<float>>();
      at::Tensor got =
          w2[s["row"].get<int64_t>()].slice(0, s["col"].get<int64_t>(), s["col"].get<int64_t>() + 32);
      at::Tensor want = at::from_blob(const_cast<float*>(values.data()), {32}, at::kFloat);
      EXPECT_TRUE(at::equal(got, want)) << name << " row " << s["row"] << " col " << s["col"];
    }
    at::Tensor d = w.to(at::kDouble);
    EXPECT_NEAR(d.sum().item<double>(), t["sum"].get<double>(), 1e-6 * t["sum_squares"].get<double>())
        << name;
    EXPECT_NEAR(d.pow(2).sum().item<double>(), t["sum_squares"].get<double>(),
                1e-9 * t["sum_squares"].get<double>())
        << name;
  }
}

TEST_F(SmolLM2, Tokenizer) {
  ModelFiles m = open_model_files(kModel);
  ASSERT_TRUE(m.tokenizer);
  EXPECT_EQ(m.tokenizer->vocab_size(), 49152);
  EXPECT_EQ(m.tokenizer->bos_id(), 1);
  const std::string text = "The capital of France is Paris. 1234";
  auto ids = m.tokenizer->encode(text, false);
  EXPECT_GT(ids.size(), 5u);
  EXPECT_EQ(m.tokenizer->decode(ids), text);
}

}  // namespace
}  // namespace lq
