// Prefill and decode throughput of LlamaGenerator on the CPU: a small random model (4 layers, hidden
// 256, vocab 8192) always, and SmolLM2-135M-Instruct when models/ has it. Times are manual (the
// generator synchronises the device), items are tokens, so items_per_second is tokens/s.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

#include "generation/llama_generator.h"

#if __has_include("model/model_files.h")
#include "model/model_files.h"
#define LQ_HAVE_MODEL_FILES 1
#endif

namespace {

// Weights drawn on demand: normal(0, 0.05) matrices, unit norms.
class RandomWeights : public lq::WeightSource {
 public:
  std::vector<std::string> names() const override { return {}; }
  bool has(const std::string&) const override { return false; }  // no lm_head: tied
  at::Tensor load(const std::string& name, at::ScalarType dtype,
                  const std::vector<int64_t>& shape) const override {
    if (shape.size() == 1) return at::ones(shape, dtype);
    return (at::randn(shape) * 0.05).to(dtype);
  }
  std::string describe() const override { return "random"; }
};

std::shared_ptr<const lq::LlamaModel> small_model() {
  static std::shared_ptr<const lq::LlamaModel> model = [] {
    lq::LlamaConfig c;
    c.vocab_size = 8192;
    c.hidden_size = 256;
    c.intermediate_size = 704;
    c.num_hidden_layers = 4;
    c.num_attention_heads = 8;
    c.num_key_value_heads = 4;
    c.head_dim = 32;
    c.tie_word_embeddings = true;
    at::manual_seed(0);
    return std::shared_ptr<const lq::LlamaModel>(
        lq::LlamaModel::load(c, RandomWeights(), at::kCPU, at::kFloat));
  }();
  return model;
}

std::shared_ptr<const lq::LlamaModel> smollm2() {
#ifdef LQ_HAVE_MODEL_FILES
  static std::shared_ptr<const lq::LlamaModel> model = []() -> std::shared_ptr<const lq::LlamaModel> {
    const auto path = std::filesystem::path(LQ_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!std::filesystem::exists(path)) return nullptr;
    return lq::LlamaModel::load(lq::open_model_files(path), at::kCPU, at::kFloat);
  }();
  return model;
#else
  return nullptr;
#endif
}

std::vector<std::vector<lq::TokenId>> prompts(const lq::LlamaModel& m, int64_t batch, int64_t length) {
  at::manual_seed(1);
  std::vector<std::vector<lq::TokenId>> out;
  for (int64_t b = 0; b < batch; ++b) {
    at::Tensor ids = at::randint(0, m.config().vocab_size, {length}, at::kLong);
    out.emplace_back(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + length);
  }
  return out;
}

// Args: batch, prompt length.
void prefill(benchmark::State& state, std::shared_ptr<const lq::LlamaModel> (*make)()) {
  auto model = make();
  if (!model) return state.SkipWithError("model not available (models/ lacks it)");
  lq::LlamaGenerator gen(model, nullptr);
  auto batch = prompts(*model, state.range(0), state.range(1));
  for (auto _ : state) state.SetIterationTime(gen.time_generation(batch, 1).prefill_s);
  state.SetItemsProcessed(state.iterations() * state.range(0) * state.range(1));
}

// Args: batch, prompt length, new tokens.
void decode(benchmark::State& state, std::shared_ptr<const lq::LlamaModel> (*make)()) {
  auto model = make();
  if (!model) return state.SkipWithError("model not available (models/ lacks it)");
  lq::LlamaGenerator gen(model, nullptr);
  auto batch = prompts(*model, state.range(0), state.range(1));
  for (auto _ : state) state.SetIterationTime(gen.time_generation(batch, state.range(2)).decode_s);
  state.SetItemsProcessed(state.iterations() * state.range(0) * (state.range(2) - 1));
}

BENCHMARK_CAPTURE(prefill, small_random, small_model)
    ->Args({1, 128})
    ->Args({8, 128})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decode, small_random, small_model)
    ->Args({1, 64, 33})
    ->Args({8, 64, 33})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(prefill, smollm2, smollm2)
    ->Args({1, 128})
    ->Args({8, 128})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decode, smollm2, smollm2)
    ->Args({1, 64, 33})
    ->Args({8, 64, 33})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
