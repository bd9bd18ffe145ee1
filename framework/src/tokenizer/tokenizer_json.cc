// load_tokenizer_json: a Hugging Face tokenizer.json of a byte-level BPE model (Llama 3, SmolLM2, GPT-2),
// with the BOS/EOS names of a tokenizer_config.json and generation_config.json beside it.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "io/json_file.h"
#include "llama_quant/diagnostics.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/byte_level_bpe.h"

namespace lq {
namespace {

using json = nlohmann::json;

// The split regex of Llama 3's tokenizer.json; the only Split pattern this tokenizer implements.
constexpr const char* kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& message) const { throw Error(file_ + ": " + message); }

  const json& field(const json& object, const char* key, const std::string& where) const {
    if (!object.is_object() || !object.contains(key)) fail(where + " has no '" + key + "'");
    return object.at(key);
  }
  std::string type_of(const json& node, const std::string& where) const {
    const json& t = field(node, "type", where);
    if (!t.is_string()) fail(where + ".type must be a string");
    return t.get<std::string>();
  }
  bool flag(const json& node, const char* key, bool fallback) const {
    if (!node.contains(key) || node.at(key).is_null()) return fallback;
    if (!node.at(key).is_boolean()) fail(std::string("'") + key + "' must be true or false");
    return node.at(key).get<bool>();
  }

  // Pre-tokenizers, flattened; ByteLevel must come last, as it turns text into byte symbols.
  void pre_tokenizer(const json& node, std::vector<SplitRule>& rules, bool& byte_level) const {
    std::string type = type_of(node, "pre_tokenizer");
    if (byte_level) fail("pre_tokenizer: " + type + " after ByteLevel is not supported");
    if (type == "Sequence") {
      for (const json& p : field(node, "pretokenizers", "pre_tokenizer Sequence"))
        pre_tokenizer(p, rules, byte_level);
    } else if (type == "ByteLevel") {
      if (flag(node, "add_prefix_space", false))
        fail("pre_tokenizer ByteLevel with add_prefix_space is not supported");
      if (flag(node, "use_regex", true)) rules.push_back(SplitRule::kGpt2);
      byte_level = true;
    } else if (type == "Digits") {
      rules.push_back(flag(node, "individual_digits", false) ? SplitRule::kDigitsIndividual
                                                             : SplitRule::kDigitsGrouped);
    } else if (type == "Split") {
      const json& pattern = field(node, "pattern", "pre_tokenizer Split");
      std::string behavior = node.value("behavior", "");
      if (!pattern.contains("Regex") || pattern.at("Regex") != kLlama3Pattern || behavior != "Isolated" ||
          flag(node, "invert", false))
        fail("pre_tokenizer Split: only the Llama 3 regex with behavior Isolated is supported, got " +
             node.dump());
      rules.push_back(SplitRule::kLlama3);
    } else {
      fail("pre_tokenizer type '" + type +
           "' is not supported (expected ByteLevel, Split, Digits or Sequence)");
    }
  }

  // What the post-processor puts around a single sequence.
  void post_processor(const json& node, std::vector<TokenId>& prefix, std::vector<TokenId>& suffix) const {
    if (node.is_null()) return;
    std::string type = type_of(node, "post_processor");
    if (type == "ByteLevel") return;  // only adjusts offsets
    if (type == "Sequence") {
      for (const json& p : field(node, "processors", "post_processor Sequence"))
        post_processor(p, prefix, suffix);
      return;
    }
    if (type != "TemplateProcessing")
      fail("post_processor type '" + type +
           "' is not supported (expected TemplateProcessing, ByteLevel or Sequence)");
    const json& specials = field(node, "special_tokens", "post_processor");
    bool after = false;
    for (const json& item : field(node, "single", "post_processor")) {
      if (item.contains("Sequence")) {
        after = true;
      } else if (item.contains("SpecialToken")) {
        std::string name = field(item.at("SpecialToken"), "id", "post_processor item").get<std::string>();
        const json& ids = field(field(specials, name.c_str(), "post_processor special_tokens"), "ids",
                                "post_processor special token '" + name + "'");
        for (const json& id : ids) (after ? suffix : prefix).push_back(id.get<TokenId>());
      } else {
        fail("post_processor: unexpected item " + item.dump());
      }
    }
  }

 private:
  std::string file_;
};

// A token named in tokenizer_config.json: "<|begin_of_text|>" or {"content": "<|begin_of_text|>"}.
std::string config_token(const json& config, const char* key) {
  if (!config.contains(key)) return {};
  const json& v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string())
    return v.at("content").get<std::string>();
  return {};
}

BpeSpec read_spec(const json& root, const std::string& file) {
  Reader r(file);
  if (!root.is_object()) r.fail("expected a JSON object");
  BpeSpec spec;
  spec.source = file;
  const json& model = r.field(root, "model", "the file");
  std::string type = model.is_object() && model.contains("type") ? r.type_of(model, "model") : "BPE";
  if (type != "BPE") r.fail("model type '" + type + "' is not supported (expected BPE)");
  if (model.contains("dropout") && !model.at("dropout").is_null() && model.at("dropout") != 0)
    r.fail("BPE dropout is not supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (model.contains(key) && !model.at(key).is_null() && model.at(key) != "")
      r.fail(std::string("BPE ") + key + " is not supported");
  if (r.flag(model, "byte_fallback", false))
    r.fail("BPE byte_fallback is not supported (not a byte-level vocabulary)");
  spec.ignore_merges = r.flag(model, "ignore_merges", false);

  const json& vocab = r.field(model, "vocab", "model");
  if (!vocab.is_object()) r.fail("model.vocab must be an object of token: id");
  spec.vocab.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer()) r.fail("model.vocab['" + it.key() + "'] must be an integer id");
    spec.vocab.emplace_back(it.key(), it.value().get<TokenId>());
  }
  const json& merges = r.field(model, "merges", "model");
  if (!merges.is_array()) r.fail("model.merges must be a list");
  spec.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    if (m.is_string()) {  // "left right"
      const std::string& s = m.get_ref<const std::string&>();
      size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        r.fail("merge " + std::to_string(i) + " '" + s + "' is not two tokens separated by one space");
      spec.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["left", "right"]
      spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      r.fail("merge " + std::to_string(i) + " must be \"left right\" or [\"left\", \"right\"], got " +
             m.dump());
    }
  }
  if (model.contains("unk_token") && model.at("unk_token").is_string()) {
    std::string unk = model.at("unk_token").get<std::string>();
    if (!vocab.contains(unk)) r.fail("unk_token '" + unk + "' is not in the vocabulary");
    spec.unk = vocab.at(unk).get<TokenId>();
  }

  if (root.contains("normalizer") && !root.at("normalizer").is_null())
    r.fail("a normalizer is not supported");
  bool byte_level = false;
  if (root.contains("pre_tokenizer") && !root.at("pre_tokenizer").is_null())
    r.pre_tokenizer(root.at("pre_tokenizer"), spec.splits, byte_level);
  if (!byte_level)
    r.fail("the pre_tokenizer must end with ByteLevel (a byte-level BPE tokenizer is expected)");
  if (!root.contains("decoder") || root.at("decoder").is_null() ||
      r.type_of(root.at("decoder"), "decoder") != "ByteLevel")
    r.fail("the decoder must be ByteLevel");
  if (root.contains("post_processor")) r.post_processor(root.at("post_processor"), spec.prefix, spec.suffix);

  if (root.contains("added_tokens")) {
    for (const json& t : root.at("added_tokens")) {
      AddedToken a;
      a.id = r.field(t, "id", "added token").get<TokenId>();
      a.content = r.field(t, "content", "added token").get<std::string>();
      a.special = t.value("special", false);
      for (const char* key : {"lstrip", "rstrip", "single_word"})
        if (r.flag(t, key, false)) r.fail("added token '" + a.content + "': " + key + " is not supported");
      spec.added.push_back(std::move(a));
    }
  }
  return spec;
}

TokenId id_of(const BpeSpec& spec, const std::string& content) {
  for (const AddedToken& a : spec.added)
    if (a.content == content) return a.id;
  for (const auto& [token, id] : spec.vocab)
    if (token == content) return id;
  return -1;
}

// BOS and EOS: tokenizer_config.json's bos_token / eos_token and generation_config.json's eos_token_id,
// when the folder has them; otherwise BOS is what the post-processor puts first.
void read_special_ids(const std::filesystem::path& dir, BpeSpec& spec) {
  json config = json::object(), generation = json::object();
  if (std::filesystem::exists(dir / "tokenizer_config.json"))
    config = io::read_json_file(dir / "tokenizer_config.json");
  if (std::filesystem::exists(dir / "generation_config.json"))
    generation = io::read_json_file(dir / "generation_config.json");
  std::string bos = config_token(config, "bos_token");
  spec.bos = bos.empty() ? (spec.prefix.empty() ? -1 : spec.prefix.front()) : id_of(spec, bos);
  std::string eos = config_token(config, "eos_token");
  if (!eos.empty() && id_of(spec, eos) >= 0) spec.eos.push_back(id_of(spec, eos));
  if (generation.is_object() && generation.contains("eos_token_id")) {
    json ids = generation.at("eos_token_id");
    if (!ids.is_array()) ids = json::array({ids});
    for (const json& id : ids)
      if (id.is_number_integer() &&
          std::find(spec.eos.begin(), spec.eos.end(), id.get<TokenId>()) == spec.eos.end())
        spec.eos.push_back(id.get<TokenId>());
  }
}

}  // namespace

std::shared_ptr<Tokenizer> load_tokenizer_json(const std::filesystem::path& path) {
  json root = io::read_json_file(path);
  BpeSpec spec;
  try {
    spec = read_spec(root, path.string());
  } catch (const json::exception& e) {  // a value of the wrong JSON type somewhere
    throw Error(path.string() + ": unexpected content: " + e.what());
  }
  read_special_ids(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path(), spec);
  return std::make_shared<BpeTokenizer>(std::move(spec));
}

}  // namespace lq
