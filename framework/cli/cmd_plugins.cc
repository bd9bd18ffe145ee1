// llama-quant plugins: what plugins were found, and which were refused and why.
#include <iomanip>
#include <iostream>

#include "command.h"
#include "plugin/plugin_registry.h"

namespace lq::cli {
namespace {

int run_plugins(Args& args) {
  auto extra = args.options("plugin-path");
  bool as_json = args.flag("json");
  args.finish();
  PluginRegistry registry;
  for (const auto& dir : extra) registry.scan(dir);
  registry.scan_default();
  if (as_json) {
    json out = {{"plugins", json::array()}, {"rejected", json::array()}};
    for (const auto& p : registry.plugins()) {
      json commands = json::array();
      for (const auto& c : p.commands) commands.push_back(c.name);
      out["plugins"].push_back({{"name", p.name},
                                {"kind", p.kind},
                                {"version", p.version},
                                {"description", p.description},
                                {"file", p.file.string()},
                                {"commands", commands}});
    }
    for (const auto& r : registry.rejected())
      out["rejected"].push_back({{"file", r.file.string()}, {"reason", r.reason}});
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(14) << "name" << std::setw(9) << "kind" << std::setw(9) << "version"
            << "file\n";
  for (const auto& p : registry.plugins()) {
    std::cout << std::setw(14) << p.name << std::setw(9) << p.kind << std::setw(9) << p.version
              << p.file.string() << "\n";
    if (!p.description.empty()) std::cout << "  " << p.description << "\n";
    for (const auto& c : p.commands) std::cout << "  verb: " << c.name << " - " << c.summary << "\n";
  }
  if (registry.plugins().empty()) std::cout << "(no plugins found)\n";
  for (const auto& r : registry.rejected())
    std::cout << "refused " << r.file.string() << ": " << r.reason << "\n";
  std::cout << "searched:";
  for (const auto& d : PluginRegistry::default_search_path()) std::cout << " " << d.string();
  for (const auto& d : extra) std::cout << " " << d;
  std::cout << "\n";
  return kExitOk;
}

const RegisterVerb registered{{"plugins", "list the plugins found, and those refused with the reason",
                               "usage: llama-quant plugins [--plugin-path DIR]... [--json]\n\n"
                               "Searches the build's plugin folder, the installed one, $LQ_PLUGIN_PATH\n"
                               "(colon-separated) and each --plugin-path.\n",
                               run_plugins}};

}  // namespace
}  // namespace lq::cli
