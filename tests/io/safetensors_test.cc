// Safetensors folders: single file (BF16, tied) and sharded (F32 + F16, untied), values, dtypes, and
// every kind of malformed header or folder.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "io/safetensors_file.h"
#include "model/model_files.h"
#include "test_files.h"

namespace lq {
namespace {

namespace fs = std::filesystem;
using test::expect_error;

// The values scripts/fixtures/io_safetensors_fixture.py writes: element i of the k-th tensor in
// sorted-name order is ((7 i + k) % 17 - 8) / 8.
at::Tensor expected_values(const std::vector<int64_t>& shape, int64_t k) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  at::Tensor i = at::arange(n, at::kLong);
  return ((i * 7 + k).remainder(17) - 8).to(at::kFloat).div(8).reshape(shape);
}

void expect_fixture_values(const ModelFiles& m) {
  auto names = m.weights->names();
  std::sort(names.begin(), names.end());
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& s : llama_tensor_specs(m.config)) shapes[s.name] = s.shape;
  ASSERT_EQ(names.size(), shapes.size());
  for (size_t k = 0; k < names.size(); ++k) {
    ASSERT_TRUE(shapes.count(names[k])) << names[k];
    at::Tensor t = m.weights->load(names[k], at::kFloat, shapes[names[k]]);
    EXPECT_TRUE(at::equal(t, expected_values(shapes[names[k]], static_cast<int64_t>(k)))) << names[k];
  }
}

TEST(Safetensors, SingleFileBf16Tied) {
  ModelFiles m = open_model_files(test::fixture_dir() / "tiny_llama");
  EXPECT_EQ(m.format, "safetensors");
  EXPECT_TRUE(m.config.tie_word_embeddings);
  EXPECT_EQ(m.config.num_hidden_layers, 2);
  EXPECT_EQ(m.config.head_dim, 4);
  EXPECT_FALSE(m.weights->has("lm_head.weight"));
  EXPECT_EQ(m.weights->names().size(), 20u);
  EXPECT_NE(m.weights->describe().find("model.safetensors (BF16)"), std::string::npos)
      << m.weights->describe();
  EXPECT_FALSE(m.tokenizer);  // no tokenizer.json in the fixture
  expect_fixture_values(m);
  at::Tensor b = m.weights->load("model.norm.weight", at::kBFloat16, {8});
  EXPECT_EQ(b.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(b.to(at::kFloat), expected_values({8}, 19)));
  expect_error([&] { m.weights->load("model.norm.weight", at::kFloat, {9}); },
               {"model.safetensors", "'model.norm.weight'", "[8]", "expected [9]"});
  expect_error([&] { m.weights->load("model.norm.weight", at::kDouble, {8}); },
               {"model.norm.weight", "Double"});
  expect_error([&] { m.weights->load("lm_head.weight", at::kFloat, {16, 8}); }, {"lm_head.weight"});
}

TEST(Safetensors, ShardedMixedDtypes) {
  ModelFiles m = open_model_files(test::fixture_dir() / "tiny_llama_sharded");
  EXPECT_FALSE(m.config.tie_word_embeddings);
  EXPECT_TRUE(m.weights->has("lm_head.weight"));
  EXPECT_EQ(m.weights->names().size(), 21u);
  EXPECT_EQ(m.config.eos_token_ids, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(m.generation_config["do_sample"], false);
  EXPECT_NE(m.weights->describe().find("F16, F32"), std::string::npos) << m.weights->describe();
  expect_fixture_values(m);
  at::Tensor h = m.weights->load("model.layers.1.mlp.up_proj.weight", at::kHalf, {12, 8});
  EXPECT_EQ(h.scalar_type(), at::kHalf);
}

// Builds a safetensors file from a header string and a data size.
std::vector<uint8_t> safetensors_bytes(const std::string& header, size_t data_bytes,
                                       uint64_t length_field = 0) {
  std::vector<uint8_t> b(8);
  uint64_t n = length_field ? length_field : header.size();
  std::memcpy(b.data(), &n, 8);
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

io::SafetensorsHeader parse(const std::vector<uint8_t>& b) {
  return io::SafetensorsHeader::parse(b.data(), b.size(), "x.safetensors");
}

TEST(Safetensors, HeaderErrors) {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  EXPECT_EQ(parse(safetensors_bytes(ok, 16)).tensors.at("a").nbytes, 16u);
  expect_error([&] { parse(safetensors_bytes(ok, 15)); }, {"x.safetensors", "'a'", "past", "truncated"});
  expect_error([&] { parse(safetensors_bytes(ok, 16, 1u << 20)); }, {"x.safetensors", "truncated"});
  expect_error([&] { parse(safetensors_bytes(ok, 16, uint64_t{1} << 62)); }, {"x.safetensors", "100 MiB"});
  expect_error([&] { parse({1, 2, 3}); }, {"x.safetensors", "truncated"});
  expect_error([&] { parse(safetensors_bytes("[1]", 0)); }, {"not a JSON object"});
  expect_error([&] { parse(safetensors_bytes("{\"a\":", 0)); }, {"x.safetensors", "not valid JSON"});
  expect_error(
      [&] {
        parse(safetensors_bytes("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}", 0));
      },
      {"x.safetensors", "nests too deeply"});
  expect_error(
      [&] { parse(safetensors_bytes(R"({"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}})", 1)); },
      {"'a'", "unknown dtype 'Q9'"});
  expect_error(
      [&] { parse(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", 16)); },
      {"'a'", "12 bytes expected", "span 16"});
  expect_error(
      [&] { parse(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 16)); },
      {"'a'", "reversed"});
  expect_error(
      [&] { parse(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 16)); },
      {"'a'", "non-negative"});
  expect_error(
      [&] {
        parse(safetensors_bytes(
            R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}})", 16));
      },
      {"'a'", "overflow"});
  expect_error([&] { parse(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1]}})", 4)); },
               {"'a'", "data_offsets"});
  expect_error(
      [&] {
        parse(safetensors_bytes(
            R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}})", 4));
      },
      {"'a'", "past"});
  expect_error([&] { parse(safetensors_bytes(R"({"__metadata__":{"k":1}})", 0)); }, {"__metadata__"});
}

TEST(Safetensors, EveryTruncationIsAnError) {
  auto b = test::read_file(test::fixture_dir() / "tiny_llama" / "model.safetensors");
  ASSERT_GT(b.size(), 1000u);
  for (size_t n = 0; n < b.size(); n += (n < 600 ? 1 : 7)) {
    std::vector<uint8_t> prefix(b.begin(), b.begin() + static_cast<long>(n));
    EXPECT_THROW(parse(prefix), Error) << "prefix of " << n << " bytes";
  }
  EXPECT_NO_THROW(parse(b));
}

class SafetensorsFolder : public ::testing::Test {
 protected:
  // A copy of a fixture folder to break.
  fs::path copy(const std::string& fixture) {
    fs::path to = dir_ / fixture;
    fs::copy(test::fixture_dir() / fixture, to, fs::copy_options::recursive);
    return to;
  }
  void set_config(const fs::path& folder, const std::string& key, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(test::read_file(folder / "config.json"));
    j[key] = value;
    test::write_file(folder / "config.json", j.dump());
  }
  test::ScratchDir dir_;
};

TEST_F(SafetensorsFolder, ConfigDisagreesWithTheTensors) {
  fs::path f = copy("tiny_llama");
  set_config(f, "num_hidden_layers", 3);
  expect_error([&] { open_model_files(f); }, {"'model.layers.2.input_layernorm.weight' is missing"});
  set_config(f, "num_hidden_layers", 2);
  set_config(f, "intermediate_size", 10);
  expect_error([&] { open_model_files(f); },
               {"model.safetensors", "mlp.gate_proj.weight", "[12, 8]", "expected [10, 8]"});
  set_config(f, "intermediate_size", 12);
  set_config(f, "tie_word_embeddings", false);
  expect_error([&] { open_model_files(f); }, {"lm_head.weight", "does not tie"});
}

TEST_F(SafetensorsFolder, UnsupportedDtype) {
  fs::path f = dir_ / "m";
  fs::create_directories(f);
  fs::copy(test::fixture_dir() / "tiny_llama" / "config.json", f / "config.json");
  // The fixture's header with one tensor's dtype changed to I16 (same size, so it still parses).
  auto b = test::read_file(test::fixture_dir() / "tiny_llama" / "model.safetensors");
  std::string s(b.begin(), b.end());
  size_t at = s.find(R"("model.norm.weight":{"dtype":"BF16")");
  ASSERT_NE(at, std::string::npos);
  s.replace(at + 30, 5, "I16\" ");  // BF16" -> I16" plus a space: same header length
  test::write_file(f / "model.safetensors", s);
  expect_error([&] { open_model_files(f); }, {"model.safetensors", "'model.norm.weight'", "I16"});
}

TEST_F(SafetensorsFolder, BrokenIndex) {
  fs::path f = copy("tiny_llama_sharded");
  auto index = nlohmann::json::parse(test::read_file(f / "model.safetensors.index.json"));
  auto broken = index;
  broken["weight_map"]["model.norm.weight"] = "../model-00002-of-00002.safetensors";
  test::write_file(f / "model.safetensors.index.json", broken.dump());
  expect_error([&] { open_model_files(f); },
               {"model.safetensors.index.json", "model.norm.weight", "not a file in the same folder"});
  broken = index;
  broken["weight_map"]["model.norm.weight"] = "model-00001-of-00002.safetensors";
  test::write_file(f / "model.safetensors.index.json", broken.dump());
  expect_error([&] { open_model_files(f); },
               {"model.safetensors.index.json", "model.norm.weight", "not in model-00001"});
  broken = index;
  broken["weight_map"]["model.extra.weight"] = "model-00003-of-00003.safetensors";
  test::write_file(f / "model.safetensors.index.json", broken.dump());
  expect_error([&] { open_model_files(f); }, {"model-00003-of-00003.safetensors", "cannot open"});
  test::write_file(f / "model.safetensors.index.json", std::string("{\"weight_map\": 3}"));
  expect_error([&] { open_model_files(f); }, {"model.safetensors.index.json", "weight_map"});
  test::write_file(f / "model.safetensors.index.json", std::string("{"));
  expect_error([&] { open_model_files(f); }, {"model.safetensors.index.json", "not valid JSON"});
}

TEST_F(SafetensorsFolder, TensorInTwoShards) {
  fs::path f = copy("tiny_llama_sharded");
  fs::copy(f / "model-00001-of-00002.safetensors", f / "model-00003-of-00003.safetensors");
  auto index = nlohmann::json::parse(test::read_file(f / "model.safetensors.index.json"));
  index["weight_map"]["model.norm.weight"] = "model-00003-of-00003.safetensors";
  test::write_file(f / "model.safetensors.index.json", index.dump());
  expect_error([&] { open_model_files(f); }, {"model.embed_tokens.weight", "also in"});
}

TEST_F(SafetensorsFolder, TokenizerAndGenerationConfig) {
  const fs::path tokenizer = fs::path(LQ_TEST_DIR) / "fixtures" / "tokenizer" / "smollm2" / "tokenizer.json";
  fs::path f = copy("tiny_llama");
  fs::copy(tokenizer, f / "tokenizer.json");
  expect_error([&] { open_model_files(f); }, {"tokenizer.json", "49152 tokens", "vocab_size 16"});

  // A config of SmolLM2's vocabulary, random weights, the tokenizer next to it.
  fs::path r = dir_ / "random";
  fs::create_directories(r);
  test::write_file(r / "config.json",
                   std::string(R"({"vocab_size": 49152, "hidden_size": 16, "intermediate_size": 32,
    "num_hidden_layers": 1, "num_attention_heads": 2, "tie_word_embeddings": true})"));
  fs::copy(tokenizer, r / "tokenizer.json");
  ModelFiles m = open_model_files(r, 5);
  ASSERT_TRUE(m.tokenizer);
  EXPECT_EQ(m.tokenizer->decode(m.tokenizer->encode("Hello world", false)), "Hello world");
  EXPECT_TRUE(m.generation_config.empty());
  test::write_file(r / "generation_config.json", std::string("[1]"));
  expect_error([&] { open_model_files(r, 5); }, {"generation_config.json", "JSON object"});
  test::write_file(r / "generation_config.json", std::string("{"));
  expect_error([&] { open_model_files(r, 5); }, {"generation_config.json", "not valid JSON"});
  fs::remove(r / "generation_config.json");
  test::write_file(r / "tokenizer.json", std::string("{}"));
  expect_error([&] { open_model_files(r, 5); }, {"tokenizer.json"});
}

TEST_F(SafetensorsFolder, MissingPieces) {
  fs::path f = copy("tiny_llama");
  fs::remove(f / "model.safetensors");
  expect_error([&] { open_model_files(f); }, {"no model.safetensors"});
  fs::remove(f / "config.json");
  expect_error([&] { open_model_files(f); }, {"no config.json"});
  expect_error([&] { open_model_files(dir_ / "nowhere"); }, {"nowhere", "no such file"});
  test::write_file(dir_ / "weights.bin", std::string("x"));
  expect_error([&] { open_model_files(dir_ / "weights.bin"); }, {"weights.bin", "expected a model folder"});
}

}  // namespace
}  // namespace lq
