#include "config/sweep.h"

#include <algorithm>

namespace lq {
namespace {

namespace fs = std::filesystem;

void apply_sets(Document& doc, const Document& sweep, const std::string& at, Diagnostics& diag) {
  const json* sets = sweep.find(at);
  if (!sets || sets->is_null()) return;
  if (!sets->is_object()) {
    diag.error(sweep.where(at),
               "'set' must be a mapping of dotted keys to values, got " + Params::describe(*sets));
    return;
  }
  for (auto it = sets->begin(); it != sets->end(); ++it) {
    std::string key_at = pointer_append(at, it.key());
    set_dotted(doc, it.key(), sweep.sub(key_at), sweep.key_where(key_at), diag);
  }
}

std::vector<PlannedExperiment> expand_variants(const ComposedFile& file, const Document& sweep,
                                               const fs::path& path, Diagnostics& diag) {
  std::vector<PlannedExperiment> out;
  const json* variants = sweep.find("/variants");
  if (!variants->is_array() || variants->empty()) {
    diag.error(sweep.where("/variants"),
               "'variants' must be a non-empty list, got " + Params::describe(*variants));
    return out;
  }
  for (size_t i = 0; i < variants->size(); ++i) {
    std::string at = pointer_append("/variants", std::to_string(i));
    const json& v = (*variants)[i];
    if (!v.is_object()) {
      diag.error(sweep.where(at), "a variant must be a mapping with 'file' and/or 'name' and 'set', got " +
                                      Params::describe(v));
      continue;
    }
    const std::vector<std::string> known = {"name", "file", "set"};
    for (auto it = v.begin(); it != v.end(); ++it)
      if (std::find(known.begin(), known.end(), it.key()) == known.end())
        diag.error(sweep.key_where(pointer_append(at, it.key())),
                   "unknown key '" + it.key() + "' in a variant" + did_you_mean(it.key(), known));
    PlannedExperiment planned;
    planned.source_file = path;
    if (v.contains("file")) {
      if (!v["file"].is_string()) {
        diag.error(sweep.where(at + "/file"), "'file' must be a path, got " + Params::describe(v["file"]));
        continue;
      }
      fs::path variant_file =
          (fs::path(sweep.where(at + "/file").file).parent_path() / v["file"].get<std::string>())
              .lexically_normal();
      if (!fs::is_regular_file(variant_file)) {
        diag.error(sweep.where(at + "/file"), "variant file '" + v["file"].get<std::string>() +
                                                  "' not found (looked for " + variant_file.generic_string() +
                                                  ")");
        continue;
      }
      auto loaded = load_composed(variant_file, diag);
      if (!loaded) continue;
      if (loaded->own.find("/sweep")) {
        diag.error(sweep.where(at + "/file"), "a variant file must be an experiment, not a sweep");
        continue;
      }
      planned.doc = loaded->composed;
      planned.source_file = variant_file;
      merge_into(planned.doc, file.own);
    } else if (!v.contains("name")) {
      diag.error(sweep.where(at), "a variant needs a 'name' (with 'set') or a 'file'");
      continue;
    } else {
      planned.doc = file.composed;
    }
    if (v.contains("name"))
      set_dotted(planned.doc, "name", sweep.sub(at + "/name"), sweep.key_where(at + "/name"), diag);
    apply_sets(planned.doc, sweep, at + "/set", diag);
    out.push_back(std::move(planned));
  }
  return out;
}

std::vector<PlannedExperiment> expand_axes(const ComposedFile& file, const Document& sweep,
                                           const fs::path& path, Diagnostics& diag) {
  std::vector<PlannedExperiment> out;
  const json* axes = sweep.find("/axes");
  if (!axes->is_object() || axes->empty()) {
    diag.error(sweep.where("/axes"),
               "'axes' must be a mapping of dotted keys to lists of values, got " + Params::describe(*axes));
    return out;
  }
  // In the order written (JSON objects sort their keys).
  std::vector<std::string> keys;
  for (auto it = axes->begin(); it != axes->end(); ++it) keys.push_back(it.key());
  auto written = [&](const std::string& key) {
    SourceLocation at = sweep.key_where(pointer_append("/axes", key));
    return std::make_pair(at.line, at.column);
  };
  std::sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) { return written(a) < written(b); });
  size_t count = 1;
  for (const auto& key : keys) {
    const json& values = (*axes)[key];
    if (!values.is_array() || values.empty()) {
      diag.error(sweep.where(pointer_append("/axes", key)),
                 "axis '" + key + "' must be a non-empty list of values, got " + Params::describe(values));
      return out;
    }
    count *= values.size();
  }
  std::optional<std::string> name_template;
  if (const json* t = sweep.find("/name_template")) {
    if (!t->is_string()) {
      diag.error(sweep.where("/name_template"),
                 "'name_template' must be a string, got " + Params::describe(*t));
      return out;
    }
    name_template = t->get<std::string>();
  }
  for (size_t n = 0; n < count; ++n) {
    PlannedExperiment planned{file.composed, path, keys, name_template, sweep.where("/name_template")};
    size_t rest = n;
    for (size_t a = keys.size(); a-- > 0;) {
      size_t size = (*axes)[keys[a]].size();
      std::string at = pointer_append(pointer_append("/axes", keys[a]), std::to_string(rest % size));
      rest /= size;
      if (!set_dotted(planned.doc, keys[a], sweep.sub(at), sweep.key_where(pointer_append("/axes", keys[a])),
                      diag))
        return {};
    }
    out.push_back(std::move(planned));
  }
  return out;
}

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string last_segment(const std::string& dotted) { return dotted.substr(dotted.rfind('.') + 1); }

// The value a template placeholder stands for, or nullptr.
const json* placeholder_value(const PlannedExperiment& p, const std::string& field, std::string& error) {
  std::vector<std::string> matches;
  for (const auto& axis : p.axes)
    if (axis == field || last_segment(axis) == field) matches.push_back(axis);
  if (matches.size() > 1) {
    error =
        "'{" + field + "}' matches several axes (" + matches[0] + ", " + matches[1] + "); write the full key";
    return nullptr;
  }
  std::string dotted = matches.empty() ? field : matches[0];
  std::string pointer;
  for (size_t start = 0; start <= dotted.size();) {
    size_t dot = std::min(dotted.find('.', start), dotted.size());
    pointer = pointer_append(pointer, dotted.substr(start, dot - start));
    start = dot + 1;
  }
  const json* v = p.doc.find(pointer);
  if (!v) {
    std::vector<std::string> known{"name"};
    for (const auto& axis : p.axes) known.push_back(last_segment(axis));
    error = "unknown placeholder '{" + field + "}'" + did_you_mean(field, known) +
            "; use {name}, an axis name or a dotted key";
  }
  return v;
}

}  // namespace

std::vector<PlannedExperiment> expand_sweep(const ComposedFile& file, const Document& sweep,
                                            const fs::path& path, Diagnostics& diag) {
  const std::vector<std::string> known = {"axes", "variants", "name_template"};
  if (!sweep.value.is_object()) {
    diag.error(sweep.where(""),
               "'sweep' must be a mapping with 'axes' or 'variants', got " + Params::describe(sweep.value));
    return {};
  }
  for (auto it = sweep.value.begin(); it != sweep.value.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      diag.error(sweep.key_where(pointer_append("", it.key())),
                 "unknown key '" + it.key() + "' in 'sweep'" + did_you_mean(it.key(), known));
  bool axes = sweep.find("/axes"), variants = sweep.find("/variants");
  if (axes == variants) {
    diag.error(sweep.where(""), axes ? "a sweep has either 'axes' or 'variants', not both"
                                     : "a sweep needs 'axes' (values to combine) or 'variants' (a list)");
    return {};
  }
  if (variants && sweep.find("/name_template"))
    diag.error(sweep.key_where("/name_template"),
               "'name_template' names experiments made from axes; "
               "give each variant a 'name' instead");
  return axes ? expand_axes(file, sweep, path, diag) : expand_variants(file, sweep, path, diag);
}

void name_experiment(PlannedExperiment& p, Diagnostics& diag) {
  if (p.axes.empty()) return;
  const json* base = p.doc.find("/name");
  std::string name = base && base->is_string() ? base->get<std::string>() : "";
  std::string out;
  if (!p.name_template) {
    out = name;
    for (const auto& axis : p.axes) {
      std::string error;
      const json* v = placeholder_value(p, axis, error);
      out += "-" + last_segment(axis) + "_" + (v ? text_of(*v) : "");
    }
  } else {
    const std::string& t = *p.name_template;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] != '{') {
        out += t[i];
        continue;
      }
      size_t close = t.find('}', i);
      if (close == std::string::npos) {
        diag.error(p.template_at, "name_template '" + t + "' has a '{' without its '}'");
        return;
      }
      std::string field = t.substr(i + 1, close - i - 1), error;
      if (field == "name") {
        out += name;
      } else if (const json* v = placeholder_value(p, field, error)) {
        out += text_of(*v);
      } else {
        diag.error(p.template_at, "name_template: " + error);
        return;
      }
      i = close;
    }
  }
  Document named;
  named.value = out;
  named.values[""] = p.template_at;
  p.doc.put("/name", named, p.template_at);
}

}  // namespace lq
