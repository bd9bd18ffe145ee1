#include "ops/rope.h"

#include <cmath>
#include <string>

#include "llama_quant/diagnostics.h"
#include "ops/fused_ops.h"

namespace lq {

namespace {

// Llama 3: long wavelengths are slowed down by `factor`, short ones kept, and the band in between
// interpolated smoothly (transformers' _compute_llama3_parameters).
at::Tensor llama3_scale(const at::Tensor& inv_freq, const RopeScaling& s) {
  const double low_wavelen = static_cast<double>(s.original_max_position_embeddings) / s.low_freq_factor;
  const double high_wavelen = static_cast<double>(s.original_max_position_embeddings) / s.high_freq_factor;
  at::Tensor wavelen = 2 * M_PI / inv_freq;
  at::Tensor scaled = at::where(wavelen > low_wavelen, inv_freq / s.factor, inv_freq);
  at::Tensor smooth =
      (static_cast<double>(s.original_max_position_embeddings) / wavelen - s.low_freq_factor) /
      (s.high_freq_factor - s.low_freq_factor);
  at::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  at::Tensor medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
  return at::where(medium, smoothed, scaled);
}

}  // namespace

at::Tensor rope_inv_freq(const LlamaConfig& config) {
  const int64_t dim = config.head_dim;
  if (dim <= 0 || dim % 2 != 0)
    throw Error("rotary embeddings need an even head_dim, got " + std::to_string(dim));
  at::Tensor exponent = at::arange(0, dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(dim);
  at::Tensor inv_freq = 1.0 / at::pow(config.rope_theta, exponent);
  const RopeScaling& s = config.rope_scaling;
  if (s.type == "default") return inv_freq;
  if (s.type == "llama3") {
    if (!(s.factor > 0) || !(s.high_freq_factor > s.low_freq_factor) || s.low_freq_factor <= 0 ||
        s.original_max_position_embeddings <= 0)
      throw Error("llama3 rope_scaling needs factor > 0 and high_freq_factor > low_freq_factor > 0");
    return llama3_scale(inv_freq, s);
  }
  throw Error("unsupported rope_scaling type '" + s.type + "' (expected 'default' or 'llama3')");
}

RopeAngles rope_angles(const at::Tensor& positions, const at::Tensor& inv_freq, at::ScalarType dtype,
                       OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (positions.is_cuda() && impl == OpImpl::kFused) {
    auto [cos, sin] = rope_angles_cuda(positions, inv_freq, dtype);
    return {cos, sin};
  }
#else
  (void)impl;
#endif
  // fp32 products and cos/sin, as transformers does under autocast-off, then cast to the activations.
  at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq;
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

at::Tensor apply_rope(const at::Tensor& x, const RopeAngles& angles) {
  const int64_t half = x.size(-1) / 2;
  at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * angles.cos.unsqueeze(1) + rotated * angles.sin.unsqueeze(1);
}

at::Tensor rope_and_append(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const RopeAngles& angles, at::Tensor& keys, at::Tensor& values,
                           const at::Tensor& slots, OpImpl impl) {
#ifdef LQ_HAVE_CUDA
  if (q.is_cuda() && impl == OpImpl::kFused)
    return rope_append_cuda(q, k, v, angles.cos, angles.sin, keys, values, slots);
#else
  (void)impl;
#endif
  keys.index_copy_(2, slots, apply_rope(k, angles));
  values.index_copy_(2, slots, v);
  return apply_rope(q, angles);
}

}  // namespace lq
