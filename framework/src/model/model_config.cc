// LlamaConfig from / to a Hugging Face config.json, with transformers' LlamaConfig defaults for absent
// keys. Reads both the transformers 4 layout (rope_theta, rope_scaling) and the transformers 5 one
// (rope_parameters).
#include "model/model_config.h"

#include <limits>

#include "llama_quant/diagnostics.h"

namespace lq {
namespace {

class ConfigReader {
 public:
  ConfigReader(const json& j, const std::string& file) : j_(j), file_(file) {}

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw Error(file_ + ": '" + key + "' " + message);
  }

  bool present(const json& obj, const std::string& key) const {
    return obj.contains(key) && !obj.at(key).is_null();
  }

  int64_t integer(const json& obj, const std::string& key, int64_t fallback, int64_t min) const {
    if (!present(obj, key)) return fallback;
    const json& v = obj.at(key);
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() &&
         v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
      fail(key, "must be an integer, got " + Params::describe(v));
    int64_t x = v.get<int64_t>();
    if (x < min) fail(key, "must be at least " + std::to_string(min) + ", got " + std::to_string(x));
    return x;
  }

  double number(const json& obj, const std::string& key, double fallback, bool positive) const {
    if (!present(obj, key)) return fallback;
    const json& v = obj.at(key);
    if (!v.is_number()) fail(key, "must be a number, got " + Params::describe(v));
    double x = v.get<double>();
    if (positive && !(x > 0)) fail(key, "must be positive, got " + v.dump());
    return x;
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!present(j_, key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean()) fail(key, "must be true or false, got " + Params::describe(v));
    return v.get<bool>();
  }

  std::string string(const json& obj, const std::string& key, const std::string& fallback) const {
    if (!present(obj, key)) return fallback;
    const json& v = obj.at(key);
    if (!v.is_string()) fail(key, "must be a string, got " + Params::describe(v));
    return v.get<std::string>();
  }

  // eos_token_id: an integer, a list of integers, or null.
  std::vector<int64_t> id_list(const std::string& key, std::vector<int64_t> fallback) const {
    if (!j_.contains(key)) return fallback;
    const json& v = j_.at(key);
    if (v.is_null()) return {};
    if (v.is_number_integer()) return {integer(j_, key, 0, 0)};
    if (!v.is_array()) fail(key, "must be an integer or a list of integers, got " + Params::describe(v));
    std::vector<int64_t> out;
    for (const auto& e : v) {
      if (!e.is_number_integer() || e.get<int64_t>() < 0)
        fail(key, "must hold non-negative integers, got " + Params::describe(e));
      out.push_back(e.get<int64_t>());
    }
    return out;
  }

  // rope_scaling (transformers 4) or rope_parameters (transformers 5): type "default" or "llama3".
  void rope(const json& obj, const std::string& key, LlamaConfig& c) const {
    if (!obj.is_object()) fail(key, "must be a mapping or null, got " + Params::describe(obj));
    const std::string type_key = present(obj, "rope_type") ? "rope_type" : "type";
    const std::string type = string(obj, type_key, "default");
    if (present(obj, "rope_theta")) c.rope_theta = number(obj, "rope_theta", c.rope_theta, true);
    if (type == "default") return;
    if (type != "llama3")
      fail(key, "has rope type '" + type + "'; llama-quant supports 'default' and 'llama3'");
    for (const char* k :
         {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"})
      if (!present(obj, k)) fail(key, std::string("of type llama3 lacks '") + k + "'");
    RopeScaling& r = c.rope_scaling;
    r.type = "llama3";
    r.factor = number(obj, "factor", r.factor, true);
    r.low_freq_factor = number(obj, "low_freq_factor", r.low_freq_factor, true);
    r.high_freq_factor = number(obj, "high_freq_factor", r.high_freq_factor, true);
    r.original_max_position_embeddings =
        integer(obj, "original_max_position_embeddings", r.original_max_position_embeddings, 1);
    if (!(r.high_freq_factor > r.low_freq_factor)) fail(key, "needs high_freq_factor > low_freq_factor");
  }

 private:
  const json& j_;
  const std::string& file_;
};

}  // namespace

LlamaConfig LlamaConfig::from_json(const json& j, const std::string& file) {
  if (!j.is_object()) throw Error(file + ": expected a JSON object, got " + Params::describe(j));
  ConfigReader r(j, file);
  const std::string model_type = r.string(j, "model_type", "llama");
  if (model_type != "llama")
    r.fail("model_type", "is '" + model_type + "'; llama-quant reads Llama-architecture models ('llama')");
  const std::string act = r.string(j, "hidden_act", "silu");
  if (act != "silu") r.fail("hidden_act", "is '" + act + "'; Llama models use 'silu'");

  LlamaConfig c;  // transformers' LlamaConfig defaults where the file is silent
  c.vocab_size = r.integer(j, "vocab_size", 32000, 1);
  c.hidden_size = r.integer(j, "hidden_size", 4096, 1);
  c.intermediate_size = r.integer(j, "intermediate_size", 11008, 1);
  c.num_hidden_layers = r.integer(j, "num_hidden_layers", 32, 1);
  c.num_attention_heads = r.integer(j, "num_attention_heads", 32, 1);
  c.num_key_value_heads = r.integer(j, "num_key_value_heads", c.num_attention_heads, 1);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    r.fail("num_key_value_heads", "(" + std::to_string(c.num_key_value_heads) +
                                      ") must divide num_attention_heads (" +
                                      std::to_string(c.num_attention_heads) + ")");
  if (!r.present(j, "head_dim") && c.hidden_size % c.num_attention_heads != 0)
    r.fail("hidden_size", "(" + std::to_string(c.hidden_size) +
                              ") must be a multiple of num_attention_heads (" +
                              std::to_string(c.num_attention_heads) + ") when head_dim is absent");
  c.head_dim = r.integer(j, "head_dim", c.hidden_size / c.num_attention_heads, 2);
  if (c.head_dim % 2 != 0) r.fail("head_dim", "must be even for rotary embeddings");
  c.max_position_embeddings = r.integer(j, "max_position_embeddings", 2048, 1);
  c.rms_norm_eps = r.number(j, "rms_norm_eps", 1e-6, true);
  c.rope_theta = r.number(j, "rope_theta", 10000.0, true);
  if (r.present(j, "rope_parameters"))
    r.rope(j.at("rope_parameters"), "rope_parameters", c);
  else if (r.present(j, "rope_scaling"))
    r.rope(j.at("rope_scaling"), "rope_scaling", c);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.attention_bias = r.boolean("attention_bias", false);
  c.mlp_bias = r.boolean("mlp_bias", false);
  c.bos_token_id = j.contains("bos_token_id") ? r.integer(j, "bos_token_id", -1, 0) : 1;
  c.eos_token_ids = r.id_list("eos_token_id", {2});
  c.initializer_range = r.number(j, "initializer_range", 0.02, true);
  c.validate(file);
  return c;
}

void LlamaConfig::validate(const std::string& file) const {
  auto check = [&](const char* key, int64_t v, int64_t max) {
    if (v < 1 || v > max)
      throw Error(file + ": '" + key + "' is " + std::to_string(v) + ", expected 1 to " +
                  std::to_string(max));
  };
  check("vocab_size", vocab_size, int64_t{1} << 24);
  check("hidden_size", hidden_size, int64_t{1} << 18);
  check("intermediate_size", intermediate_size, int64_t{1} << 20);
  check("num_hidden_layers", num_hidden_layers, 1024);
  check("num_attention_heads", num_attention_heads, 1024);
  check("num_key_value_heads", num_key_value_heads, num_attention_heads);
  check("head_dim", head_dim, 4096);
  check("max_position_embeddings", max_position_embeddings, int64_t{1} << 30);
  if (num_attention_heads % num_key_value_heads != 0)
    throw Error(file + ": 'num_key_value_heads' (" + std::to_string(num_key_value_heads) +
                ") must divide 'num_attention_heads' (" + std::to_string(num_attention_heads) + ")");
  if (head_dim % 2 != 0) throw Error(file + ": 'head_dim' must be even for rotary embeddings");
  if (!(rms_norm_eps > 0)) throw Error(file + ": 'rms_norm_eps' must be positive");
  if (!(rope_theta > 0)) throw Error(file + ": 'rope_theta' must be positive");
}

json LlamaConfig::to_json() const {
  json j = {
      {"model_type", "llama"},
      {"architectures", json::array({"LlamaForCausalLM"})},
      {"hidden_act", "silu"},
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"num_key_value_heads", num_key_value_heads},
      {"head_dim", head_dim},
      {"max_position_embeddings", max_position_embeddings},
      {"rms_norm_eps", rms_norm_eps},
      {"rope_theta", rope_theta},
      {"tie_word_embeddings", tie_word_embeddings},
      {"attention_bias", attention_bias},
      {"mlp_bias", mlp_bias},
      {"initializer_range", initializer_range},
  };
  j["bos_token_id"] = bos_token_id >= 0 ? json(bos_token_id) : json(nullptr);
  if (eos_token_ids.empty())
    j["eos_token_id"] = nullptr;
  else if (eos_token_ids.size() == 1)
    j["eos_token_id"] = eos_token_ids[0];
  else
    j["eos_token_id"] = eos_token_ids;
  if (rope_scaling.type == "default") {
    j["rope_scaling"] = nullptr;
  } else {
    j["rope_scaling"] = {{"rope_type", rope_scaling.type},
                         {"factor", rope_scaling.factor},
                         {"low_freq_factor", rope_scaling.low_freq_factor},
                         {"high_freq_factor", rope_scaling.high_freq_factor},
                         {"original_max_position_embeddings", rope_scaling.original_max_position_embeddings}};
  }
  return j;
}

}  // namespace lq
