// The order in which a generator runs prompts so that prefix reuse pays. A prompt that extends another
// prompt of the same call (a conversation's next turn) must run in a later batch than the prompt it
// extends, whose keys/values are then in the prefix cache; and a conversation's turns should run close
// together, so that the cache need only hold a few conversations at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "llama_quant/tokenizer.h"

namespace lq {

// Batches of at most `max_batch` prompt indices, in run order. Prompts form families (a prompt and every
// prompt it is a token prefix of, transitively; identical prompts count as prefixes of the later ones).
// Families are taken max_batch at a time, in order of their first prompt; within such a group, a
// prompt's wave is its depth in its family (how many prompts of the call are prefixes of it), waves run
// in order, and each wave is cut into batches ordered by prompt length, longest first.
std::vector<std::vector<size_t>> prefix_batches(const std::vector<std::vector<TokenId>>& prompts,
                                                int64_t max_batch);

}  // namespace lq
