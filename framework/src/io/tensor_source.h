// TensorSource: a WeightSource backed by a file format, which knows each tensor's shape and storage
// before loading it, so that a whole model can be checked against its config up front.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/weight_source.h"

namespace lq::io {

struct TensorMeta {
  std::vector<int64_t> shape;  // Hugging Face layout (outermost first)
  std::string storage;         // the file's type name: "BF16", "Q4_1", ...
  std::string file;            // the file holding it, for error messages
  bool loadable = true;        // false for a storage type llama-quant cannot convert
};

class TensorSource : public WeightSource {
 public:
  // nullptr when the source has no tensor of that name.
  virtual const TensorMeta* meta(const std::string& name) const = 0;
};

// A TensorSource over a name -> Entry map built by the constructor, each Entry carrying its `meta`: the
// lookups every format answers the same way.
template <class Entry>
class IndexedTensorSource : public TensorSource {
 public:
  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& [name, e] : entries_) out.push_back(name);
    return out;
  }
  bool has(const std::string& name) const override { return entries_.count(name) != 0; }
  const TensorMeta* meta(const std::string& name) const override {
    const Entry* e = find(name);
    return e ? &e->meta : nullptr;
  }
  std::string describe() const override { return description_; }

 protected:
  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::map<std::string, Entry> entries_;
  std::string description_;  // the file(s) and their storage types, for the record
};

// Throws lq::Error "<file>: tensor '<name>' has shape [..], expected [..]" unless they are equal.
void check_shape(const std::string& file, const std::string& name, const std::vector<int64_t>& actual,
                 const std::vector<int64_t>& expected);
std::string shape_str(const std::vector<int64_t>& shape);
// Throws lq::Error unless `dtype` is Float, Half or BFloat16 (what models compute in).
void check_float_dtype(const std::string& file, const std::string& name, at::ScalarType dtype);

}  // namespace lq::io
