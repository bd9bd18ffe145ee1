// ByteReader: a bounds-checked little-endian cursor over an untrusted byte buffer. Every read checks
// the remaining length first and throws lq::Error naming the file and the offset, never reading past
// the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "llama_quant/diagnostics.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "llama-quant's model readers assume a little-endian host, like the file formats they read"
#endif

namespace lq::io {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string file)
      : data_(data), size_(size), file_(std::move(file)) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  const std::string& file() const { return file_; }

  template <class T>
  T read(const char* what) {
    static_assert(std::is_arithmetic_v<T>);
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  // A view of the next n bytes (valid as long as the buffer is).
  std::string_view bytes(uint64_t n, const char* what) {
    need(n, what);
    std::string_view v(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return v;
  }

  void skip(uint64_t n, const char* what) { bytes(n, what); }

  // The bytes [start, start + n) already read past (start + n <= offset()).
  std::string_view view(size_t start, size_t n) const {
    return std::string_view(reinterpret_cast<const char*>(data_ + start), n);
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw Error(file_ + ": " + message + " (at byte " + std::to_string(pos_) + ")");
  }

 private:
  void need(uint64_t n, const char* what) const {
    if (n > remaining())
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " left");
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string file_;
};

}  // namespace lq::io
