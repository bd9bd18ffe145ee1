// libFuzzer entry: cmake -DLQ_BUILD_FUZZERS=ON -DCMAKE_CXX_COMPILER=clang++, then
// lq_fuzz_model_files <corpus dir> (seed it with tests/fixtures/io/*.gguf and *.safetensors).
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lq::test::parse_model_bytes(data, size);
  return 0;
}
