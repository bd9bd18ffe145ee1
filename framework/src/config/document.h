// Document: a configuration tree (JSON) that remembers where every value and key was written, so that
// errors found after base files, sweep axes and --set overrides were combined still point at the line
// that caused them. Values are addressed by JSON pointer ("/quantization/params/blocksize").
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "llama_quant/params.h"

namespace lq {

struct Document {
  json value = json::object();
  SourceMap values;  // pointer -> where the value was written
  SourceMap keys;    // pointer -> where the mapping key naming it was written

  // Where the value at `pointer` (or its nearest written parent) came from.
  SourceLocation where(const std::string& pointer) const;
  // Where the key naming `pointer` was written; falls back to where().
  SourceLocation key_where(const std::string& pointer) const;

  // The value at `pointer`, or nullptr.
  const json* find(const std::string& pointer) const;
  // The part of this document at `pointer`, re-rooted at "".
  Document sub(const std::string& pointer) const;
  // Replaces the value at `pointer` (whose parent must exist) with `part` and its locations; `key`
  // is where the key naming it was written.
  void put(const std::string& pointer, const Document& part, const SourceLocation& key);
  // Removes the value at `pointer` and its locations.
  void erase(const std::string& pointer);
};

// JSON pointer helpers: "/a/b" <-> {"a","b"}, with ~0 / ~1 escaping; "a.b" for messages.
std::string pointer_append(const std::string& pointer, const std::string& key);
std::vector<std::string> pointer_split(const std::string& pointer);
std::string pointer_dotted(const std::string& pointer);

// Reads a YAML file into a Document. Syntax errors, duplicate keys and unsupported YAML are reported
// with file:line:column (the file named as given); nullopt when nothing usable was read.
std::optional<Document> read_yaml_file(const std::filesystem::path& file, Diagnostics& diag);

// Parses YAML text (a --set value) into a Document whose every location is `where`.
std::optional<Document> parse_yaml_text(const std::string& text, const SourceLocation& where,
                                        Diagnostics& diag);

// Deep merge: mappings are merged key by key (recursively), anything else in `over` replaces what
// `base` had, lists included. Locations follow the values.
void merge_into(Document& base, const Document& over);

// Sets the value at a dotted key ("quantization.params.blocksize", "tasks.0.limit"): missing or null
// mappings on the way are created, a number selects a list element. `where` locates the key (for the
// created mappings and errors). Returns false after reporting when the key cannot be set.
bool set_dotted(Document& doc, const std::string& dotted, const Document& value, const SourceLocation& where,
                Diagnostics& diag);

}  // namespace lq
