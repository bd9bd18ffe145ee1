// llama-quant: what does this quantization do to this model?
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "command.h"
#include "llama_quant/diagnostics.h"
#include "llama_quant/suggest.h"
#include "plugin/plugin_registry.h"
#include "util/logging.h"

namespace lq::cli {

std::vector<Verb>& verbs() {
  static std::vector<Verb> all;
  return all;
}

namespace {

void print_help(std::ostream& out) {
  out << "llama-quant " LQ_VERSION
         " - measure what quantization does to a Llama model\n\n"
         "usage: llama-quant VERB [options] [-v|-q]\n\nverbs:\n";
  auto sorted = verbs();
  std::sort(sorted.begin(), sorted.end(), [](const Verb& a, const Verb& b) { return a.name < b.name; });
  for (const auto& v : sorted)
    out << "  " << v.name << std::string(16 - std::min<size_t>(15, v.name.size()), ' ') << v.summary << "\n";
  out << "\nPlugins may add verbs (see `llama-quant plugins`). `llama-quant VERB --help` for a verb's "
         "options.\n"
         "Exit codes: 0 success, 1 an experiment failed, 2 bad usage or configuration.\n";
}

int run_plugin_verb(const std::string& verb, int argc, char** argv) {
  PluginRegistry registry;
  registry.scan_default();
  const LoadedPlugin* plugin = registry.find_command(verb);
  if (!plugin) return -1;
  std::vector<std::string> args(argv + 2, argv + argc);
  return registry.run_command(*plugin, verb, args, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_help(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  if (std::string(argv[1]) == "--version") {
    std::cout << "llama-quant " LQ_VERSION "\n";
    return kExitOk;
  }
  std::string name = argv[1];
  for (auto& verb : verbs()) {
    if (verb.name != name) continue;
    try {
      Args args(argc - 2, argv + 2);
      if (args.flag("help") || args.flag("h")) {
        std::cout << verb.usage;
        return kExitOk;
      }
      setup_logging(args.flag("v") || args.flag("verbose"), args.flag("q") || args.flag("quiet"));
      return verb.run(args);
    } catch (const UsageError& e) {
      std::cerr << "llama-quant " << name << ": " << e.what() << "\n\n" << verb.usage;
      return kExitUsage;
    } catch (const Error& e) {
      std::cerr << "llama-quant " << name << ": " << e.what() << "\n";
      return kExitUsage;
    } catch (const std::exception& e) {
      std::cerr << "llama-quant " << name << ": internal error: " << e.what() << "\n";
      return kExitFailed;
    }
  }
  try {
    int rc = run_plugin_verb(name, argc, argv);
    if (rc >= 0) return rc;
  } catch (const std::exception& e) {
    std::cerr << "llama-quant " << name << ": " << e.what() << "\n";
    return kExitFailed;
  }
  std::vector<std::string> names;
  for (const auto& v : verbs()) names.push_back(v.name);
  std::cerr << "llama-quant: unknown verb '" << name << "'" << did_you_mean(name, names)
            << "; see `llama-quant --help`\n";
  return kExitUsage;
}

}  // namespace lq::cli

int main(int argc, char** argv) { return lq::cli::main(argc, argv); }
