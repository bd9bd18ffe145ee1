// Params: the parameters a plugin receives from an experiment's YAML, with where each value came from.
//
// A plugin reads its parameters in configure() through the typed getters below. A wrong type, a value
// outside the allowed set or an unknown key is reported to the Diagnostics with the file, line and
// column of the offending value, so that `llama-quant validate` can print every problem at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llama_quant/diagnostics.h"
#include "llama_quant/suggest.h"

namespace lq {

using json = nlohmann::json;

// Maps a JSON pointer ("/quantization/params/blocksize") to where that value was written.
using SourceMap = std::map<std::string, SourceLocation>;

class Params {
 public:
  Params() : value_(json::object()), map_(std::make_shared<SourceMap>()) {}
  Params(json value, std::string pointer, std::shared_ptr<const SourceMap> map)
      : value_(std::move(value)), pointer_(std::move(pointer)), map_(std::move(map)) {
    if (value_.is_null()) value_ = json::object();
  }

  const json& json_value() const { return value_; }
  bool has(const std::string& key) const { return value_.is_object() && value_.contains(key); }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    if (value_.is_object())
      for (auto it = value_.begin(); it != value_.end(); ++it) out.push_back(it.key());
    return out;
  }

  // Where `key` (or these params as a whole, for "") was written; falls back to the nearest parent.
  SourceLocation location(const std::string& key = "") const {
    std::string p = key.empty() ? pointer_ : pointer_ + "/" + key;
    while (true) {
      auto it = map_->find(p);
      if (it != map_->end()) return it->second;
      if (p.empty()) return {};
      p = p.substr(0, p.rfind('/'));
    }
  }

  Params child(const std::string& key) const {
    return Params(has(key) ? value_.at(key) : json::object(), pointer_ + "/" + key, map_);
  }

  // Typed reads. T is one of bool, int64_t, double, std::string, std::vector<std::string>.
  // A missing key yields `fallback`; a value of the wrong type is reported and yields `fallback`.
  template <class T>
  T get(const std::string& key, T fallback, Diagnostics& diag) const {
    if (!has(key)) return fallback;
    const json& v = value_.at(key);
    if (!holds<T>(v)) {
      diag.error(location(key), "'" + key + "' must be " + type_name<T>() + ", got " + describe(v));
      return fallback;
    }
    return v.get<T>();
  }

  // Like get(), and reports a missing key.
  template <class T>
  T require(const std::string& key, Diagnostics& diag) const {
    if (!has(key)) {
      diag.error(location(), "missing required parameter '" + key + "' (" + type_name<T>() + ")");
      return T{};
    }
    return get<T>(key, T{}, diag);
  }

  // A string (or integer) restricted to a set of allowed values.
  std::string one_of(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed, Diagnostics& diag) const {
    std::string v = get<std::string>(key, fallback, diag);
    for (const auto& a : allowed)
      if (a == v) return v;
    diag.error(location(key), "'" + key + "' must be one of " + join(allowed) + ", got '" + v + "'" +
                                  did_you_mean(v, allowed));
    return fallback;
  }
  int64_t one_of(const std::string& key, int64_t fallback, const std::vector<int64_t>& allowed,
                 Diagnostics& diag) const {
    int64_t v = get<int64_t>(key, fallback, diag);
    std::vector<std::string> names;
    for (auto a : allowed) {
      if (a == v) return v;
      names.push_back(std::to_string(a));
    }
    diag.error(location(key), "'" + key + "' must be one of " + join(names) + ", got " + std::to_string(v));
    return fallback;
  }

  // Reports every key not in `known`, with a did-you-mean.
  void check_keys(const std::vector<std::string>& known, Diagnostics& diag) const {
    if (!value_.is_object()) {
      diag.error(location(), "expected a mapping of parameters, got " + describe(value_));
      return;
    }
    for (const auto& k : keys()) {
      bool ok = false;
      for (const auto& n : known) ok = ok || n == k;
      if (!ok)
        diag.error(location(k), "unknown parameter '" + k + "'" + did_you_mean(k, known) +
                                    "; expected one of " + join(known));
    }
  }

  static std::string describe(const json& v) {
    switch (v.type()) {
      case json::value_t::null:
        return "null";
      case json::value_t::boolean:
        return "a boolean";
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
        return "an integer (" + v.dump() + ")";
      case json::value_t::number_float:
        return "a number (" + v.dump() + ")";
      case json::value_t::string:
        return "a string ('" + v.get<std::string>() + "')";
      case json::value_t::array:
        return "a list";
      case json::value_t::object:
        return "a mapping";
      default:
        return "an unsupported value";
    }
  }

 private:
  template <class T>
  static bool holds(const json& v) {
    if constexpr (std::is_same_v<T, bool>)
      return v.is_boolean();
    else if constexpr (std::is_same_v<T, int64_t>)
      return v.is_number_integer();
    else if constexpr (std::is_same_v<T, double>)
      return v.is_number();
    else if constexpr (std::is_same_v<T, std::string>)
      return v.is_string();
    else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      if (!v.is_array()) return false;
      for (const auto& e : v)
        if (!e.is_string()) return false;
      return true;
    } else
      static_assert(sizeof(T) == 0, "unsupported parameter type");
  }
  template <class T>
  static std::string type_name() {
    if constexpr (std::is_same_v<T, bool>)
      return "a boolean";
    else if constexpr (std::is_same_v<T, int64_t>)
      return "an integer";
    else if constexpr (std::is_same_v<T, double>)
      return "a number";
    else if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else
      return "a list of strings";
  }
  static std::string join(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out + "]";
  }

  json value_;
  std::string pointer_;
  std::shared_ptr<const SourceMap> map_;
};

}  // namespace lq
