// LlamaConfig: the architecture of a Llama-family model, from config.json or GGUF metadata.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llama_quant/params.h"

namespace lq {

struct RopeScaling {
  std::string type = "default";  // "default" or "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct LlamaConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_attention_heads when absent
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool mlp_bias = false;
  int64_t bos_token_id = -1;
  std::vector<int64_t> eos_token_ids;
  double initializer_range = 0.02;  // the std of random weights (ModelFiles with a random seed)

  // Parses a Hugging Face config.json; throws lq::Error naming `file` and the key on bad input.
  static LlamaConfig from_json(const json& j, const std::string& file);
  json to_json() const;
  // Checks the values are consistent (positive sizes, kv heads dividing heads, even head_dim) and
  // within bounds no real model exceeds, so that a corrupt file cannot make a reader allocate
  // absurdly; throws lq::Error naming `file` and the key.
  void validate(const std::string& file) const;
};

}  // namespace lq
