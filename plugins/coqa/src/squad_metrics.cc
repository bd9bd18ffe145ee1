#include "squad_metrics.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "python_text.h"

namespace lq::coqa {
namespace {

bool is_ascii_punctuation(char32_t c) {
  static constexpr std::u32string_view kPunctuation = U"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  return kPunctuation.find(c) != std::u32string_view::npos;
}

bool is_article(std::u32string_view word) { return word == U"a" || word == U"an" || word == U"the"; }

std::u32string normalize(std::string_view text) {
  std::u32string lowered = py_lower(utf8_decode(text));
  std::u32string no_punct;
  no_punct.reserve(lowered.size());
  for (char32_t c : lowered)
    if (!is_ascii_punctuation(c)) no_punct.push_back(c);
  // re.sub(r"\b(a|an|the)\b", " ", s): a match is all word characters with a boundary on both sides,
  // i.e. a maximal run of word characters that is exactly an article.
  std::u32string no_articles;
  no_articles.reserve(no_punct.size());
  for (size_t i = 0; i < no_punct.size();) {
    if (!py_isword(no_punct[i])) {
      no_articles.push_back(no_punct[i++]);
      continue;
    }
    size_t end = i;
    while (end < no_punct.size() && py_isword(no_punct[end])) ++end;
    std::u32string_view word(no_punct.data() + i, end - i);
    if (is_article(word))
      no_articles.push_back(U' ');
    else
      no_articles.append(word);
    i = end;
  }
  std::u32string out;
  for (const auto& token : py_split(no_articles)) {
    if (!out.empty()) out.push_back(U' ');
    out += token;
  }
  return out;
}

}  // namespace

std::string normalize_answer(std::string_view text) { return utf8_encode(normalize(text)); }

int compute_exact(std::string_view gold, std::string_view prediction) {
  return normalize(gold) == normalize(prediction) ? 1 : 0;
}

double compute_f1(std::string_view gold, std::string_view prediction) {
  const std::vector<std::u32string> gold_tokens = py_split(normalize(gold));
  const std::vector<std::u32string> pred_tokens = py_split(normalize(prediction));
  if (gold_tokens.empty() || pred_tokens.empty()) return gold_tokens == pred_tokens ? 1 : 0;
  std::map<std::u32string, int> gold_counts;
  for (const auto& t : gold_tokens) ++gold_counts[t];
  int num_same = 0;
  for (const auto& t : pred_tokens) {
    auto it = gold_counts.find(t);
    if (it != gold_counts.end() && it->second > 0) {
      --it->second;
      ++num_same;
    }
  }
  if (num_same == 0) return 0;
  // The same operations, in the same order, as squad_metrics, so the doubles agree bit for bit.
  double precision = 1.0 * num_same / static_cast<double>(pred_tokens.size());
  double recall = 1.0 * num_same / static_cast<double>(gold_tokens.size());
  return (2 * precision * recall) / (precision + recall);
}

TurnScore score_against_golds(const std::vector<std::string>& golds, std::string_view prediction) {
  if (golds.empty()) throw std::invalid_argument("score_against_golds: no gold answers");
  double em_sum = 0, f1_sum = 0;
  if (golds.size() == 1) {
    em_sum += compute_exact(golds[0], prediction);
    f1_sum += compute_f1(golds[0], prediction);
  } else {
    for (size_t i = 0; i < golds.size(); ++i) {
      double best_em = 0, best_f1 = 0;
      for (size_t j = 0; j < golds.size(); ++j) {
        if (j == i) continue;
        best_em = std::max<double>(best_em, compute_exact(golds[j], prediction));
        best_f1 = std::max(best_f1, compute_f1(golds[j], prediction));
      }
      em_sum += best_em;
      f1_sum += best_f1;
    }
  }
  const double n = static_cast<double>(golds.size());
  return {em_sum / n, f1_sum / n};
}

}  // namespace lq::coqa
