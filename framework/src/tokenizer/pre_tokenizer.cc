#include "tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "tokenizer/unicode_class.h"
#include "tokenizer/utf8.h"

namespace lq {
namespace {

using unicode::kLetter;
using unicode::kNumber;
using unicode::kSpace;
using Span = std::pair<size_t, size_t>;  // [first, end) in code points

struct CodePoints {
  std::vector<char32_t> cp;
  std::vector<uint8_t> cls;
  std::vector<size_t> offset;  // byte offset of each code point, and the text's size at the end

  bool letter(size_t i) const { return cls[i] & kLetter; }
  bool number(size_t i) const { return cls[i] & kNumber; }
  bool space(size_t i) const { return cls[i] & kSpace; }
  bool other(size_t i) const { return cls[i] == unicode::kOther; }  // [^\s\p{L}\p{N}]
  bool newline(size_t i) const { return cp[i] == '\r' || cp[i] == '\n'; }
};

// Length of the contraction ('s 't 're 've 'm 'll 'd) at i, 0 when there is none. The Llama 3 regex
// matches it case-insensitively, under which U+017F (long s) is an 's'.
size_t contraction(const CodePoints& t, size_t i, size_t end, bool ignore_case) {
  if (t.cp[i] != '\'' || i + 1 >= end) return 0;
  auto lower = [&](size_t k) -> char32_t {
    char32_t c = t.cp[k];
    if (!ignore_case) return c;
    if (c >= 'A' && c <= 'Z') return c + ('a' - 'A');
    return c == 0x17F ? 's' : c;
  };
  char32_t a = lower(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= end) return 0;
  char32_t b = lower(i + 2);
  if (((a == 'r' || a == 'v') && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// \s*[\r\n]+ | \s+(?!\S) | \s+ at a whitespace code point i; `newlines`: try the first alternative.
size_t whitespace(const CodePoints& t, size_t i, size_t end, bool newlines) {
  size_t run = i;
  while (run < end && t.space(run)) ++run;
  if (newlines) {
    for (size_t k = run; k > i; --k)
      if (t.newline(k - 1)) return k - i;
  }
  if (run == end) return run - i;
  return run - i >= 2 ? run - i - 1 : 1;  // leave the last space to the word after it
}

template <class Pred>
size_t run_while(size_t from, size_t end, Pred pred) {
  size_t j = from;
  while (j < end && pred(j)) ++j;
  return j;
}

size_t llama3_match(const CodePoints& t, size_t i, size_t end) {
  if (size_t n = contraction(t, i, end, true)) return n;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (t.letter(i)) return run_while(i, end, [&](size_t k) { return t.letter(k); }) - i;
  if (!t.number(i) && !t.newline(i) && i + 1 < end && t.letter(i + 1))
    return run_while(i + 1, end, [&](size_t k) { return t.letter(k); }) - i;
  // \p{N}{1,3}
  if (t.number(i)) return run_while(i, std::min(end, i + 3), [&](size_t k) { return t.number(k); }) - i;
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  size_t k = (t.cp[i] == ' ' && i + 1 < end && t.other(i + 1)) ? i + 1 : i;
  if (t.other(k)) {
    size_t j = run_while(k, end, [&](size_t m) { return t.other(m); });
    return run_while(j, end, [&](size_t m) { return t.newline(m); }) - i;
  }
  return whitespace(t, i, end, true);
}

size_t gpt2_match(const CodePoints& t, size_t i, size_t end) {
  if (size_t n = contraction(t, i, end, false)) return n;
  //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
  size_t k = (t.cp[i] == ' ' && i + 1 < end && !t.space(i + 1)) ? i + 1 : i;
  if (t.letter(k)) return run_while(k, end, [&](size_t m) { return t.letter(m); }) - i;
  if (t.number(k)) return run_while(k, end, [&](size_t m) { return t.number(m); }) - i;
  if (t.other(k)) return run_while(k, end, [&](size_t m) { return t.other(m); }) - i;
  return whitespace(t, i, end, false);
}

size_t digits_match(const CodePoints& t, size_t i, size_t end, bool individual) {
  if (t.number(i)) return individual ? 1 : run_while(i, end, [&](size_t m) { return t.number(m); }) - i;
  return run_while(i, end, [&](size_t m) { return !t.number(m); }) - i;
}

size_t match(SplitRule rule, const CodePoints& t, size_t i, size_t end) {
  switch (rule) {
    case SplitRule::kLlama3:
      return llama3_match(t, i, end);
    case SplitRule::kGpt2:
      return gpt2_match(t, i, end);
    case SplitRule::kDigitsIndividual:
      return digits_match(t, i, end, true);
    case SplitRule::kDigitsGrouped:
      return digits_match(t, i, end, false);
  }
  return 1;
}

}  // namespace

void pre_tokenize(std::string_view text, const std::vector<SplitRule>& rules,
                  std::vector<std::string_view>& words) {
  if (text.empty()) return;
  thread_local CodePoints t;  // reused: encoding is called per sentence, allocation would dominate
  t.cp.clear();
  t.cls.clear();
  t.offset.clear();
  for (size_t pos = 0; pos < text.size();) {
    utf8::Sequence seq = utf8::next(text.substr(pos));
    char32_t cp = seq.status == utf8::Status::kValid ? seq.cp : 0xFFFD;  // callers pass valid text
    t.cp.push_back(cp);
    t.cls.push_back(unicode::char_class(cp));
    t.offset.push_back(pos);
    pos += seq.length;
  }
  t.offset.push_back(text.size());

  std::vector<Span> spans{{0, t.cp.size()}}, next;
  for (SplitRule rule : rules) {
    next.clear();
    for (const Span& s : spans)
      for (size_t i = s.first; i < s.second;) {
        size_t n = match(rule, t, i, s.second);
        next.emplace_back(i, i + n);
        i += n;
      }
    spans.swap(next);
  }
  for (const Span& s : spans)
    words.push_back(text.substr(t.offset[s.first], t.offset[s.second] - t.offset[s.first]));
}

}  // namespace lq
