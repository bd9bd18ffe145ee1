// Generator: how an evaluation task drives the model. Greedy decoding, batched, with stop strings.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "llama_quant/api.h"
#include "llama_quant/tokenizer.h"

namespace lq {

struct GenerationOptions {
  int64_t max_new_tokens = 64;
  int64_t min_new_tokens = 0;     // EOS and stop strings are ignored before this many tokens
  std::vector<std::string> stop;  // generation ends when the text contains one; it is cut before it
  bool add_special = true;        // encode prompts with BOS
  // Fill Generation::tokens and ::margins (one more top-2 pass per step; for checking that two paths'
  // different choices were near-ties).
  bool record_margins = false;
};

struct Generation {
  std::string text;      // the continuation, cut before a stop string when one was hit
  std::string raw_text;  // the continuation as decoded, including the stop string
  int64_t prompt_tokens = 0;
  int64_t new_tokens = 0;
  int64_t reused_tokens = 0;  // prompt tokens whose keys/values came from an earlier prompt
  std::string finish_reason;  // "stop", "eos" or "length"
  // With GenerationOptions::record_margins: every chosen token (a final EOS included) and the score of the
  // chosen token minus the runner-up's at that step (float32 logits, after any ban).
  std::vector<TokenId> tokens;
  std::vector<float> margins;
};

// Called as prompts finish: (done, total).
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

class LQ_SDK_API Generator {
 public:
  virtual ~Generator() = default;

  // Generates a continuation for every prompt, in order. The generator batches prompts and reuses the
  // keys/values of a common token prefix between prompts (e.g. a conversation's successive turns), so
  // passing related prompts together is faster; the results are the same as one prompt at a time.
  virtual std::vector<Generation> generate(const std::vector<std::string>& prompts,
                                           const GenerationOptions& options,
                                           const ProgressFn& progress = nullptr) = 0;

  virtual const Tokenizer& tokenizer() const = 0;
};

}  // namespace lq
