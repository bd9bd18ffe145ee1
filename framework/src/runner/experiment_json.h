// An Experiment as JSON and back: how the sweep runner hands a resolved experiment to its child process.
// Unlike the YAML loader this does no resolution (paths are already absolute or relative to the
// experiment's source file, which travels along); parameter locations point at the source file.
#pragma once

#include <string>

#include "config/experiment.h"

namespace lq {

json experiment_to_json(const Experiment& e);
// Throws lq::Error naming `file` and the field on malformed input.
Experiment experiment_from_json(const json& j, const std::string& file);

}  // namespace lq
