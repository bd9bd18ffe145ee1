#include "scoring.h"

#include <cmath>
#include <map>
#include <set>

#include "squad_metrics.h"
#include "stats.h"

namespace lq::coqa {
namespace {

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json metrics_of(const std::vector<const ScoredTurn*>& turns) {
  std::vector<double> em, f1;
  for (const auto* t : turns) {
    em.push_back(t->em);
    f1.push_back(t->f1);
  }
  return {{"f1", number_or_null(mean(f1))},
          {"f1_stderr", number_or_null(mean_stderr(f1))},
          {"em", number_or_null(mean(em))},
          {"em_stderr", number_or_null(mean_stderr(em))}};
}

}  // namespace

ScoredTurn score_turn(const Story& story, int turn, std::vector<std::string> golds, std::string prediction) {
  TurnScore s = score_against_golds(golds, prediction);
  return {&story, turn, std::move(golds), std::move(prediction), s.em, s.f1};
}

json aggregate_metrics(const std::vector<ScoredTurn>& turns) {
  std::vector<const ScoredTurn*> all;
  for (const auto& t : turns) all.push_back(&t);
  return metrics_of(all);
}

json per_source_metrics(const std::vector<ScoredTurn>& turns) {
  std::map<std::string, std::vector<const ScoredTurn*>> groups;
  for (const auto& t : turns) groups[t.story->source].push_back(&t);
  json out = json::object();
  for (const auto& [source, group] : groups) {
    std::set<const Story*> stories;
    for (const auto* t : group) stories.insert(t->story);
    json m = metrics_of(group);
    m["prompts"] = group.size();
    m["stories"] = stories.size();
    out[source] = m;
  }
  return out;
}

}  // namespace lq::coqa
