#include "io/safetensors_file.h"

#include <nlohmann/json.hpp>

#include "io/byte_reader.h"
#include "io/checked_math.h"
#include "llama_quant/diagnostics.h"

namespace lq::io {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the limit the reference implementation enforces
constexpr int kMaxJsonDepth = 16;                 // a real header nests 3 deep

// Rejects JSON nested deeper than kMaxJsonDepth before it reaches the (recursive) JSON library.
void check_json_depth(std::string_view text, const std::string& file) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) throw Error(file + ": safetensors header nests too deeply");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

uint64_t json_u64(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    throw Error(what + " must be a non-negative integer, got " + v.dump());
  return v.get<uint64_t>();
}

}  // namespace

size_t safetensors_dtype_size(const std::string& dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

SafetensorsHeader SafetensorsHeader::parse(const uint8_t* data, size_t size, const std::string& file) {
  ByteReader r(data, size, file);
  uint64_t n = r.read<uint64_t>("the safetensors header length");
  if (n > kMaxHeaderBytes)
    r.fail("safetensors header length " + std::to_string(n) +
           " exceeds the 100 MiB limit (not a safetensors file?)");
  std::string_view text = r.bytes(n, "the safetensors header");
  const uint64_t data_start = r.offset();
  const uint64_t data_size = size - data_start;

  if (text.empty() || text[0] != '{') throw Error(file + ": safetensors header is not a JSON object");
  check_json_depth(text, file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file + ": safetensors header is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(file + ": safetensors header is not a JSON object");

  SafetensorsHeader h;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw Error(file + ": __metadata__ must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw Error(file + ": __metadata__ '" + m.key() + "' must be a string");
        h.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string what = file + ": tensor '" + name + "'";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw Error(what + ": expected an object with dtype, shape and data_offsets");
    SafetensorsTensor t;
    if (!v["dtype"].is_string()) throw Error(what + ": dtype must be a string");
    t.dtype = v["dtype"].get<std::string>();
    size_t elem = safetensors_dtype_size(t.dtype);
    if (elem == 0) throw Error(what + ": unknown dtype '" + t.dtype + "'");
    const nlohmann::json& shape = v["shape"];
    if (!shape.is_array() || shape.size() > 8)
      throw Error(what + ": shape must be a list of at most 8 sizes");
    for (const auto& d : shape) {
      uint64_t dim = json_u64(d, what + ": a shape entry");
      if (dim > static_cast<uint64_t>(INT64_MAX))
        throw Error(what + ": shape entry " + d.dump() + " is too large");
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    const nlohmann::json& offs = v["data_offsets"];
    if (!offs.is_array() || offs.size() != 2) throw Error(what + ": data_offsets must be [begin, end]");
    uint64_t begin = json_u64(offs[0], what + ": data_offsets");
    uint64_t end = json_u64(offs[1], what + ": data_offsets");
    if (begin > end)
      throw Error(what + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] are reversed");
    if (end > data_size)
      throw Error(what + ": data_offsets end " + std::to_string(end) + " is past the " +
                  std::to_string(data_size) + " data bytes of the file (truncated?)");
    t.nbytes = end - begin;
    uint64_t expected = checked_mul(static_cast<uint64_t>(checked_numel(t.shape, what)), elem, what);
    if (t.nbytes != expected)
      throw Error(what + ": " + t.dtype + " " + std::to_string(expected) +
                  " bytes expected for its shape, data_offsets span " + std::to_string(t.nbytes));
    t.offset = data_start + begin;
    h.tensors.emplace(name, std::move(t));
  }
  return h;
}

}  // namespace lq::io
