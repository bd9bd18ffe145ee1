// Errors with a source location, collected so that a configuration reports all its problems at once.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "llama_quant/api.h"

namespace lq {

// Where a value came from: a file with line and column (1-based), or a pseudo-source like "--set".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  std::string str() const {
    if (file.empty()) return "<unknown>";
    if (line <= 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

// An error a user can act on: bad input, bad configuration. Its message names the file.
class LQ_SDK_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Diagnostic {
  SourceLocation where;
  std::string message;
  std::string str() const { return where.str() + ": " + message; }
};

class Diagnostics {
 public:
  void error(SourceLocation where, std::string message) {
    items_.push_back({std::move(where), std::move(message)});
  }
  bool ok() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  void append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  }
  // One line per error, in the order found.
  std::string str() const {
    std::string out;
    for (const auto& d : items_) out += d.str() + "\n";
    return out;
  }
  // Throws an Error holding every message when anything was reported.
  void throw_if_errors() const {
    if (!ok()) throw Error(str());
  }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace lq
