// Test helpers shared by tests/model and tests/generation: a tiny Llama configuration, an in-memory
// WeightSource of random weights, and a trivial character tokenizer.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string_view>
#include <memory>
#include <string>
#include <vector>

#include "llama_quant/diagnostics.h"
#include "llama_quant/tokenizer.h"
#include "model/weight_source.h"

namespace lq::test {

// 2 layers, hidden 64, 4 heads of 16 over 2 kv heads, vocab 256, Llama 3 rope scaling whose smooth
// band falls inside head_dim 16 (wavelengths 16..64 are interpolated).
inline LlamaConfig tiny_config(bool tied) {
  LlamaConfig c;
  c.vocab_size = 256;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  c.max_position_embeddings = 256;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.rope_scaling.type = "llama3";
  c.rope_scaling.factor = 8.0;
  c.rope_scaling.low_freq_factor = 1.0;
  c.rope_scaling.high_freq_factor = 4.0;
  c.rope_scaling.original_max_position_embeddings = 64;
  c.tie_word_embeddings = tied;
  return c;
}

// Tensors by name, kept as fp32 and converted on load; checks shapes like a real source.
class MapWeightSource : public WeightSource {
 public:
  std::map<std::string, at::Tensor> tensors;

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& kv : tensors) out.push_back(kv.first);
    return out;
  }
  bool has(const std::string& name) const override { return tensors.count(name) > 0; }
  at::Tensor load(const std::string& name, at::ScalarType dtype,
                  const std::vector<int64_t>& shape) const override {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw Error("test weights: no tensor " + name);
    if (it->second.sizes() != at::IntArrayRef(shape)) throw Error("test weights: wrong shape for " + name);
    return it->second.to(dtype);
  }
  std::string describe() const override { return "in-memory test weights"; }
};

// Random weights for `c` (seeded); norms near 1 so that their weights matter.
inline std::shared_ptr<MapWeightSource> random_weights(const LlamaConfig& c, uint64_t seed) {
  at::manual_seed(seed);
  auto w = std::make_shared<MapWeightSource>();
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  auto normal = [](std::vector<int64_t> shape, double std) { return at::randn(shape, at::kFloat) * std; };
  auto norm = [&](int64_t n) { return 1.0 + normal({n}, 0.1); };
  w->tensors["model.embed_tokens.weight"] = normal({c.vocab_size, H}, 0.5);
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    w->tensors[p + "input_layernorm.weight"] = norm(H);
    w->tensors[p + "post_attention_layernorm.weight"] = norm(H);
    w->tensors[p + "self_attn.q_proj.weight"] = normal({c.num_attention_heads * D, H}, 0.15);
    w->tensors[p + "self_attn.k_proj.weight"] = normal({c.num_key_value_heads * D, H}, 0.15);
    w->tensors[p + "self_attn.v_proj.weight"] = normal({c.num_key_value_heads * D, H}, 0.15);
    w->tensors[p + "self_attn.o_proj.weight"] = normal({H, c.num_attention_heads * D}, 0.15);
    w->tensors[p + "mlp.gate_proj.weight"] = normal({I, H}, 0.15);
    w->tensors[p + "mlp.up_proj.weight"] = normal({I, H}, 0.15);
    w->tensors[p + "mlp.down_proj.weight"] = normal({H, I}, 0.1);
  }
  w->tensors["model.norm.weight"] = norm(H);
  if (!c.tie_word_embeddings) w->tensors["lm_head.weight"] = normal({c.vocab_size, H}, 0.5);
  return w;
}

// Token i is the character kAlphabet[i % 64]; encoding a character gives its smallest id. Lets a test
// put a stop string such as "\nQ:" across several tokens.
class CharTokenizer : public Tokenizer {
 public:
  static constexpr const char* kAlphabet =
      "abcdefghijklmnopqrstuvwxyABCDEFGHIJKLMNOPQRSTUVWXY0123456789 \n:.";
  static_assert(std::char_traits<char>::length(kAlphabet) == 64, "one character per id mod 64");

  explicit CharTokenizer(std::vector<TokenId> eos = {}) : eos_(std::move(eos)) {}
  std::vector<TokenId> encode(std::string_view text, bool) const override {
    std::vector<TokenId> ids;
    for (char ch : text) {
      const char* at = std::char_traits<char>::find(kAlphabet, 64, ch);
      if (!at) throw Error(std::string("CharTokenizer: no token for '") + ch + "'");
      ids.push_back(static_cast<TokenId>(at - kAlphabet));
    }
    return ids;
  }
  std::string decode(const std::vector<TokenId>& ids, bool) const override {
    std::string out;
    for (TokenId id : ids) out += kAlphabet[id % 64];
    return out;
  }
  int64_t vocab_size() const override { return 256; }
  TokenId bos_id() const override { return -1; }
  std::vector<TokenId> eos_ids() const override { return eos_; }

 private:
  std::vector<TokenId> eos_;
};

}  // namespace lq::test
