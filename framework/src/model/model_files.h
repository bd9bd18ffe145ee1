// Opening a model for evaluation, whatever form it comes in: a Hugging Face folder (safetensors), a
// GGUF file, or a bare config.json with weights drawn from a seed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/weight_source.h"

namespace lq {

// `path` is
//  - a folder with config.json and model.safetensors (or model.safetensors.index.json and its shards),
//    plus tokenizer.json and generation_config.json when present;
//  - a .gguf file (config, weights and tokenizer all inside);
//  - with `random_seed`: a config.json, or a folder holding one; weights are drawn from the seed
//    (the same seed gives the same weights on every machine), the tokenizer read when tokenizer.json
//    is next to the config.
// Every expected tensor is checked for presence, shape and a readable storage type before this returns.
// Throws lq::Error naming the file (and tensor or key) on anything missing or malformed.
ModelFiles open_model_files(const std::filesystem::path& path,
                            std::optional<uint64_t> random_seed = std::nullopt);

struct TensorSpec {
  std::string name;            // Hugging Face name
  std::vector<int64_t> shape;  // Hugging Face layout
};

// Every tensor a Llama model of `config` has, in model order (lm_head.weight only when untied; biases
// when the config has them).
std::vector<TensorSpec> llama_tensor_specs(const LlamaConfig& config);

}  // namespace lq
