#include "io/gguf_file.h"

#include <limits>

#include "io/byte_reader.h"
#include "io/checked_math.h"
#include "llama_quant/diagnostics.h"

namespace lq::io {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr int kMaxArrayNesting = 8;      // deeper nesting is not a model file; bounds the recursion
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS

// The fewest bytes one serialized value of `t` takes, so that a count can be checked against the
// bytes left before anything is allocated for it.
uint64_t min_value_bytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kString:
      return 8;  // the length
    case GgufValueType::kArray:
      return 12;  // element type + count
  }
  return 1;
}

bool known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::kFloat64); }

std::string read_string(ByteReader& r, const char* what) {
  uint64_t n = r.read<uint64_t>(what);
  return std::string(r.bytes(n, what));
}

GgufValue read_value(ByteReader& r, GgufValueType type, const std::string& key, int depth) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufValueType::kUint8:
      v.uint = r.read<uint8_t>("a uint8 value");
      break;
    case GgufValueType::kUint16:
      v.uint = r.read<uint16_t>("a uint16 value");
      break;
    case GgufValueType::kUint32:
      v.uint = r.read<uint32_t>("a uint32 value");
      break;
    case GgufValueType::kUint64:
      v.uint = r.read<uint64_t>("a uint64 value");
      break;
    case GgufValueType::kInt8:
      v.sint = r.read<int8_t>("an int8 value");
      break;
    case GgufValueType::kInt16:
      v.sint = r.read<int16_t>("an int16 value");
      break;
    case GgufValueType::kInt32:
      v.sint = r.read<int32_t>("an int32 value");
      break;
    case GgufValueType::kInt64:
      v.sint = r.read<int64_t>("an int64 value");
      break;
    case GgufValueType::kFloat32:
      v.real = r.read<float>("a float32 value");
      break;
    case GgufValueType::kFloat64:
      v.real = r.read<double>("a float64 value");
      break;
    case GgufValueType::kBool: {
      uint8_t b = r.read<uint8_t>("a bool value");
      if (b > 1) r.fail("metadata '" + key + "': bool value " + std::to_string(b) + " is neither 0 nor 1");
      v.boolean = b != 0;
      break;
    }
    case GgufValueType::kString:
      v.str = read_string(r, "a string value");
      break;
    case GgufValueType::kArray: {
      if (depth >= kMaxArrayNesting) r.fail("metadata '" + key + "': arrays nested too deeply");
      uint32_t et = r.read<uint32_t>("an array element type");
      if (!known_value_type(et))
        r.fail("metadata '" + key + "': unknown array element type " + std::to_string(et));
      v.array_type = static_cast<GgufValueType>(et);
      v.array_size = r.read<uint64_t>("an array length");
      if (v.array_size > r.remaining() / min_value_bytes(v.array_type))
        r.fail("metadata '" + key + "': array of " + std::to_string(v.array_size) + " " +
               gguf_value_type_name(v.array_type) + " values does not fit in the " +
               std::to_string(r.remaining()) + " bytes left");
      // Walk the elements to validate them and find the array's end; keep only the view.
      const size_t start = r.offset();
      if (v.array_type == GgufValueType::kString || v.array_type == GgufValueType::kArray ||
          v.array_type == GgufValueType::kBool) {
        for (uint64_t i = 0; i < v.array_size; ++i) read_value(r, v.array_type, key, depth + 1);
      } else {
        r.skip(v.array_size * min_value_bytes(v.array_type), "the array's elements");
      }
      v.array_bytes = r.view(start, r.offset() - start);
      break;
    }
  }
  return v;
}

}  // namespace

const char* gguf_value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
      return "uint8";
    case GgufValueType::kInt8:
      return "int8";
    case GgufValueType::kUint16:
      return "uint16";
    case GgufValueType::kInt16:
      return "int16";
    case GgufValueType::kUint32:
      return "uint32";
    case GgufValueType::kInt32:
      return "int32";
    case GgufValueType::kFloat32:
      return "float32";
    case GgufValueType::kBool:
      return "bool";
    case GgufValueType::kString:
      return "string";
    case GgufValueType::kArray:
      return "array";
    case GgufValueType::kUint64:
      return "uint64";
    case GgufValueType::kInt64:
      return "int64";
    case GgufValueType::kFloat64:
      return "float64";
  }
  return "unknown";
}

bool gguf_is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kUint16:
    case GgufValueType::kUint32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt8:
    case GgufValueType::kInt16:
    case GgufValueType::kInt32:
    case GgufValueType::kInt64:
      return true;
    default:
      return false;
  }
}

GgufFile GgufFile::parse(const uint8_t* data, size_t size, const std::string& file) {
  GgufFile g;
  g.file_ = file;
  g.data_ = data;
  ByteReader r(data, size, file);

  if (size < 4 || r.read<uint32_t>("the magic") != kMagic)
    throw Error(file + ": not a GGUF file (it does not start with \"GGUF\")");
  g.version_ = r.read<uint32_t>("the version");
  if (g.version_ != 2 && g.version_ != 3) {
    if (g.version_ == 0x03000000 || g.version_ == 0x02000000)
      r.fail("big-endian GGUF files are not supported");
    r.fail("GGUF version " + std::to_string(g.version_) + " is not supported (expected 2 or 3)");
  }
  uint64_t n_tensors = r.read<uint64_t>("the tensor count");
  uint64_t n_kv = r.read<uint64_t>("the metadata count");

  // Key (8-byte length) + value type + at least one byte of value.
  if (n_kv > r.remaining() / 13)
    r.fail("the header claims " + std::to_string(n_kv) + " metadata entries; only " +
           std::to_string(r.remaining()) + " bytes follow");
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = read_string(r, "a metadata key");
    uint32_t type = r.read<uint32_t>("a metadata value type");
    if (!known_value_type(type)) r.fail("metadata '" + key + "': unknown value type " + std::to_string(type));
    GgufValue v = read_value(r, static_cast<GgufValueType>(type), key, 0);
    if (g.kv_.count(key)) r.fail("metadata '" + key + "' appears twice");
    g.key_order_.push_back(key);
    g.kv_.emplace(std::move(key), std::move(v));
  }

  if (const GgufValue* a = g.find("general.alignment")) {
    if (a->type != GgufValueType::kUint32 || a->uint == 0 || (a->uint & (a->uint - 1)) != 0)
      g.fail_key("general.alignment", "must be a uint32 power of two");
    g.alignment_ = a->uint;
  }

  // Name length + dims count + type + offset, with at least one dimension.
  if (n_tensors > r.remaining() / 32)
    r.fail("the header claims " + std::to_string(n_tensors) + " tensors; only " +
           std::to_string(r.remaining()) + " bytes follow");
  g.tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = read_string(r, "a tensor name");
    const std::string what = file + ": tensor '" + t.name + "'";
    uint32_t n_dims = r.read<uint32_t>("a tensor's dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
      throw Error(what + ": " + std::to_string(n_dims) + " dimensions (expected 1 to 4)");
    std::vector<int64_t> dims;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = r.read<uint64_t>("a tensor dimension");
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw Error(what + ": dimension " + std::to_string(d) + " is " + std::to_string(ne));
      t.ne.push_back(ne);
      dims.push_back(static_cast<int64_t>(ne));
    }
    uint32_t type = r.read<uint32_t>("a tensor type");
    const GgmlTypeTraits* traits = ggml_type_traits(type);
    if (!traits) throw Error(what + ": unknown ggml type " + std::to_string(type));
    t.type = static_cast<GgmlType>(type);
    uint64_t rel = r.read<uint64_t>("a tensor offset");
    if (rel % g.alignment_ != 0)
      throw Error(what + ": data offset " + std::to_string(rel) + " is not a multiple of the alignment " +
                  std::to_string(g.alignment_));
    t.numel = checked_numel(dims, what);
    if (t.ne[0] % traits->block_size != 0)
      throw Error(what + ": row length " + std::to_string(t.ne[0]) + " is not a multiple of the " +
                  traits->name + " block size " + std::to_string(traits->block_size));
    t.nbytes = checked_mul(static_cast<uint64_t>(t.numel) / traits->block_size, traits->block_bytes, what);
    t.offset = rel;  // made absolute below, once the data section's start is known
    if (g.tensor_index_.count(t.name)) throw Error(what + ": appears twice");
    g.tensor_index_.emplace(t.name, g.tensors_.size());
    g.tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  uint64_t pos = r.offset();
  uint64_t pad = (g.alignment_ - pos % g.alignment_) % g.alignment_;
  g.data_offset_ = checked_add(pos, pad, file);
  for (auto& t : g.tensors_) {
    const std::string what = file + ": tensor '" + t.name + "'";
    t.offset = checked_add(g.data_offset_, t.offset, what);
    uint64_t end = checked_add(t.offset, t.nbytes, what);
    if (end > size)
      throw Error(what + ": its " + std::to_string(t.nbytes) + " bytes at offset " +
                  std::to_string(t.offset) + " run past the end of the file (" + std::to_string(size) +
                  " bytes; truncated?)");
  }
  return g;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void GgufFile::fail_key(const std::string& key, const std::string& message) const {
  throw Error(file_ + ": metadata '" + key + "' " + message);
}

namespace {
bool is_unsigned(GgufValueType t) {
  return t == GgufValueType::kUint8 || t == GgufValueType::kUint16 || t == GgufValueType::kUint32 ||
         t == GgufValueType::kUint64;
}
}  // namespace

std::optional<int64_t> GgufFile::get_int_opt(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_integer())
    fail_key(key, std::string("must be an integer, got ") + gguf_value_type_name(v->type));
  if (is_unsigned(v->type)) {
    if (v->uint > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail_key(key, "is out of range: " + std::to_string(v->uint));
    return static_cast<int64_t>(v->uint);
  }
  return v->sint;
}

int64_t GgufFile::get_int(const std::string& key) const {
  auto v = get_int_opt(key);
  if (!v) fail_key(key, "is missing");
  return *v;
}

std::optional<double> GgufFile::get_float_opt(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type == GgufValueType::kFloat32 || v->type == GgufValueType::kFloat64) return v->real;
  if (v->is_integer()) return static_cast<double>(*get_int_opt(key));
  fail_key(key, std::string("must be a number, got ") + gguf_value_type_name(v->type));
}

std::optional<std::string> GgufFile::get_string_opt(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != GgufValueType::kString)
    fail_key(key, std::string("must be a string, got ") + gguf_value_type_name(v->type));
  return v->str;
}

std::string GgufFile::get_string(const std::string& key) const {
  auto v = get_string_opt(key);
  if (!v) fail_key(key, "is missing");
  return *v;
}

std::optional<bool> GgufFile::get_bool_opt(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != GgufValueType::kBool)
    fail_key(key, std::string("must be a bool, got ") + gguf_value_type_name(v->type));
  return v->boolean;
}

std::vector<GgufValue> GgufFile::elements(const GgufValue& array) const {
  std::vector<GgufValue> out;
  if (array.type != GgufValueType::kArray) return out;
  // Parsing validated these bytes, so decoding them again cannot fail.
  ByteReader r(reinterpret_cast<const uint8_t*>(array.array_bytes.data()), array.array_bytes.size(), file_);
  out.reserve(static_cast<size_t>(array.array_size));
  for (uint64_t i = 0; i < array.array_size; ++i) out.push_back(read_value(r, array.array_type, "", 0));
  return out;
}

std::vector<std::string> GgufFile::get_strings(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) fail_key(key, "is missing");
  if (v->type != GgufValueType::kArray || v->array_type != GgufValueType::kString)
    fail_key(key, "must be an array of strings");
  ByteReader r(reinterpret_cast<const uint8_t*>(v->array_bytes.data()), v->array_bytes.size(), file_);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(v->array_size));
  for (uint64_t i = 0; i < v->array_size; ++i) out.push_back(read_string(r, "a string"));
  return out;
}

std::vector<int64_t> GgufFile::get_ints(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) fail_key(key, "is missing");
  if (v->type != GgufValueType::kArray || !gguf_is_integer(v->array_type))
    fail_key(key, "must be an array of integers");
  // Decoded one element at a time (not through elements()), so memory is 8 bytes per element.
  ByteReader r(reinterpret_cast<const uint8_t*>(v->array_bytes.data()), v->array_bytes.size(), file_);
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(v->array_size));
  for (uint64_t i = 0; i < v->array_size; ++i) {
    GgufValue e = read_value(r, v->array_type, key, 0);
    if (is_unsigned(e.type)) {
      if (e.uint > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail_key(key, "holds an out-of-range value " + std::to_string(e.uint));
      out.push_back(static_cast<int64_t>(e.uint));
    } else {
      out.push_back(e.sint);
    }
  }
  return out;
}

std::vector<double> GgufFile::get_floats(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) fail_key(key, "is missing");
  if (v->type != GgufValueType::kArray ||
      (v->array_type != GgufValueType::kFloat32 && v->array_type != GgufValueType::kFloat64))
    fail_key(key, "must be an array of floats");
  ByteReader r(reinterpret_cast<const uint8_t*>(v->array_bytes.data()), v->array_bytes.size(), file_);
  std::vector<double> out;
  out.reserve(static_cast<size_t>(v->array_size));
  for (uint64_t i = 0; i < v->array_size; ++i) out.push_back(read_value(r, v->array_type, key, 0).real);
  return out;
}

}  // namespace lq::io
