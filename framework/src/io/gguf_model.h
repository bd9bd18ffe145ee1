// A Llama model from a GGUF file: its config (from the llama.* metadata), its weights under Hugging
// Face names and layout (dequantized on load, llama.cpp's Q/K row permutation undone), its tokenizer
// (from the tokenizer.ggml.* metadata).
#pragma once

#include <filesystem>
#include <string>

#include "io/gguf_file.h"
#include "model/weight_source.h"
#include "tokenizer/bpe_tokenizer.h"

namespace lq::io {

// Throws lq::Error naming the file (and key or tensor) on anything malformed or unsupported.
ModelFiles open_gguf_model(const std::filesystem::path& path);

// The pieces, separately testable (and fuzzable) on a parsed file.
LlamaConfig llama_config_from_gguf(const GgufFile& g);
BpeVocabulary bpe_vocabulary_from_gguf(const GgufFile& g);
// The Hugging Face name of a GGUF tensor name ("blk.3.attn_q.weight" ->
// "model.layers.3.self_attn.q_proj.weight"); empty when the name has no Hugging Face counterpart.
std::string hf_tensor_name(const std::string& gguf_name);

}  // namespace lq::io
