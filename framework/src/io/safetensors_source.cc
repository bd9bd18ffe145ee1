#include "io/safetensors_source.h"

#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "io/json_file.h"
#include "io/mapped_file.h"
#include "io/safetensors_file.h"
#include "llama_quant/diagnostics.h"

namespace lq::io {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::shared_ptr<const MappedFile> file;
  SafetensorsTensor tensor;
  TensorMeta meta;
};

at::ScalarType storage_dtype(const std::string& dtype) {
  if (dtype == "F32") return at::kFloat;
  if (dtype == "F16") return at::kHalf;
  return at::kBFloat16;  // only called for loadable dtypes
}

class SafetensorsSource final : public IndexedTensorSource<Entry> {
 public:
  explicit SafetensorsSource(const std::vector<fs::path>& files) {
    std::set<std::string> dtypes;
    for (const auto& path : files) {
      auto mapped = MappedFile::open(path);
      auto header = SafetensorsHeader::parse(mapped->data(), mapped->size(), mapped->name());
      for (auto& [name, t] : header.tensors) {
        if (entries_.count(name))
          throw Error(mapped->name() + ": tensor '" + name + "' is also in " +
                      entries_.at(name).file->name());
        TensorMeta meta{t.shape, t.dtype, mapped->name(),
                        t.dtype == "F32" || t.dtype == "F16" || t.dtype == "BF16"};
        dtypes.insert(t.dtype);
        entries_.emplace(name, Entry{mapped, std::move(t), std::move(meta)});
      }
      file_names_.push_back(path.filename().string());
    }
    description_ = file_names_.size() == 1
                       ? file_names_[0]
                       : file_names_[0] + " (+" + std::to_string(file_names_.size() - 1) + " shards)";
    std::string list;
    for (const auto& d : dtypes) list += (list.empty() ? "" : ", ") + d;
    description_ += " (" + list + ")";
  }

  at::Tensor load(const std::string& name, at::ScalarType dtype,
                  const std::vector<int64_t>& expected_shape) const override {
    const Entry* found = find(name);
    if (!found)
      throw Error((file_names_.empty() ? std::string("safetensors") : file_names_[0]) + ": no tensor '" +
                  name + "'");
    const Entry& e = *found;
    check_shape(e.meta.file, name, e.meta.shape, expected_shape);
    check_float_dtype(e.meta.file, name, dtype);
    if (!e.meta.loadable)
      throw Error(e.meta.file + ": tensor '" + name + "' has dtype " + e.tensor.dtype +
                  "; llama-quant reads F32, F16 and BF16");
    at::Tensor t = at::empty(e.tensor.shape, at::TensorOptions().dtype(storage_dtype(e.tensor.dtype)));
    if (e.tensor.nbytes) std::memcpy(t.data_ptr(), e.file->data() + e.tensor.offset, e.tensor.nbytes);
    return t.scalar_type() == dtype ? t : t.to(dtype);
  }

 private:
  std::vector<std::string> file_names_;
};

}  // namespace

std::shared_ptr<TensorSource> open_safetensors_files(const std::vector<fs::path>& files) {
  return std::make_shared<SafetensorsSource>(files);
}

std::shared_ptr<TensorSource> open_safetensors_model(const fs::path& dir) {
  const fs::path index_path = dir / "model.safetensors.index.json";
  if (!fs::exists(index_path)) {
    if (!fs::exists(dir / "model.safetensors"))
      throw Error(dir.string() + ": neither model.safetensors nor model.safetensors.index.json is there");
    return open_safetensors_files({dir / "model.safetensors"});
  }
  const std::string where = index_path.string();
  json index = read_json_file(index_path);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    throw Error(where + ": expected an object with a 'weight_map' object");
  std::map<std::string, std::string> weight_map;
  std::set<std::string> shards;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string())
      throw Error(where + ": weight_map entry '" + it.key() + "' must be a file name");
    const std::string shard = it.value().get<std::string>();
    // Shards live next to the index: refuse paths that would read elsewhere.
    if (shard.empty() || shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos ||
        shard == "." || shard == "..")
      throw Error(where + ": weight_map entry '" + it.key() + "' names '" + shard +
                  "', not a file in the same folder");
    weight_map[it.key()] = shard;
    shards.insert(shard);
  }
  if (shards.empty()) throw Error(where + ": weight_map is empty");
  std::vector<fs::path> files;
  for (const auto& s : shards) files.push_back(dir / s);
  auto source = open_safetensors_files(files);
  for (const auto& [name, shard] : weight_map) {
    const TensorMeta* m = source->meta(name);
    if (!m) throw Error(where + ": tensor '" + name + "' is not in " + shard);
    if (fs::path(m->file).filename() != shard)
      throw Error(where + ": tensor '" + name + "' is in " + m->file + ", not in " + shard + " as listed");
  }
  return source;
}

}  // namespace lq::io
