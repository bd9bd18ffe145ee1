// Byte-level BPE tokenizer (Llama 3, SmolLM2, GPT-2), loaded from a Hugging Face tokenizer.json or from
// the tokenizer.ggml.* metadata of a GGUF file, plus a streaming decoder for generated tokens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "llama_quant/tokenizer.h"

namespace lq {

class BpeTokenizer;

// What a GGUF file's tokenizer.ggml.* metadata holds; the GGUF loader fills it.
struct BpeVocabulary {
  std::vector<std::string> tokens;   // tokenizer.ggml.tokens: byte-level strings (GPT-2 byte-to-unicode)
  std::vector<std::string> merges;   // tokenizer.ggml.merges: "left right", best rank first
  std::vector<int32_t> token_types;  // tokenizer.ggml.token_type: 1 normal, 2 unknown, 3 control,
                                     // 4 user defined, 5 unused, 6 byte; empty means all normal
  std::string pre;                   // tokenizer.ggml.pre: "llama-bpe", "smollm", "gpt2", ...
  TokenId bos = -1;                  // tokenizer.ggml.bos_token_id
  std::vector<TokenId> eos;          // tokenizer.ggml.eos_token_id (and eot / eom ids when present)
  bool add_bos = true;               // tokenizer.ggml.add_bos_token
};

// Builds a tokenizer from GGUF metadata. `source` (the file name) is used in error messages.
// Throws lq::Error for an unknown `pre`, a merge naming an unknown token, an id out of range, ...
std::shared_ptr<Tokenizer> make_bpe_tokenizer(BpeVocabulary v, const std::string& source);

// Reads a Hugging Face tokenizer.json (model type BPE with a ByteLevel pre-tokenizer/decoder).
// Throws lq::Error naming the file when it is missing, malformed or of an unsupported kind.
std::shared_ptr<Tokenizer> load_tokenizer_json(const std::filesystem::path& path);

// Turns generated ids into text one id at a time, yielding only complete UTF-8 characters: a character
// split over several byte tokens comes out once its last byte arrives. Bytes that can never become
// valid UTF-8 come out as U+FFFD, as Tokenizer::decode() would give them.
// The tokenizer must come from make_bpe_tokenizer / load_tokenizer_json and outlive the decoder.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);

  // The text that became complete with this id (often empty for a partial character).
  std::string push(TokenId id);
  // Whatever is still pending, with an incomplete trailing character as U+FFFD; resets the decoder.
  std::string flush();

 private:
  const BpeTokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;  // bytes of an incomplete UTF-8 character
};

}  // namespace lq
