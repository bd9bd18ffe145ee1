// GgufWriter: builds GGUF files in memory for the io tests, including deliberately broken ones (counts,
// offsets and types can be overridden).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace lq::test {

class GgufWriter {
 public:
  enum Type : uint32_t { U8 = 0, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 };

  // Raw little-endian appends onto a byte vector.
  template <class T>
  static void put(std::vector<uint8_t>& b, T v) {
    uint8_t tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));
    b.insert(b.end(), tmp, tmp + sizeof(T));
  }
  static void put_str(std::vector<uint8_t>& b, const std::string& s) {
    put<uint64_t>(b, s.size());
    b.insert(b.end(), s.begin(), s.end());
  }

  // A metadata entry whose value bytes the caller serialized.
  void kv_raw(const std::string& key, uint32_t type, const std::vector<uint8_t>& value) {
    put_str(kv_, key);
    put<uint32_t>(kv_, type);
    kv_.insert(kv_.end(), value.begin(), value.end());
    ++n_kv_;
  }
  template <class T>
  void kv(const std::string& key, Type type, T v) {
    std::vector<uint8_t> b;
    put<T>(b, v);
    kv_raw(key, type, b);
  }
  void kv_u32(const std::string& key, uint32_t v) { kv(key, U32, v); }
  void kv_f32(const std::string& key, float v) { kv(key, F32, v); }
  void kv_bool(const std::string& key, bool v) { kv(key, BOOL, static_cast<uint8_t>(v)); }
  void kv_str(const std::string& key, const std::string& v) {
    std::vector<uint8_t> b;
    put_str(b, v);
    kv_raw(key, STRING, b);
  }
  void kv_strs(const std::string& key, const std::vector<std::string>& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, STRING);
    put<uint64_t>(b, v.size());
    for (const auto& s : v) put_str(b, s);
    kv_raw(key, ARRAY, b);
  }
  void kv_i32s(const std::string& key, const std::vector<int32_t>& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, I32);
    put<uint64_t>(b, v.size());
    for (auto x : v) put<int32_t>(b, x);
    kv_raw(key, ARRAY, b);
  }

  struct Tensor {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
    std::vector<uint8_t> data;
    std::optional<uint64_t> offset;  // overrides the computed (aligned) offset
  };
  void tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, std::vector<uint8_t> data) {
    tensors_.push_back({name, std::move(ne), type, std::move(data), std::nullopt});
  }
  std::vector<Tensor>& tensors() { return tensors_; }

  std::optional<uint64_t> n_kv_override, n_tensors_override;
  uint32_t version = 3;
  uint64_t alignment = 32;

  std::vector<uint8_t> build() const {
    std::vector<uint8_t> b;
    put<uint32_t>(b, 0x46554747);  // "GGUF"
    put<uint32_t>(b, version);
    put<uint64_t>(b, n_tensors_override.value_or(tensors_.size()));
    put<uint64_t>(b, n_kv_override.value_or(n_kv_));
    b.insert(b.end(), kv_.begin(), kv_.end());
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors_) {
      put_str(b, t.name);
      put<uint32_t>(b, static_cast<uint32_t>(t.ne.size()));
      for (auto d : t.ne) put<uint64_t>(b, d);
      put<uint32_t>(b, t.type);
      put<uint64_t>(b, t.offset.value_or(offset));
      offsets.push_back(offset);
      offset += (t.data.size() + alignment - 1) / alignment * alignment;
    }
    while (b.size() % alignment) b.push_back(0);
    const size_t data_start = b.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      b.resize(data_start + offsets[i], 0);
      b.insert(b.end(), tensors_[i].data.begin(), tensors_[i].data.end());
    }
    return b;
  }

 private:
  std::vector<uint8_t> kv_;
  uint64_t n_kv_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace lq::test
