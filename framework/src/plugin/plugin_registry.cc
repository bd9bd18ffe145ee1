#include "plugin/plugin_registry.h"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <system_error>

#include "llama_quant/diagnostics.h"
#include "llama_quant/suggest.h"
#include "plugin/anchored.h"
#include "plugin/anchored_backend.h"

namespace lq {
namespace fs = std::filesystem;
namespace dll = boost::dll;

std::vector<fs::path> PluginRegistry::default_search_path() {
  // $LQ_PLUGIN_PATH first: on a name clash the first plugin found wins, so users can override.
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("LQ_PLUGIN_PATH")) {
    std::string s = env;
    for (size_t start = 0; start <= s.size();) {
      size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) dirs.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  // An installed llama-quant uses its installed plugins; one run from the build tree, the build's.
  std::error_code ec;
  fs::path exe = dll::program_location(ec);
  fs::path installed = exe.parent_path().parent_path() / "lib" / "llama-quant" / "plugins";
  if (!ec && fs::is_directory(installed, ec)) {
    dirs.push_back(installed);
  } else {
#ifdef LQ_BUILD_PLUGIN_DIR
    dirs.emplace_back(LQ_BUILD_PLUGIN_DIR);
#endif
  }
  return dirs;
}

void PluginRegistry::scan_default() {
  for (const auto& dir : default_search_path()) scan(dir);
}

void PluginRegistry::scan(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  fs::path canonical = fs::weakly_canonical(dir, ec);
  for (const auto& seen : scanned_)
    if (seen == canonical) return;
  scanned_.push_back(canonical);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  std::sort(files.begin(), files.end());  // a stable order decides which of two same-named plugins wins
  for (const auto& f : files) load(f);
}

void PluginRegistry::load(const fs::path& file) {
  auto reject = [&](std::string reason) { rejected_.push_back({file, std::move(reason)}); };
  auto library = std::make_shared<dll::shared_library>();
  boost::dll::fs::error_code ec;
  library->load(file, dll::load_mode::rtld_now | dll::load_mode::rtld_local, ec);
  if (ec || !library->is_loaded()) {
    reject("not a loadable shared library (" + ec.message() + ")");
    return;
  }
  // The API version is the first thing read: nothing else in a plugin of another ABI may be touched.
  if (!library->has("lq_plugin_api_version")) {
    reject("does not export lq_plugin_api_version: not a llama-quant plugin");
    return;
  }
  int version = library->get_alias<int()>("lq_plugin_api_version")();
  if (version != LQ_API_VERSION) {
    reject("built for plugin API " + std::to_string(version) + ", this llama-quant has API " +
           std::to_string(LQ_API_VERSION) + "; rebuild the plugin against this SDK");
    return;
  }
  if (!library->has("lq_plugin_info")) {
    reject("does not export lq_plugin_info");
    return;
  }
  const PluginInfo* info = library->get_alias<const PluginInfo*()>("lq_plugin_info")();
  if (!info || !info->name || !info->kind || !info->version) {
    reject("lq_plugin_info returned incomplete metadata");
    return;
  }
  LoadedPlugin plugin{info->name, info->kind, info->version, info->description ? info->description : "",
                      file,       {},         nullptr};
  const char* factory = plugin.kind == "backend" ? "lq_create_backend"
                        : plugin.kind == "task"  ? "lq_create_task"
                                                 : nullptr;
  if (!factory) {
    reject("unknown plugin kind '" + plugin.kind + "' (expected backend or task)");
    return;
  }
  if (!library->has(factory)) {
    reject(std::string("a ") + plugin.kind + " plugin must export " + factory);
    return;
  }
  if (const LoadedPlugin* other = find(plugin.name)) {
    reject("a plugin named '" + plugin.name + "' was already loaded from " + other->file.string());
    return;
  }
  if (library->has("lq_plugin_commands") && library->has("lq_run_command")) {
    const CommandList* list = library->get_alias<const CommandList*()>("lq_plugin_commands")();
    if (list) plugin.commands = *list;
  }
  plugin.library = std::move(library);
  plugins_.push_back(std::move(plugin));
}

const LoadedPlugin* PluginRegistry::find(const std::string& name) const {
  for (const auto& p : plugins_)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> PluginRegistry::names(const std::string& kind) const {
  std::vector<std::string> out;
  for (const auto& p : plugins_)
    if (p.kind == kind) out.push_back(p.name);
  return out;
}

const LoadedPlugin& PluginRegistry::require(const std::string& name, const std::string& kind) const {
  const LoadedPlugin* p = find(name);
  if (!p) {
    std::string known;
    for (const auto& n : names(kind)) known += (known.empty() ? "" : ", ") + n;
    throw Error("no " + kind + " plugin named '" + name + "'" + did_you_mean(name, names(kind)) +
                "; available: " + (known.empty() ? "none" : known) + " (see `llama-quant plugins`)");
  }
  if (p->kind != kind)
    throw Error("plugin '" + name + "' is a " + p->kind + " plugin, not a " + kind + " plugin");
  return *p;
}

std::shared_ptr<QuantBackend> PluginRegistry::create_backend(const std::string& name) const {
  const LoadedPlugin& p = require(name, "backend");
  std::shared_ptr<QuantBackend> raw(p.library->get_alias<QuantBackend*()>("lq_create_backend")());
  if (!raw) throw Error("plugin '" + name + "' (" + p.file.string() + ") returned no backend");
  return std::make_shared<AnchoredBackend<dll::shared_library>>(anchored(raw, p.library), p.library);
}

std::shared_ptr<EvalTask> PluginRegistry::create_task(const std::string& name) const {
  const LoadedPlugin& p = require(name, "task");
  std::shared_ptr<EvalTask> raw(p.library->get_alias<EvalTask*()>("lq_create_task")());
  if (!raw) throw Error("plugin '" + name + "' (" + p.file.string() + ") returned no task");
  return anchored(raw, p.library);
}

const LoadedPlugin* PluginRegistry::find_command(const std::string& verb) const {
  for (const auto& p : plugins_)
    for (const auto& c : p.commands)
      if (verb == c.name) return &p;
  return nullptr;
}

int PluginRegistry::run_command(const LoadedPlugin& plugin, const std::string& verb,
                                const std::vector<std::string>& args, std::ostream& out,
                                std::ostream& err) const {
  return plugin.library->get_alias<CommandFn>("lq_run_command")(verb, args, out, err);
}

}  // namespace lq
