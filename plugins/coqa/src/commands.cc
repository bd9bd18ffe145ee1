#include "commands.h"

#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <llama_quant/diagnostics.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>

#include "coqa_data.h"
#include "prompts.h"
#include "scoring.h"
#include "shape_stats.h"
#include "synthesize.h"

namespace lq::coqa {
namespace {

using json = nlohmann::json;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr const char* kScoreUsage =
    "usage: llama-quant coqa-score --predictions FILE.jsonl [--data FILE] [--variant coqa|coqa_last_turn]\n"
    "  Scores saved predictions: JSON lines with 'id' (story id), 'turn' (1-based) and 'prediction'.\n"
    "  Predictions go through the same post-processing as generations (strip, first line).\n";
constexpr const char* kPromptsUsage =
    "usage: llama-quant coqa-prompts [--data FILE] [--variant coqa|coqa_last_turn] [--story ID] [--turn N]\n"
    "  Prints the exact prompts as JSON lines with 'id', 'turn', 'prompt' and 'golds'.\n";
constexpr const char* kSynthesizeUsage =
    "usage: llama-quant coqa-synthesize --out FILE.json [--stories N] [--seed S]\n"
    "  Writes a synthetic CoQA-format file shaped like the official dev set (default 500 stories,\n"
    "  seed 1) from the embedded sample's text, for timing evaluations; prints its shape as JSON.\n";

// --name VALUE or --name=VALUE for the names allowed; --help sets "help".
std::map<std::string, std::string> parse_options(const std::vector<std::string>& args,
                                                 const std::set<std::string>& allowed) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out["help"] = "";
      continue;
    }
    if (a.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + a + "'");
    std::string name = a.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
      value = args[++i];
    }
    if (!allowed.count(name)) throw UsageError("unknown option --" + name);
    out[name] = value;
  }
  return out;
}

Dataset load(const std::map<std::string, std::string>& opts) {
  auto it = opts.find("data");
  return it == opts.end() ? embedded_sample() : load_dataset(it->second);
}

Variant variant_of(const std::map<std::string, std::string>& opts) {
  auto it = opts.find("variant");
  if (it == opts.end()) return Variant::kAllTurns;
  auto v = parse_variant(it->second);
  if (!v) throw UsageError("--variant must be coqa or coqa_last_turn, got '" + it->second + "'");
  return *v;
}

std::vector<size_t> all_stories(const Dataset& d) {
  std::vector<size_t> out(d.stories.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

int score(const std::map<std::string, std::string>& opts, std::ostream& out) {
  if (!opts.count("predictions")) throw UsageError("--predictions is required");
  const std::string path = opts.at("predictions");
  const Variant variant = variant_of(opts);
  const Dataset data = load(opts);
  const std::vector<Prompt> prompts = build_prompts(data, all_stories(data), variant);
  std::map<std::pair<std::string, int>, size_t> expected;
  for (size_t i = 0; i < prompts.size(); ++i)
    expected[{data.stories[prompts[i].story_index].id, prompts[i].turn}] = i;

  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the predictions file");
  std::map<size_t, std::string> predictions;  // by prompt index, so turns are scored in data order
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    json rec;
    try {
      rec = json::parse(line);
    } catch (const json::parse_error& e) {
      throw Error(where + "not valid JSON: " + e.what());
    }
    if (!rec.is_object() || !rec.contains("id") || !rec["id"].is_string() || !rec.contains("turn") ||
        !rec["turn"].is_number_integer() || !rec.contains("prediction") || !rec["prediction"].is_string())
      throw Error(where +
                  "expected an object with 'id' (string), 'turn' (integer) and 'prediction' (string)");
    const std::string id = rec["id"].get<std::string>();
    const auto turn = rec["turn"].get<int64_t>();
    auto it = turn >= 1 && turn <= INT_MAX ? expected.find({id, static_cast<int>(turn)}) : expected.end();
    if (it == expected.end())
      throw Error(where + "story '" + id + "' turn " + std::to_string(turn) + " is not a " +
                  variant_name(variant) + " prompt of " + data.origin);
    if (!predictions.emplace(it->second, rec["prediction"].get<std::string>()).second)
      throw Error(where + "a second prediction for story '" + id + "' turn " + std::to_string(turn));
  }

  std::vector<ScoredTurn> scored;
  json per_turn = json::array();
  for (const auto& [index, text] : predictions) {
    const Prompt& p = prompts[index];
    const Story& story = data.stories[p.story_index];
    scored.push_back(score_turn(story, p.turn, p.golds, extract_prediction(text)));
    const ScoredTurn& s = scored.back();
    per_turn.push_back({{"id", story.id},
                        {"turn", p.turn},
                        {"prediction", s.prediction},
                        {"golds", s.golds},
                        {"em", s.em},
                        {"f1", s.f1}});
  }
  if (scored.empty()) throw Error(path + ": no predictions");
  json report = {{"variant", variant_name(variant)},
                 {"data", {{"origin", data.origin}, {"sha256", data.sha256}}},
                 {"metrics", aggregate_metrics(scored)},
                 {"per_source", per_source_metrics(scored)},
                 {"counts",
                  {{"predictions", scored.size()},
                   {"expected", prompts.size()},
                   {"missing", prompts.size() - scored.size()}}},
                 {"per_turn", per_turn}};
  out << report.dump(2) << "\n";
  return 0;
}

int print_prompts(const std::map<std::string, std::string>& opts, std::ostream& out) {
  const Variant variant = variant_of(opts);
  std::optional<int64_t> turn;
  if (auto it = opts.find("turn"); it != opts.end()) {
    try {
      size_t used = 0;
      turn = std::stoll(it->second, &used);
      if (used != it->second.size() || *turn < 1) throw std::invalid_argument("turn");
    } catch (const std::exception&) {
      throw UsageError("--turn must be a positive integer, got '" + it->second + "'");
    }
  }
  const Dataset data = load(opts);
  std::vector<size_t> stories = all_stories(data);
  if (auto it = opts.find("story"); it != opts.end()) {
    stories.clear();
    for (size_t i = 0; i < data.stories.size(); ++i)
      if (data.stories[i].id == it->second) stories.push_back(i);
    if (stories.empty()) throw Error(data.origin + ": no story with id '" + it->second + "'");
  }
  size_t printed = 0;
  for (const Prompt& p : build_prompts(data, stories, variant)) {
    if (turn && p.turn != *turn) continue;
    json line = {
        {"id", data.stories[p.story_index].id}, {"turn", p.turn}, {"prompt", p.text}, {"golds", p.golds}};
    out << line.dump() << "\n";
    ++printed;
  }
  if (printed == 0 && turn)
    throw Error(data.origin + ": no " + variant_name(variant) + " prompt has turn " + std::to_string(*turn));
  return 0;
}

// A decimal integer in [min, max] given as --name.
uint64_t count_option(const std::map<std::string, std::string>& opts, const std::string& name,
                      uint64_t fallback, uint64_t min, uint64_t max) {
  auto it = opts.find(name);
  if (it == opts.end()) return fallback;
  const std::string& text = it->second;
  uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 20;
  for (char c : text) {
    if (c < '0' || c > '9' || value > (UINT64_MAX - static_cast<uint64_t>(c - '0')) / 10) {
      ok = false;
      break;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || value < min || value > max)
    throw UsageError("--" + name + " must be an integer from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + text + "'");
  return value;
}

int synthesize(const std::map<std::string, std::string>& opts, std::ostream& out) {
  if (!opts.count("out")) throw UsageError("--out is required");
  const std::filesystem::path path = opts.at("out");
  if (path.filename() == kOfficialDevName)
    throw UsageError("--out must not be named " + std::string(kOfficialDevName) +
                     ": the reader would take it for the official dev set");
  const uint64_t stories = count_option(opts, "stories", DevSetShape::kStories, 1, 1000000);
  const uint64_t seed = count_option(opts, "seed", 1, 0, UINT64_MAX);
  const std::string text = synthesize_dataset_json(embedded_sample(), stories, seed);
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) throw Error(path.string() + ": cannot open for writing");
    file << text;
    file.close();
    if (!file) throw Error(path.string() + ": error while writing");
  }
  // Read back through the task's own reader: what is written is what an evaluation will load.
  const Dataset data = load_dataset(path);
  const ShapeStats s = shape_stats(data);
  json report = {{"out", path.string()},
                 {"sha256", data.sha256},
                 {"stories", s.stories},
                 {"seed", seed},
                 {"questions", s.questions},
                 {"turns_per_story", s.turns_per_story},
                 {"turns_range", {s.min_turns, s.max_turns}},
                 {"passage_words", s.passage_words},
                 {"question_words", s.question_words},
                 {"answer_words", s.answer_words},
                 {"stories_per_source", s.stories_per_source},
                 {"dev_set_reference",
                  {{"stories", DevSetShape::kStories},
                   {"questions", DevSetShape::kQuestions},
                   {"passage_words", DevSetShape::kPassageWords},
                   {"question_words", DevSetShape::kQuestionWords},
                   {"answer_words", DevSetShape::kAnswerWords}}}};
  out << report.dump(2) << "\n";
  return 0;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> command_summaries() {
  return {{"coqa-score", "score saved CoQA predictions (JSON lines) and print EM/F1 as JSON"},
          {"coqa-prompts", "print the exact CoQA prompts and gold answers as JSON lines"},
          {"coqa-synthesize", "write a synthetic CoQA file shaped like the dev set, for timing evaluations"}};
}

int run_command(const std::string& name, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err) {
  const char* usage = name == "coqa-score"        ? kScoreUsage
                      : name == "coqa-prompts"    ? kPromptsUsage
                      : name == "coqa-synthesize" ? kSynthesizeUsage
                                                  : nullptr;
  if (!usage) {
    err << "coqa: unknown command '" << name << "'\n";
    return 2;
  }
  try {
    auto opts = name == "coqa-score"     ? parse_options(args, {"data", "predictions", "variant"})
                : name == "coqa-prompts" ? parse_options(args, {"data", "variant", "story", "turn"})
                                         : parse_options(args, {"out", "stories", "seed"});
    if (opts.count("help")) {
      out << usage;
      return 0;
    }
    if (name == "coqa-score") return score(opts, out);
    if (name == "coqa-prompts") return print_prompts(opts, out);
    return synthesize(opts, out);
  } catch (const UsageError& e) {
    err << name << ": " << e.what() << "\n" << usage;
    return 2;
  } catch (const Error& e) {
    err << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace lq::coqa
