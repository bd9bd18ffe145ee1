#include "shape_stats.h"

#include <algorithm>

#include "python_text.h"

namespace lq::coqa {

size_t word_count(std::string_view text) { return py_split(utf8_decode(text)).size(); }

ShapeStats shape_stats(const Dataset& data) {
  ShapeStats s;
  s.stories = data.stories.size();
  if (s.stories == 0) return s;
  size_t passage = 0, question = 0, answer = 0;
  s.min_turns = data.stories.front().turns.size();
  for (const Story& story : data.stories) {
    passage += word_count(story.story);
    s.questions += story.turns.size();
    s.min_turns = std::min(s.min_turns, story.turns.size());
    s.max_turns = std::max(s.max_turns, story.turns.size());
    ++s.stories_per_source[story.source];
    for (const Turn& t : story.turns) {
      question += word_count(t.question);
      answer += word_count(t.answers.front());
    }
  }
  s.turns_per_story = static_cast<double>(s.questions) / static_cast<double>(s.stories);
  s.passage_words = static_cast<double>(passage) / static_cast<double>(s.stories);
  if (s.questions > 0) {
    s.question_words = static_cast<double>(question) / static_cast<double>(s.questions);
    s.answer_words = static_cast<double>(answer) / static_cast<double>(s.questions);
  }
  return s;
}

}  // namespace lq::coqa
