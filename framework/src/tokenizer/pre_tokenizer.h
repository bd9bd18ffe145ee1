// Splits text into the words BPE runs on, following the split regexes of Llama 3 and GPT-2 written out
// by hand over code point classes (no regex library: the rules are fixed and this is much faster).
#pragma once

#include <string_view>
#include <vector>

namespace lq {

enum class SplitRule {
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  // ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kLlama3,
  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+   (ByteLevel use_regex)
  kGpt2,
  kDigitsIndividual,  // each \p{N} apart (SmolLM)
  kDigitsGrouped,     // runs of \p{N} apart
};

// Appends the words of `text` (valid UTF-8) to `words`, applying each rule to the pieces of the one before,
// as a Hugging Face pre-tokenizer Sequence does. The words are views into `text`.
void pre_tokenize(std::string_view text, const std::vector<SplitRule>& rules,
                  std::vector<std::string_view>& words);

}  // namespace lq
