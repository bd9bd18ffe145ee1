// Plain-C++ parts of generation: stop strings and the prefix-wave schedule.
#include <gtest/gtest.h>

#include "generation/prefix_schedule.h"
#include "generation/stop_strings.h"

namespace lq {
namespace {

TEST(FindStop, EarliestOfSeveralAndEmptyIgnored) {
  EXPECT_EQ(find_stop("yes\nQ: what", {"\nQ:"}), std::optional<size_t>(3));
  EXPECT_EQ(find_stop("a.b\nQ:", {"\nQ:", "."}), std::optional<size_t>(1));
  EXPECT_FALSE(find_stop("yes\nQ", {"\nQ:", ""}).has_value());
}

const std::vector<std::vector<TokenId>> kPrompts = {
    {1, 2, 3, 4, 5},     // 0: story A turn 2
    {9, 9},              // 1: story B turn 1
    {1, 2, 3},           // 2: story A turn 1
    {1, 2, 3, 4, 5, 6},  // 3: story A turn 3
    {9, 9, 8},           // 4: story B turn 2
    {1, 2, 7},           // 5: shares a prefix with A but extends nothing: a family of its own
    {9, 9},              // 6: a duplicate runs after the first
};

TEST(PrefixBatches, TurnsOfAConversationGoInSuccessiveBatches) {
  using B = std::vector<std::vector<size_t>>;
  // Families in order of first prompt: A (0), B (1), C (5). Within a wave, longest first.
  EXPECT_EQ(prefix_batches(kPrompts, 8), (B{{2, 5, 1}, {0, 6}, {3, 4}}));
  // Two families at a time: A and B through all their turns, then C.
  EXPECT_EQ(prefix_batches(kPrompts, 2), (B{{2, 1}, {0, 6}, {3, 4}, {5}}));
  EXPECT_EQ(prefix_batches(kPrompts, 1), (B{{2}, {0}, {3}, {1}, {6}, {4}, {5}}));
}

TEST(PrefixBatches, EmptyInput) { EXPECT_TRUE(prefix_batches({}, 4).empty()); }

}  // namespace
}  // namespace lq
