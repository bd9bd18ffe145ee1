// PluginRegistry: finds plugin libraries, checks them and creates backends and tasks from them.
//
// Each library stays loaded for as long as anything made from it lives: every object handed out keeps
// a reference to its library, so a model's quantized layers outlive the registry safely.
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "llama_quant/plugin.h"

namespace boost::dll {
class shared_library;
}

namespace lq {

struct LoadedPlugin {
  std::string name, kind, version, description;
  std::filesystem::path file;
  std::vector<PluginCommand> commands;
  std::shared_ptr<boost::dll::shared_library> library;
};

struct RejectedPlugin {
  std::filesystem::path file;
  std::string reason;
};

class PluginRegistry {
 public:
  // The default search path: every folder in $LQ_PLUGIN_PATH (colon-separated), then the installed
  // plugin folder next to the executable, or the build's plugin folder when not installed.
  static std::vector<std::filesystem::path> default_search_path();

  // Loads every "*.so" in `dir` (not recursive). A missing folder is ignored.
  void scan(const std::filesystem::path& dir);
  void scan_default();
  // Loads one file; a bad one is recorded in rejected(), never thrown.
  void load(const std::filesystem::path& file);

  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  const std::vector<RejectedPlugin>& rejected() const { return rejected_; }
  const LoadedPlugin* find(const std::string& name) const;
  std::vector<std::string> names(const std::string& kind) const;

  // Throw lq::Error naming the plugin when it is unknown or of another kind.
  std::shared_ptr<QuantBackend> create_backend(const std::string& name) const;
  std::shared_ptr<EvalTask> create_task(const std::string& name) const;

  // The plugin providing command-line verb `verb`, or nullptr.
  const LoadedPlugin* find_command(const std::string& verb) const;
  int run_command(const LoadedPlugin& plugin, const std::string& verb, const std::vector<std::string>& args,
                  std::ostream& out, std::ostream& err) const;

 private:
  const LoadedPlugin& require(const std::string& name, const std::string& kind) const;

  std::vector<LoadedPlugin> plugins_;
  std::vector<RejectedPlugin> rejected_;
  std::vector<std::filesystem::path> scanned_;
};

}  // namespace lq
