#include "config/composition.h"

#include <vector>

namespace lq {
namespace {

namespace fs = std::filesystem;

std::optional<ComposedFile> load_chain(const fs::path& file, std::vector<fs::path>& chain,
                                       Diagnostics& diag) {
  auto own = read_yaml_file(file, diag);
  if (!own) return std::nullopt;
  ComposedFile out;
  const json* base = own->find("/base");
  if (chain.size() > 1 && own->find("/sweep"))
    diag.error(own->key_where("/sweep"), "a base file must be an experiment, not a sweep");
  if (base && !base->is_string()) {
    diag.error(own->where("/base"),
               "'base' must be the path of an experiment file, got " + Params::describe(*base));
  } else if (base) {
    SourceLocation at = own->where("/base");
    fs::path path = (fs::path(at.file).parent_path() / base->get<std::string>()).lexically_normal();
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    if (!fs::is_regular_file(path, ec)) {
      diag.error(at, "base file '" + base->get<std::string>() + "' not found (looked for " +
                         path.generic_string() + ")");
    } else if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
      std::string cycle;
      auto start = std::find(chain.begin(), chain.end(), canonical);
      for (auto it = start; it != chain.end(); ++it) cycle += it->filename().string() + " -> ";
      diag.error(at, "base cycle: " + cycle + canonical.filename().string());
    } else {
      chain.push_back(canonical);
      if (auto parent = load_chain(path, chain, diag)) out.composed = parent->composed;
      chain.pop_back();
    }
  }
  own->erase("/base");
  out.own = *own;
  if (out.composed.values.empty()) out.composed.values[""] = own->where("");
  merge_into(out.composed, out.own);
  return out;
}

}  // namespace

std::optional<ComposedFile> load_composed(const fs::path& file, Diagnostics& diag) {
  std::error_code ec;
  std::vector<fs::path> chain{fs::weakly_canonical(file, ec)};
  auto out = load_chain(file, chain, diag);
  if (out && !out->composed.find("/name")) {
    Document stem;
    stem.value = file.stem().string();
    stem.values[""] = {file.lexically_normal().generic_string()};
    out->composed.put("/name", stem, stem.values[""]);
  }
  return out;
}

}  // namespace lq
