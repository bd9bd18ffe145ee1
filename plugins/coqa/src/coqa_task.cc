#include "coqa_task.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "coqa_data.h"
#include "python_text.h"
#include "sampling.h"
#include "scoring.h"
#include <llama_quant/sha256.h>

namespace lq::coqa {
namespace {

std::string valid_utf8(const std::string& text) { return utf8_encode(utf8_decode(text)); }

template <class T>
json optional_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

void CoqaTask::configure(const Params& params, Diagnostics& diag) {
  params.check_keys({"variant", "data", "max_new_tokens", "record_margins"}, diag);
  variant_ = *parse_variant(params.one_of("variant", "coqa", {"coqa", "coqa_last_turn"}, diag));
  data_ = params.get<std::string>("data", "", diag);
  if (params.has("data") && params.json_value()["data"].is_string() && data_.empty())
    diag.error(params.location("data"), "'data' must name a file");
  max_new_tokens_ = params.get<int64_t>("max_new_tokens", kDefaultMaxNewTokens, diag);
  record_margins_ = params.get<bool>("record_margins", false, diag);
  if (max_new_tokens_ < 1)
    diag.error(params.location("max_new_tokens"),
               "'max_new_tokens' must be at least 1, got " + std::to_string(max_new_tokens_));
}

TaskResult CoqaTask::evaluate(Generator& generator, const TaskContext& context) {
  std::filesystem::path path = data_;
  if (!data_.empty() && path.is_relative() && !context.config_dir.empty()) path = context.config_dir / path;
  const Dataset data = data_.empty() ? embedded_sample() : load_dataset(path);
  const std::vector<size_t> chosen = select_stories(data.stories.size(), context.limit, context.limit_seed);
  const std::vector<Prompt> prompts = build_prompts(data, chosen, variant_);

  // Progress is reported in stories: after k prompts, stories_done[k] stories are finished.
  std::vector<int64_t> stories_done(prompts.size() + 1, 0);
  for (size_t k = 1; k <= prompts.size(); ++k)
    stories_done[k] = stories_done[k - 1] +
                      (k == prompts.size() || prompts[k].story_index != prompts[k - 1].story_index ? 1 : 0);
  const auto total_stories = static_cast<int64_t>(chosen.size());
  ProgressFn progress;
  if (context.progress) {
    context.progress(0, total_stories);
    progress = [&](int64_t done, int64_t) {
      const auto k = static_cast<size_t>(std::clamp<int64_t>(done, 0, static_cast<int64_t>(prompts.size())));
      context.progress(stories_done[k], total_stories);
    };
  }

  std::vector<std::string> texts;
  texts.reserve(prompts.size());
  for (const auto& p : prompts) texts.push_back(p.text);
  GenerationOptions options;
  options.max_new_tokens = max_new_tokens_;
  options.stop = {std::string(kStop)};
  options.record_margins = record_margins_;
  const std::vector<Generation> generations = generator.generate(texts, options, progress);
  if (generations.size() != prompts.size())
    throw Error("coqa: the generator returned " + std::to_string(generations.size()) + " generations for " +
                std::to_string(prompts.size()) + " prompts");

  TaskResult result;
  std::vector<ScoredTurn> scored;
  scored.reserve(prompts.size());
  int64_t prompt_tokens = 0, reused_tokens = 0, new_tokens = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Prompt& p = prompts[i];
    const Generation& g = generations[i];
    const Story& story = data.stories[p.story_index];
    scored.push_back(score_turn(story, p.turn, p.golds, extract_prediction(g.text)));
    const ScoredTurn& s = scored.back();
    result.samples.push_back({{"id", story.id},
                              {"turn", p.turn},
                              {"source", story.source},
                              {"prompt_sha256", sha256_hex(p.text)},
                              {"prediction", s.prediction},
                              {"raw_generation", valid_utf8(g.raw_text)},
                              {"finish_reason", g.finish_reason},
                              {"golds", s.golds},
                              {"em", s.em},
                              {"f1", s.f1}});
    if (record_margins_) {
      result.samples.back()["tokens"] = g.tokens;
      result.samples.back()["margins"] = g.margins;
    }
    prompt_tokens += g.prompt_tokens;
    reused_tokens += g.reused_tokens;
    new_tokens += g.new_tokens;
  }
  if (context.progress) context.progress(total_stories, total_stories);

  result.metrics = aggregate_metrics(scored);
  result.details = {{"variant", variant_name(variant_)},
                    {"data", {{"origin", data.origin}, {"sha256", data.sha256}, {"embedded", data_.empty()}}},
                    {"counts",
                     {{"stories_total", data.stories.size()},
                      {"stories_evaluated", chosen.size()},
                      {"prompts", prompts.size()}}},
                    {"limit", optional_json(context.limit)},
                    {"limit_seed", optional_json(context.limit ? context.limit_seed : std::nullopt)},
                    {"per_source", per_source_metrics(scored)},
                    {"generation",
                     {{"greedy", true},
                      {"stop", options.stop},
                      {"max_new_tokens", max_new_tokens_},
                      {"record_margins", record_margins_},
                      {"prompt_tokens", prompt_tokens},
                      {"reused_prompt_tokens", reused_tokens},
                      {"new_tokens", new_tokens}}},
                    {"scoring",
                     {{"metric", "SQuAD EM/F1, leave-one-out over golds (lm-evaluation-harness coqa v3)"},
                      {"stderr", "sample standard deviation / sqrt(n) (harness mean_stderr)"},
                      {"python_unicode_version", python_unicode_version()}}}};
  return result;
}

}  // namespace lq::coqa
