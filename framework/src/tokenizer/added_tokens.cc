#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace lq {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : by_first_byte_(256) {
  for (const AddedToken& t : tokens)
    if (!t.content.empty()) tokens_.push_back(t);
  for (const AddedToken& t : tokens_) by_first_byte_[static_cast<unsigned char>(t.content[0])].push_back(&t);
  for (auto& bucket : by_first_byte_)
    std::stable_sort(bucket.begin(), bucket.end(),
                     [](const AddedToken* a, const AddedToken* b) { return a->content.size() > b->content.size(); });
}

AddedTokenMatcher::Match AddedTokenMatcher::find(std::string_view text, size_t from) const {
  if (!tokens_.empty())
    for (size_t pos = from; pos < text.size(); ++pos)
      for (const AddedToken* t : by_first_byte_[static_cast<unsigned char>(text[pos])])
        if (text.compare(pos, t->content.size(), t->content) == 0) return {pos, t->content.size(), t->id};
  return {text.size(), 0, -1};
}

}  // namespace lq
