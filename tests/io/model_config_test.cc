// LlamaConfig from / to config.json: transformers' defaults, eos forms, rope scaling forms, errors.
#include <gtest/gtest.h>

#include "model/model_config.h"
#include "test_files.h"

namespace lq {
namespace {

using test::expect_error;

LlamaConfig parse(const std::string& text) {
  return LlamaConfig::from_json(json::parse(text), "config.json");
}

// Llama-3.2-1B's config.json (the keys that matter).
const char* kLlama32 = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
  "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
  "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
  "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256})";

TEST(LlamaConfig, Llama32) {
  LlamaConfig c = parse(kLlama32);
  EXPECT_EQ(c.vocab_size, 128256);
  EXPECT_EQ(c.hidden_size, 2048);
  EXPECT_EQ(c.intermediate_size, 8192);
  EXPECT_EQ(c.num_hidden_layers, 16);
  EXPECT_EQ(c.num_attention_heads, 32);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 32.0);
  EXPECT_DOUBLE_EQ(c.rope_scaling.low_freq_factor, 1.0);
  EXPECT_DOUBLE_EQ(c.rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 128000);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001}));
}

TEST(LlamaConfig, TransformersDefaults) {
  LlamaConfig c = parse("{}");
  EXPECT_EQ(c.vocab_size, 32000);
  EXPECT_EQ(c.hidden_size, 4096);
  EXPECT_EQ(c.intermediate_size, 11008);
  EXPECT_EQ(c.num_hidden_layers, 32);
  EXPECT_EQ(c.num_attention_heads, 32);
  EXPECT_EQ(c.num_key_value_heads, 32);
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.rope_scaling.type, "default");
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.mlp_bias);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
  EXPECT_DOUBLE_EQ(c.initializer_range, 0.02);
  // null means "not set", as in transformers
  c = parse(R"({"num_key_value_heads": null, "head_dim": null, "rope_scaling": null, "hidden_size": 576,
                "num_attention_heads": 9})");
  EXPECT_EQ(c.num_key_value_heads, 9);
  EXPECT_EQ(c.head_dim, 64);
}

TEST(LlamaConfig, EosForms) {
  EXPECT_EQ(parse(R"({"eos_token_id": [128001, 128008, 128009]})").eos_token_ids,
            (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_TRUE(parse(R"({"eos_token_id": null})").eos_token_ids.empty());
  EXPECT_EQ(parse(R"({"bos_token_id": null})").bos_token_id, -1);
  expect_error([] { parse(R"({"eos_token_id": "2"})"); }, {"config.json", "'eos_token_id'"});
  expect_error([] { parse(R"({"eos_token_id": [1, -2]})"); }, {"config.json", "'eos_token_id'"});
}

TEST(LlamaConfig, RopeForms) {
  // The older "type" key.
  LlamaConfig c = parse(R"({"rope_scaling": {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})");
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 8.0);
  // transformers 5 writes rope_parameters, with rope_theta inside.
  c = parse(R"({"rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
               "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})");
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  c = parse(R"({"rope_parameters": {"rope_type": "default", "rope_theta": 100000.0}})");
  EXPECT_EQ(c.rope_scaling.type, "default");
  EXPECT_DOUBLE_EQ(c.rope_theta, 100000.0);
  expect_error([] { parse(R"({"rope_scaling": {"rope_type": "yarn", "factor": 4.0}})"); },
               {"config.json", "'rope_scaling'", "'yarn'"});
  expect_error([] { parse(R"({"rope_scaling": {"rope_type": "llama3", "factor": 8.0}})"); },
               {"config.json", "'rope_scaling'", "low_freq_factor"});
  expect_error([] { parse(R"({"rope_scaling": "llama3"})"); }, {"config.json", "'rope_scaling'", "mapping"});
}

TEST(LlamaConfig, ErrorsNameTheKey) {
  expect_error([] { parse(R"({"hidden_size": "576"})"); },
               {"config.json", "'hidden_size'", "integer", "'576'"});
  expect_error([] { parse(R"({"hidden_size": 576.5})"); }, {"config.json", "'hidden_size'", "integer"});
  expect_error([] { parse(R"({"num_hidden_layers": 0})"); },
               {"config.json", "'num_hidden_layers'", "at least 1"});
  expect_error([] { parse(R"({"num_hidden_layers": 1000000000})"); }, {"config.json", "'num_hidden_layers'"});
  expect_error([] { parse(R"({"vocab_size": 18446744073709551615})"); }, {"config.json", "'vocab_size'"});
  expect_error([] { parse(R"({"num_attention_heads": 9, "num_key_value_heads": 2, "hidden_size": 576})"); },
               {"config.json", "'num_key_value_heads'", "divide"});
  expect_error([] { parse(R"({"hidden_size": 100, "num_attention_heads": 3})"); },
               {"config.json", "'hidden_size'"});
  expect_error([] { parse(R"({"head_dim": 63})"); }, {"config.json", "'head_dim'", "even"});
  expect_error([] { parse(R"({"rms_norm_eps": -1})"); }, {"config.json", "'rms_norm_eps'", "positive"});
  expect_error([] { parse(R"({"tie_word_embeddings": "yes"})"); }, {"config.json", "'tie_word_embeddings'"});
  expect_error([] { parse(R"({"model_type": "mistral"})"); }, {"config.json", "'model_type'", "mistral"});
  expect_error([] { parse(R"({"hidden_act": "gelu"})"); }, {"config.json", "'hidden_act'", "gelu"});
  expect_error([] { parse("[1, 2]"); }, {"config.json", "JSON object"});
}

TEST(LlamaConfig, JsonRoundTrip) {
  LlamaConfig a = parse(kLlama32);
  LlamaConfig b = LlamaConfig::from_json(a.to_json(), "round trip");
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_EQ(b.rope_scaling.type, "llama3");
  EXPECT_EQ(b.head_dim, 64);
  LlamaConfig d = parse(R"({"eos_token_id": [5, 6], "bos_token_id": null})");
  LlamaConfig e = LlamaConfig::from_json(d.to_json(), "round trip");
  EXPECT_EQ(e.eos_token_ids, (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(e.bos_token_id, -1);
}

}  // namespace
}  // namespace lq
