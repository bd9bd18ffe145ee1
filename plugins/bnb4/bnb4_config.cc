#include "bnb4_config.h"

namespace bnb4 {
namespace {

bool is_glob(const std::string& p) { return p.find_first_of("*?[") != std::string::npos; }

// Matches one '[...]' set at p[pi] against c; returns the index after ']' or npos when malformed.
size_t match_set(const std::string& p, size_t pi, char c, bool& matched) {
  size_t i = pi + 1;
  bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
  if (negate) ++i;
  bool any = false, first = true;
  for (; i < p.size() && (p[i] != ']' || first); ++i, first = false) {
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      any = any || (p[i] <= c && c <= p[i + 2]);
      i += 2;
    } else {
      any = any || p[i] == c;
    }
  }
  if (i >= p.size()) return std::string::npos;
  matched = any != negate;
  return i + 1;
}

bool glob_from(const std::string& p, size_t pi, const std::string& t, size_t ti) {
  while (pi < p.size()) {
    if (p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      if (pi == p.size()) return true;
      for (size_t k = ti; k <= t.size(); ++k)
        if (glob_from(p, pi, t, k)) return true;
      return false;
    }
    if (ti == t.size()) return false;
    if (p[pi] == '?') {
      ++pi, ++ti;
    } else if (p[pi] == '[') {
      bool matched = false;
      size_t next = match_set(p, pi, t[ti], matched);
      if (next == std::string::npos) {  // a lone '[' is literal
        if (t[ti] != '[') return false;
        ++pi, ++ti;
      } else {
        if (!matched) return false;
        pi = next, ++ti;
      }
    } else {
      if (p[pi] != t[ti]) return false;
      ++pi, ++ti;
    }
  }
  return ti == t.size();
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& text) {
  return glob_from(pattern, 0, text, 0);
}

Config Config::parse(const lq::Params& params, lq::Diagnostics& diag) {
  Config c;
  params.check_keys({"quant_type", "blocksize", "double_quant", "compute_dtype", "skip_modules"}, diag);
  c.quant_type =
      params.one_of("quant_type", "nf4", {"nf4", "fp4"}, diag) == "fp4" ? QuantType::kFP4 : QuantType::kNF4;
  c.blocksize = static_cast<int>(
      params.one_of("blocksize", int64_t{64}, {32, 64, 128, 256, 512, 1024, 2048, 4096}, diag));
  c.double_quant = params.get<bool>("double_quant", false, diag);
  c.compute_dtype = params.one_of("compute_dtype", "auto", {"auto", "float16", "bfloat16", "float32"}, diag);
  c.skip_modules = params.get<std::vector<std::string>>("skip_modules", c.skip_modules, diag);
  for (const auto& p : c.skip_modules)
    if (p.empty()) diag.error(params.location("skip_modules"), "'skip_modules' entries must not be empty");
  return c;
}

bool Config::skips(const std::string& name) const {
  for (const auto& p : skip_modules)
    if (is_glob(p) ? glob_match(p, name) : name.find(p) != std::string::npos) return true;
  return false;
}

lq::json Config::to_json() const {
  return {{"quant_type", quant_type_name(quant_type)},
          {"blocksize", blocksize},
          {"double_quant", double_quant},
          {"compute_dtype", compute_dtype},
          {"skip_modules", skip_modules}};
}

}  // namespace bnb4
