// A minimal Llama GGUF (F32 tensors, 1 layer, hidden 32) for tests that need a variant of a valid model.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "gguf_writer.h"

namespace lq::test {

struct TinyLlamaOptions {
  std::string architecture = "llama";
  std::string tokenizer_model = "gpt2";
  uint32_t block_count = 1;
  bool untied = false;
  std::vector<std::string> skip;  // GGUF tensor names to leave out
  std::string odd_type_tensor;    // this tensor stored as Q5_0 instead of F32
  std::string odd_shape_tensor;   // this tensor with one row too many
  std::vector<float> rope_freqs;  // when set: a rope_freqs.weight tensor (llama3 scaling)
  float rope_theta = 10000.0f;
};

inline GgufWriter tiny_llama_writer(const TinyLlamaOptions& o = {}) {
  const uint64_t h = 32, heads = 2, kv = 1, hd = 16, ffn = 64, vocab = 260;
  GgufWriter w;
  w.kv_str("general.architecture", o.architecture);
  w.kv_u32(o.architecture + ".block_count", o.block_count);
  w.kv_u32(o.architecture + ".context_length", 128);
  w.kv_u32(o.architecture + ".embedding_length", h);
  w.kv_u32(o.architecture + ".feed_forward_length", ffn);
  w.kv_u32(o.architecture + ".attention.head_count", heads);
  w.kv_u32(o.architecture + ".attention.head_count_kv", kv);
  w.kv_f32(o.architecture + ".attention.layer_norm_rms_epsilon", 1e-5f);
  w.kv_f32(o.architecture + ".rope.freq_base", o.rope_theta);
  w.kv_str("tokenizer.ggml.model", o.tokenizer_model);
  w.kv_str("tokenizer.ggml.pre", "gpt2");
  std::vector<std::string> tokens;
  for (int i = 0; i < 256; ++i) tokens.push_back("<" + std::to_string(i) + ">");
  w.kv_strs("tokenizer.ggml.tokens", tokens);
  w.kv_strs("tokenizer.ggml.merges", {});
  auto add = [&](const std::string& name, std::vector<uint64_t> ne) {
    for (const auto& s : o.skip)
      if (s == name) return;
    uint32_t type = 0;
    if (name == o.odd_shape_tensor) ne.back() += 1;
    uint64_t n = 1;
    for (auto d : ne) n *= d;
    uint64_t bytes = n * 4;
    if (name == o.odd_type_tensor) type = 6, bytes = n / 32 * 22;  // Q5_0
    std::vector<uint8_t> data(bytes, 0);
    w.tensor(name, ne, type, data);
  };
  add("token_embd.weight", {h, vocab});
  for (uint32_t i = 0; i < std::min<uint32_t>(o.block_count, 2); ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    add(p + "attn_norm.weight", {h});
    add(p + "attn_q.weight", {h, heads * hd});
    add(p + "attn_k.weight", {h, kv * hd});
    add(p + "attn_v.weight", {h, kv * hd});
    add(p + "attn_output.weight", {heads * hd, h});
    add(p + "ffn_norm.weight", {h});
    add(p + "ffn_gate.weight", {h, ffn});
    add(p + "ffn_up.weight", {h, ffn});
    add(p + "ffn_down.weight", {ffn, h});
  }
  add("output_norm.weight", {h});
  if (!o.rope_freqs.empty()) {
    std::vector<uint8_t> data(o.rope_freqs.size() * 4);
    std::memcpy(data.data(), o.rope_freqs.data(), data.size());
    w.tensor("rope_freqs.weight", {o.rope_freqs.size()}, 0, data);
  }
  if (o.untied) add("output.weight", {h, vocab});
  return w;
}

}  // namespace lq::test
