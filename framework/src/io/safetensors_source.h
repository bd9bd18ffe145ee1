// A model's weights from Hugging Face safetensors: one model.safetensors, or the shards that
// model.safetensors.index.json names. Files are memory-mapped; tensors are copied out on load().
#pragma once

#include <filesystem>
#include <memory>

#include "io/tensor_source.h"

namespace lq::io {

// `dir` holds model.safetensors.index.json (sharded) or model.safetensors. Throws lq::Error naming
// the file on anything malformed.
std::shared_ptr<TensorSource> open_safetensors_model(const std::filesystem::path& dir);

// The given files together; a tensor name must not appear in two of them.
std::shared_ptr<TensorSource> open_safetensors_files(const std::vector<std::filesystem::path>& files);

}  // namespace lq::io
