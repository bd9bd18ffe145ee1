#include "synthesize.h"

#include <algorithm>
#include <cmath>
#include <llama_quant/diagnostics.h>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "sampling.h"
#include "shape_stats.h"

namespace lq::coqa {
namespace {

using ordered = nlohmann::ordered_json;

struct Piece {
  std::vector<std::string> texts;  // a sentence or question; an answer and its alternatives
  int64_t words = 0;               // of texts[0]
};

struct Domain {
  std::string name;
  std::vector<Piece> sentences, questions, answers;
  std::vector<size_t> openings;  // the order in which stories of this domain take their first sentence
  size_t next_opening = 0;
};

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Whether the word ending just before `dot` is a title that a period does not end a sentence after.
bool after_title(std::string_view text, size_t dot) {
  size_t start = dot;
  while (start > 0 && !is_space(text[start - 1])) --start;
  const std::string_view word = text.substr(start, dot - start);
  return word == "Mr" || word == "Mrs" || word == "Ms" || word == "Dr" || word == "St";
}

// The passage's sentences: each ends at . ! or ? (with any closing quotes or bracket) before whitespace.
std::vector<std::string> split_sentences(std::string_view text) {
  static const std::string_view kClosers[] = {"\"", "'", ")", "\u201d", "\u2019"};
  std::vector<std::string> out;
  size_t start = 0;
  auto flush = [&](size_t end) {
    while (start < end && is_space(text[start])) ++start;
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '.' && text[i] != '!' && text[i] != '?') continue;
    if (text[i] == '.' && after_title(text, i)) continue;
    size_t end = i + 1;
    for (bool more = true; more;) {
      more = false;
      for (std::string_view closer : kClosers)
        if (text.substr(end, closer.size()) == closer) {
          end += closer.size();
          more = true;
        }
    }
    if (end == text.size() || is_space(text[end])) {
      flush(end);
      i = end - 1;
    }
  }
  flush(text.size());
  return out;
}

Piece piece(std::vector<std::string> texts) {
  const auto words = static_cast<int64_t>(word_count(texts.front()));
  return {std::move(texts), words};
}

std::vector<Domain> domains_of(const Dataset& source, size_t alternatives, SplitMix64& rng) {
  std::vector<Domain> domains;
  for (const Story& story : source.stories) {
    auto it =
        std::find_if(domains.begin(), domains.end(), [&](const Domain& d) { return d.name == story.source; });
    if (it == domains.end()) {
      domains.push_back({story.source, {}, {}, {}, {}, 0});
      it = domains.end() - 1;
    }
    for (std::string& s : split_sentences(story.story)) it->sentences.push_back(piece({std::move(s)}));
    for (const Turn& t : story.turns) {
      it->questions.push_back(piece({t.question}));
      it->answers.push_back(
          piece({t.answers.begin(), t.answers.begin() + 1 + static_cast<std::ptrdiff_t>(alternatives)}));
    }
  }
  for (Domain& d : domains) {
    // A fixed shuffled cycle: two stories open alike only when a whole cycle apart, so a prefix cache
    // finds no more across stories than it would in real passages.
    d.openings.resize(d.sentences.size());
    for (size_t i = 0; i < d.openings.size(); ++i) d.openings[i] = i;
    for (size_t i = d.openings.size(); i > 1; --i) std::swap(d.openings[i - 1], d.openings[rng.below(i)]);
  }
  return domains;
}

// Running word count of the pieces picked so far, steered towards a target mean. Integer arithmetic
// (hundredths of a word), so that no platform rounds a comparison differently.
struct Steered {
  int64_t target_x100;
  int64_t words = 0;
  int64_t count = 0;

  // Of two random pieces, the one that leaves the running mean nearer the target: real text whose
  // average follows the published one although the source's average differs.
  const Piece& pick(const std::vector<Piece>& pool, SplitMix64& rng) {
    const Piece& a = pool[rng.below(pool.size())];
    const Piece& b = pool[rng.below(pool.size())];
    const int64_t goal_x100 = target_x100 * (count + 1) - 100 * words;
    const Piece& chosen =
        std::llabs(100 * a.words - goal_x100) <= std::llabs(100 * b.words - goal_x100) ? a : b;
    words += chosen.words;
    ++count;
    return chosen;
  }
};

// Sentences until the passage is as near `target` words as the next sentence allows, without repeating
// one until the domain's sentences are used up; a blank line every four sentences.
std::string passage(Domain& d, int64_t target, SplitMix64& rng) {
  std::vector<bool> used(d.sentences.size(), false);
  size_t used_count = 0;
  std::string text;
  int64_t words = 0;
  for (size_t n = 0;; ++n) {
    size_t i;
    if (n == 0) {
      i = d.openings[d.next_opening];
      d.next_opening = (d.next_opening + 1) % d.openings.size();
    } else {
      if (used_count == used.size()) {
        std::fill(used.begin(), used.end(), false);
        used_count = 0;
      }
      do i = rng.below(d.sentences.size());
      while (used[i]);
    }
    const Piece& s = d.sentences[i];
    if (n > 0 && 2 * words + s.words > 2 * target) return text;
    used[i] = true;
    ++used_count;
    if (n > 0) text += n % 4 == 0 ? "\n\n" : " ";
    text += s.texts.front();
    words += s.words;
  }
}

// Turns per story from kMinTurns..kMaxTurns, then moved one at a time (at random stories, within those
// bounds) until they add up to the dev set's 7,983 questions per 500 stories.
std::vector<size_t> turn_counts(size_t stories, SplitMix64& rng) {
  using S = DevSetShape;
  std::vector<size_t> turns(stories);
  size_t sum = 0;
  for (size_t& t : turns) sum += t = S::kMinTurns + rng.below(S::kMaxTurns - S::kMinTurns + 1);
  const size_t total = (stories * S::kQuestions + S::kStories / 2) / S::kStories;
  while (sum != total) {
    size_t& t = turns[rng.below(stories)];
    if (sum > total && t > S::kMinTurns) --t, --sum;
    if (sum < total && t < S::kMaxTurns) ++t, ++sum;
  }
  return turns;
}

ordered turn_list(const std::vector<std::string>& texts) {
  ordered list = ordered::array();
  for (size_t i = 0; i < texts.size(); ++i)
    list.push_back({{"input_text", texts[i]}, {"turn_id", static_cast<int64_t>(i + 1)}});
  return list;
}

}  // namespace

std::string synthesize_dataset_json(const Dataset& source, size_t stories, uint64_t seed) {
  using S = DevSetShape;
  if (stories == 0) throw Error("coqa-synthesize: the number of stories must be at least 1");
  size_t alternatives = SIZE_MAX;  // additional answers every source turn has
  for (const Story& s : source.stories)
    for (const Turn& t : s.turns) alternatives = std::min(alternatives, t.answers.size() - 1);
  SplitMix64 rng(seed);
  std::vector<Domain> domains = domains_of(source, alternatives, rng);
  const std::vector<size_t> turns = turn_counts(stories, rng);
  Steered questions{std::llround(S::kQuestionWords * 100)}, answers{std::llround(S::kAnswerWords * 100)};
  const size_t width = std::max<size_t>(4, std::to_string(stories).size());

  ordered data = ordered::array();
  for (size_t k = 0; k < stories; ++k) {
    Domain& d = domains[k % domains.size()];
    std::string id = std::to_string(k + 1);
    id = "synth-" + std::string(width - id.size(), '0') + id;
    const int64_t target = static_cast<int64_t>(S::kPassageWords) - static_cast<int64_t>(S::kPassageSpread) +
                           static_cast<int64_t>(rng.below(2 * S::kPassageSpread + 1));
    ordered story = {{"source", "synth-" + d.name},
                     {"id", id},
                     {"filename", "synthetic"},
                     {"story", passage(d, target, rng)}};
    std::vector<std::string> q, a;
    std::vector<std::vector<std::string>> extra(alternatives);
    for (size_t t = 0; t < turns[k]; ++t) {
      q.push_back(questions.pick(d.questions, rng).texts.front());
      const Piece& answer = answers.pick(d.answers, rng);
      a.push_back(answer.texts.front());
      for (size_t j = 0; j < alternatives; ++j) extra[j].push_back(answer.texts[j + 1]);
    }
    story["questions"] = turn_list(q);
    story["answers"] = turn_list(a);
    if (alternatives > 0) {
      ordered additional = ordered::object();
      for (size_t j = 0; j < alternatives; ++j) additional[std::to_string(j)] = turn_list(extra[j]);
      story["additional_answers"] = additional;
    }
    data.push_back(std::move(story));
  }

  ordered root = {{"version", "lq-synthetic-1.0"},
                  {"synthetic",
                   {{"what", "CoQA dev-set-shaped timing workload; text drawn from " + source.origin +
                                 ", conversations meaningless, scores not comparable to CoQA"},
                    {"generator", "llama-quant coqa-synthesize"},
                    {"stories", stories},
                    {"seed", seed},
                    {"source_sha256", source.sha256}}},
                  {"data", std::move(data)}};
  std::string text = root.dump(1) + "\n";
  // A file of exactly the official dev set's size is taken for a damaged copy of it and refused.
  if (text.size() == kOfficialDevBytes) text += "\n";
  return text;
}

}  // namespace lq::coqa
