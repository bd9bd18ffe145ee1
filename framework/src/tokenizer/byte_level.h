// GPT-2's byte-level alphabet: every byte is written as one printable character, so that BPE vocabularies
// can be stored as text ("Ġ" is the byte 0x20).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lq::byte_level {

char32_t byte_to_char(uint8_t b);

// The bytes a vocabulary string spells; nullopt when it has a character outside the alphabet.
std::optional<std::string> to_bytes(std::string_view token);

// What Hugging Face's ByteLevel decoder yields for a token: its bytes, or its own UTF-8 text when it is
// not written in the alphabet (added tokens such as "<|eot_id|>" are, whole or not).
std::string decode_token(std::string_view token);

}  // namespace lq::byte_level
