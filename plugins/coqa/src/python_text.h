// The few Python str operations that lm-evaluation-harness's CoQA scoring relies on, reproduced on UTF-8
// text so that scores match the harness digit for digit, also for non-ASCII answers.
//
// Text is decoded as Python's bytes.decode("utf-8", errors="replace") does (each maximal ill-formed
// subsequence becomes U+FFFD), the way a generation is turned into str before scoring. Character
// properties come from python_unicode_tables.inc, generated from Python 3.12 (Unicode 15.0.0).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lq::coqa {

std::u32string utf8_decode(std::string_view text);
std::string utf8_encode(std::u32string_view text);

bool py_isspace(char32_t c);  // str.isspace()
bool py_isword(char32_t c);   // re's \w for str patterns: str.isalnum() or '_'

// str.lower(): full lowercase mapping (U+0130 becomes two code points) and the Final_Sigma rule.
std::u32string py_lower(std::u32string_view text);
// str.strip() with no argument.
std::u32string_view py_strip(std::u32string_view text);
// str.split() with no argument.
std::vector<std::u32string> py_split(std::u32string_view text);

// The Unicode version the tables were generated from.
const char* python_unicode_version();

}  // namespace lq::coqa
