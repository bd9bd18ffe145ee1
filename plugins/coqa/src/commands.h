// The plugin's command-line verbs:
//   llama-quant coqa-score --predictions FILE.jsonl [--data FILE] [--variant coqa|coqa_last_turn]
//   llama-quant coqa-prompts [--data FILE] [--variant ...] [--story ID] [--turn N]
//   llama-quant coqa-synthesize --out FILE.json [--stories N] [--seed S]
// Without --data the first two use the embedded sample; coqa-synthesize draws its text from it.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace lq::coqa {

// (name, one-line summary) of each verb.
std::vector<std::pair<std::string, std::string>> command_summaries();
// Runs a verb: 0 on success, 1 for bad data, 2 for bad usage.
int run_command(const std::string& name, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err);

}  // namespace lq::coqa
