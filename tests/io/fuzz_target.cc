#include "fuzz_target.h"

#include "io/gguf_model.h"
#include "io/safetensors_file.h"
#include "llama_quant/diagnostics.h"

namespace lq::test {

void parse_model_bytes(const uint8_t* data, size_t size) {
  try {
    auto g = io::GgufFile::parse(data, size, "fuzz.gguf");
    try {
      io::llama_config_from_gguf(g);
    } catch (const Error&) {
    }
    try {
      if (g.find("tokenizer.ggml.model")) io::bpe_vocabulary_from_gguf(g);
    } catch (const Error&) {
    }
    for (const auto& key : g.keys())
      if (g.find(key)->type == io::GgufValueType::kArray) g.elements(*g.find(key));
  } catch (const Error&) {
  }
  try {
    io::SafetensorsHeader::parse(data, size, "fuzz.safetensors");
  } catch (const Error&) {
  }
}

}  // namespace lq::test
