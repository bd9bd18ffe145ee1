// The sample set's bytes, compiled in by the CMake step embed_file.cmake.
#pragma once

#include <string_view>

namespace lq::coqa {
std::string_view embedded_sample_json();
}  // namespace lq::coqa
