// GGUF models: config from metadata, every storage type dequantized as the gguf package does, Q/K
// rows back in Hugging Face order, the tokenizer, and the model-level errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "io/gguf_model.h"
#include "model/model_files.h"
#include "test_files.h"
#include "tiny_llama_writer.h"

namespace lq {
namespace {

using test::expect_error;

const std::filesystem::path kTiny = test::fixture_dir() / "tiny_llama.gguf";

TEST(GgufModel, ConfigFromMetadata) {
  ModelFiles m = open_model_files(kTiny);
  EXPECT_EQ(m.format, "gguf");
  const LlamaConfig& c = m.config;
  EXPECT_EQ(c.vocab_size, 260);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.intermediate_size, 64);
  EXPECT_EQ(c.num_hidden_layers, 1);
  EXPECT_EQ(c.num_attention_heads, 2);
  EXPECT_EQ(c.num_key_value_heads, 1);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.max_position_embeddings, 128);
  EXPECT_DOUBLE_EQ(c.rope_theta, 50000.0);
  EXPECT_NEAR(c.rms_norm_eps, 1e-5, 1e-12);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope_scaling.type, "default");
  EXPECT_EQ(c.bos_token_id, 259);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{258}));
}

TEST(GgufModel, DequantizesLikeTheGgufPackage) {
  ModelFiles m = open_model_files(kTiny);
  const auto index =
      nlohmann::json::parse(test::read_file(test::fixture_dir() / "tiny_llama_gguf_expected.json"));
  const auto blob = test::read_file(test::fixture_dir() / "tiny_llama_gguf_expected.bin");
  EXPECT_EQ(m.weights->names().size(), index.size());
  EXPECT_FALSE(m.weights->has("lm_head.weight"));
  std::set<std::string> types;
  for (auto it = index.begin(); it != index.end(); ++it) {
    const std::string name = io::hf_tensor_name(it.key());
    ASSERT_TRUE(m.weights->has(name)) << name;
    std::vector<int64_t> shape = it.value()["shape"].get<std::vector<int64_t>>();
    at::Tensor t = m.weights->load(name, at::kFloat, shape);
    ASSERT_EQ(t.sizes().vec(), shape);
    const size_t offset = it.value()["offset"].get<size_t>();
    ASSERT_LE(offset + static_cast<size_t>(t.numel()) * 4, blob.size());
    at::Tensor expected = at::empty(shape, at::kFloat);
    std::memcpy(expected.data_ptr(), blob.data() + offset, static_cast<size_t>(t.numel()) * 4);
    EXPECT_TRUE(at::equal(t, expected))
        << name << " (" << it.value()["type"] << ") max diff " << (t - expected).abs().max().item<float>();
    types.insert(it.value()["type"].get<std::string>());
  }
  EXPECT_EQ(types, (std::set<std::string>{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1"}));
}

TEST(GgufModel, LoadsInEveryFloatDtype) {
  ModelFiles m = open_model_files(kTiny);
  const std::vector<int64_t> shape{32, 32};
  at::Tensor f = m.weights->load("model.layers.0.self_attn.q_proj.weight", at::kFloat, shape);
  at::Tensor h = m.weights->load("model.layers.0.self_attn.q_proj.weight", at::kHalf, shape);
  at::Tensor b = m.weights->load("model.layers.0.self_attn.q_proj.weight", at::kBFloat16, shape);
  EXPECT_EQ(h.scalar_type(), at::kHalf);
  EXPECT_EQ(b.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(h, f.to(at::kHalf)));
  EXPECT_TRUE(at::equal(b, f.to(at::kBFloat16)));
  expect_error([&] { m.weights->load("model.layers.0.self_attn.q_proj.weight", at::kInt, shape); },
               {"tiny_llama.gguf", "q_proj", "Int"});
  expect_error(
      [&] {
        m.weights->load("model.layers.0.self_attn.q_proj.weight", at::kFloat, {32, 16});
      },
      {"tiny_llama.gguf", "q_proj", "[32, 32]", "expected [32, 16]"});
  expect_error(
      [&] {
        m.weights->load("model.layers.9.mlp.up_proj.weight", at::kFloat, {64, 32});
      },
      {"tiny_llama.gguf", "layers.9.mlp.up_proj"});
  EXPECT_NE(m.weights->describe().find("tiny_llama.gguf"), std::string::npos);
  EXPECT_NE(m.weights->describe().find("Q4_1"), std::string::npos);
}

TEST(GgufModel, TokenizerFromMetadata) {
  ModelFiles m = open_model_files(kTiny);
  ASSERT_TRUE(m.tokenizer);
  EXPECT_EQ(m.tokenizer->vocab_size(), 260);
  EXPECT_EQ(m.tokenizer->bos_id(), 259);
  EXPECT_EQ(m.tokenizer->eos_ids(), (std::vector<TokenId>{258}));
  auto ids = m.tokenizer->encode("the", true);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 259);  // add_bos_token
  EXPECT_EQ(m.tokenizer->decode(ids, true), "the");
}

TEST(GgufModel, MapsNames) {
  EXPECT_EQ(io::hf_tensor_name("token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(io::hf_tensor_name("output.weight"), "lm_head.weight");
  EXPECT_EQ(io::hf_tensor_name("output_norm.weight"), "model.norm.weight");
  EXPECT_EQ(io::hf_tensor_name("blk.12.attn_output.weight"), "model.layers.12.self_attn.o_proj.weight");
  EXPECT_EQ(io::hf_tensor_name("blk.0.ffn_norm.weight"), "model.layers.0.post_attention_layernorm.weight");
  EXPECT_EQ(io::hf_tensor_name("blk.3.attn_q.bias"), "model.layers.3.self_attn.q_proj.bias");
  EXPECT_EQ(io::hf_tensor_name("rope_freqs.weight"), "");
  EXPECT_EQ(io::hf_tensor_name("blk.x.attn_q.weight"), "");
  EXPECT_EQ(io::hf_tensor_name("blk.01.attn_q.weight"), "");
  EXPECT_EQ(io::hf_tensor_name("blk.1.attn_qq.weight"), "");
  EXPECT_EQ(io::hf_tensor_name("blk.1.attn_q.scale"), "");
}

class GgufModelErrors : public ::testing::Test {
 protected:
  std::filesystem::path write(const test::TinyLlamaOptions& o) {
    auto path = dir_ / "m.gguf";
    test::write_file(path, test::tiny_llama_writer(o).build());
    return path;
  }
  test::ScratchDir dir_;
};

TEST_F(GgufModelErrors, TheSyntheticModelOpens) {
  ModelFiles m = open_model_files(write({}));
  EXPECT_EQ(m.config.num_hidden_layers, 1);
  test::TinyLlamaOptions untied;
  untied.untied = true;
  ModelFiles u = open_model_files(write(untied));
  EXPECT_FALSE(u.config.tie_word_embeddings);
  EXPECT_TRUE(u.weights->has("lm_head.weight"));
}

// Llama 3.1 / 3.2 GGUFs carry their rope scaling only as rope_freqs.weight. The divisors here follow
// transformers' llama3 formulation (inv_freq / the scaled inv_freq), not llama.cpp's.
std::vector<float> llama3_divisors(double theta, int64_t head_dim, double factor) {
  const double low = 1, high = 4, original = 8192, pi = 3.14159265358979323846;
  std::vector<float> out;
  for (int64_t i = 0; i < head_dim; i += 2) {
    const double inv = 1 / std::pow(theta, double(i) / double(head_dim));
    const double wavelen = 2 * pi / inv;
    double scaled = wavelen > original / low ? inv / factor : inv;
    if (!(wavelen < original / high) && !(wavelen > original / low)) {
      const double smooth = (original / wavelen - low) / (high - low);
      scaled = (1 - smooth) * scaled / factor + smooth * scaled;
    }
    out.push_back(static_cast<float>(inv / scaled));
  }
  return out;
}

TEST_F(GgufModelErrors, Llama3RopeScalingFromRopeFreqs) {
  test::TinyLlamaOptions o;
  o.rope_theta = 500000.0f;
  o.rope_freqs = llama3_divisors(500000.0, 16, 32.0);
  ASSERT_GT(o.rope_freqs.back(), 1.0f);  // the low frequencies are scaled with head_dim 16 and theta 5e5
  ModelFiles m = open_model_files(write(o));
  EXPECT_EQ(m.config.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(m.config.rope_scaling.factor, 32.0);
  EXPECT_EQ(m.config.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_FALSE(m.weights->has("rope_freqs.weight"));

  o.rope_freqs = std::vector<float>(8, 1.0f);  // all ones: no scaling
  EXPECT_EQ(open_model_files(write(o)).config.rope_scaling.type, "default");

  o.rope_freqs = llama3_divisors(500000.0, 16, 32.0);
  o.rope_freqs[3] *= 1.5f;
  expect_error([&] { open_model_files(write(o)); }, {"m.gguf", "rope_freqs.weight", "entry 3"});
  o.rope_freqs.resize(5);
  expect_error([&] { open_model_files(write(o)); }, {"m.gguf", "rope_freqs.weight", "head_dim / 2"});
}

TEST_F(GgufModelErrors, EndOfTurnIsAnEos) {
  auto w = test::tiny_llama_writer();
  w.kv_u32("tokenizer.ggml.eos_token_id", 2);
  w.kv_u32("tokenizer.ggml.eot_token_id", 5);
  w.kv_u32("tokenizer.ggml.eom_token_id", 2);
  test::write_file(dir_ / "m.gguf", w.build());
  ModelFiles m = open_model_files(dir_ / "m.gguf");
  EXPECT_EQ(m.config.eos_token_ids, (std::vector<int64_t>{2, 5}));
  ASSERT_TRUE(m.tokenizer);
  EXPECT_EQ(m.tokenizer->eos_ids(), (std::vector<TokenId>{2, 5}));
  w.kv_u32("tokenizer.ggml.bos_token_id", 999);  // beyond the 256 tokens
  test::write_file(dir_ / "m.gguf", w.build());
  expect_error([&] { open_model_files(dir_ / "m.gguf"); }, {"m.gguf", "tokenizer.ggml.bos_token_id", "999"});
}

TEST_F(GgufModelErrors, OtherArchitecture) {
  test::TinyLlamaOptions o;
  o.architecture = "qwen2";
  expect_error([&] { open_model_files(write(o)); }, {"m.gguf", "general.architecture is 'qwen2'", "llama"});
}

TEST_F(GgufModelErrors, UnsupportedQuantType) {
  test::TinyLlamaOptions o;
  o.odd_type_tensor = "blk.0.ffn_up.weight";
  expect_error([&] { open_model_files(write(o)); }, {"m.gguf", "model.layers.0.mlp.up_proj.weight", "Q5_0"});
}

TEST_F(GgufModelErrors, MissingTensor) {
  test::TinyLlamaOptions o;
  o.skip = {"blk.0.attn_v.weight"};
  expect_error([&] { open_model_files(write(o)); },
               {"m.gguf", "model.layers.0.self_attn.v_proj.weight", "missing"});
}

TEST_F(GgufModelErrors, ShapeMismatch) {
  test::TinyLlamaOptions o;
  o.odd_shape_tensor = "blk.0.ffn_gate.weight";
  expect_error([&] { open_model_files(write(o)); },
               {"m.gguf", "model.layers.0.mlp.gate_proj.weight", "[65, 32]", "expected [64, 32]"});
}

TEST_F(GgufModelErrors, LayerCountBeyondTheTensors) {
  test::TinyLlamaOptions o;
  o.block_count = 3;  // tensors for two layers only
  expect_error([&] { open_model_files(write(o)); }, {"m.gguf", "model.layers.2."});
  o.block_count = 1u << 30;  // absurd: refused before anything is sized by it
  expect_error([&] { open_model_files(write(o)); }, {"m.gguf", "num_hidden_layers"});
}

TEST_F(GgufModelErrors, OtherTokenizerModel) {
  test::TinyLlamaOptions o;
  o.tokenizer_model = "llama";
  expect_error([&] { open_model_files(write(o)); }, {"m.gguf", "tokenizer.ggml.model is 'llama'"});
}

TEST_F(GgufModelErrors, MetadataOfTheWrongType) {
  auto path = dir_ / "m.gguf";
  test::GgufWriter v;
  v.kv_str("general.architecture", "llama");
  v.kv_str("llama.embedding_length", "576");
  test::write_file(path, v.build());
  expect_error([&] { open_model_files(path); }, {"m.gguf", "'llama.embedding_length'", "integer"});
}

TEST_F(GgufModelErrors, NotAGgufFile) {
  auto path = dir_ / "x.gguf";
  test::write_file(path, std::string("this is not a model"));
  expect_error([&] { open_model_files(path); }, {"x.gguf", "not a GGUF file"});
  test::write_file(path, std::string());
  expect_error([&] { open_model_files(path); }, {"x.gguf"});
  expect_error([&] { open_model_files(dir_ / "absent.gguf"); }, {"absent.gguf"});
}

}  // namespace
}  // namespace lq
