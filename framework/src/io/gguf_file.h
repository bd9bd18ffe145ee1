// GgufFile: the parsed structure of a GGUF file (llama.cpp's model format, versions 2 and 3): its
// metadata key-value pairs and its tensor directory. Plain C++, no libtorch: it parses an untrusted
// byte buffer, checking every count, size and offset, and throws lq::Error naming the file (and key or
// tensor) on anything malformed. Tensor data is not copied; infos point into the buffer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/ggml_types.h"

namespace lq::io {

enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
const char* gguf_value_type_name(GgufValueType t);
bool gguf_is_integer(GgufValueType t);

// One metadata value. Integers of every width are widened into `uint` (unsigned types) or `sint`
// (signed types); floats into `real`. An array keeps its elements undecoded (a view of their bytes in
// the parsed buffer, already validated) so that a huge array costs no memory until it is read:
// GgufFile::elements() and the typed getters decode it.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  uint64_t uint = 0;
  int64_t sint = 0;
  double real = 0;
  bool boolean = false;
  std::string str;
  GgufValueType array_type = GgufValueType::kUint8;
  uint64_t array_size = 0;
  std::string_view array_bytes;

  bool is_integer() const { return gguf_is_integer(type); }
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> ne;  // ggml order: ne[0] is the innermost (contiguous) dimension
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;  // from the start of the buffer (not of the data section)
  uint64_t nbytes = 0;
  int64_t numel = 0;
};

class GgufFile {
 public:
  // Parses `size` bytes at `data`; `file` names them in errors. The tensor infos refer to `data`.
  static GgufFile parse(const uint8_t* data, size_t size, const std::string& file);

  const uint8_t* data() const { return data_; }  // the parsed buffer
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const std::string& file() const { return file_; }
  const std::vector<std::string>& keys() const { return key_order_; }  // in file order
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  const GgufValue* find(const std::string& key) const;
  const GgufTensorInfo* find_tensor(const std::string& name) const;

  // Typed getters; each throws lq::Error "<file>: metadata '<key>' ..." when the key is absent (the
  // non-optional ones) or holds another type or an out-of-range value.
  int64_t get_int(const std::string& key) const;
  std::optional<int64_t> get_int_opt(const std::string& key) const;
  std::optional<double> get_float_opt(const std::string& key) const;  // any numeric type
  std::string get_string(const std::string& key) const;
  std::optional<std::string> get_string_opt(const std::string& key) const;
  std::optional<bool> get_bool_opt(const std::string& key) const;
  std::vector<std::string> get_strings(const std::string& key) const;
  std::vector<int64_t> get_ints(const std::string& key) const;
  std::vector<double> get_floats(const std::string& key) const;
  // The decoded elements of an array value (of any element type, nested arrays included). Costs a
  // GgufValue per element: for big arrays of strings or numbers use the typed getters.
  std::vector<GgufValue> elements(const GgufValue& array) const;

 private:
  [[noreturn]] void fail_key(const std::string& key, const std::string& message) const;

  std::string file_;
  const uint8_t* data_ = nullptr;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue> kv_;
  std::vector<std::string> key_order_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

}  // namespace lq::io
