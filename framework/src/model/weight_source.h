// WeightSource: a model's tensors by Hugging Face name, in Hugging Face layout, whatever the file format.
//
// Names: "model.embed_tokens.weight", "model.layers.{i}.input_layernorm.weight",
// "model.layers.{i}.self_attn.{q,k,v,o}_proj.weight", "model.layers.{i}.post_attention_layernorm.weight",
// "model.layers.{i}.mlp.{gate,up,down}_proj.weight", "model.norm.weight", "lm_head.weight" (absent when
// the embeddings are tied). GGUF sources undo llama.cpp's Q/K permutation so that the layout matches.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "llama_quant/tokenizer.h"
#include "model/model_config.h"

namespace lq {

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual std::vector<std::string> names() const = 0;
  virtual bool has(const std::string& name) const = 0;
  // The tensor as a CPU tensor of `dtype` (converted or dequantized from the file's storage), checked
  // against `expected_shape`. Throws lq::Error naming the file and tensor.
  virtual at::Tensor load(const std::string& name, at::ScalarType dtype,
                          const std::vector<int64_t>& expected_shape) const = 0;
  // A description for logs and records, e.g. "model.safetensors (bf16)".
  virtual std::string describe() const = 0;
};

// Everything a model folder / file provides.
struct ModelFiles {
  LlamaConfig config;
  std::shared_ptr<WeightSource> weights;
  std::shared_ptr<Tokenizer> tokenizer;  // may be null for a bare config.json with random weights
  json generation_config = json::object();
  std::string format;  // "safetensors", "gguf", "random"
};

}  // namespace lq
