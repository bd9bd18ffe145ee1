#include "tokenizer/byte_level_bpe.h"

#include <algorithm>

#include "llama_quant/diagnostics.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace lq {
namespace {

constexpr size_t kCacheLimit = size_t{1} << 17;  // words; the cache starts over when full
constexpr int64_t kMaxVocabulary = int64_t{1} << 24;

uint64_t pair_key(TokenId left, TokenId right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

int64_t vocabulary_size(const BpeSpec& spec) {
  int64_t size = 0;
  auto see = [&](TokenId id, const std::string& what) {
    if (id < 0 || id >= kMaxVocabulary)
      throw Error(spec.source + ": token id " + std::to_string(id) + " of " + what + " is out of range");
    size = std::max<int64_t>(size, int64_t{id} + 1);
  };
  for (const auto& [token, id] : spec.vocab) see(id, "'" + token + "'");
  for (const auto& t : spec.added) see(t.id, "added token '" + t.content + "'");
  if (size == 0) throw Error(spec.source + ": the vocabulary is empty");
  return size;
}

}  // namespace

BpeTokenizer::BpeTokenizer(BpeSpec spec)
    : source_(spec.source),
      added_(spec.added),
      splits_(spec.splits),
      ignore_merges_(spec.ignore_merges),
      prefix_(spec.prefix),
      suffix_(spec.suffix),
      unk_(spec.unk),
      bos_(spec.bos),
      eos_(spec.eos) {
  const int64_t size = vocabulary_size(spec);
  bytes_.resize(size);
  has_token_.assign(size, false);
  special_.assign(size, false);

  std::unordered_map<std::string, TokenId> by_string;
  by_string.reserve(spec.vocab.size());
  for (const auto& [token, id] : spec.vocab) {
    if (has_token_[id])
      throw Error(source_ + ": token id " + std::to_string(id) +
                  " is given to more than one token (again to '" + token + "')");
    has_token_[id] = true;
    bytes_[id] = byte_level::decode_token(token);
    by_string[token] = id;
    if (auto b = byte_level::to_bytes(token)) by_bytes_[*b] = id;
  }
  for (const AddedToken& t : spec.added) {
    has_token_[t.id] = true;
    bytes_[t.id] = byte_level::decode_token(t.content);
    special_[t.id] = t.special;
  }
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    utf8::append(ch, byte_level::byte_to_char(static_cast<uint8_t>(b)));
    auto it = by_string.find(ch);
    byte_token_[b] = it == by_string.end() ? -1 : it->second;
  }

  merges_.reserve(spec.merges.size());
  auto lookup = [&](const std::string& token, size_t rank, const char* what) {
    auto it = by_string.find(token);
    if (it == by_string.end())
      throw Error(source_ + ": merge " + std::to_string(rank) + " ('" + spec.merges[rank].first + " " +
                  spec.merges[rank].second + "') names " + what + " '" + token +
                  "', which is not in the vocabulary");
    return it->second;
  };
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    const auto& [left, right] = spec.merges[rank];
    TokenId l = lookup(left, rank, "the token");
    TokenId r = lookup(right, rank, "the token");
    TokenId merged = lookup(left + right, rank, "the merged token");
    merges_[pair_key(l, r)] = {static_cast<int32_t>(rank), merged};
  }

  auto check = [&](TokenId id, const char* what) {
    if (id < -1 || id >= size || (id >= 0 && !has_token_[id]))
      throw Error(source_ + ": " + what + " id " + std::to_string(id) + " is not in the vocabulary");
  };
  for (TokenId id : prefix_) check(id, "post-processor token");
  for (TokenId id : suffix_) check(id, "post-processor token");
  for (TokenId id : eos_) check(id, "EOS token");
  check(unk_, "unknown token");
  check(bos_, "BOS token");
}

const std::string& BpeTokenizer::token_bytes(TokenId id) const {
  if (id < 0 || id >= vocab_size() || !has_token_[id])
    throw Error(source_ + ": token id " + std::to_string(id) + " is not in the vocabulary (size " +
                std::to_string(vocab_size()) + ")");
  return bytes_[id];
}

std::vector<TokenId> BpeTokenizer::encode(std::string_view text, bool add_special) const {
  std::string clean;  // the text with invalid UTF-8 replaced, as a Python caller of the reference has it
  if (!utf8::is_valid(text)) {
    clean = utf8::sanitize(text);
    text = clean;
  }
  std::vector<TokenId> ids;
  if (add_special) ids = prefix_;
  std::vector<std::string_view> words;
  for (size_t pos = 0;;) {
    AddedTokenMatcher::Match m = added_.find(text, pos);
    words.clear();
    pre_tokenize(text.substr(pos, m.pos - pos), splits_, words);
    for (std::string_view w : words) encode_word(w, ids);
    if (m.id < 0) break;
    ids.push_back(m.id);
    pos = m.pos + m.length;
  }
  if (add_special) ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  return ids;
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  if (word.size() == 1 && byte_token_[static_cast<unsigned char>(word[0])] >= 0) {
    out.push_back(byte_token_[static_cast<unsigned char>(word[0])]);
    return;
  }
  std::string key(word);
  if (ignore_merges_) {
    auto it = by_bytes_.find(key);
    if (it != by_bytes_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<TokenId> ids;
  merge_word(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.emplace(std::move(key), std::move(ids));
}

// Merges the byte symbols of a word, always the pair of best rank first (leftmost among equals), as
// Hugging Face's BPE does; a heap keeps this O(n log n) for long words.
void BpeTokenizer::merge_word(std::string_view word, std::vector<TokenId>& out) const {
  struct Symbol {
    TokenId id;
    int prev, next;
  };
  struct Candidate {
    int32_t rank;
    int pos;
    TokenId left, right, merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (unsigned char b : word) {
    TokenId id = byte_token_[b] >= 0 ? byte_token_[b] : unk_;
    if (id < 0) continue;  // a byte the vocabulary lacks, and no unknown token: dropped, like the reference
    int n = static_cast<int>(symbols.size());
    symbols.push_back({id, n - 1, -1});
    if (n > 0) symbols[n - 1].next = n;
  }
  std::vector<Candidate> heap;
  auto consider = [&](int left) {
    int right = symbols[left].next;
    if (right < 0) return;
    auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (it == merges_.end()) return;
    heap.push_back({it->second.first, left, symbols[left].id, symbols[right].id, it->second.second});
    std::push_heap(heap.begin(), heap.end(), std::greater<>());
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    Candidate c = heap.back();
    heap.pop_back();
    Symbol& left = symbols[c.pos];
    if (left.id != c.left || left.next < 0 || symbols[left.next].id != c.right) continue;  // stale
    Symbol& right = symbols[left.next];
    left.id = c.merged;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.pos;
    right.id = -1;
    if (left.prev >= 0) consider(left.prev);
    consider(c.pos);
  }
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

std::string BpeTokenizer::decode(const std::vector<TokenId>& ids, bool skip_special) const {
  std::string bytes;
  for (TokenId id : ids) {
    const std::string& b = token_bytes(id);
    if (!(skip_special && special_[id])) bytes += b;
  }
  return utf8::is_valid(bytes) ? bytes : utf8::sanitize(bytes);
}

}  // namespace lq
