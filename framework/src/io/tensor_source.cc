#include "io/tensor_source.h"

#include "llama_quant/diagnostics.h"

namespace lq::io {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void check_shape(const std::string& file, const std::string& name, const std::vector<int64_t>& actual,
                 const std::vector<int64_t>& expected) {
  if (actual != expected)
    throw Error(file + ": tensor '" + name + "' has shape " + shape_str(actual) + ", expected " +
                shape_str(expected));
}

void check_float_dtype(const std::string& file, const std::string& name, at::ScalarType dtype) {
  if (dtype != at::kFloat && dtype != at::kHalf && dtype != at::kBFloat16)
    throw Error(file + ": tensor '" + name + "' cannot be loaded as " + c10::toString(dtype) +
                " (expected float32, float16 or bfloat16)");
}

}  // namespace lq::io
