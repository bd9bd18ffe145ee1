// BpeTokenizer: byte-level BPE with merges by rank, added tokens matched first, a word cache.
// Built by load_tokenizer_json() and make_bpe_tokenizer() from what their file describes.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "llama_quant/tokenizer.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/pre_tokenizer.h"

namespace lq {

// A tokenizer as its file describes it, in vocabulary strings (GPT-2 byte-level alphabet).
struct BpeSpec {
  std::string source;  // file name, for error messages
  std::vector<std::pair<std::string, TokenId>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // best rank first
  std::vector<AddedToken> added;
  std::vector<SplitRule> splits;
  bool ignore_merges = false;   // a word that is itself in the vocabulary is one token
  std::vector<TokenId> prefix;  // what add_special puts before the text (BOS) ...
  std::vector<TokenId> suffix;  // ... and after it
  TokenId unk = -1;             // for a byte missing from the vocabulary; -1 drops it
  TokenId bos = -1;
  std::vector<TokenId> eos;
};

class BpeTokenizer final : public Tokenizer {
 public:
  // Throws lq::Error naming spec.source for a merge of unknown tokens, an id out of range, ...
  explicit BpeTokenizer(BpeSpec spec);

  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(bytes_.size()); }
  TokenId bos_id() const override { return bos_; }
  std::vector<TokenId> eos_ids() const override { return eos_; }

  // The exact bytes a token stands for (possibly part of a UTF-8 character). Throws for a bad id.
  const std::string& token_bytes(TokenId id) const;
  bool is_special(TokenId id) const { return id >= 0 && id < vocab_size() && special_[id]; }

 private:
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;
  void merge_word(std::string_view word, std::vector<TokenId>& out) const;

  std::string source_;
  std::vector<std::string> bytes_;  // by id; empty for ids no token has
  std::vector<bool> has_token_;
  std::vector<bool> special_;
  std::unordered_map<std::string, TokenId> by_bytes_;  // the model's vocabulary (not added tokens)
  std::array<TokenId, 256> byte_token_{};              // the token of each single byte, or -1
  std::unordered_map<uint64_t, std::pair<int32_t, TokenId>> merges_;  // (left, right) -> (rank, merged)
  AddedTokenMatcher added_;
  std::vector<SplitRule> splits_;
  bool ignore_merges_;
  std::vector<TokenId> prefix_, suffix_;
  TokenId unk_, bos_;
  std::vector<TokenId> eos_;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;  // word bytes -> ids
};

}  // namespace lq
