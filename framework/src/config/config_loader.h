// Loading experiments from YAML: the public entry point of config/.
//
// A file is either one experiment or a sweep (a file with a `sweep:` section, see sweep.h). Either
// may start from `base: other.yaml` (see composition.h). The result is fully resolved: defaults filled
// in, relative paths resolved (see experiment_builder.h), `resolved` holding the effective configuration
// and `config_hash` the SHA-256 of its canonical dump.
//
// Every problem is reported to the Diagnostics as `file:line:column: message`, all of them at once;
// plugin parameters keep their locations too (Params::location), whether they were written in the file,
// in a base file, or given with --set (location "--set").
//
//   Diagnostics diag;
//   auto experiments = load_experiments("configs/bnb_4bit_nf4.yaml", {"quantization.params.blocksize=128"},
//   diag); validate_plugins(experiments, registry, diag); diag.throw_if_errors();   // or print diag.str()
//   and exit 2
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/experiment.h"

namespace lq {

class PluginRegistry;

// Where the value at JSON `pointer` ("/quantization/backend") of a loaded experiment was written, or
// its nearest written parent.
SourceLocation source_of(const Experiment& experiment, const std::string& pointer);

// Loads `file`. Each override is "dotted.key=value", the value parsed as YAML (`blocksize=128` is a
// number, `quant_type=fp4` a string, `params={a: 1}` a mapping); overrides are applied last, to every
// experiment of a sweep, and replace what they name (no merge). Returns the experiments that were
// valid; check diag.ok() before using them. Experiment names within one file must be distinct.
std::vector<Experiment> load_experiments(const std::filesystem::path& file,
                                         const std::vector<std::string>& overrides, Diagnostics& diag);

// Runs the plugins' own checks: scans each experiment's plugin_paths into `registry`, then creates each
// experiment's backend and tasks and calls their configure(). Unknown plugins are reported (with a
// did-you-mean) at the line naming them. An error shared by several experiments is reported once.
void validate_plugins(const std::vector<Experiment>& experiments, PluginRegistry& registry,
                      Diagnostics& diag);

}  // namespace lq
