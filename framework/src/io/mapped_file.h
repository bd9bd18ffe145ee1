// MappedFile: a whole file mapped read-only into memory. Readers hold it through a shared_ptr so that
// the mapping stays alive as long as any WeightSource reading from it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace lq::io {

class MappedFile {
 public:
  // Throws lq::Error naming the file when it cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& name() const { return name_; }  // the path as given, for error messages

 private:
  MappedFile(const uint8_t* data, size_t size, std::string name)
      : data_(data), size_(size), name_(std::move(name)) {}
  const uint8_t* data_;
  size_t size_;
  std::string name_;
};

}  // namespace lq::io
