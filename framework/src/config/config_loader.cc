#include "config/config_loader.h"

#include <set>

#include "config/composition.h"
#include "config/experiment_builder.h"
#include "config/sweep.h"
#include "plugin/plugin_registry.h"

namespace lq {
namespace {

namespace fs = std::filesystem;

const SourceLocation kSetLocation{"--set"};

// Appends the errors of `from` not already in `to` (a sweep's experiments share most of their lines).
void append_unique(Diagnostics& to, const Diagnostics& from) {
  std::set<std::string> seen;
  for (const auto& d : to.items()) seen.insert(d.str());
  for (const auto& d : from.items())
    if (seen.insert(d.str()).second) to.error(d.where, d.message);
}

struct Override {
  std::string key;
  Document value;
};

std::vector<Override> parse_overrides(const std::vector<std::string>& overrides, Diagnostics& diag) {
  std::vector<Override> out;
  for (const auto& text : overrides) {
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      diag.error(kSetLocation, "'" + text + "': expected KEY=VALUE, e.g. quantization.params.blocksize=128");
      continue;
    }
    Diagnostics bad;
    auto value = parse_yaml_text(text.substr(eq + 1), kSetLocation, bad);
    if (!value) {
      for (const auto& d : bad.items()) diag.error(kSetLocation, "'" + text + "': " + d.message);
      continue;
    }
    out.push_back({text.substr(0, eq), *value});
  }
  return out;
}

std::vector<PlannedExperiment> plan(const fs::path& file, Diagnostics& diag) {
  auto loaded = load_composed(file, diag);
  if (!loaded) return {};
  if (!loaded->own.find("/sweep")) {
    PlannedExperiment single;
    single.doc = loaded->composed;
    single.source_file = file;
    return {single};
  }
  Document sweep = loaded->own.sub("/sweep");
  loaded->own.erase("/sweep");
  loaded->composed.erase("/sweep");
  return expand_sweep(*loaded, sweep, file, diag);
}

}  // namespace

std::vector<Experiment> load_experiments(const fs::path& file, const std::vector<std::string>& overrides,
                                         Diagnostics& diag) {
  Diagnostics found;
  std::vector<Override> sets = parse_overrides(overrides, found);
  bool overrides_ok = found.ok();
  std::vector<PlannedExperiment> planned = plan(file, found);
  std::vector<Experiment> out;
  std::map<std::string, SourceLocation> names;
  for (auto& p : planned) {
    Diagnostics own;
    for (const auto& s : sets) set_dotted(p.doc, s.key, s.value, kSetLocation, own);
    name_experiment(p, own);
    if (own.ok()) {
      if (auto e = build_experiment(p.doc, p.source_file, own)) {
        auto [first, fresh] = names.emplace(e->name, p.doc.where("/name"));
        if (fresh)
          out.push_back(std::move(*e));
        else
          own.error(p.doc.where("/name"), "two experiments are named '" + e->name + "' (the other from " +
                                              first->second.str() +
                                              "); their results would overwrite each other");
      }
    }
    append_unique(found, own);
  }
  append_unique(diag, found);
  if (!overrides_ok) out.clear();  // what was asked for is unclear: run nothing
  return out;
}

SourceLocation source_of(const Experiment& experiment, const std::string& pointer) {
  if (!experiment.sources) return {};
  return Params(json::object(), pointer, experiment.sources).location();
}

void validate_plugins(const std::vector<Experiment>& experiments, PluginRegistry& registry,
                      Diagnostics& diag) {
  Diagnostics found;
  for (const auto& e : experiments) {
    for (const auto& dir : e.plugin_paths) registry.scan(dir);
    Diagnostics own;
    auto check = [&](const std::string& name, const std::string& kind, const std::string& named_at,
                     const Params& params, auto configure) {
      SourceLocation named = source_of(e, named_at);
      const LoadedPlugin* plugin = registry.find(name);
      if (!plugin || plugin->kind != kind) {
        std::vector<std::string> names = registry.names(kind);
        std::string listed;
        for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
        own.error(named, "unknown " + kind + " plugin '" + name + "'" + did_you_mean(name, names) +
                             (plugin ? " ('" + name + "' is a " + plugin->kind + " plugin)" : "") +
                             "; found: " + (listed.empty() ? "none" : listed) +
                             " (see `llama-quant plugins`, add folders with plugin_paths or --plugin-path)");
        return;
      }
      try {
        configure(params);
      } catch (const Error& error) {
        own.error(named, kind + " plugin '" + name + "': " + error.what());
      }
    };
    check(e.quantization.backend, "backend", "/quantization/backend", e.quantization.params,
          [&](const Params& p) { registry.create_backend(e.quantization.backend)->configure(p, own); });
    for (size_t i = 0; i < e.tasks.size(); ++i) {
      const TaskSpec& t = e.tasks[i];
      check(t.name, "task", "/tasks/" + std::to_string(i) + "/name", t.params,
            [&](const Params& p) { registry.create_task(t.name)->configure(p, own); });
    }
    append_unique(found, own);
  }
  diag.append(found);
}

}  // namespace lq
