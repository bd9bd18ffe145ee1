#include "config/document.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

namespace lq {
namespace {

bool under(const std::string& pointer, const std::string& prefix) {
  if (prefix.empty()) return true;
  return pointer == prefix || pointer.rfind(prefix + "/", 0) == 0;
}

void erase_under(SourceMap& map, const std::string& prefix) {
  for (auto it = map.lower_bound(prefix);
       it != map.end() && (prefix.empty() || it->first.rfind(prefix, 0) == 0);)
    it = under(it->first, prefix) ? map.erase(it) : std::next(it);
}

// Copies the entries of `from` under `from_prefix` into `to`, re-rooted at `to_prefix`.
void copy_under(const SourceMap& from, const std::string& from_prefix, SourceMap& to,
                const std::string& to_prefix) {
  for (auto it = from.lower_bound(from_prefix); it != from.end(); ++it) {
    if (!from_prefix.empty() && it->first.rfind(from_prefix, 0) != 0) break;
    if (under(it->first, from_prefix)) to[to_prefix + it->first.substr(from_prefix.size())] = it->second;
  }
}

SourceLocation location_of(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

// A plain scalar's JSON value, following the YAML 1.2 core schema.
json plain_scalar(const std::string& s, const SourceLocation& where, Diagnostics& diag) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kHex("0x[0-9a-fA-F]+");
  static const std::regex kOct("0o[0-7]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  bool is_int = std::regex_match(s, kInt), is_hex = std::regex_match(s, kHex),
       is_oct = std::regex_match(s, kOct);
  if (is_int || is_hex || is_oct) {
    const char* digits = s.c_str() + (is_int ? 0 : 2);
    int base = is_hex ? 16 : is_oct ? 8 : 10;
    errno = 0;
    long long v = std::strtoll(digits, nullptr, base);
    if (errno == 0) return int64_t(v);
    errno = 0;
    unsigned long long u = s[0] == '-' ? 0 : std::strtoull(digits, nullptr, base);
    if (s[0] != '-' && errno == 0) return uint64_t(u);
    diag.error(where, "integer " + s + " is out of range");
    return nullptr;
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  return s;
}

class Converter {
 public:
  Converter(std::string file, Document& doc, Diagnostics& diag)
      : file_(std::move(file)), doc_(doc), diag_(diag) {}

  // Converts `node` found at `pointer`; `fallback` locates nodes without a mark of their own (nulls).
  json convert(const YAML::Node& node, const std::string& pointer, const SourceLocation& fallback) {
    SourceLocation where =
        node.Mark().line >= 0 && !node.IsNull() ? location_of(file_, node.Mark()) : fallback;
    doc_.values[pointer] = where;
    const std::string& tag = node.Tag();
    if (!tag.empty() && tag != "?" && tag != "!" && tag.rfind("tag:yaml.org,2002:", 0) != 0) {
      diag_.error(where, "unsupported YAML tag '" + tag + "'");
      return nullptr;
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        if (tag == "!" || tag == "tag:yaml.org,2002:str") return node.Scalar();
        return plain_scalar(node.Scalar(), where, diag_);
      case YAML::NodeType::Sequence: {
        json out = json::array();
        for (size_t i = 0; i < node.size(); ++i)
          out.push_back(convert(node[i], pointer_append(pointer, std::to_string(i)), where));
        return out;
      }
      case YAML::NodeType::Map: {
        json out = json::object();
        std::map<std::string, SourceLocation> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
          SourceLocation key_at = location_of(file_, it->first.Mark());
          if (!it->first.IsScalar()) {
            diag_.error(key_at, "a mapping key must be a plain name");
            continue;
          }
          const std::string key = it->first.Scalar();
          auto [previous, fresh] = seen.emplace(key, key_at);
          if (!fresh) {
            diag_.error(key_at, "duplicate key '" + key + "' (first written at line " +
                                    std::to_string(previous->second.line) + ")");
            continue;
          }
          std::string child = pointer_append(pointer, key);
          doc_.keys[child] = key_at;
          out[key] = convert(it->second, child, key_at);
        }
        return out;
      }
    }
    return nullptr;
  }

 private:
  std::string file_;
  Document& doc_;
  Diagnostics& diag_;
};

std::optional<Document> parse(const std::string& text, const std::string& file, const SourceLocation& whole,
                              bool whole_locations, Diagnostics& diag) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    diag.error(whole_locations ? whole : location_of(file, e.mark), "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  if (nodes.size() > 1) {
    diag.error(whole, "expected one YAML document, found " + std::to_string(nodes.size()));
    return std::nullopt;
  }
  Document doc;
  size_t before = diag.items().size();
  doc.value = nodes.empty() ? json(nullptr) : Converter(file, doc, diag).convert(nodes[0], "", whole);
  if (whole_locations) {
    for (auto& [pointer, where] : doc.values) where = whole;
    for (auto& [pointer, where] : doc.keys) where = whole;
  }
  if (diag.items().size() != before) return std::nullopt;
  return doc;
}

}  // namespace

SourceLocation Document::where(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = values.find(p);
    if (it != values.end()) return it->second;
    if (p.empty()) return {};
    p = p.substr(0, p.rfind('/'));
  }
}

SourceLocation Document::key_where(const std::string& pointer) const {
  auto it = keys.find(pointer);
  return it != keys.end() ? it->second : where(pointer);
}

const json* Document::find(const std::string& pointer) const {
  const json* at = &value;
  for (const auto& key : pointer_split(pointer)) {
    if (at->is_object()) {
      auto it = at->find(key);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      char* end = nullptr;
      unsigned long i = std::strtoul(key.c_str(), &end, 10);
      if (key.empty() || *end != '\0' || i >= at->size()) return nullptr;
      at = &(*at)[i];
    } else {
      return nullptr;
    }
  }
  return at;
}

Document Document::sub(const std::string& pointer) const {
  Document out;
  const json* v = find(pointer);
  out.value = v ? *v : json(nullptr);
  copy_under(values, pointer, out.values, "");
  copy_under(keys, pointer, out.keys, "");
  out.keys.erase("");
  if (!out.values.count("")) out.values[""] = where(pointer);
  return out;
}

void Document::put(const std::string& pointer, const Document& part, const SourceLocation& key) {
  erase(pointer);
  if (pointer.empty()) {
    value = part.value;
  } else {
    json* parent = const_cast<json*>(find(pointer.substr(0, pointer.rfind('/'))));
    const std::string last = pointer_split(pointer).back();
    if (parent->is_array())
      (*parent)[std::stoul(last)] = part.value;
    else
      (*parent)[last] = part.value;
  }
  copy_under(part.values, "", values, pointer);
  copy_under(part.keys, "", keys, pointer);
  if (!pointer.empty()) keys[pointer] = key;
}

void Document::erase(const std::string& pointer) {
  erase_under(values, pointer);
  erase_under(keys, pointer);
  if (pointer.empty()) {
    value = nullptr;
    return;
  }
  json* parent = const_cast<json*>(find(pointer.substr(0, pointer.rfind('/'))));
  if (parent && parent->is_object()) parent->erase(pointer_split(pointer).back());
}

std::string pointer_append(const std::string& pointer, const std::string& key) {
  std::string escaped;
  for (char c : key) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return pointer + "/" + escaped;
}

std::vector<std::string> pointer_split(const std::string& pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      out.push_back(token);
      token.clear();
    } else if (pointer[i] == '~' && i + 1 < pointer.size()) {
      token += pointer[++i] == '1' ? '/' : '~';
    } else {
      token += pointer[i];
    }
  }
  return out;
}

std::string pointer_dotted(const std::string& pointer) {
  std::string out;
  for (const auto& key : pointer_split(pointer)) out += (out.empty() ? "" : ".") + key;
  return out;
}

std::optional<Document> read_yaml_file(const std::filesystem::path& file, Diagnostics& diag) {
  const std::string name = file.lexically_normal().generic_string();
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    diag.error({name}, "is a folder, expected a YAML file");
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diag.error({name}, std::filesystem::exists(file, ec) ? "cannot be read" : "no such file");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto doc = parse(text.str(), name, {name, 1, 1}, false, diag);
  if (doc && doc->value.is_null()) {
    diag.error({name, 1, 1}, "the file is empty; expected a mapping of keys");
    return std::nullopt;
  }
  if (doc && !doc->value.is_object()) {
    diag.error(doc->where(""),
               "expected a mapping of keys at the top of the file, got " + Params::describe(doc->value));
    return std::nullopt;
  }
  return doc;
}

std::optional<Document> parse_yaml_text(const std::string& text, const SourceLocation& where,
                                        Diagnostics& diag) {
  return parse(text, where.file, where, true, diag);
}

void merge_into(Document& base, const Document& over) {
  // Walks `over`; `at` is the pointer both documents share.
  std::function<void(const std::string&)> merge = [&](const std::string& at) {
    const json* b = base.find(at);
    const json* o = over.find(at);
    if (b && b->is_object() && o->is_object()) {
      if (over.values.count(at)) base.values[at] = over.values.at(at);
      for (auto it = o->begin(); it != o->end(); ++it) merge(pointer_append(at, it.key()));
      return;
    }
    SourceLocation key = over.key_where(at);
    base.put(at, over.sub(at), key);
  };
  merge("");
}

bool set_dotted(Document& doc, const std::string& dotted, const Document& value, const SourceLocation& where,
                Diagnostics& diag) {
  std::vector<std::string> keys;
  std::string token;
  for (size_t i = 0; i <= dotted.size(); ++i) {
    if (i == dotted.size() || dotted[i] == '.') {
      if (token.empty()) {
        diag.error(where, "'" + dotted + "' is not a dotted key (e.g. quantization.params.blocksize)");
        return false;
      }
      keys.push_back(token);
      token.clear();
    } else {
      token += dotted[i];
    }
  }
  std::string pointer;
  for (size_t i = 0; i < keys.size(); ++i) {
    const json* here = doc.find(pointer);
    if (here && here->is_null()) {
      Document empty;
      empty.values[""] = where;
      doc.put(pointer, empty, where);
      here = doc.find(pointer);
    }
    std::string path = pointer_dotted(pointer);
    if (here->is_array()) {
      char* end = nullptr;
      unsigned long index = std::strtoul(keys[i].c_str(), &end, 10);
      if (*end != '\0' || index >= here->size()) {
        diag.error(where, "'" + dotted + "': '" + path + "' is a list of " + std::to_string(here->size()) +
                              " elements; '" + keys[i] + "' is not an index into it");
        return false;
      }
    } else if (!here->is_object()) {
      diag.error(where, "'" + dotted + "': '" + path + "' is " + Params::describe(*here) + ", not a mapping");
      return false;
    }
    std::string child = pointer_append(pointer, keys[i]);
    if (i + 1 < keys.size() && !doc.find(child)) {
      Document empty;
      empty.values[""] = where;
      doc.put(child, empty, where);
    }
    pointer = child;
  }
  doc.put(pointer, value, where);
  return true;
}

}  // namespace lq
