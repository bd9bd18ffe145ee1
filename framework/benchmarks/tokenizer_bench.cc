// Tokenizer throughput on one core: encoding a 5,000-word story (Llama 3 and SmolLM2 tokenizers from
// tests/fixtures/tokenizer), encoding words the word cache has not seen, decoding, and loading
// tokenizer.json. items_per_second and tokens_per_s are tokens/s; s_per_100_tokens is the target metric
// (the goal: well under a millisecond per 100 tokens).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>

#include "tokenizer/bpe_tokenizer.h"

namespace {

const std::filesystem::path kFixtures = std::filesystem::path(LQ_SOURCE_DIR) / "tests/fixtures/tokenizer";

std::shared_ptr<lq::Tokenizer> fixture(const std::string& model) {
  static std::map<std::string, std::shared_ptr<lq::Tokenizer>> loaded;
  auto& t = loaded[model];
  if (!t) t = lq::load_tokenizer_json(kFixtures / model / "tokenizer.json");
  return t;
}

// The fixture story, repeated to 5,000 words.
std::string story_5000_words() {
  std::ifstream in(kFixtures / "story.txt");
  std::stringstream s;
  s << in.rdbuf();
  std::string story = s.str(), text;
  size_t words = 0;
  while (words < 5000) {
    text += story + "\n";
    std::istringstream count(story);
    words += std::distance(std::istream_iterator<std::string>(count), std::istream_iterator<std::string>());
  }
  return text;
}

// Words of random letters, more of them than the word cache keeps, so that most need BPE every time.
std::string distinct_words(size_t n) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> letter('a', 'z'), length(2, 10);
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text += ' ';
    for (int k = length(rng); k > 0; --k) text += static_cast<char>(letter(rng));
  }
  return text;
}

void report(benchmark::State& state, int64_t tokens_per_iteration) {
  state.SetItemsProcessed(state.iterations() * tokens_per_iteration);
  state.counters["tokens"] = static_cast<double>(tokens_per_iteration);
  state.counters["tokens_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * tokens_per_iteration), benchmark::Counter::kIsRate);
  // Seconds per 100 tokens (an inverted rate); the console prints it with an SI prefix, "u" for us.
  state.counters["s_per_100_tokens"] =
      benchmark::Counter(static_cast<double>(state.iterations() * tokens_per_iteration) / 100.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Encodes `text` with `model`'s tokenizer once per iteration.
void encode_text(benchmark::State& state, const std::string& model, const std::string& text) {
  auto t = fixture(model);
  int64_t tokens = 0;
  for (auto _ : state) {
    auto ids = t->encode(text);
    tokens = static_cast<int64_t>(ids.size());
    benchmark::DoNotOptimize(ids.data());
  }
  report(state, tokens);
}

void BM_EncodeStory(benchmark::State& state, const std::string& model) {
  encode_text(state, model, story_5000_words());
}

// Every word new to the merge cache: the cost of BPE itself.
void BM_EncodeUncachedWords(benchmark::State& state, const std::string& model) {
  encode_text(state, model, distinct_words(300000));
}

void BM_DecodeStory(benchmark::State& state, const std::string& model) {
  auto t = fixture(model);
  const auto ids = t->encode(story_5000_words());
  for (auto _ : state) benchmark::DoNotOptimize(t->decode(ids));
  report(state, static_cast<int64_t>(ids.size()));
}

void BM_LoadTokenizerJson(benchmark::State& state, const std::string& model) {
  for (auto _ : state)
    benchmark::DoNotOptimize(lq::load_tokenizer_json(kFixtures / model / "tokenizer.json"));
}

BENCHMARK_CAPTURE(BM_EncodeStory, llama3, std::string("llama3"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_EncodeStory, smollm2, std::string("smollm2"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_EncodeUncachedWords, llama3, std::string("llama3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeStory, llama3, std::string("llama3"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LoadTokenizerJson, llama3, std::string("llama3"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
