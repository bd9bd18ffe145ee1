#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace lq {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : by_first_byte_(256) {
  for (const AddedToken& t : tokens)
    if (!t.content.empty()) tokens_.push_back(t);
  for (size_t i = 0; i < tokens_.size(); ++i)
    by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  for (auto& bucket : by_first_byte_)
    std::stable_sort(bucket.begin(), bucket.end(), [&](size_t a, size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
}

AddedTokenMatcher::Match AddedTokenMatcher::find(std::string_view text, size_t from) const {
  if (!tokens_.empty())
    for (size_t pos = from; pos < text.size(); ++pos)
      for (size_t i : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
        const AddedToken& t = tokens_[i];
        if (text.compare(pos, t.content.size(), t.content) == 0) return {pos, t.content.size(), t.id};
      }
  return {text.size(), 0, -1};
}

}  // namespace lq
