// Opening the tokenizer of whatever the user points at.
#pragma once

#include <filesystem>
#include <memory>

#include "llama_quant/tokenizer.h"

namespace lq {

// `path` is a tokenizer.json, a folder holding one, a GGUF file or a model folder (through
// open_model_files). Throws lq::Error naming the path when there is no tokenizer there.
std::shared_ptr<Tokenizer> open_tokenizer(const std::filesystem::path& path);

}  // namespace lq
