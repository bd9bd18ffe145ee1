// The header of a .safetensors file (8-byte little-endian JSON length, JSON directory of tensors, then
// their bytes), parsed from an untrusted buffer. Plain C++, no libtorch. Every tensor's dtype, shape
// and byte range are checked against each other and the buffer; lq::Error names the file and tensor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lq::io {

struct SafetensorsTensor {
  std::string dtype;  // "F32", "F16", "BF16", ... as the file spells it
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // from the start of the buffer
  uint64_t nbytes = 0;
};

struct SafetensorsHeader {
  std::map<std::string, SafetensorsTensor> tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__", string to string

  static SafetensorsHeader parse(const uint8_t* data, size_t size, const std::string& file);
};

// Bytes per element of a safetensors dtype name; 0 when the name is not a safetensors dtype.
size_t safetensors_dtype_size(const std::string& dtype);

}  // namespace lq::io
