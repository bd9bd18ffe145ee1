// Prompts, gold answers and prediction post-processing, byte for byte as lm-evaluation-harness's coqa
// task (lm_eval/tasks/coqa/utils.py and default.yaml, task version 3) builds them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coqa_data.h"

namespace lq::coqa {

enum class Variant {
  kAllTurns,  // "coqa": one prompt per turn, the official CoQA protocol
  kLastTurn,  // "coqa_last_turn": one prompt per story, its last turn (the harness's `coqa` task)
};

std::optional<Variant> parse_variant(std::string_view name);
std::string variant_name(Variant v);

// The stop string the harness generates until.
constexpr std::string_view kStop = "\nQ:";

// The story, a blank line, "Q: {question}\n\nA: {answer}\n\n" for every turn before `turn`, then
// "Q: {question of turn}\n\nA:". `turn` is 1-based.
std::string build_prompt(const Story& story, int turn);

// Turn `turn`'s answer, then each additional answer that differs from all those kept so far under
// Python's str.lower() (the harness's doc_to_target).
std::vector<std::string> golds_for_turn(const Story& story, int turn);

struct Prompt {
  size_t story_index = 0;  // into Dataset::stories
  int turn = 0;            // 1-based
  std::string text;
  std::vector<std::string> golds;
};

// The prompts of the given stories in story then turn order.
std::vector<Prompt> build_prompts(const Dataset& data, const std::vector<size_t>& stories, Variant variant);

// The harness's process_results: the generation (already cut before the stop string) stripped of
// surrounding whitespace, up to its first newline.
std::string extract_prediction(std::string_view generation);

}  // namespace lq::coqa
