// The fuzzing entry point for the model-file parsers: feeds one byte buffer to the GGUF and the
// safetensors readers (and what is built on them: config, tokenizer vocabulary). Anything but
// success or lq::Error is a bug. Used by mutation_test.cc and by the libFuzzer binary.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lq::test {

// Returns normally for valid input and for input rejected with lq::Error; lets anything else escape.
void parse_model_bytes(const uint8_t* data, size_t size);

}  // namespace lq::test
