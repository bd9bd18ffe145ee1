#include "util/args.h"

namespace lq {

Args::Args(int argc, char** argv) : Args(std::vector<std::string>(argv, argv + argc)) {}

Args::Args(std::vector<std::string> tokens) : tokens_(std::move(tokens)), used_(tokens_.size(), false) {}

std::string Args::dashed(const std::string& name) { return (name.size() == 1 ? "-" : "--") + name; }

bool Args::flag(const std::string& name) {
  bool found = false;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i] == "--") break;
    if (!used_[i] && tokens_[i] == dashed(name)) used_[i] = true, found = true;
  }
  return found;
}

std::vector<std::string> Args::options(const std::string& name) {
  std::vector<std::string> values;
  const std::string key = dashed(name);
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i] == "--") break;
    if (used_[i]) continue;
    if (tokens_[i] == key) {
      if (i + 1 >= tokens_.size()) throw UsageError(key + " needs a value");
      used_[i] = used_[i + 1] = true;
      values.push_back(tokens_[++i]);
    } else if (tokens_[i].rfind(key + "=", 0) == 0) {
      used_[i] = true;
      values.push_back(tokens_[i].substr(key.size() + 1));
    }
  }
  return values;
}

std::optional<std::string> Args::option(const std::string& name) {
  auto all = options(name);
  if (all.empty()) return std::nullopt;
  return all.back();
}

std::optional<int64_t> Args::integer(const std::string& name) {
  auto v = option(name);
  if (!v) return std::nullopt;
  try {
    size_t end = 0;
    int64_t n = std::stoll(*v, &end);
    if (end != v->size()) throw std::invalid_argument(*v);
    return n;
  } catch (const std::exception&) {
    throw UsageError(dashed(name) + " expects an integer, got '" + *v + "'");
  }
}

std::vector<std::string> Args::finish() {
  std::vector<std::string> positional;
  bool rest = false;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (used_[i]) continue;
    const std::string& t = tokens_[i];
    if (!rest && t == "--") {
      rest = true;
    } else if (!rest && t.size() > 1 && t[0] == '-') {
      throw UsageError("unknown option " + t);
    } else {
      positional.push_back(t);
    }
  }
  return positional;
}

}  // namespace lq
