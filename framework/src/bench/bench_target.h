// BenchTarget: what the benchmark suite needs from a model. The engine implements it; the suite owns the
// prompts, warm-up, repetitions, timing and statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llama_quant/tokenizer.h"

namespace lq {

class BenchTarget {
 public:
  virtual ~BenchTarget() = default;

  // Runs the prompt through the model (a batch of equal-length sequences), producing the logits of the
  // first new token and filling the key/value cache; replaces whatever the previous call left.
  virtual void prefill(const std::vector<std::vector<TokenId>>& prompts) = 0;
  // Continues greedily from the last prefill for exactly `new_tokens` tokens per sequence, ignoring EOS
  // (min_new_tokens = max_new_tokens), so every backend generates the same number of tokens.
  virtual void decode(int64_t new_tokens) = 0;

  virtual int64_t vocab_size() const = 0;
  virtual int64_t max_positions() const = 0;  // prompt + new tokens may not exceed this
  virtual std::string device() const = 0;     // "cpu", "cuda:0", ...
};

}  // namespace lq
