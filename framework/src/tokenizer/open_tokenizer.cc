#include "tokenizer/open_tokenizer.h"

#include "llama_quant/diagnostics.h"
#include "model/model_files.h"
#include "tokenizer/bpe_tokenizer.h"

namespace lq {

std::shared_ptr<Tokenizer> open_tokenizer(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) throw Error(path.string() + ": no such file or folder");
  if (fs::is_directory(path) && fs::exists(path / "tokenizer.json"))
    return load_tokenizer_json(path / "tokenizer.json");
  if (!fs::is_directory(path) && path.extension() == ".json") return load_tokenizer_json(path);
  std::shared_ptr<Tokenizer> t = open_model_files(path).tokenizer;
  if (!t)
    throw Error(path.string() +
                ": has no tokenizer (expected a tokenizer.json, a folder with one, or a GGUF file "
                "with tokenizer.ggml.* metadata)");
  return t;
}

}  // namespace lq
