// The CoQA evaluation task: parameters, data, one generate() call over every prompt, scoring, records.
#pragma once

#include <cstdint>
#include <llama_quant/task.h>
#include <string>

#include "prompts.h"

namespace lq::coqa {

// lm-evaluation-harness's default generation budget (HFLM.max_gen_toks).
constexpr int64_t kDefaultMaxNewTokens = 256;

class CoqaTask final : public EvalTask {
 public:
  // params: variant (coqa | coqa_last_turn, default coqa), data (a CoQA JSON file, relative to the
  // experiment file; default the embedded sample), max_new_tokens (default 256), record_margins (default
  // false: the samples carry each turn's token ids and logit margins).
  void configure(const Params& params, Diagnostics& diag) override;
  TaskResult evaluate(Generator& generator, const TaskContext& context) override;

 private:
  Variant variant_ = Variant::kAllTurns;
  std::string data_;
  int64_t max_new_tokens_ = kDefaultMaxNewTokens;
  bool record_margins_ = false;
};

}  // namespace lq::coqa
