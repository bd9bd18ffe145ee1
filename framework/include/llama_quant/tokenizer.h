// Tokenizer: text to token ids and back, as the model was trained.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llama_quant/api.h"

namespace lq {

using TokenId = int32_t;

class LQ_SDK_API Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // add_special: add what the model expects around a sequence (BOS for Llama 3 / SmolLM2 per their
  // post-processor). Special tokens written in the text (e.g. "<|eot_id|>") are always recognised.
  virtual std::vector<TokenId> encode(std::string_view text, bool add_special = true) const = 0;
  // Exact inverse of encode on the bytes level; skip_special drops control tokens.
  virtual std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const = 0;

  virtual int64_t vocab_size() const = 0;
  virtual TokenId bos_id() const = 0;  // -1 when the model has none
  virtual std::vector<TokenId> eos_ids() const = 0;
};

}  // namespace lq
