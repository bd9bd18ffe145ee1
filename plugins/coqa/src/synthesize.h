// A synthetic CoQA-format data set shaped like the official dev set, for timing an evaluation where the
// dev set itself is not at hand. Its text is real English: every passage is a run of sentences, every
// question and answer a question and answer, drawn from one domain of a source set (the embedded
// CC BY 4.0 sample), so that a tokenizer gives realistic token counts. The conversations make no sense;
// scores on it mean nothing. Every story is marked: id "synth-0001", source "synth-<domain>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "coqa_data.h"

namespace lq::coqa {

// What the official dev set looks like (coqa-dev-v1.0.json; Reddy, Chen and Manning, "CoQA: A
// Conversational Question Answering Challenge", TACL 2019):
//  - 500 passages, 100 from each of five domains (paper, section 3.2 and Table 2), and 7,983 questions
//    in the file, so 15.97 turns per story; turns are drawn from 10..22 and nudged to that total.
//  - 271 words per passage, 5.5 per question, 2.7 per answer: the paper's averages over the whole data
//    set (its comparison with SQuAD and QuAC). Table 2's passage lengths of the five dev domains average
//    263 words, so 271 errs long by about 3%. Passage targets are spread uniformly over 271 +- 100.
struct DevSetShape {
  static constexpr size_t kStories = 500;
  static constexpr size_t kQuestions = 7983;
  static constexpr size_t kMinTurns = 10, kMaxTurns = 22;
  static constexpr double kPassageWords = 271, kQuestionWords = 5.5, kAnswerWords = 2.7;
  static constexpr size_t kPassageSpread = 100;
};

// The CoQA JSON text of `stories` synthetic stories drawn from `source` with SplitMix64 seeded with
// `seed`: the same bytes for the same arguments on every platform. Domains are the sources of `source`
// in order of first appearance, assigned round-robin. Each turn keeps the alternative answers of the
// source turn its answer came from, as `additional_answers`. Throws lq::Error when `stories` is 0.
std::string synthesize_dataset_json(const Dataset& source, size_t stories, uint64_t seed);

}  // namespace lq::coqa
