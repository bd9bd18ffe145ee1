// Reads a whole JSON file (config.json, generation_config.json, a safetensors index), with errors that
// name the file.
#pragma once

#include <filesystem>

#include "llama_quant/params.h"

namespace lq::io {

// Throws lq::Error "<path>: cannot open" or "<path>: not valid JSON: ...".
json read_json_file(const std::filesystem::path& path);

}  // namespace lq::io
