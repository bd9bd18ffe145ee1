#include "coqa_data.h"

#include <fstream>
#include <iterator>
#include <llama_quant/diagnostics.h>
#include <nlohmann/json.hpp>
#include <set>

#include "embedded_sample.h"
#include "python_text.h"
#include <llama_quant/sha256.h>

namespace lq::coqa {
namespace {

// Keeps the file's key order, so that additional answers come in the order the file lists them.
using ordered = nlohmann::ordered_json;

class StoryReader {
 public:
  StoryReader(const std::string& origin, size_t index, const ordered& node)
      : origin_(origin), where_("story #" + std::to_string(index)), node_(node) {}

  Story read() {
    if (!node_.is_object()) fail("is not a JSON object");
    Story s;
    s.id = text(node_, "id", "");
    if (s.id.empty()) fail("has an empty 'id'");
    where_ = "story '" + s.id + "'";
    s.source = text(node_, "source", "");
    s.story = text(node_, "story", "");
    if (py_strip(utf8_decode(s.story)).empty()) fail("has an empty 'story'");
    const ordered& questions = array(node_, "questions", "");
    const ordered& answers = array(node_, "answers", "");
    if (questions.empty()) fail("has no questions");
    if (questions.size() != answers.size())
      fail("has " + std::to_string(questions.size()) + " questions but " + std::to_string(answers.size()) +
           " answers");
    for (size_t i = 0; i < questions.size(); ++i) {
      Turn t;
      t.turn_id = static_cast<int>(i + 1);
      check_turn(questions[i], "questions", i);
      check_turn(answers[i], "answers", i);
      t.question = text(questions[i], "input_text", "questions[" + std::to_string(i) + "]");
      t.answers.push_back(text(answers[i], "input_text", "answers[" + std::to_string(i) + "]"));
      s.turns.push_back(std::move(t));
    }
    if (node_.contains("additional_answers") && !node_["additional_answers"].is_null()) {
      const ordered& extra = node_["additional_answers"];
      if (!extra.is_object()) fail("'additional_answers' is not an object keyed by annotator");
      for (auto it = extra.begin(); it != extra.end(); ++it) {
        const std::string field = "additional_answers[\"" + it.key() + "\"]";
        if (!it.value().is_array()) fail("'" + field + "' is not a list");
        if (it.value().size() != s.turns.size())
          fail("'" + field + "' has " + std::to_string(it.value().size()) + " answers for " +
               std::to_string(s.turns.size()) + " questions");
        for (size_t i = 0; i < s.turns.size(); ++i) {
          check_turn(it.value()[i], field, i);
          s.turns[i].answers.push_back(
              text(it.value()[i], "input_text", field + "[" + std::to_string(i) + "]"));
        }
      }
    }
    return s;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error(origin_ + ": " + where_ + " " + what); }

  std::string text(const ordered& obj, const std::string& key, const std::string& field) const {
    const std::string name = field.empty() ? key : field + "." + key;
    if (!obj.is_object() || !obj.contains(key)) fail("has no '" + name + "'");
    if (!obj[key].is_string()) fail("'" + name + "' is not a string");
    return obj[key].get<std::string>();
  }
  const ordered& array(const ordered& obj, const std::string& key, const std::string& field) const {
    if (!obj.contains(key)) fail("has no '" + key + "' list");
    if (!obj[key].is_array()) fail("'" + key + "' is not a list");
    return obj[key];
  }
  // Turn ids must run 1, 2, 3, ... in the order written: turn i's prompt holds turns 1..i-1.
  void check_turn(const ordered& item, const std::string& field, size_t i) const {
    const std::string name = field + "[" + std::to_string(i) + "]";
    if (!item.is_object()) fail("'" + name + "' is not an object");
    if (!item.contains("turn_id") || !item["turn_id"].is_number_integer())
      fail("'" + name + "' has no integer 'turn_id'");
    const auto id = item["turn_id"].get<int64_t>();
    if (id != static_cast<int64_t>(i + 1))
      fail("'" + name + "' has turn_id " + std::to_string(id) + ", expected " + std::to_string(i + 1) +
           " (turn ids must be 1, 2, 3, ... in order)");
  }

  const std::string& origin_;
  std::string where_;
  const ordered& node_;
};

}  // namespace

Dataset parse_dataset(std::string_view bytes, const std::string& origin) {
  ordered root;
  try {
    root = ordered::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(origin + ": not valid JSON: " + e.what());
  }
  if (!root.is_object() || !root.contains("data") || !root["data"].is_array())
    throw Error(origin + ": expected a CoQA JSON object with a 'data' list of stories");
  Dataset d;
  d.origin = origin;
  d.sha256 = sha256_hex(bytes);
  std::set<std::string> ids;
  for (size_t i = 0; i < root["data"].size(); ++i) {
    Story s = StoryReader(origin, i, root["data"][i]).read();
    if (!ids.insert(s.id).second) throw Error(origin + ": story id '" + s.id + "' appears more than once");
    d.stories.push_back(std::move(s));
  }
  if (d.stories.empty()) throw Error(origin + ": the 'data' list has no stories");
  return d;
}

Dataset load_dataset(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the CoQA data file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path.string() + ": error while reading the CoQA data file");
  if (path.filename() == kOfficialDevName || bytes.size() == kOfficialDevBytes) {
    std::string digest = sha256_hex(bytes);
    if (digest != kOfficialDevSha256)
      throw Error(path.string() + ": looks like the official CoQA dev set (" + std::string(kOfficialDevName) +
                  ", " + std::to_string(kOfficialDevBytes) + " bytes) but its sha256 is " + digest + " (" +
                  std::to_string(bytes.size()) + " bytes), expected " + std::string(kOfficialDevSha256) +
                  "; the download is incomplete or modified (scripts/fetch-coqa.sh fetches it again)");
  }
  return parse_dataset(bytes, path.string());
}

Dataset embedded_sample() { return parse_dataset(embedded_sample_json(), "embedded sample"); }

}  // namespace lq::coqa
