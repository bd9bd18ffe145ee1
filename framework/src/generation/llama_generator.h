// LlamaGenerator: greedy generation with a LlamaModel, implementing lq::Generator.
//
// Prompts run in batches (left padding; each row has its own rotary positions and attends only to its
// own tokens), ordered so that a prompt extending another prompt of the same call runs after it (see
// prefix_batches); a
// prompt reuses the keys/values of the longest token prefix it shares with an earlier prompt (kept in a
// PrefixCache) and computes only the rest. Results equal one-prompt-at-a-time greedy decoding up to
// floating-point rounding (which can flip an argmax only where two logits nearly tie).
// Generation::new_tokens counts a final EOS; text and raw_text never contain it (special tokens are
// skipped when decoding). Stop strings are searched in the whole decoded continuation after each token,
// so a stop split across tokens is found; text is cut before its first occurrence.
// On CUDA (GeneratorOptions::cuda_graphs) tokens after the first come from a DecodeStep replayed as a
// CUDA graph, and a prefill of the shape of the one before it from a PrefillGraph; the reference path
// (graphs off, and the CPU) runs LlamaModel::forward eagerly.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "generation/decode_step.h"
#include "generation/prefill_graph.h"
#include "generation/prefix_cache.h"
#include "llama_quant/generator.h"
#include "model/llama_model.h"

namespace lq {

struct GeneratorOptions {
  int64_t max_batch = 8;        // prompts decoded together
  int64_t prefill_chunk = 512;  // slots per prefill forward (bounds attention memory)
  int64_t prefix_cache_bytes = int64_t{512}
                               << 20;  // device bytes of earlier prompts' keys/values; 0: no reuse
  bool cuda_graphs = true;  // on CUDA, decode by replaying one captured step (see DecodeStep), and prefill a
                            // shape that comes twice in a row by replaying its capture (see PrefillGraph)
};

// One prompt's generation with its token ids.
struct TokenGeneration {
  Generation result;
  std::vector<TokenId> tokens;  // the generated ids, without a final EOS
  at::Tensor first_logits;      // [vocab] fp32 on the CPU: the logits that chose the first new token
};

// Timings of time_generation(), each taken after synchronising the device.
struct GenerationTiming {
  int64_t batch = 0;
  int64_t prompt_tokens = 0;  // per row (the longest prompt)
  int64_t new_tokens = 0;     // per row
  double prefill_s = 0;       // prompts in, first new token out (time to first token)
  double decode_s = 0;        // the other new_tokens - 1 tokens
};

class LlamaGenerator : public Generator {
 public:
  // `tokenizer` may be null for generate_tokens() and time_generation() without stop strings.
  LlamaGenerator(std::shared_ptr<const LlamaModel> model, std::shared_ptr<const Tokenizer> tokenizer,
                 GeneratorOptions options = {});

  std::vector<Generation> generate(const std::vector<std::string>& prompts, const GenerationOptions& options,
                                   const ProgressFn& progress = nullptr) override;
  const Tokenizer& tokenizer() const override;

  // generate() on token ids, also returning the generated ids and first-token logits.
  std::vector<TokenGeneration> generate_tokens(const std::vector<std::vector<TokenId>>& prompts,
                                               const GenerationOptions& options,
                                               const ProgressFn& progress = nullptr);

  // For benchmarks: prefills `prompts` as one batch (no prefix reuse) and decodes `new_tokens` >= 1
  // greedy tokens per row, never stopping early (min_new_tokens = max_new_tokens).
  GenerationTiming time_generation(const std::vector<std::vector<TokenId>>& prompts, int64_t new_tokens);

  void clear_prefix_cache() { prefix_.clear(); }
  const LlamaModel& model() const { return *model_; }

 private:
  struct Batch;
  std::vector<TokenGeneration> run_batch(const std::vector<const std::vector<TokenId>*>& prompts,
                                         const GenerationOptions& options);
  Batch start_batch(const std::vector<const std::vector<TokenId>*>& prompts, int64_t new_tokens, bool reuse);
  at::Tensor prefill(const Batch& batch);
  KvCache& cache_for(int64_t batch, int64_t capacity);
  // The CUDA-graph decode step over `cache`, or null where the reference path decodes (CPU, graphs off).
  DecodeStep* fast_decode(KvCache& cache, bool record_margins = false);
  std::vector<TokenId> eos_ids() const;

  std::shared_ptr<const LlamaModel> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  GeneratorOptions options_;
  PrefixCache prefix_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<DecodeStep> decode_;  // bound to cache_: declared after it, so destroyed first
#ifdef LQ_HAVE_CUDA
  std::unique_ptr<PrefillGraph> prefill_graph_;  // bound to cache_ like decode_
#endif
};

}  // namespace lq
