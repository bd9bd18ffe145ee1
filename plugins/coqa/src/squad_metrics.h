// SQuAD answer scoring as transformers.data.metrics.squad_metrics does it (normalize_answer,
// compute_exact, compute_f1), and CoQA's multi-gold rule as lm-evaluation-harness's coqa/utils.py
// compute_scores does it. Inputs are UTF-8; the text rules are Python's (see python_text.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lq::coqa {

// Lower case, drop ASCII punctuation (string.punctuation), replace the words a/an/the by a space,
// collapse whitespace.
std::string normalize_answer(std::string_view text);

int compute_exact(std::string_view gold, std::string_view prediction);
double compute_f1(std::string_view gold, std::string_view prediction);

struct TurnScore {
  double em = 0;
  double f1 = 0;
};

// With one gold: that gold's scores. With several: for each gold, the best score against the others
// (leave-one-out), averaged over the golds. `golds` must not be empty.
TurnScore score_against_golds(const std::vector<std::string>& golds, std::string_view prediction);

}  // namespace lq::coqa
