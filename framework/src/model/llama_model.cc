#include "model/llama_model.h"

#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <map>
#include <typeinfo>
#include <sstream>

#include "model/decode_prefetch.h"
#include "ops/attention.h"
#include "ops/dense.h"
#include "ops/rms_norm.h"
#include "ops/swiglu.h"

namespace lq {

namespace {

void check_config(const LlamaConfig& c) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("model config: " + what);
  };
  need(c.vocab_size > 0 && c.hidden_size > 0 && c.intermediate_size > 0 && c.num_hidden_layers > 0,
       "vocab_size, hidden_size, intermediate_size and num_hidden_layers must be positive");
  need(c.num_attention_heads > 0 && c.num_key_value_heads > 0 && c.head_dim > 0,
       "num_attention_heads, num_key_value_heads and head_dim must be positive");
  need(c.num_attention_heads % c.num_key_value_heads == 0,
       "num_attention_heads (" + std::to_string(c.num_attention_heads) +
           ") must be a multiple of num_key_value_heads (" + std::to_string(c.num_key_value_heads) + ")");
  need(!c.attention_bias && !c.mlp_bias, "attention_bias / mlp_bias are not supported (Llama has no biases)");
}

// `layer` as a DenseLinear when it is exactly one, else null: a subclass may compute, count its bytes or
// describe itself its own way, so only the plain type is fused or multiplied directly.
const DenseLinear* plain_dense(const Linear* layer) {
  return layer && typeid(*layer) == typeid(DenseLinear) ? static_cast<const DenseLinear*>(layer) : nullptr;
}

// One dense layer over the output rows of `parts` when each is a plain_dense one of one dtype; each part is
// rebuilt as a view of its rows. Null (and the parts untouched) otherwise.
std::shared_ptr<DenseLinear> fuse_dense(const std::vector<std::shared_ptr<Linear>*>& parts) {
  std::vector<at::Tensor> weights;
  for (auto* part : parts) {
    const DenseLinear* dense = plain_dense(part->get());
    if (!dense || (!weights.empty() && dense->weight().scalar_type() != weights[0].scalar_type()))
      return nullptr;
    weights.push_back(dense->weight());
  }
  at::Tensor fused = at::cat(weights, 0);
  weights.clear();
  int64_t row = 0;
  for (auto* part : parts) {
    const int64_t rows = (*part)->out_features();
    *part = std::make_shared<DenseLinear>(fused.narrow(0, row, rows));
    row += rows;
  }
  return std::make_shared<DenseLinear>(fused);
}

// Reads one linear weight and turns it into the layer the model keeps.
class LayerBuilder {
 public:
  LayerBuilder(const WeightSource& w, at::Device device, at::ScalarType dtype, QuantBackend* backend)
      : w_(w), backend_(backend), ctx_{device, dtype} {}

  at::Tensor tensor(const std::string& name, const std::vector<int64_t>& shape) const {
    return w_.load(name, ctx_.activation_dtype, shape).to(ctx_.device).contiguous();
  }

  std::shared_ptr<Linear> linear(const std::string& name, int64_t out, int64_t in) const {
    return from_weight(name, tensor(name + ".weight", {out, in}));
  }

  std::shared_ptr<Linear> from_weight(const std::string& name, const at::Tensor& weight) const {
    if (!backend_ || !backend_->wants(name)) return std::make_shared<DenseLinear>(weight);
    std::shared_ptr<Linear> layer = backend_->quantize(name, weight, ctx_);
    if (!layer || layer->in_features() != weight.size(1) || layer->out_features() != weight.size(0))
      throw Error("quantization backend returned a layer of the wrong shape for " + name + " (expected [" +
                  std::to_string(weight.size(0)) + ", " + std::to_string(weight.size(1)) + "])");
    return layer;
  }

  // One layer for `parts` (outputs side by side): a dense one over their stacked weights when all are plain
  // dense layers of one dtype, else whatever the backend makes of them (null: keep them apart).
  std::shared_ptr<Linear> fuse(const std::vector<std::shared_ptr<Linear>*>& parts) const {
    if (std::shared_ptr<Linear> dense = fuse_dense(parts)) return dense;
    if (!backend_) return nullptr;
    std::vector<std::shared_ptr<Linear>> layers;
    int64_t out = 0;
    for (auto* part : parts) {
      layers.push_back(*part);
      out += (*part)->out_features();
    }
    std::shared_ptr<Linear> fused = backend_->fuse(layers);
    if (fused && (fused->in_features() != layers[0]->in_features() || fused->out_features() != out))
      throw Error("quantization backend fused " + std::to_string(parts.size()) + " layers of " +
                  std::to_string(out) + " outputs into a layer of the wrong shape");
    return fused;
  }

 private:
  const WeightSource& w_;
  QuantBackend* backend_;
  QuantizeContext ctx_;
};

// layer(x) (+ residual, when defined). A plain dense layer runs through ops/dense.h (the residual in the
// product's epilogue, one row on CUDA through the GEMV kernel); any other through its own forward(), or
// forward_add() on the fused path.
at::Tensor apply_linear(const Linear& layer, const at::Tensor& x, const at::Tensor& residual, OpImpl ops) {
  if (const DenseLinear* d = plain_dense(&layer)) return dense(x, d->weight(), residual, ops);
  if (!residual.defined()) return layer.forward(x);
  return ops == OpImpl::kFused ? layer.forward_add(x, residual) : residual + layer.forward(x);
}

// layer(rms_norm(h)) of a backend's layer: the layer's own fused form where it offers one for this input
// on the fused path, else the engine's norm, then the layer.
at::Tensor apply_normed(const Linear& layer, const at::Tensor& h, const at::Tensor& norm_weight, double eps,
                        OpImpl ops) {
  if (ops == OpImpl::kFused)
    if (at::Tensor y = layer.forward_rms_normed(h, norm_weight, eps); y.defined()) return y;
  return apply_linear(layer, rms_norm(h, norm_weight, eps, ops), {}, ops);
}

int64_t tensor_bytes(const at::Tensor& t) { return t.numel() * static_cast<int64_t>(t.element_size()); }

}  // namespace

std::unique_ptr<LlamaModel> LlamaModel::load(const ModelFiles& files, at::Device device, at::ScalarType dtype,
                                             QuantBackend* backend) {
  if (!files.weights) throw Error("model files carry no weights");
  return load(files.config, *files.weights, device, dtype, backend);
}

std::unique_ptr<LlamaModel> LlamaModel::load(const LlamaConfig& config, const WeightSource& weights,
                                             at::Device device, at::ScalarType dtype, QuantBackend* backend) {
  check_config(config);
  if (dtype != at::kFloat && dtype != at::kHalf && dtype != at::kBFloat16)
    throw Error(std::string("unsupported model dtype ") + at::toString(dtype) +
                " (float32, float16 or bfloat16)");
#if TORCH_VERSION_MAJOR < 2
  if (device.is_cpu() && dtype == at::kHalf)
    throw Error(
        "float16 matrix products are not available on the CPU in this libtorch; use float32 or bfloat16");
#endif
  std::unique_ptr<LlamaModel> m(new LlamaModel(config, device, dtype));
  const LlamaConfig& c = m->config_;
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  const int64_t q_out = c.num_attention_heads * D, kv_out = c.num_key_value_heads * D;
  LayerBuilder b(weights, device, dtype, backend);

  m->embed_ = b.tensor("model.embed_tokens.weight", {c.vocab_size, H});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    Block blk;
    blk.input_norm = b.tensor(p + "input_layernorm.weight", {H});
    blk.q = b.linear(p + "self_attn.q_proj", q_out, H);
    blk.k = b.linear(p + "self_attn.k_proj", kv_out, H);
    blk.v = b.linear(p + "self_attn.v_proj", kv_out, H);
    blk.o = b.linear(p + "self_attn.o_proj", H, q_out);
    blk.post_attention_norm = b.tensor(p + "post_attention_layernorm.weight", {H});
    blk.gate = b.linear(p + "mlp.gate_proj", I, H);
    blk.up = b.linear(p + "mlp.up_proj", I, H);
    blk.down = b.linear(p + "mlp.down_proj", H, I);
    blk.qkv = b.fuse({&blk.q, &blk.k, &blk.v});
    blk.gate_up = b.fuse({&blk.gate, &blk.up});
    m->blocks_.push_back(std::move(blk));
  }
  m->final_norm_ = b.tensor("model.norm.weight", {H});
  // transformers ties the head whenever the config says so; a file without lm_head is tied as well.
  m->tied_ = c.tie_word_embeddings || !weights.has("lm_head.weight");
  if (m->tied_)
    m->lm_head_ = b.from_weight("lm_head", m->embed_);
  else
    m->lm_head_ = b.linear("lm_head", c.vocab_size, H);
  m->inv_freq_ = rope_inv_freq(c).to(device);
  m->chain_decode_prefetch();
  return m;
}

void LlamaModel::chain_decode_prefetch() {
  std::vector<Linear*> order;  // the products of the fused path, in the order a step runs them
  for (Block& blk : blocks_) {
    if (blk.qkv)
      order.push_back(blk.qkv.get());
    else
      order.insert(order.end(), {blk.q.get(), blk.k.get(), blk.v.get()});
    order.push_back(blk.o.get());
    if (blk.gate_up)
      order.push_back(blk.gate_up.get());
    else
      order.insert(order.end(), {blk.gate.get(), blk.up.get()});
    order.push_back(blk.down.get());
  }
  const size_t depth = static_cast<size_t>(decode_prefetch_depth());
  for (size_t i = 0; depth > 0 && i + 1 < order.size(); ++i) {
    std::vector<DeviceBytes> next;
    for (size_t j = i + 1; j <= i + depth && j < order.size(); ++j)
      for (const DeviceBytes& run : order[j]->device_bytes()) next.push_back(run);
    order[i]->prefetch_next(std::move(next));
  }
}

KvCache LlamaModel::make_cache(int64_t batch, int64_t capacity) const {
  return KvCache(config_, batch, capacity, device_, dtype_);
}

at::Tensor LlamaModel::block_forward(int64_t layer, const at::Tensor& h, const RopeAngles& rope,
                                     KvCache& cache, const at::Tensor& slots, int64_t span,
                                     const at::Tensor& allowed) const {
  const Block& blk = blocks_[static_cast<size_t>(layer)];
  const int64_t B = h.size(0), T = h.size(1), D = config_.head_dim;
  const int64_t heads = config_.num_attention_heads, kv_heads = config_.num_key_value_heads;

  const double eps = config_.rms_norm_eps;
  const bool fused = ops_ == OpImpl::kFused;
  at::Tensor q, k, v;
  if (blk.qkv && fused) {
    // A dense q/k/v normalizes its own input (one kernel at decode); a backend's group may too.
    const DenseLinear* d = plain_dense(blk.qkv.get());
    const at::Tensor all = d ? norm_dense(h, blk.input_norm, eps, d->weight(), false, ops_)
                             : apply_normed(*blk.qkv, h, blk.input_norm, eps, ops_);
    const int64_t q_out = heads * D, kv_out = kv_heads * D;
    q = all.narrow(-1, 0, q_out), k = all.narrow(-1, q_out, kv_out),
    v = all.narrow(-1, q_out + kv_out, kv_out);
  } else {
    const at::Tensor x = rms_norm(h, blk.input_norm, eps, ops_);
    q = apply_linear(*blk.q, x, {}, ops_), k = apply_linear(*blk.k, x, {}, ops_),
    v = apply_linear(*blk.v, x, {}, ops_);
  }
  q = q.view({B, T, heads, D}).transpose(1, 2);
  k = k.view({B, T, kv_heads, D}).transpose(1, 2);
  v = v.view({B, T, kv_heads, D}).transpose(1, 2);
  const at::Tensor attn = rope_append_attention(q, k, v, rope, cache.keys(layer), cache.values(layer), slots,
                                                span, allowed, ops_);
  at::Tensor out = apply_linear(*blk.o, attn.transpose(1, 2).reshape({B, T, heads * D}), h, ops_);

  at::Tensor act;  // SwiGLU's gate: silu(gate) * up
  if (blk.gate_up && fused) {
    // A dense gate/up normalizes its input and applies the gate itself (one kernel at decode); a backend's
    // group may too.
    const DenseLinear* d = plain_dense(blk.gate_up.get());
    if (d) {
      act = norm_dense(out, blk.post_attention_norm, eps, d->weight(), true, ops_);
    } else {
      act = blk.gate_up->forward_rms_normed_swiglu(out, blk.post_attention_norm, eps);
      if (!act.defined())
        act = swiglu(apply_normed(*blk.gate_up, out, blk.post_attention_norm, eps, ops_), ops_);
    }
  } else {
    const at::Tensor x = rms_norm(out, blk.post_attention_norm, eps, ops_);
    act = silu_mul(apply_linear(*blk.gate, x, {}, ops_), apply_linear(*blk.up, x, {}, ops_), ops_);
  }
  return apply_linear(*blk.down, act, out, ops_);
}

at::Tensor LlamaModel::forward(const at::Tensor& tokens, const at::Tensor& positions, KvCache& cache,
                               int64_t start, bool last_only) const {
  TORCH_CHECK(tokens.dim() == 2 && positions.sizes() == tokens.sizes(),
              "tokens and positions must be [B, T]");
  const int64_t B = tokens.size(0), T = tokens.size(1);
  if (B != cache.batch() || start < 0 || start + T > cache.capacity() ||
      cache.layers() != config_.num_hidden_layers)
    throw Error("KV cache of batch " + std::to_string(cache.batch()) + " and capacity " +
                std::to_string(cache.capacity()) + " cannot take " + std::to_string(B) + " x " +
                std::to_string(T) + " tokens at slot " + std::to_string(start));
  at::Tensor slots = at::arange(start, start + T, at::TensorOptions().dtype(at::kLong).device(device_));
  return run(tokens, positions, cache, slots, start + T, last_only);
}

at::Tensor LlamaModel::decode(const at::Tensor& tokens, const at::Tensor& positions, const at::Tensor& slot,
                              KvCache& cache) const {
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(1) == 1 && positions.sizes() == tokens.sizes(),
              "decode: tokens and positions must be [B, 1]");
  TORCH_CHECK(slot.numel() == 1 && slot.scalar_type() == at::kLong, "decode: slot must be one int64");
  if (tokens.size(0) != cache.batch() || cache.layers() != config_.num_hidden_layers)
    throw Error("KV cache of batch " + std::to_string(cache.batch()) + " cannot take a decode step of " +
                std::to_string(tokens.size(0)) + " rows");
  return run(tokens, positions, cache, slot.view({1}), cache.capacity(), /*last_only=*/true);
}

at::Tensor LlamaModel::run(const at::Tensor& tokens, const at::Tensor& positions, KvCache& cache,
                           const at::Tensor& slots, int64_t span, bool last_only) const {
  c10::NoGradGuard no_grad;
  const int64_t T = tokens.size(1);
  // A plain (unchained) launch: the step starts only when all earlier work is done, so that its chained
  // kernels may read what earlier steps wrote before they wait (decode attention's first cache loads).
  at::Tensor h = at::embedding(embed_, tokens.to(device_));
  RopeAngles rope = rope_angles(positions.to(device_), inv_freq_, dtype_, ops_);
  at::Tensor allowed = causal_mask(cache.valid(), slots, span, ops_);
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i)
    h = block_forward(i, h, rope, cache, slots, span, allowed);
  if (last_only) h = h.select(1, T - 1);
  return apply_linear(*lm_head_, rms_norm(h, final_norm_, config_.rms_norm_eps, ops_), {}, ops_);
}

int64_t LlamaModel::weight_bytes() const {
  int64_t total = tensor_bytes(embed_) + tensor_bytes(final_norm_);
  for (const Block& blk : blocks_)
    total += tensor_bytes(blk.input_norm) + tensor_bytes(blk.post_attention_norm);
  for (const LayerFormat& f : layer_formats())
    if (!f.tied) total += f.bytes;
  return total;
}

std::vector<LayerFormat> LlamaModel::layer_formats() const {
  std::vector<LayerFormat> out;
  auto add = [&](const std::string& name, const Linear& l) {
    out.push_back({name, l.describe(), l.bytes(), false});
  };
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& blk = blocks_[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "self_attn.q_proj", *blk.q);
    add(p + "self_attn.k_proj", *blk.k);
    add(p + "self_attn.v_proj", *blk.v);
    add(p + "self_attn.o_proj", *blk.o);
    add(p + "mlp.gate_proj", *blk.gate);
    add(p + "mlp.up_proj", *blk.up);
    add(p + "mlp.down_proj", *blk.down);
  }
  add("lm_head", *lm_head_);
  // A dense head built from the embedding matrix shares its storage.
  auto* dense = dynamic_cast<const DenseLinear*>(lm_head_.get());
  out.back().tied = tied_ && dense && dense->weight().is_same(embed_);
  return out;
}

std::string LlamaModel::format_summary() const {
  std::map<std::string, int64_t> counts;
  std::string head;
  for (const LayerFormat& f : layer_formats()) {
    if (f.name == "lm_head")
      head = f.format + " (lm_head" + (f.tied ? ", tied" : "") + ")";
    else
      ++counts[f.format];
  }
  std::ostringstream s;
  for (const auto& [format, n] : counts) s << n << " x " << format << "; ";
  s << "1 x " << head;
  return s.str();
}

}  // namespace lq
