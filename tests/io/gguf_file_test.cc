// GgufFile: metadata of every type, tensor directory, alignment, and every kind of malformed header.
#include <gtest/gtest.h>

#include "gguf_writer.h"
#include "io/gguf_file.h"
#include "test_files.h"

namespace lq {
namespace {

using io::GgufFile;
using io::GgufValueType;
using test::expect_error;
using test::GgufWriter;

GgufFile parse(const std::vector<uint8_t>& b) { return GgufFile::parse(b.data(), b.size(), "t.gguf"); }

// One metadata entry of each type, two tensors.
GgufWriter sample() {
  GgufWriter w;
  w.kv("u8", GgufWriter::U8, uint8_t{200});
  w.kv("i8", GgufWriter::I8, int8_t{-100});
  w.kv("u16", GgufWriter::U16, uint16_t{60000});
  w.kv("i16", GgufWriter::I16, int16_t{-30000});
  w.kv_u32("u32", 4000000000u);
  w.kv("i32", GgufWriter::I32, int32_t{-2000000000});
  w.kv_f32("f32", 0.25f);
  w.kv_bool("bool", true);
  w.kv_str("str", "héllo");
  w.kv("u64", GgufWriter::U64, uint64_t{1} << 40);
  w.kv("i64", GgufWriter::I64, int64_t{-(int64_t{1} << 40)});
  w.kv("f64", GgufWriter::F64, 1.5);
  w.kv_strs("strs", {"a", "", "ccc"});
  w.kv_i32s("i32s", {1, -2, 3});
  // An array of arrays of uint16.
  std::vector<uint8_t> nested;
  GgufWriter::put<uint32_t>(nested, GgufWriter::ARRAY);
  GgufWriter::put<uint64_t>(nested, 2);
  for (int i = 0; i < 2; ++i) {
    GgufWriter::put<uint32_t>(nested, GgufWriter::U16);
    GgufWriter::put<uint64_t>(nested, 1);
    GgufWriter::put<uint16_t>(nested, static_cast<uint16_t>(7 + i));
  }
  w.kv_raw("nested", GgufWriter::ARRAY, nested);
  w.tensor("a", {4, 2}, 0, std::vector<uint8_t>(32, 1));  // F32 [2, 4]
  w.tensor("b", {32}, 8, std::vector<uint8_t>(34, 2));    // Q8_0, one block
  return w;
}

TEST(GgufFile, ReadsMetadataOfEveryType) {
  auto b = sample().build();
  GgufFile g = parse(b);
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.keys().size(), 15u);
  EXPECT_EQ(g.keys().front(), "u8");
  EXPECT_EQ(g.get_int("u8"), 200);
  EXPECT_EQ(g.get_int("i8"), -100);
  EXPECT_EQ(g.get_int("u16"), 60000);
  EXPECT_EQ(g.get_int("i16"), -30000);
  EXPECT_EQ(g.get_int("u32"), 4000000000);
  EXPECT_EQ(g.get_int("i32"), -2000000000);
  EXPECT_EQ(*g.get_float_opt("f32"), 0.25);
  EXPECT_EQ(*g.get_bool_opt("bool"), true);
  EXPECT_EQ(g.get_string("str"), "héllo");
  EXPECT_EQ(g.get_int("u64"), int64_t{1} << 40);
  EXPECT_EQ(g.get_int("i64"), -(int64_t{1} << 40));
  EXPECT_EQ(*g.get_float_opt("f64"), 1.5);
  EXPECT_EQ(*g.get_float_opt("u32"), 4000000000.0);  // integers read as numbers too
  EXPECT_EQ(g.get_strings("strs"), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(g.get_ints("i32s"), (std::vector<int64_t>{1, -2, 3}));
  auto outer = g.elements(*g.find("nested"));
  ASSERT_EQ(outer.size(), 2u);
  EXPECT_EQ(outer[1].type, GgufValueType::kArray);
  auto inner = g.elements(outer[1]);
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].uint, 8u);
  EXPECT_FALSE(g.get_int_opt("absent"));
}

TEST(GgufFile, TypedGettersNameTheKey) {
  auto b = sample().build();
  GgufFile g = parse(b);
  expect_error([&] { g.get_int("str"); }, {"t.gguf", "'str'", "integer"});
  expect_error([&] { g.get_string("u8"); }, {"t.gguf", "'u8'", "string"});
  expect_error([&] { g.get_int("missing"); }, {"'missing'", "missing"});
  expect_error([&] { g.get_strings("i32s"); }, {"'i32s'", "strings"});
  expect_error([&] { g.get_bool_opt("u8"); }, {"'u8'", "bool"});
}

TEST(GgufFile, TensorDirectoryAndAlignment) {
  auto w = sample();
  auto b = w.build();
  GgufFile g = parse(b);
  ASSERT_EQ(g.tensors().size(), 2u);
  const auto* a = g.find_tensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ne, (std::vector<uint64_t>{4, 2}));
  EXPECT_EQ(a->numel, 8);
  EXPECT_EQ(a->nbytes, 32u);
  EXPECT_EQ(g.data_offset() % 32, 0u);
  EXPECT_EQ(a->offset, g.data_offset());
  EXPECT_EQ(g.find_tensor("b")->offset, g.data_offset() + 32);
  EXPECT_EQ(g.find_tensor("b")->nbytes, 34u);
  EXPECT_EQ(b[g.find_tensor("b")->offset], 2);

  GgufWriter w64 = sample();
  w64.kv_u32("general.alignment", 64);
  w64.alignment = 64;
  auto b64 = w64.build();
  GgufFile g64 = parse(b64);
  EXPECT_EQ(g64.alignment(), 64u);
  EXPECT_EQ(g64.data_offset() % 64, 0u);
  EXPECT_EQ(g64.find_tensor("b")->offset, g64.data_offset() + 64);
}

TEST(GgufFile, EveryTruncationIsAnError) {
  auto b = sample().build();
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> prefix(b.begin(), b.begin() + static_cast<long>(n));
    EXPECT_THROW(parse(prefix), Error) << "prefix of " << n << " bytes";
  }
  EXPECT_NO_THROW(parse(b));
}

TEST(GgufFile, RejectsBadHeaders) {
  auto b = sample().build();
  auto bad = b;
  bad[0] = 'X';
  expect_error([&] { parse(bad); }, {"t.gguf", "not a GGUF file"});
  bad = b;
  bad[4] = 1;
  expect_error([&] { parse(bad); }, {"version 1"});
  bad = b;
  bad[4] = 0, bad[7] = 3;
  expect_error([&] { parse(bad); }, {"big-endian"});

  GgufWriter w = sample();
  w.n_kv_override = uint64_t{1} << 60;
  expect_error([&] { parse(w.build()); }, {"t.gguf", "metadata entries"});
  w = sample();
  w.n_tensors_override = uint64_t{1} << 60;
  expect_error([&] { parse(w.build()); }, {"t.gguf", "tensors"});
  w = sample();
  w.n_tensors_override = 3;  // one more than there are: reads into the data section
  EXPECT_THROW(parse(w.build()), Error);
}

TEST(GgufFile, RejectsBadMetadata) {
  auto one = [](const std::string& key, uint32_t type, std::vector<uint8_t> value) {
    GgufWriter w;
    w.kv_raw(key, type, value);
    return w.build();
  };
  std::vector<uint8_t> v;
  GgufWriter::put<uint64_t>(v, uint64_t{1} << 63);  // a string longer than the file
  expect_error([&] { parse(one("s", GgufWriter::STRING, v)); }, {"t.gguf", "truncated"});

  v.clear();
  GgufWriter::put<uint32_t>(v, GgufWriter::STRING);
  GgufWriter::put<uint64_t>(v, uint64_t{1} << 61);  // 2^61 strings: refused before allocating
  expect_error([&] { parse(one("arr", GgufWriter::ARRAY, v)); }, {"'arr'", "does not fit"});

  v.clear();
  GgufWriter::put<uint32_t>(v, GgufWriter::U64);
  GgufWriter::put<uint64_t>(v, uint64_t{1} << 62);  // 2^62 * 8 bytes would overflow
  expect_error([&] { parse(one("arr", GgufWriter::ARRAY, v)); }, {"'arr'", "does not fit"});

  expect_error([&] { parse(one("k", 99, {0, 0, 0, 0})); }, {"'k'", "unknown value type 99"});

  v.clear();
  GgufWriter::put<uint32_t>(v, 42);
  GgufWriter::put<uint64_t>(v, 0);
  expect_error([&] { parse(one("k", GgufWriter::ARRAY, v)); }, {"'k'", "unknown array element type 42"});

  expect_error([&] { parse(one("flag", GgufWriter::BOOL, {2})); }, {"'flag'", "neither 0 nor 1"});

  v.clear();  // arrays nested 100 deep
  for (int i = 0; i < 100; ++i) {
    GgufWriter::put<uint32_t>(v, GgufWriter::ARRAY);
    GgufWriter::put<uint64_t>(v, 1);
  }
  GgufWriter::put<uint32_t>(v, GgufWriter::U8);
  GgufWriter::put<uint64_t>(v, 0);
  expect_error([&] { parse(one("deep", GgufWriter::ARRAY, v)); }, {"'deep'", "nested too deeply"});

  GgufWriter w;
  w.kv_u32("dup", 1);
  w.kv_u32("dup", 2);
  expect_error([&] { parse(w.build()); }, {"'dup'", "twice"});

  for (uint32_t align : {0u, 3u, 48u}) {
    GgufWriter wa;
    wa.kv_u32("general.alignment", align);
    expect_error([&] { parse(wa.build()); }, {"general.alignment", "power of two"});
  }
  GgufWriter ws;
  ws.kv_str("general.alignment", "32");
  expect_error([&] { parse(ws.build()); }, {"general.alignment"});
}

TEST(GgufFile, RejectsBadTensorInfos) {
  auto with = [](std::vector<uint64_t> ne, uint32_t type, size_t bytes) {
    GgufWriter w;
    w.tensor("t0", std::move(ne), type, std::vector<uint8_t>(bytes, 0));
    return w;
  };
  expect_error([&] { parse(with({1, 1, 1, 1, 1}, 0, 4).build()); }, {"'t0'", "5 dimensions"});
  expect_error([&] { parse(with({}, 0, 4).build()); }, {"'t0'", "0 dimensions"});
  expect_error([&] { parse(with({4, 0}, 0, 0).build()); }, {"'t0'", "dimension 1 is 0"});
  expect_error([&] { parse(with({4}, 77, 16).build()); }, {"'t0'", "unknown ggml type 77"});
  expect_error([&] { parse(with({4}, 4, 16).build()); }, {"'t0'", "unknown ggml type 4"});  // removed Q4_2
  expect_error([&] { parse(with({48}, 2, 27).build()); }, {"'t0'", "not a multiple", "Q4_0 block size 32"});
  expect_error([&] { parse(with({1u << 31, 1u << 31, 1u << 31}, 0, 4).build()); }, {"'t0'", "overflow"});
  expect_error([&] { parse(with({uint64_t{1} << 63}, 0, 4).build()); }, {"'t0'", "dimension 0"});
  expect_error([&] { parse(with({1024}, 0, 64).build()); }, {"'t0'", "past the end", "truncated"});

  GgufWriter w = with({4}, 0, 16);
  w.tensors()[0].offset = 16;  // not a multiple of 32
  expect_error([&] { parse(w.build()); }, {"'t0'", "not a multiple of the alignment"});
  w.tensors()[0].offset = ~uint64_t{0} - 31;  // aligned, but offset + size overflows
  expect_error([&] { parse(w.build()); }, {"'t0'", "overflow"});
  w.tensors()[0].offset = 1u << 20;
  expect_error([&] { parse(w.build()); }, {"'t0'", "past the end"});

  GgufWriter d;
  d.tensor("same", {4}, 0, std::vector<uint8_t>(16, 0));
  d.tensor("same", {4}, 0, std::vector<uint8_t>(16, 0));
  expect_error([&] { parse(d.build()); }, {"'same'", "twice"});
}

}  // namespace
}  // namespace lq
