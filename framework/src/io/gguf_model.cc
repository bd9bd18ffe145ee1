#include "io/gguf_model.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <optional>

#include "io/ggml_types.h"
#include "io/mapped_file.h"
#include "io/tensor_source.h"
#include "llama_quant/diagnostics.h"

namespace lq::io {
namespace {

const std::map<std::string, std::string>& layer_names() {
  static const std::map<std::string, std::string> m = {
      {"attn_norm", "input_layernorm"},    {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},      {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"}, {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},       {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"},
  };
  return m;
}

// The llama.* metadata keys (SmolLM2 and Llama 3 GGUFs both use the llama architecture).
std::string arch_key(const std::string& k) { return "llama." + k; }

constexpr double kPi = 3.14159265358979323846;

// Llama 3.1 / 3.2 store their rope scaling in GGUF only as the per-frequency divisors of a
// rope_freqs.weight tensor. Recover the llama3 parameters from it, assuming the values every Llama 3
// release uses for all but `factor`, and check that they reproduce the tensor.
void rope_scaling_from_factors(const std::vector<float>& factors, LlamaConfig& c, const std::string& what) {
  if (static_cast<int64_t>(factors.size()) * 2 != c.head_dim)
    throw Error(what + ": has " + std::to_string(factors.size()) +
                " entries, expected head_dim / 2 = " + std::to_string(c.head_dim / 2));
  float factor = 1;
  for (float f : factors) factor = std::max(factor, f);
  if (factor == 1) return;  // no scaling
  RopeScaling r;
  r.type = "llama3";
  r.factor = factor;
  r.low_freq_factor = 1;
  r.high_freq_factor = 4;
  r.original_max_position_embeddings = 8192;
  const double low_wavelen = r.original_max_position_embeddings / r.low_freq_factor;
  const double high_wavelen = r.original_max_position_embeddings / r.high_freq_factor;
  for (size_t i = 0; i < factors.size(); ++i) {
    double freq =
        1.0 / std::pow(c.rope_theta, 2.0 * static_cast<double>(i) / static_cast<double>(c.head_dim));
    double wavelen = 2 * kPi / freq;
    double expected = r.factor;
    if (wavelen < high_wavelen) {
      expected = 1;
    } else if (wavelen <= low_wavelen) {
      double smooth = (r.original_max_position_embeddings / wavelen - r.low_freq_factor) /
                      (r.high_freq_factor - r.low_freq_factor);
      expected = 1 / ((1 - smooth) / r.factor + smooth);
    }
    if (std::abs(factors[i] - expected) > 1e-3 * expected)
      throw Error(what + ": entry " + std::to_string(i) + " is " + std::to_string(factors[i]) +
                  ", which llama3 rope scaling (factor " + std::to_string(r.factor) +
                  ", low 1, high 4, original context 8192) does not give (" + std::to_string(expected) + ")");
  }
  c.rope_scaling = r;
}

struct GgufEntry {
  const GgufTensorInfo* info;
  TensorMeta meta;
  int64_t permute_heads = 0;  // > 0: rows were permuted by llama.cpp for this many heads
};

class GgufSource final : public IndexedTensorSource<GgufEntry> {
 public:
  GgufSource(std::shared_ptr<const MappedFile> file, std::shared_ptr<const GgufFile> gguf,
             const LlamaConfig& c)
      : file_(std::move(file)), gguf_(std::move(gguf)) {
    std::map<std::string, int> types;
    for (const auto& t : gguf_->tensors()) {
      std::string hf = hf_tensor_name(t.name);
      if (hf.empty()) continue;  // rope_freqs and the like: folded into the config
      const GgmlTypeTraits* traits = ggml_type_traits(static_cast<uint32_t>(t.type));
      GgufEntry e{&t, {}, 0};
      for (auto it = t.ne.rbegin(); it != t.ne.rend(); ++it)
        e.meta.shape.push_back(static_cast<int64_t>(*it));
      e.meta.storage = traits->name;
      e.meta.file = file_->name();
      e.meta.loadable = traits->dequantizable;
      const bool q = t.name.find(".attn_q.") != std::string::npos;
      const bool k = t.name.find(".attn_k.") != std::string::npos;
      if (q || k) e.permute_heads = q ? c.num_attention_heads : c.num_key_value_heads;
      ++types[traits->name];
      entries_.emplace(std::move(hf), std::move(e));
    }
    description_ = std::filesystem::path(file_->name()).filename().string() + " (";
    bool first = true;
    for (const auto& [name, n] : types) {
      description_ += (first ? "" : ", ") + name + " x" + std::to_string(n);
      first = false;
    }
    description_ += ")";
  }

  at::Tensor load(const std::string& name, at::ScalarType dtype,
                  const std::vector<int64_t>& expected_shape) const override {
    const GgufEntry* found = find(name);
    if (!found) throw Error(file_->name() + ": no tensor maps to '" + name + "'");
    const GgufEntry& e = *found;
    const std::string what = file_->name() + ": tensor '" + e.info->name + "' ('" + name + "')";
    check_shape(file_->name(), name, e.meta.shape, expected_shape);
    check_float_dtype(file_->name(), name, dtype);
    if (!e.meta.loadable)
      throw Error(what + " is stored as " + e.meta.storage + "; llama-quant dequantizes " +
                  ggml_dequantizable_types());

    at::Tensor out = at::empty(e.meta.shape, at::TensorOptions().dtype(at::kFloat));
    const GgmlTypeTraits* traits = ggml_type_traits(static_cast<uint32_t>(e.info->type));
    const int64_t row = static_cast<int64_t>(e.info->ne[0]);
    const int64_t rows = e.info->numel / row;
    const uint64_t row_bytes = static_cast<uint64_t>(row) / traits->block_size * traits->block_bytes;
    const uint8_t* src = file_->data() + e.info->offset;
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r)
        dequantize_row(e.info->type, src + static_cast<uint64_t>(r) * row_bytes, dst + r * row,
                       static_cast<size_t>(row));
    });
    if (e.permute_heads > 0) out = unpermute(out, e.permute_heads, what);
    return dtype == at::kFloat ? out : out.to(dtype);
  }

 private:
  // llama.cpp's converter reorders each head's rows from [first halves | second halves] of the rotary
  // pairs to interleaved pairs: rows (head, 2, dim/2) became (head, dim/2, 2). Swap them back.
  static at::Tensor unpermute(const at::Tensor& w, int64_t heads, const std::string& what) {
    const int64_t rows = w.size(0);
    if (rows % (2 * heads) != 0)
      throw Error(what + ": " + std::to_string(rows) + " rows do not split into " + std::to_string(heads) +
                  " heads of rotary pairs");
    const int64_t cols = w.dim() > 1 ? w.numel() / rows : 1;
    return w.reshape({heads, rows / heads / 2, 2, cols}).transpose(1, 2).reshape(w.sizes()).contiguous();
  }

  std::shared_ptr<const MappedFile> file_;
  std::shared_ptr<const GgufFile> gguf_;
};

}  // namespace

std::string hf_tensor_name(const std::string& g) {
  if (g == "token_embd.weight") return "model.embed_tokens.weight";
  if (g == "output_norm.weight") return "model.norm.weight";
  if (g == "output.weight") return "lm_head.weight";
  if (g.rfind("blk.", 0) != 0) return "";
  size_t dot = g.find('.', 4);
  if (dot == std::string::npos || dot == 4 || dot - 4 > 6) return "";
  const std::string layer = g.substr(4, dot - 4);
  for (char ch : layer)
    if (ch < '0' || ch > '9') return "";
  if (layer.size() > 1 && layer[0] == '0') return "";
  size_t dot2 = g.find('.', dot + 1);
  if (dot2 == std::string::npos) return "";
  const std::string part = g.substr(dot + 1, dot2 - dot - 1);
  const std::string suffix = g.substr(dot2 + 1);
  auto it = layer_names().find(part);
  if (it == layer_names().end() || (suffix != "weight" && suffix != "bias")) return "";
  return "model.layers." + layer + "." + it->second + "." + suffix;
}

LlamaConfig llama_config_from_gguf(const GgufFile& g) {
  const std::string& file = g.file();
  const auto arch = g.get_string_opt("general.architecture");
  if (!arch) throw Error(file + ": metadata 'general.architecture' is missing");
  if (*arch != "llama")
    throw Error(file + ": general.architecture is '" + *arch +
                "'; llama-quant reads Llama-architecture models ('llama')");

  LlamaConfig c;
  c.hidden_size = g.get_int(arch_key("embedding_length"));
  c.intermediate_size = g.get_int(arch_key("feed_forward_length"));
  c.num_hidden_layers = g.get_int(arch_key("block_count"));
  c.num_attention_heads = g.get_int(arch_key("attention.head_count"));
  c.num_key_value_heads = g.get_int_opt(arch_key("attention.head_count_kv")).value_or(c.num_attention_heads);
  if (c.num_attention_heads <= 0)
    throw Error(file + ": metadata 'llama.attention.head_count' must be positive");
  c.head_dim = g.get_int_opt(arch_key("attention.key_length"))
                   .value_or(g.get_int_opt(arch_key("rope.dimension_count"))
                                 .value_or(c.hidden_size / c.num_attention_heads));
  c.max_position_embeddings = g.get_int_opt(arch_key("context_length")).value_or(2048);
  c.rms_norm_eps = g.get_float_opt(arch_key("attention.layer_norm_rms_epsilon")).value_or(1e-5);
  c.rope_theta = g.get_float_opt(arch_key("rope.freq_base")).value_or(10000.0);
  const auto scaling = g.get_string_opt(arch_key("rope.scaling.type"));
  if (scaling && *scaling != "none")
    throw Error(file + ": metadata 'llama.rope.scaling.type' is '" + *scaling +
                "'; llama-quant supports llama3 scaling only");

  const GgufTensorInfo* embd = g.find_tensor("token_embd.weight");
  if (auto v = g.get_int_opt(arch_key("vocab_size")))
    c.vocab_size = *v;
  else if (embd && embd->ne.size() == 2)
    c.vocab_size = static_cast<int64_t>(embd->ne[1]);
  else if (g.find("tokenizer.ggml.tokens"))
    c.vocab_size = static_cast<int64_t>(g.find("tokenizer.ggml.tokens")->array_size);
  c.tie_word_embeddings = g.find_tensor("output.weight") == nullptr;
  c.attention_bias = g.find_tensor("blk.0.attn_q.bias") != nullptr;
  c.mlp_bias = g.find_tensor("blk.0.ffn_up.bias") != nullptr;
  c.bos_token_id = g.get_int_opt("tokenizer.ggml.bos_token_id").value_or(-1);
  for (const char* key :
       {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
    if (auto e = g.get_int_opt(key))
      if (std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), *e) == c.eos_token_ids.end())
        c.eos_token_ids.push_back(*e);
  c.validate(file);

  if (const GgufTensorInfo* freqs = g.find_tensor("rope_freqs.weight")) {
    const std::string what = file + ": tensor 'rope_freqs.weight'";
    if (freqs->type != GgmlType::kF32 || freqs->ne.size() != 1)
      throw Error(what + ": expected a float32 vector");
    std::vector<float> factors(static_cast<size_t>(freqs->numel));
    // parse() checked the byte range; the file buffer outlives this call.
    const uint8_t* p = g.data() + freqs->offset;
    dequantize_row(GgmlType::kF32, p, factors.data(), factors.size());
    rope_scaling_from_factors(factors, c, what);
  }
  return c;
}

BpeVocabulary bpe_vocabulary_from_gguf(const GgufFile& g) {
  const std::string model = g.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw Error(g.file() + ": tokenizer.ggml.model is '" + model +
                "'; llama-quant reads byte-level BPE tokenizers ('gpt2')");
  BpeVocabulary v;
  v.tokens = g.get_strings("tokenizer.ggml.tokens");
  v.merges = g.get_strings("tokenizer.ggml.merges");
  if (g.find("tokenizer.ggml.token_type")) {
    for (int64_t t : g.get_ints("tokenizer.ggml.token_type")) {
      if (t < INT32_MIN || t > INT32_MAX)
        throw Error(g.file() + ": metadata 'tokenizer.ggml.token_type' holds " + std::to_string(t));
      v.token_types.push_back(static_cast<int32_t>(t));
    }
    if (v.token_types.size() != v.tokens.size())
      throw Error(g.file() + ": tokenizer.ggml.token_type has " + std::to_string(v.token_types.size()) +
                  " entries for " + std::to_string(v.tokens.size()) + " tokens");
  }
  v.pre = g.get_string_opt("tokenizer.ggml.pre").value_or("default");
  auto id = [&](const std::string& key) -> std::optional<TokenId> {
    auto x = g.get_int_opt(key);
    if (!x) return std::nullopt;
    if (*x < 0 || *x >= static_cast<int64_t>(v.tokens.size()))
      throw Error(g.file() + ": metadata '" + key + "' is " + std::to_string(*x) +
                  ", not a token id (vocabulary of " + std::to_string(v.tokens.size()) + ")");
    return static_cast<TokenId>(*x);
  };
  if (auto bos = id("tokenizer.ggml.bos_token_id")) v.bos = *bos;
  for (const char* key :
       {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
    if (auto e = id(key))
      if (std::find(v.eos.begin(), v.eos.end(), *e) == v.eos.end()) v.eos.push_back(*e);
  if (auto add = g.get_bool_opt("tokenizer.ggml.add_bos_token")) v.add_bos = *add;
  return v;
}

ModelFiles open_gguf_model(const std::filesystem::path& path) {
  auto mapped = MappedFile::open(path);
  auto gguf =
      std::make_shared<const GgufFile>(GgufFile::parse(mapped->data(), mapped->size(), mapped->name()));
  ModelFiles m;
  m.format = "gguf";
  m.config = llama_config_from_gguf(*gguf);
  if (gguf->find("tokenizer.ggml.model")) {
    BpeVocabulary vocab = bpe_vocabulary_from_gguf(*gguf);
    if (static_cast<int64_t>(vocab.tokens.size()) > m.config.vocab_size)
      throw Error(mapped->name() + ": " + std::to_string(vocab.tokens.size()) +
                  " tokens for a vocabulary of " + std::to_string(m.config.vocab_size));
    m.tokenizer = make_bpe_tokenizer(std::move(vocab), mapped->name());
  }
  m.weights = std::make_shared<GgufSource>(mapped, gguf, m.config);
  return m;
}

}  // namespace lq::io
