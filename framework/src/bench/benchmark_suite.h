// The speed benchmarks of one experiment: prefill latency (time to first token) per prompt length and
// decode latency / throughput per batch size, on fixed seeded random prompts, with warm-up runs and
// repetitions summarized as median, p10/p90, stddev and raw samples.
//
// Result JSON:
//   {"device", "timer": {"prefill": "cuda_events"|"steady_clock", "decode": ...}, "seed", "warmup",
//   "warmup_s", "repetitions", "copy_bytes_per_s" (CUDA: the card's copy rate measured first, the ceiling
//   the reports' decode floors divide by),
//    "prefill": [{"prompt_length", "batch_size": 1, "latency_ms": SampleStats}],
//    "decode":  [{"batch_size", "prompt_length", "new_tokens", "ms_per_token": SampleStats,
//                 "tokens_per_s": SampleStats}],
//    "skipped": [{"kind", "prompt_length", "batch_size", "reason"}]}
#pragma once

#include <cstdint>
#include <vector>

#include "bench/bench_target.h"
#include "config/experiment.h"
#include "llama_quant/generator.h"

namespace lq {

// `batch` prompts of `length` token ids drawn uniformly from [0, vocab) with a generator seeded by
// `seed`: the same on every machine and for every backend.
std::vector<std::vector<TokenId>> random_prompts(int64_t batch, int64_t length, int64_t vocab, uint64_t seed);

// Runs every configured measurement; `progress` gets (measurements done, total).
json run_benchmarks(BenchTarget& target, const BenchmarkSpec& spec, uint64_t seed,
                    const ProgressFn& progress = nullptr);

}  // namespace lq
