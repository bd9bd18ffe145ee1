// Composition of experiment files: `base: other.yaml` names a file whose values this one overrides
// (deep merge of mappings, lists replaced), chains allowed, cycles reported.
#pragma once

#include <filesystem>
#include <optional>

#include "config/document.h"

namespace lq {

struct ComposedFile {
  Document own;       // what the file itself says, without `base`
  Document composed;  // its base chain with `own` merged on top
};

// Reads `file` and its base chain. A base path is relative to the file that names it. Every problem is
// reported to `diag`; nullopt when the file could not be read. Without a `name` anywhere in the chain,
// the experiment is named after the file (bnb_4bit_nf4.yaml -> bnb_4bit_nf4).
std::optional<ComposedFile> load_composed(const std::filesystem::path& file, Diagnostics& diag);

}  // namespace lq
