// libtorch-CUDA glue of the framework kernels (ops/*.cu): checks layouts, takes the current stream.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <cmath>
#include <string>
#include <vector>

#include "llama_quant/diagnostics.h"
#include "ops/fused_kernels.h"
#include "ops/fused_ops.h"
#include "ops/greedy.h"

namespace lq {
namespace {

kernels::Dtype kernel_dtype(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return kernels::Dtype::kF32;
    case at::kHalf:
      return kernels::Dtype::kF16;
    case at::kBFloat16:
      return kernels::Dtype::kBF16;
    default:
      throw Error(std::string("fused CUDA ops: unsupported dtype ") + at::toString(t));
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string(what) + ": " + cudaGetErrorString(e));
}

cudaStream_t stream() { return c10::cuda::getCurrentCUDAStream().stream(); }

bool aligned16(const at::Tensor& t) {
  const int64_t elems = 16 / static_cast<int64_t>(t.element_size());
  if (reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 != 0 || t.stride(-1) != 1) return false;
  for (int64_t d = 0; d + 1 < t.dim(); ++d)
    if (t.size(d) > 1 && t.stride(d) % elems != 0) return false;
  return true;
}

// A [B, heads, slots, D] tensor (slots unused for a step's k and v) as the kernels address it.
kernels::AttentionView attention_view(const at::Tensor& t) {
  return {t.data_ptr(), t.stride(0), t.stride(1), t.stride(2)};
}
kernels::CacheView cache_view(at::Tensor& t) { return {t.data_ptr(), t.stride(0), t.stride(1), t.stride(2)}; }

}  // namespace

at::Tensor rms_norm_cuda(const at::Tensor& x, const at::Tensor& weight, double eps) {
  c10::cuda::CUDAGuard guard(x.device());
  const at::Tensor xc = x.contiguous(), w = weight.contiguous();
  TORCH_CHECK(w.scalar_type() == x.scalar_type() && w.numel() == x.size(-1),
              "rms_norm: weight [hidden] of x's dtype");
  at::Tensor y = at::empty_like(xc);
  const int64_t cols = x.size(-1);
  check(kernels::rms_norm(xc.data_ptr(), w.data_ptr(), y.data_ptr(), xc.numel() / cols, cols,
                          static_cast<float>(eps), kernel_dtype(x.scalar_type()), stream()),
        "rms_norm kernel");
  return y;
}

at::Tensor rope_append_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& cos, const at::Tensor& sin, at::Tensor& keys,
                            at::Tensor& values, const at::Tensor& slots) {
  c10::cuda::CUDAGuard guard(q.device());
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3), kv = k.size(1);
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.sizes() == k.sizes() && k.size(0) == B && k.size(2) == T &&
                  k.size(3) == D && q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1,
              "rope_append: q [B, H, T, D], k and v [B, kv, T, D] with unit stride in D");
  TORCH_CHECK(keys.dim() == 4 && keys.sizes() == values.sizes() && keys.size(0) == B && keys.size(1) == kv &&
                  keys.size(3) == D && keys.stride(3) == 1 && values.stride(3) == 1,
              "rope_append: keys and values [B, kv, capacity, D] with unit stride in D");
  const at::Tensor c = cos.contiguous(), s = sin.contiguous(), sl = slots.contiguous();
  TORCH_CHECK(c.scalar_type() == q.scalar_type() && c.sizes() == s.sizes() && c.size(0) == B &&
                  c.size(1) == T && c.size(2) == D && sl.scalar_type() == at::kLong && sl.numel() == T &&
                  sl.is_cuda(),
              "rope_append: cos and sin [B, T, D] of q's dtype, slots [T] int64 on the device");
  TORCH_CHECK(k.scalar_type() == q.scalar_type() && v.scalar_type() == q.scalar_type() &&
                  keys.scalar_type() == q.scalar_type() && values.scalar_type() == q.scalar_type(),
              "rope_append: one dtype");
  at::Tensor out = at::empty({B, T, H, D}, q.options());
  kernels::HeadsView qv{q.data_ptr(), q.stride(0), q.stride(2), q.stride(1)};
  kernels::HeadsView kv_{k.data_ptr(), k.stride(0), k.stride(2), k.stride(1)};
  kernels::HeadsView vv{v.data_ptr(), v.stride(0), v.stride(2), v.stride(1)};
  check(kernels::rope_append(qv, kv_, vv, out.data_ptr(), cache_view(keys), cache_view(values),
                             sl.data_ptr<int64_t>(), c.data_ptr(), s.data_ptr(), B, T, H, kv, D,
                             kernel_dtype(q.scalar_type()), stream()),
        "rope_append kernel");
  return out.transpose(1, 2);
}

std::pair<at::Tensor, at::Tensor> rope_angles_cuda(const at::Tensor& positions, const at::Tensor& inv_freq,
                                                   at::ScalarType dtype) {
  c10::cuda::CUDAGuard guard(positions.device());
  TORCH_CHECK(positions.scalar_type() == at::kLong && inv_freq.scalar_type() == at::kFloat &&
                  inv_freq.dim() == 1 && inv_freq.device() == positions.device(),
              "rope_angles: positions int64, inv_freq [half] float32 on the positions' device");
  const at::Tensor p = positions.contiguous(), f = inv_freq.contiguous();
  const int64_t half = f.numel();
  std::vector<int64_t> sizes = p.sizes().vec();
  sizes.push_back(2 * half);
  at::Tensor cos = at::empty(sizes, p.options().dtype(dtype)),
             sin = at::empty(sizes, p.options().dtype(dtype));
  check(kernels::rope_angles(p.data_ptr<int64_t>(), f.data_ptr<float>(), cos.data_ptr(), sin.data_ptr(),
                             p.numel(), half, kernel_dtype(dtype), stream()),
        "rope_angles kernel");
  return {cos, sin};
}

at::Tensor causal_mask_cuda(const at::Tensor& valid, const at::Tensor& slots, int64_t S) {
  c10::cuda::CUDAGuard guard(valid.device());
  TORCH_CHECK(valid.scalar_type() == at::kBool && valid.dim() == 2 && valid.size(1) >= S &&
                  valid.stride(1) == 1 && slots.scalar_type() == at::kLong && slots.dim() == 1 &&
                  slots.device() == valid.device(),
              "causal_mask: valid [B, >= S] bool with unit column stride, slots [T] int64 on its device");
  const at::Tensor sl = slots.contiguous();
  const int64_t B = valid.size(0), T = sl.numel();
  at::Tensor allowed = at::empty({B, 1, T, S}, valid.options());
  check(kernels::causal_mask(valid.data_ptr<bool>(), valid.stride(0), sl.data_ptr<int64_t>(),
                             allowed.data_ptr<bool>(), B, T, S, stream()),
        "causal_mask kernel");
  return allowed;
}

at::Tensor silu_mul_cuda(const at::Tensor& gate, const at::Tensor& up) {
  c10::cuda::CUDAGuard guard(gate.device());
  TORCH_CHECK(gate.sizes() == up.sizes() && gate.scalar_type() == up.scalar_type(),
              "silu_mul: gate and up of one shape and dtype");
  const int64_t cols = gate.size(-1), rows = gate.numel() / cols;
  // [rows, cols] views where the leading dims merge (a narrow of the fused gate/up product does).
  const at::Tensor g = gate.reshape({rows, cols}), u = up.reshape({rows, cols});
  const at::Tensor gc = g.stride(1) == 1 ? g : g.contiguous(), uc = u.stride(1) == 1 ? u : u.contiguous();
  at::Tensor out = at::empty(gate.sizes(), gate.options());
  check(kernels::silu_mul(gc.data_ptr(), gc.stride(0), uc.data_ptr(), uc.stride(0), out.data_ptr(), rows,
                          cols, kernel_dtype(gate.scalar_type()), stream()),
        "silu_mul kernel");
  return out;
}

bool decode_attention_cuda_supports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& allowed) {
  if (q.dim() != 4 || q.size(2) != 1 || k.dim() != 4 || v.sizes() != k.sizes() || allowed.dim() != 4)
    return false;
  if (k.scalar_type() != q.scalar_type() || v.scalar_type() != q.scalar_type()) return false;
  if (q.scalar_type() != at::kFloat && q.scalar_type() != at::kHalf && q.scalar_type() != at::kBFloat16)
    return false;
  if (!kernels::decode_attention_supports(q.size(3), kernel_dtype(q.scalar_type()))) return false;
  return aligned16(q) && aligned16(k) && aligned16(v) && allowed.scalar_type() == at::kBool &&
         allowed.size(0) == q.size(0) && allowed.size(-1) == k.size(2);
}

namespace {

// The decode-attention kernel over k, v (the cache narrowed to S slots), with the step's token when given.
at::Tensor run_decode_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const at::Tensor& allowed, const kernels::FreshToken* fresh) {
  const int64_t B = q.size(0), H = q.size(1), D = q.size(3), kv = k.size(1), S = k.size(2);
  const at::Tensor mask = allowed.reshape({B, S}).contiguous();
  const int splits =
      kernels::decode_attention_splits(B, H, S, D, kernel_dtype(q.scalar_type()),
                                       at::cuda::getCurrentDeviceProperties()->multiProcessorCount);
  at::Tensor workspace =
      at::empty({kernels::decode_attention_workspace_floats(B, H, D, splits)}, q.options().dtype(at::kFloat));
  at::Tensor out = at::empty({B, H, 1, D}, q.options());
  check(
      kernels::decode_attention(attention_view(q), attention_view(k), attention_view(v),
                                mask.data_ptr<bool>(), S, out.data_ptr(), workspace.data_ptr<float>(), B, H,
                                kv, S, D, splits, static_cast<float>(1.0 / std::sqrt(static_cast<double>(D))),
                                kernel_dtype(q.scalar_type()), fresh, stream()),
      "decode_attention kernel");
  return out;
}

}  // namespace

at::Tensor decode_attention_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const at::Tensor& allowed) {
  c10::cuda::CUDAGuard guard(q.device());
  TORCH_CHECK(decode_attention_cuda_supports(q, k, v, allowed), "decode_attention: unsupported inputs");
  return run_decode_attention(q, k, v, allowed, nullptr);
}

bool rope_append_attention_cuda_supports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                         const at::Tensor& keys, const at::Tensor& values, int64_t S,
                                         const at::Tensor& allowed) {
  if (keys.dim() != 4 || keys.sizes() != values.sizes() || S < 1 || S > keys.size(2)) return false;
  return decode_attention_cuda_supports(q, keys.narrow(2, 0, S), values.narrow(2, 0, S), allowed) &&
         k.dim() == 4 && v.sizes() == k.sizes() && k.size(0) == q.size(0) && k.size(1) == keys.size(1) &&
         k.size(2) == 1 && k.size(3) == q.size(3) && k.scalar_type() == q.scalar_type() &&
         v.scalar_type() == q.scalar_type() && k.stride(3) == 1 && v.stride(3) == 1 && aligned16(k) &&
         aligned16(v);
}

at::Tensor rope_append_attention_cuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const at::Tensor& cos, const at::Tensor& sin, at::Tensor& keys,
                                      at::Tensor& values, const at::Tensor& slots, int64_t S,
                                      const at::Tensor& allowed) {
  c10::cuda::CUDAGuard guard(q.device());
  TORCH_CHECK(
      rope_append_attention_cuda_supports(q, k, v, keys, values, S, allowed),
      "rope_append_attention: q [B, H, 1, D], k and v [B, kv, 1, D] and the cache [B, kv, >= S, D] as "
      "decode attention takes them");
  const at::Tensor ck = keys.narrow(2, 0, S), cv = values.narrow(2, 0, S);
  const int64_t B = q.size(0), D = q.size(3);
  const at::Tensor c = cos.contiguous(), s = sin.contiguous(), sl = slots.contiguous();
  TORCH_CHECK(c.scalar_type() == q.scalar_type() && c.sizes() == s.sizes() && c.dim() == 3 &&
                  c.size(0) == B && c.size(1) == 1 && c.size(2) == D && sl.scalar_type() == at::kLong &&
                  sl.numel() == 1 && sl.device() == q.device(),
              "rope_append_attention: cos and sin [B, 1, D] of q's dtype, slots [1] int64 on the device");
  kernels::FreshToken fresh;
  fresh.k = attention_view(k), fresh.v = attention_view(v);
  fresh.cos = c.data_ptr(), fresh.sin = s.data_ptr(), fresh.angles_stride_b = D;
  fresh.slot = sl.data_ptr<int64_t>();
  fresh.keys = cache_view(keys), fresh.values = cache_view(values);
  return run_decode_attention(q, ck, cv, allowed, &fresh);
}

bool gemv_cuda_supports(const at::Tensor& x, const at::Tensor& w, const at::Tensor& residual) {
  if (x.scalar_type() != w.scalar_type() ||
      (x.scalar_type() != at::kHalf && x.scalar_type() != at::kBFloat16))
    return false;
  if (w.dim() != 2 || x.size(-1) != w.size(1) || !w.is_contiguous() || !x.is_contiguous() || !aligned16(w) ||
      !aligned16(x) || !kernels::gemv_supports(w.size(1), kernel_dtype(w.scalar_type())))
    return false;
  return !residual.defined() || (residual.scalar_type() == x.scalar_type() && residual.is_contiguous() &&
                                 residual.numel() == w.size(0));
}

at::Tensor gemv_cuda(const at::Tensor& x, const at::Tensor& w, const at::Tensor& residual) {
  c10::cuda::CUDAGuard guard(x.device());
  TORCH_CHECK(gemv_cuda_supports(x, w, residual), "gemv: unsupported inputs");
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes.back() = w.size(0);
  at::Tensor y = at::empty(sizes, x.options());
  check(kernels::gemv(w.data_ptr(), x.data_ptr(), residual.defined() ? residual.data_ptr() : nullptr,
                      y.data_ptr(), w.size(0), w.size(1), kernel_dtype(w.scalar_type()), stream()),
        "gemv kernel");
  return y;
}

bool norm_gemv_cuda_supports(const at::Tensor& h, const at::Tensor& norm_weight, const at::Tensor& w,
                             bool swiglu) {
  return gemv_cuda_supports(h, w, {}) && (!swiglu || w.size(0) % 2 == 0) &&
         kernels::gemv_norm_supports(w.size(1), kernel_dtype(w.scalar_type())) &&
         norm_weight.scalar_type() == h.scalar_type() && norm_weight.dim() == 1 &&
         norm_weight.size(0) == w.size(1) && norm_weight.is_contiguous() && aligned16(norm_weight);
}

at::Tensor norm_gemv_cuda(const at::Tensor& h, const at::Tensor& norm_weight, double eps, const at::Tensor& w,
                          bool swiglu) {
  c10::cuda::CUDAGuard guard(h.device());
  TORCH_CHECK(norm_gemv_cuda_supports(h, norm_weight, w, swiglu), "norm_gemv: unsupported inputs");
  const int64_t N = swiglu ? w.size(0) / 2 : w.size(0);
  std::vector<int64_t> sizes = h.sizes().vec();
  sizes.back() = N;
  at::Tensor y = at::empty(sizes, h.options());
  check(kernels::gemv_norm(w.data_ptr(), h.data_ptr(), norm_weight.data_ptr(), static_cast<float>(eps),
                           swiglu, y.data_ptr(), N, w.size(1), kernel_dtype(w.scalar_type()), stream()),
        "norm_gemv kernel");
  return y;
}

void greedy_step_cuda(const at::Tensor& logits, const at::Tensor& bias, const GreedyStep& step) {
  c10::cuda::CUDAGuard guard(logits.device());
  TORCH_CHECK(logits.dim() == 2 && logits.size(1) >= 2 && bias.scalar_type() == at::kFloat &&
                  bias.dim() == 1 && bias.size(0) == logits.size(1) && bias.device() == logits.device(),
              "greedy_step: logits [B, V >= 2], bias [V] float32 on the logits' device");
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  auto buffer = [&](const at::Tensor& t, at::ScalarType type, int64_t n) {
    return t.scalar_type() == type && t.is_contiguous() && t.numel() == n && t.device() == logits.device();
  };
  TORCH_CHECK(buffer(step.next, at::kLong, rows) && buffer(step.positions, at::kLong, rows) &&
                  buffer(step.slot, at::kLong, 1) &&
                  (!step.margins.defined() || buffer(step.margins, at::kFloat, rows)),
              "greedy_step: next and positions [B] int64, slot [1] int64, margins [B] float32 (or none), "
              "contiguous on the logits' device");
  const at::Tensor l = logits.contiguous(), b = bias.contiguous();
  at::Tensor workspace =
      at::empty({kernels::greedy_workspace_bytes(rows, vocab)}, l.options().dtype(at::kByte));
  check(kernels::greedy(l.data_ptr(), b.data_ptr<float>(), rows, vocab, step.next.data_ptr<int64_t>(),
                        step.margins.defined() ? step.margins.data_ptr<float>() : nullptr,
                        workspace.data_ptr(), kernel_dtype(l.scalar_type()), stream(),
                        {step.positions.data_ptr<int64_t>(), step.slot.data_ptr<int64_t>()}),
        "greedy kernel");
}

}  // namespace lq
