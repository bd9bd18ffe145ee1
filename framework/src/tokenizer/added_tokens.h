// Finds added tokens ("<|eot_id|>", "<|im_start|>", ...) written in text, before any pre-tokenizing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "llama_quant/tokenizer.h"

namespace lq {

struct AddedToken {
  TokenId id = -1;
  std::string content;  // matched verbatim in the text
  bool special = true;  // dropped by decode(skip_special)
};

class AddedTokenMatcher {
 public:
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  struct Match {
    size_t pos;  // byte offset in the text; text.size() when none
    size_t length;
    TokenId id;
  };
  // The leftmost match at or after `from`, the longest among those starting there.
  Match find(std::string_view text, size_t from) const;

 private:
  std::vector<std::vector<size_t>> by_first_byte_;  // indices into tokens_, longest first
  std::vector<AddedToken> tokens_;
};

}  // namespace lq
