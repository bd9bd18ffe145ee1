// Turns one combined configuration Document into a checked Experiment: every key, type and value
// the framework itself reads is checked here (plugin parameters are checked by the plugins), defaults
// are filled in, relative paths resolved, and the resolved JSON and its hash recorded.
#pragma once

#include <filesystem>
#include <optional>

#include "config/document.h"
#include "config/experiment.h"

namespace lq {

// The keys an experiment may have, for did-you-mean suggestions elsewhere.
const std::vector<std::string>& experiment_keys();

// Checks `doc` (base files, sweep values and overrides already applied; no `base` or `sweep` keys).
// Reports every problem to `diag`; returns nullopt when there was any.
//
// A relative path (model.path, model.tokenizer, output_dir, plugin_paths) is resolved against the folder of
// the YAML file that wrote it, so a base file in configs/base/ says `../../models/x.gguf`; a path from --set
// or a default (output_dir: results) is resolved against the working directory.
std::optional<Experiment> build_experiment(const Document& doc, const std::filesystem::path& source_file,
                                           Diagnostics& diag);

// The experiment as resolved JSON: every key of the YAML schema with its final value (the record's
// "config", the source of config_hash, and what a child process is handed).
json resolved_json(const Experiment& e);

// The canonical text an experiment's config_hash is the SHA-256 of: its resolved JSON, keys sorted.
std::string canonical_dump(const json& resolved);

}  // namespace lq
