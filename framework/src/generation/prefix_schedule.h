// The order in which a generator runs prompts so that prefix reuse pays: a prompt that extends another
// prompt of the same call (a conversation's next turn) runs in a later wave than the prompt it extends,
// whose keys/values are then in the prefix cache.
#pragma once

#include <cstddef>
#include <vector>

#include "llama_quant/tokenizer.h"

namespace lq {

// Waves of prompt indices. A prompt's wave is the number of other prompts that are token prefixes of it
// (identical prompts count as prefixes of the later ones); within a wave the indices are ordered by
// prompt length, longest first, so that batches have similar lengths.
std::vector<std::vector<size_t>> prefix_waves(const std::vector<std::vector<TokenId>>& prompts);

}  // namespace lq
