// A generator for tests: canned answers, no model. Records the prompts and options it was given.
#pragma once

#include <functional>
#include <llama_quant/generator.h>
#include <string>
#include <vector>

namespace lq::coqa::test {

class NullTokenizer final : public Tokenizer {
 public:
  std::vector<TokenId> encode(std::string_view, bool) const override { return {}; }
  std::string decode(const std::vector<TokenId>&, bool) const override { return ""; }
  int64_t vocab_size() const override { return 0; }
  TokenId bos_id() const override { return -1; }
  std::vector<TokenId> eos_ids() const override { return {}; }
};

// Answers each prompt with the text `answer_for` gives, followed by the stop string, as a model would.
class CannedGenerator final : public Generator {
 public:
  std::function<std::string(const std::string&)> answer_for;
  std::vector<std::vector<std::string>> calls;
  GenerationOptions options;

  std::vector<Generation> generate(const std::vector<std::string>& prompts, const GenerationOptions& opts,
                                   const ProgressFn& progress) override {
    calls.push_back(prompts);
    options = opts;
    std::vector<Generation> out;
    for (size_t i = 0; i < prompts.size(); ++i) {
      Generation g;
      g.text = answer_for(prompts[i]);
      g.raw_text = g.text + "\nQ: and then?";
      g.prompt_tokens = 10;
      g.new_tokens = 3;
      g.finish_reason = "stop";
      if (opts.record_margins) g.tokens = {7, 8, 9}, g.margins = {0.5f, 0.0f, 2.25f};
      out.push_back(g);
      if (progress) progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(prompts.size()));
    }
    return out;
  }
  const Tokenizer& tokenizer() const override { return tokenizer_; }

 private:
  NullTokenizer tokenizer_;
};

}  // namespace lq::coqa::test
