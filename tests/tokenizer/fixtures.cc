#include "fixtures.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "tokenizer/bpe_tokenizer.h"

namespace lq::test {

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::shared_ptr<Tokenizer> fixture_tokenizer(const std::string& model) {
  static std::map<std::string, std::shared_ptr<Tokenizer>> loaded;
  auto& t = loaded[model];
  if (!t) t = load_tokenizer_json(tokenizer_fixtures() / model / "tokenizer.json");
  return t;
}

std::vector<ParityCase> read_parity_cases(const std::string& model) {
  auto root = nlohmann::json::parse(read_text_file(tokenizer_fixtures() / model / "parity.json"));
  std::vector<ParityCase> cases;
  for (const auto& c : root.at("cases")) {
    cases.push_back({c.at("name").get<std::string>(), from_hex(c.at("hex").get<std::string>()),
                     c.at("ids").get<std::vector<TokenId>>(), c.at("ids_plain").get<std::vector<TokenId>>(),
                     from_hex(c.at("decoded_hex").get<std::string>()),
                     from_hex(c.at("decoded_skip_special_hex").get<std::string>())});
  }
  if (cases.empty()) throw std::runtime_error(model + "/parity.json has no cases");
  return cases;
}

}  // namespace lq::test
