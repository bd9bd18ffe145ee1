#include "generation/prefix_cache.h"

#include <algorithm>

namespace lq {

PrefixCache::Match PrefixCache::lookup(const std::vector<TokenId>& tokens) {
  auto best = entries_.end();
  int64_t best_len = 0;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    auto [a, b] = std::mismatch(tokens.begin(), tokens.end(), it->tokens.begin(), it->tokens.end());
    const int64_t len = a - tokens.begin();
    if (len > best_len) best = it, best_len = len;
  }
  if (best == entries_.end()) return {};
  entries_.splice(entries_.begin(), entries_, best);
  return {&entries_.front(), best_len};
}

void PrefixCache::insert(Entry entry) {
  if (entry.bytes > budget_) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool superseded = it->tokens.size() <= entry.tokens.size() &&
                            std::equal(it->tokens.begin(), it->tokens.end(), entry.tokens.begin());
    if (superseded) {
      bytes_ -= it->bytes;
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  bytes_ += entry.bytes;
  entries_.push_front(std::move(entry));
  while (bytes_ > budget_) {
    bytes_ -= entries_.back().bytes;
    entries_.pop_back();
  }
}

}  // namespace lq
