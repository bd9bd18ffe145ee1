// llama-quant validate: checks experiment and sweep files before anything heavy runs.
#include <iostream>

#include "command.h"
#include "config/config_loader.h"
#include "plugin/plugin_registry.h"

namespace lq::cli {
namespace {

int run_validate(Args& args) {
  auto overrides = args.options("set");
  auto plugin_dirs = args.options("plugin-path");
  auto files = args.finish();
  if (files.empty()) throw UsageError("give at least one experiment or sweep file");
  PluginRegistry registry;
  for (const auto& dir : plugin_dirs) registry.scan(dir);
  registry.scan_default();
  bool all_ok = true;
  for (const auto& file : files) {
    Diagnostics diag;
    auto experiments = load_experiments(file, overrides, diag);
    validate_plugins(experiments, registry, diag);  // those that loaded; all errors at once
    if (diag.ok()) {
      std::cout << file << ": ok (" << experiments.size()
                << (experiments.size() == 1 ? " experiment)\n" : " experiments)\n");
    } else {
      all_ok = false;
      std::cerr << diag.str();
    }
  }
  return all_ok ? kExitOk : kExitUsage;
}

const RegisterVerb registered{
    {"validate", "check experiment and sweep files, reporting every error at once",
     "usage: llama-quant validate FILE... [--set KEY=VALUE]... [--plugin-path DIR]...\n\n"
     "Loads each file (an experiment or a sweep) with its base files and the\n"
     "--set overrides (dotted key, YAML value, e.g. quantization.params.blocksize=128),\n"
     "checks every key and type, then lets each named plugin check its own\n"
     "parameters. Prints `FILE: ok (N experiments)`, or every error as\n"
     "file:line:column: message. Exit code 0 when all are valid, 2 otherwise.\n",
     run_validate}};

}  // namespace
}  // namespace lq::cli
