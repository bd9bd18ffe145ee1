// Scoring predictions turn by turn and aggregating them into the reported metrics.
#pragma once

#include <llama_quant/params.h>
#include <string>
#include <vector>

#include "coqa_data.h"
#include "prompts.h"

namespace lq::coqa {

struct ScoredTurn {
  const Story* story = nullptr;
  int turn = 0;
  std::vector<std::string> golds;
  std::string prediction;  // after extract_prediction
  double em = 0;
  double f1 = 0;
};

ScoredTurn score_turn(const Story& story, int turn, std::vector<std::string> golds, std::string prediction);

// {"f1", "f1_stderr", "em", "em_stderr"} over all turns (stderr null below two turns).
json aggregate_metrics(const std::vector<ScoredTurn>& turns);
// {source: {f1, f1_stderr, em, em_stderr, prompts, stories}}, keyed by the stories' `source`.
json per_source_metrics(const std::vector<ScoredTurn>& turns);

}  // namespace lq::coqa
