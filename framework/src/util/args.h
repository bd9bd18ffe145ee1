// Args: a small command-line parser. A verb asks for the options it knows; what is left over is either
// positional or an unknown option, reported by finish().
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lq {

// Bad command-line usage: the verb's usage is printed and the exit code is 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  Args(int argc, char** argv);
  explicit Args(std::vector<std::string> tokens);

  // --name (or -n for one-letter names). True when present.
  bool flag(const std::string& name);
  // --name VALUE or --name=VALUE; the last one wins.
  std::optional<std::string> option(const std::string& name);
  // Every --name VALUE, in order (e.g. repeated --set).
  std::vector<std::string> options(const std::string& name);
  // Typed forms; a malformed number is a UsageError.
  std::optional<int64_t> integer(const std::string& name);

  // The remaining non-option arguments; throws UsageError for any option nobody asked for.
  std::vector<std::string> finish();

 private:
  static std::string dashed(const std::string& name);
  std::vector<std::string> tokens_;
  std::vector<bool> used_;
};

}  // namespace lq
