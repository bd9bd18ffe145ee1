// The shape of a CoQA data set: how many stories and turns, and how long its passages, questions and
// answers are in words (Python's len(text.split()), the usual way such averages are counted).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "coqa_data.h"

namespace lq::coqa {

struct ShapeStats {
  size_t stories = 0;
  size_t questions = 0;
  size_t min_turns = 0, max_turns = 0;
  double turns_per_story = 0;
  double passage_words = 0;   // mean over stories
  double question_words = 0;  // mean over questions
  double answer_words = 0;    // mean over each turn's main answer
  std::map<std::string, size_t> stories_per_source;
};

size_t word_count(std::string_view text);
ShapeStats shape_stats(const Dataset& data);

}  // namespace lq::coqa
