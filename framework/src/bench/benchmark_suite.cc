#include "bench/benchmark_suite.h"

#include <algorithm>
#include <functional>
#include <random>

#include "bench/copy_bandwidth.h"
#include "bench/device_timer.h"
#include "bench/sample_stats.h"

namespace lq {

namespace {
constexpr int64_t kMaxExtraWarmup = 1000;  // warm-up runs beyond `warmup` that warmup_s may ask for
}  // namespace

std::vector<std::vector<TokenId>> random_prompts(int64_t batch, int64_t length, int64_t vocab,
                                                 uint64_t seed) {
  if (vocab <= 0) throw Error("benchmark: the model reports an empty vocabulary");
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(0, vocab - 1);
  std::vector<std::vector<TokenId>> prompts(static_cast<size_t>(batch));
  for (auto& p : prompts) {
    p.resize(static_cast<size_t>(length));
    for (auto& id : p) id = static_cast<TokenId>(dist(rng));
  }
  return prompts;
}

json run_benchmarks(BenchTarget& target, const BenchmarkSpec& spec, uint64_t seed,
                    const ProgressFn& progress) {
  if (spec.repetitions < 1) throw Error("benchmark: repetitions must be at least 1");
  const std::string device = target.device();
  json out = {{"device", device},
              {"timer", {{"prefill", timer_name(device)}, {"decode", "steady_clock, device synchronized"}}},
              {"seed", seed},
              {"warmup", spec.warmup},
              {"warmup_s", spec.warmup_s},
              {"repetitions", spec.repetitions},
              {"prefill", json::array()},
              {"decode", json::array()},
              {"skipped", json::array()}};
  if (const std::optional<double> rate = device_copy_bytes_per_s(device)) out["copy_bytes_per_s"] = *rate;
  const int64_t total = static_cast<int64_t>(spec.prompt_lengths.size() + spec.batch_sizes.size());
  int64_t done = 0;
  auto step = [&] {
    if (progress) progress(++done, total);
  };
  auto skip = [&](const char* kind, int64_t length, int64_t batch, const std::string& reason) {
    out["skipped"].push_back(
        {{"kind", kind}, {"prompt_length", length}, {"batch_size", batch}, {"reason", reason}});
    step();
  };
  // Warm-up before each measurement: at least spec.warmup runs and spec.warmup_s seconds of measured time
  // (an idle GPU starts at a fraction of its clock, 345 MHz on the H100 here, and a warm-up of one 5 ms
  // prefill can leave the measured runs on the ramp), bounded so that a near-instant run cannot spin for
  // ever.
  auto warm_up = [&](const std::function<double()>& run) {
    double spent = 0;
    for (int64_t r = 0; r < spec.warmup || (spent < spec.warmup_s && r < spec.warmup + kMaxExtraWarmup); ++r)
      spent += run();
  };

  for (int64_t length : spec.prompt_lengths) {
    if (length < 1 || length + 1 > target.max_positions()) {
      skip("prefill", length, 1, "prompt length outside 1.." + std::to_string(target.max_positions() - 1));
      continue;
    }
    auto prompts = random_prompts(1, length, target.vocab_size(), seed ^ (0x9e3779b97f4a7c15ULL * length));
    auto run = [&] { return time_on_device(device, [&] { target.prefill(prompts); }); };
    warm_up(run);
    std::vector<double> ms;
    for (int64_t r = 0; r < spec.repetitions; ++r) ms.push_back(run() * 1000.0);
    out["prefill"].push_back(
        {{"prompt_length", length}, {"batch_size", 1}, {"latency_ms", summarize(ms).to_json()}});
    step();
  }

  const int64_t length = spec.decode_prompt_length, n = spec.new_tokens;
  for (int64_t batch : spec.batch_sizes) {
    if (batch < 1 || n < 1 || length < 1 || length + n + 1 > target.max_positions()) {
      skip("decode", length, batch,
           "needs batch >= 1, new_tokens >= 1 and prompt + new tokens < " +
               std::to_string(target.max_positions()));
      continue;
    }
    auto prompts = random_prompts(batch, length, target.vocab_size(), seed ^ (0xbf58476d1ce4e5b9ULL * batch));
    auto run = [&] { return std::max(1e-9, target.decode_seconds(prompts, n)); };
    warm_up(run);
    std::vector<double> ms_per_token, tokens_per_s;
    for (int64_t r = 0; r < spec.repetitions; ++r) {
      const double s = run();
      ms_per_token.push_back(s * 1000.0 / static_cast<double>(n));
      tokens_per_s.push_back(static_cast<double>(batch * n) / s);
    }
    out["decode"].push_back({{"batch_size", batch},
                             {"prompt_length", length},
                             {"new_tokens", n},
                             {"ms_per_token", summarize(ms_per_token).to_json()},
                             {"tokens_per_s", summarize(tokens_per_s).to_json()}});
    step();
  }
  return out;
}

}  // namespace lq
