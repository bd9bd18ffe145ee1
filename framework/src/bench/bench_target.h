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

  // Runs the prompts (a batch of equal-length sequences) through the model up to the first new token:
  // what time to first token measures. The suite times it on the device (see device_timer.h).
  virtual void prefill(const std::vector<std::vector<TokenId>>& prompts) = 0;
  // Prefills the prompts, then decodes exactly `new_tokens` more greedy tokens per sequence, ignoring EOS
  // (min_new_tokens = max_new_tokens) so every backend generates as many; returns the seconds of those
  // decode steps only, measured with the device synchronized before and after.
  virtual double decode_seconds(const std::vector<std::vector<TokenId>>& prompts, int64_t new_tokens) = 0;

  virtual int64_t vocab_size() const = 0;
  virtual int64_t max_positions() const = 0;  // prompt + new tokens may not exceed this
  virtual std::string device() const = 0;     // "cpu", "cuda:0", ...
};

}  // namespace lq
