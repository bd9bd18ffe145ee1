// PrefixCache: keys and values of earlier prompts, so that a prompt sharing a token prefix with one of
// them (CoQA's turn i+1 extends turn i) copies those instead of recomputing them.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <list>
#include <vector>

#include "llama_quant/tokenizer.h"

namespace lq {

class PrefixCache {
 public:
  struct Entry {
    std::vector<TokenId> tokens;
    at::Tensor keys, values;  // [layers, kv_heads, tokens.size(), head_dim]
    int64_t bytes = 0;
  };
  struct Match {
    const Entry* entry = nullptr;
    int64_t length = 0;  // common prefix length in tokens
  };

  explicit PrefixCache(int64_t budget_bytes) : budget_(budget_bytes) {}

  // The entry sharing the longest token prefix with `tokens` (marked most recently used).
  Match lookup(const std::vector<TokenId>& tokens);
  // Stores a prompt's keys/values; drops entries it supersedes (whose tokens are a prefix of it) and
  // the least recently used ones beyond the byte budget. An entry larger than the budget is not kept.
  void insert(Entry entry);
  void clear() {
    entries_.clear();
    bytes_ = 0;
  }
  int64_t bytes() const { return bytes_; }
  size_t size() const { return entries_.size(); }

 private:
  std::list<Entry> entries_;  // most recently used first
  int64_t budget_;
  int64_t bytes_ = 0;
};

}  // namespace lq
