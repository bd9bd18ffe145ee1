#include "fake_engine.h"

#include <chrono>
#include <cstdlib>
#include <map>

namespace lq::fake {
namespace {

constexpr int64_t kHidden = 32, kLayers = 2, kVocab = 256;

class ByteTokenizer final : public Tokenizer {
 public:
  std::vector<TokenId> encode(std::string_view text, bool) const override {
    return std::vector<TokenId>(text.begin(), text.end());
  }
  std::string decode(const std::vector<TokenId>& ids, bool) const override {
    return std::string(ids.begin(), ids.end());
  }
  int64_t vocab_size() const override { return kVocab; }
  TokenId bos_id() const override { return -1; }
  std::vector<TokenId> eos_ids() const override { return {}; }
};

// Answers "Q: say X\nA:" with "X".
class EchoGenerator final : public Generator {
 public:
  std::vector<Generation> generate(const std::vector<std::string>& prompts, const GenerationOptions&,
                                   const ProgressFn& progress) override {
    std::vector<Generation> out;
    for (const auto& p : prompts) {
      Generation g;
      auto start = p.find("say ");
      auto end = p.find('\n');
      g.text = g.raw_text = start == std::string::npos ? "" : p.substr(start + 4, end - start - 4);
      g.finish_reason = "stop";
      out.push_back(g);
      if (progress) progress(static_cast<int64_t>(out.size()), static_cast<int64_t>(prompts.size()));
    }
    return out;
  }
  const Tokenizer& tokenizer() const override { return tokenizer_; }

 private:
  ByteTokenizer tokenizer_;
};

class FakeEngine final : public ModelEngine, public BenchTarget {
 public:
  void load(const Experiment& e) override { seed_ = e.seed; }
  void quantize(QuantBackend& backend) override {
    at::manual_seed(static_cast<uint64_t>(seed_));
    std::vector<std::string> names{"lm_head"};
    for (int64_t l = 0; l < kLayers; ++l)
      for (const char* p : {"self_attn.q_proj", "self_attn.o_proj", "mlp.down_proj"})
        names.push_back("model.layers." + std::to_string(l) + "." + p);
    QuantizeContext ctx;
    for (const auto& name : names) {
      at::Tensor w = at::randn({kHidden, kHidden});
      layers_[name] = backend.wants(name) ? backend.quantize(name, w, ctx) : std::make_shared<DenseLinear>(w);
    }
  }
  std::string device() const override { return "cpu"; }
  int64_t weight_bytes() const override {
    int64_t total = 0;
    for (const auto& [name, layer] : layers_) total += layer->bytes();
    return total;
  }
  json describe() const override {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    return {{"layers", layers_.size()}, {"cuda_visible_devices", visible ? visible : ""}};
  }
  Generator& generator() override { return generator_; }
  BenchTarget& bench_target() override { return *this; }
  void release() override { layers_.clear(); }

  void prefill(const std::vector<std::vector<TokenId>>& prompts) override {
    forward(
        at::randn({static_cast<int64_t>(prompts.size()), static_cast<int64_t>(prompts[0].size()), kHidden}));
    batch_ = static_cast<int64_t>(prompts.size());
  }
  double decode_seconds(const std::vector<std::vector<TokenId>>& prompts, int64_t new_tokens) override {
    prefill(prompts);
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < new_tokens; ++i) forward(at::randn({batch_, 1, kHidden}));
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  int64_t vocab_size() const override { return kVocab; }
  int64_t max_positions() const override { return 64; }

 private:
  void forward(at::Tensor x) {
    for (const auto& [name, layer] : layers_) x = at::tanh(layer->forward(x));
  }

  uint64_t seed_ = 0;
  int64_t batch_ = 1;
  std::map<std::string, std::shared_ptr<Linear>> layers_;
  EchoGenerator generator_;
};

}  // namespace

std::unique_ptr<ModelEngine> make_fake_engine() { return std::make_unique<FakeEngine>(); }

}  // namespace lq::fake
