// Benchmark statistics and the suite's measurement plan.
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include "bench/benchmark_suite.h"
#include "bench/copy_bandwidth.h"
#include "bench/memory_stats.h"
#include "bench/sample_stats.h"

using namespace lq;

TEST(SampleStats, MatchesNumpyPercentiles) {
  // numpy.percentile([5, 1, 4, 2, 3], [10, 50, 90]) = [1.4, 3.0, 4.6]; numpy.std(ddof=1) = 1.5811388
  SampleStats s = summarize({5, 1, 4, 2, 3});
  EXPECT_DOUBLE_EQ(s.median, 3.0);
  EXPECT_NEAR(s.p10, 1.4, 1e-12);
  EXPECT_NEAR(s.p90, 4.6, 1e-12);
  EXPECT_NEAR(s.stddev, 1.5811388300841898, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_EQ(s.samples, (std::vector<double>{5, 1, 4, 2, 3}));  // raw, in measured order
  EXPECT_EQ(summarize({2.5}).stddev, 0.0);
  EXPECT_THROW(summarize({}), Error);
}

TEST(RandomPrompts, AreSeededAndInRange) {
  auto a = random_prompts(2, 5, 10, 42), b = random_prompts(2, 5, 10, 42), c = random_prompts(2, 5, 10, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 2u);
  for (const auto& p : a) {
    ASSERT_EQ(p.size(), 5u);
    for (auto id : p) EXPECT_TRUE(id >= 0 && id < 10);
  }
  EXPECT_THROW(random_prompts(1, 1, 0, 1), Error);
}

namespace {

// Counts calls and reports a fixed max length, to check what the suite asks for.
class CountingTarget final : public BenchTarget {
 public:
  void prefill(const std::vector<std::vector<TokenId>>& prompts) override {
    prefills.push_back({static_cast<int64_t>(prompts.size()), static_cast<int64_t>(prompts[0].size())});
  }
  double decode_seconds(const std::vector<std::vector<TokenId>>& prompts, int64_t n) override {
    prefill(prompts);
    decodes.push_back(n);
    return 0.5;
  }
  int64_t vocab_size() const override { return 100; }
  int64_t max_positions() const override { return 600; }
  std::string device() const override { return "cpu"; }
  std::vector<std::pair<int64_t, int64_t>> prefills;
  std::vector<int64_t> decodes;
};

}  // namespace

TEST(BenchmarkSuite, RunsWarmupAndRepetitionsAndSkipsWhatDoesNotFit) {
  CountingTarget target;
  BenchmarkSpec spec;
  spec.prompt_lengths = {128, 512, 2048};
  spec.batch_sizes = {1, 8};
  spec.decode_prompt_length = 64;
  spec.new_tokens = 16;
  spec.warmup = 2;
  spec.warmup_s = 0;
  spec.repetitions = 3;
  std::vector<std::pair<int64_t, int64_t>> progress;
  json out = run_benchmarks(target, spec, 1, [&](int64_t d, int64_t t) { progress.emplace_back(d, t); });
  ASSERT_EQ(out["prefill"].size(), 2u);  // 2048 does not fit in 600 positions
  EXPECT_EQ(out["skipped"].size(), 1u);
  EXPECT_EQ(out["skipped"][0]["prompt_length"], 2048);
  EXPECT_EQ(out["prefill"][0]["latency_ms"]["samples"].size(), 3u);
  ASSERT_EQ(out["decode"].size(), 2u);
  EXPECT_EQ(out["decode"][1]["batch_size"], 8);
  EXPECT_EQ(out["decode"][1]["new_tokens"], 16);
  EXPECT_EQ(out["decode"][1]["tokens_per_s"]["samples"].size(), 3u);
  EXPECT_EQ(out["timer"]["prefill"], "steady_clock");
  EXPECT_FALSE(out.contains("copy_bytes_per_s")) << "a CPU run has no copy rate of a card";
  EXPECT_DOUBLE_EQ(out["decode"][1]["tokens_per_s"]["median"].get<double>(), 8 * 16 / 0.5);
  EXPECT_DOUBLE_EQ(out["decode"][0]["ms_per_token"]["median"].get<double>(), 500.0 / 16);
  // (2 + 3) prefills per length, then (2 + 3) prefill + decode pairs per batch size.
  EXPECT_EQ(target.prefills.size(), 5u * 2 + 5u * 2);
  EXPECT_EQ(target.decodes, std::vector<int64_t>(10, 16));
  EXPECT_EQ(target.prefills.back(), std::make_pair(int64_t{8}, int64_t{64}));
  EXPECT_EQ(progress.back(), std::make_pair(int64_t{5}, int64_t{5}));
}

// Warm-up lasts `warmup` runs or `warmup_s` seconds of measured time, whichever is longer, and stops after
// `warmup` + 1000 runs when each run measures (next to) nothing.
TEST(BenchmarkSuite, WarmsUpForAtLeastWarmupSeconds) {
  CountingTarget target;
  BenchmarkSpec spec;
  spec.prompt_lengths = {16};
  spec.batch_sizes = {1};
  spec.decode_prompt_length = 8;
  spec.new_tokens = 4;
  spec.warmup = 1;
  spec.warmup_s = 1.2;  // three decodes of 0.5 s
  spec.repetitions = 2;
  json out = run_benchmarks(target, spec, 1);
  EXPECT_EQ(out["warmup_s"], 1.2);
  EXPECT_EQ(target.decodes.size(), 3u + 2u);
  EXPECT_EQ(target.prefills.size() - target.decodes.size(), 1u + 1000u + 2u);  // the instant prefills
}

// The card's copy rate, which the reports' decode floors divide by, is measured on CUDA only: an H100 copies
// about 3.0e12 bytes/s (read + written); a rate outside 1e11..1e13 is no card's.
TEST(CopyBandwidth, IsMeasuredOnCudaOnly) {
  EXPECT_FALSE(device_copy_bytes_per_s("cpu").has_value());
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  const std::optional<double> rate = device_copy_bytes_per_s("cuda:0");
  ASSERT_TRUE(rate.has_value());
  EXPECT_GT(*rate, 1e11);
  EXPECT_LT(*rate, 1e13);
}

TEST(MemoryStats, ReportsPeakRssOnCpu) {
  reset_peak_memory("cpu");
  json m = peak_memory("cpu");
  EXPECT_EQ(m["source"], "rss");
  EXPECT_GT(m["peak_bytes"].get<int64_t>(), 1 << 20);
}
