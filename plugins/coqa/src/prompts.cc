#include "prompts.h"

#include <algorithm>

#include "python_text.h"

namespace lq::coqa {

std::optional<Variant> parse_variant(std::string_view name) {
  if (name == "coqa") return Variant::kAllTurns;
  if (name == "coqa_last_turn") return Variant::kLastTurn;
  return std::nullopt;
}

std::string variant_name(Variant v) { return v == Variant::kAllTurns ? "coqa" : "coqa_last_turn"; }

std::string build_prompt(const Story& story, int turn) {
  std::string out = story.story + "\n\n";
  for (int t = 1; t < turn; ++t) {
    const Turn& earlier = story.turns[t - 1];
    out += "Q: " + earlier.question + "\n\nA: " + earlier.answers[0] + "\n\n";
  }
  out += "Q: " + story.turns[turn - 1].question + "\n\nA:";
  return out;
}

std::vector<std::string> golds_for_turn(const Story& story, int turn) {
  const Turn& t = story.turns[turn - 1];
  std::vector<std::string> golds;
  std::vector<std::u32string> lowered;
  for (const auto& answer : t.answers) {
    std::u32string low = py_lower(utf8_decode(answer));
    if (!golds.empty() && std::find(lowered.begin(), lowered.end(), low) != lowered.end()) continue;
    golds.push_back(answer);
    lowered.push_back(std::move(low));
  }
  return golds;
}

std::vector<Prompt> build_prompts(const Dataset& data, const std::vector<size_t>& stories, Variant variant) {
  std::vector<Prompt> prompts;
  for (size_t index : stories) {
    const Story& s = data.stories.at(index);
    const int last = static_cast<int>(s.turns.size());
    for (int turn = variant == Variant::kAllTurns ? 1 : last; turn <= last; ++turn)
      prompts.push_back({index, turn, build_prompt(s, turn), golds_for_turn(s, turn)});
  }
  return prompts;
}

std::string extract_prediction(std::string_view generation) {
  std::u32string text = utf8_decode(generation);
  std::u32string_view stripped = py_strip(text);
  return utf8_encode(stripped.substr(0, stripped.find(U'\n')));
}

}  // namespace lq::coqa
