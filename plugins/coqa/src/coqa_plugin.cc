// The plugin's entry points: the `coqa` task and its verbs.
#include <llama_quant/plugin.h>

#include "commands.h"
#include "coqa_task.h"

namespace {

lq::CommandList commands() {
  // PluginCommand holds C strings: the summaries live as long as the plugin.
  static const auto summaries = lq::coqa::command_summaries();
  lq::CommandList list;
  for (const auto& [name, summary] : summaries) list.push_back({name.c_str(), summary.c_str()});
  return list;
}

}  // namespace

LQ_TASK_PLUGIN(
    lq::coqa::CoqaTask, "coqa", "1.0",
    "CoQA conversational QA: EM/F1 as lm-evaluation-harness's coqa task (variants coqa, coqa_last_turn)")
LQ_PLUGIN_COMMANDS(commands, lq::coqa::run_command)
