#include "model/model_files.h"

#include <fstream>

#include "io/json_file.h"
#include "io/gguf_model.h"
#include "io/random_weights.h"
#include "io/safetensors_source.h"
#include "llama_quant/diagnostics.h"
#include "tokenizer/bpe_tokenizer.h"

namespace lq {
namespace {

namespace fs = std::filesystem;
using io::read_json_file;

// Every tensor the config implies must be there, with its shape and a storage type we can read.
void check_tensors(const io::TensorSource& source, const LlamaConfig& config, const std::string& where) {
  for (const auto& spec : llama_tensor_specs(config)) {
    const io::TensorMeta* m = source.meta(spec.name);
    if (!m) {
      if (spec.name == "lm_head.weight")
        throw Error(where +
                    ": tensor 'lm_head.weight' is missing and the config does not tie the embeddings");
      throw Error(where + ": tensor '" + spec.name + "' is missing");
    }
    io::check_shape(m->file, spec.name, m->shape, spec.shape);
    if (!m->loadable)
      throw Error(m->file + ": tensor '" + spec.name + "' is stored as " + m->storage +
                  ", which llama-quant cannot read");
  }
}

// The folder's tokenizer.json and generation_config.json, when present.
void read_folder_extras(const fs::path& dir, ModelFiles& m) {
  if (fs::exists(dir / "tokenizer.json")) {
    m.tokenizer = load_tokenizer_json(dir / "tokenizer.json");
    // Ids past the embedding table would index out of it.
    if (m.tokenizer->vocab_size() > m.config.vocab_size)
      throw Error((dir / "tokenizer.json").string() + ": " + std::to_string(m.tokenizer->vocab_size()) +
                  " tokens, more than the model's vocab_size " + std::to_string(m.config.vocab_size));
  }
  if (fs::exists(dir / "generation_config.json")) {
    m.generation_config = read_json_file(dir / "generation_config.json");
    if (!m.generation_config.is_object())
      throw Error((dir / "generation_config.json").string() + ": expected a JSON object");
  }
}

LlamaConfig read_config(const fs::path& path) {
  return LlamaConfig::from_json(read_json_file(path), path.string());
}

}  // namespace

std::vector<TensorSpec> llama_tensor_specs(const LlamaConfig& c) {
  const int64_t h = c.hidden_size, q = c.num_attention_heads * c.head_dim,
                kv = c.num_key_value_heads * c.head_dim, f = c.intermediate_size;
  std::vector<TensorSpec> out;
  out.push_back({"model.embed_tokens.weight", {c.vocab_size, h}});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.push_back({p + "input_layernorm.weight", {h}});
    const std::pair<const char*, std::vector<int64_t>> attn[] = {
        {"q_proj", {q, h}}, {"k_proj", {kv, h}}, {"v_proj", {kv, h}}, {"o_proj", {h, q}}};
    for (const auto& [name, shape] : attn) {
      out.push_back({p + "self_attn." + name + ".weight", shape});
      if (c.attention_bias) out.push_back({p + "self_attn." + name + ".bias", {shape[0]}});
    }
    out.push_back({p + "post_attention_layernorm.weight", {h}});
    const std::pair<const char*, std::vector<int64_t>> mlp[] = {
        {"gate_proj", {f, h}}, {"up_proj", {f, h}}, {"down_proj", {h, f}}};
    for (const auto& [name, shape] : mlp) {
      out.push_back({p + "mlp." + name + ".weight", shape});
      if (c.mlp_bias) out.push_back({p + "mlp." + name + ".bias", {shape[0]}});
    }
  }
  out.push_back({"model.norm.weight", {h}});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {c.vocab_size, h}});
  return out;
}

ModelFiles open_model_files(const fs::path& path, std::optional<uint64_t> random_seed) {
  const std::string where = path.string();
  if (!fs::exists(path)) throw Error(where + ": no such file or folder");

  if (random_seed) {
    const fs::path config_path = fs::is_directory(path) ? path / "config.json" : path;
    if (!fs::exists(config_path)) throw Error(where + ": no config.json to draw random weights for");
    if (config_path.extension() != ".json")
      throw Error(
          where +
          ": random weights are drawn for a config.json (or a folder holding one), not for this file");
    ModelFiles m;
    m.format = "random";
    m.config = read_config(config_path);
    m.weights = io::make_random_weights(m.config, *random_seed);
    read_folder_extras(config_path.parent_path().empty() ? fs::path(".") : config_path.parent_path(), m);
    return m;
  }

  if (!fs::is_directory(path)) {
    if (path.extension() == ".gguf") {
      ModelFiles m = io::open_gguf_model(path);
      auto source = std::dynamic_pointer_cast<io::TensorSource>(m.weights);
      if (source) check_tensors(*source, m.config, where);
      return m;
    }
    if (path.filename() == "config.json")
      throw Error(where + ": a bare config.json has no weights; give a random seed to draw them");
    throw Error(where + ": expected a model folder, a .gguf file, or a config.json with a random seed");
  }

  const fs::path config_path = path / "config.json";
  if (!fs::exists(config_path)) throw Error(where + ": no config.json in this folder");
  ModelFiles m;
  m.format = "safetensors";
  m.config = read_config(config_path);
  if (!fs::exists(path / "model.safetensors") && !fs::exists(path / "model.safetensors.index.json"))
    throw Error(where +
                ": the folder has config.json but no model.safetensors (give a random seed to draw weights)");
  auto source = io::open_safetensors_model(path);
  check_tensors(*source, m.config, where);
  m.weights = source;
  read_folder_extras(path, m);
  return m;
}

}  // namespace lq
