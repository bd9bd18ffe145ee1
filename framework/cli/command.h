// The verbs of the `llama-quant` command. Each verb is one file of this folder that registers itself.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "util/args.h"

namespace lq::cli {

struct Verb {
  std::string name;
  std::string summary;  // one line, for `llama-quant --help`
  std::string usage;    // the verb's own --help text
  std::function<int(Args&)> run;
};

std::vector<Verb>& verbs();

struct RegisterVerb {
  explicit RegisterVerb(Verb verb) { verbs().push_back(std::move(verb)); }
};

// Exit codes, for every verb.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // some experiment failed
constexpr int kExitUsage = 2;   // bad usage or configuration

}  // namespace lq::cli
