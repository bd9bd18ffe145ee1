// libtorch-CUDA glue: allocates device tensors, takes the current stream and calls the raw kernels.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "bnb4_cuda.h"
#include "numerics/double_quant.h"
#include "numerics/matmul_4bit.h"
#include "numerics/quantize_4bit.h"

namespace bnb4 {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw lq::Error(std::string("bnb4 CUDA ") + what + ": " + cudaGetErrorString(e));
}

// Contiguous and 16-byte aligned, as the kernels' vector loads need (a view may start anywhere).
at::Tensor aligned(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  return reinterpret_cast<uintptr_t>(c.data_ptr()) % 16 ? c.clone() : c;
}

cudaStream_t stream() { return at::cuda::getCurrentCUDAStream().stream(); }

// Whether every weight of a group starts 16-byte aligned when the group is dequantized into one matrix
// (the dequantize kernel stores 16-byte units).
bool dequantizes_into_one(const std::vector<const QuantizedWeight*>& ws, int64_t element_size) {
  int64_t row = 0;
  for (const QuantizedWeight* w : ws) {
    if (row * w->cols * element_size % 16 != 0) return false;
    row += w->rows;
  }
  return true;
}

// The rows of a group's weights together: the width of its output.
int64_t total_rows(const std::vector<const QuantizedWeight*>& ws) {
  int64_t total = 0;
  for (const QuantizedWeight* w : ws) total += w->rows;
  return total;
}

// The kernels' view of up to kMaxGroup weights that share K, and of what the next product reads (as much of
// it as L2Prefetch holds).
WeightGroup group_of(const std::vector<const QuantizedWeight*>& ws,
                     const std::vector<lq::DeviceBytes>& next) {
  WeightGroup group;
  for (const QuantizedWeight* w : ws) {
    group.w[group.count] = w->view();
    group.rows[group.count++] = w->rows;
  }
  for (const lq::DeviceBytes& run : next) {
    if (group.next.count == L2Prefetch::kMaxRuns) break;
    group.next.data[group.next.count] = run.data;
    group.next.bytes[group.next.count++] = run.bytes;
  }
  return group;
}

// The group's kernel view and one row of h, where the M = 1 kernels may normalize h themselves: one row of
// K, a norm weight of K in h's dtype on h's device, at most kMaxGroup weights; nullopt otherwise.
struct NormedCall {
  WeightGroup group;
  int64_t K = 0;
  ElemType type = ElemType::kF32;
  at::Tensor x, gamma;
  std::vector<int64_t> out_sizes;
};

std::optional<NormedCall> normed_call(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& h,
                                      const at::Tensor& norm_weight, int64_t out_width,
                                      const std::vector<lq::DeviceBytes>& next) {
  const int64_t K = ws[0]->cols;
  if (h.numel() != K || h.size(-1) != K || ws.size() > static_cast<size_t>(kMaxGroup)) return std::nullopt;
  const ElemType type = elem_type_of(h.scalar_type(), "activations");
  if (!matvec_normed_supported(K, type) || norm_weight.scalar_type() != h.scalar_type() ||
      norm_weight.numel() != K || norm_weight.device() != h.device())
    return std::nullopt;
  NormedCall c;
  c.group = group_of(ws, next);
  c.K = K;
  c.type = type;
  c.x = aligned(h.reshape({1, K}));
  c.gamma = aligned(norm_weight);
  c.out_sizes = h.sizes().vec();
  c.out_sizes.back() = out_width;
  return c;
}

// Prefill on Hopper's warpgroup tensor cores (matmul_4bit_wgmma_cuda), the weights (and a nested absmax)
// decoded in registers: y [M, total] (+ residual) where the device and shapes allow it and the kernel beats
// dequantize + cuBLAS, else an undefined tensor.
at::Tensor forward_wgmma(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& x2, ElemType type,
                         int64_t M, int64_t K, int64_t total, const at::Tensor& residual) {
  const WeightGroup group = group_of(ws, {});
  if (!matmul_4bit_wgmma_device() || !matmul_4bit_wgmma_supported(M, K, group, type) ||
      !matmul_4bit_wgmma_preferred(M, K, group) ||
      (residual.defined() && residual.scalar_type() != x2.scalar_type()))
    return {};
  at::Tensor y = at::empty({M, total}, x2.options());
  const at::Tensor r = residual.defined() ? aligned(residual) : at::Tensor();
  const int splits = matmul_4bit_wgmma_splits(M, K, group);
  const at::Tensor workspace = splits > 1
                                   ? at::empty({matmul_4bit_wgmma_workspace_bytes(M, K, group, splits) / 4},
                                               x2.options().dtype(at::kFloat))
                                   : at::Tensor();
  check(matmul_4bit_wgmma_cuda(x2.data_ptr(), type, M, K, group, r.defined() ? r.data_ptr() : nullptr,
                               y.data_ptr(), stream(), splits,
                               workspace.defined() ? workspace.data_ptr<float>() : nullptr),
        "prefill matmul");
  return y;
}

}  // namespace

QuantizedWeight quantize_weight_cuda(const at::Tensor& weight, const Config& config) {
  c10::cuda::CUDAGuard guard(weight.device());
  const at::Tensor w = aligned(weight);
  QuantizeTarget t = quantize_target(w, config);
  check(quantize_4bit_cuda(w.data_ptr(), elem_type_of(w.scalar_type(), "weight"), t.n, config.blocksize,
                           config.quant_type, t.q.packed.data_ptr<uint8_t>(), t.absmax.data_ptr<float>(),
                           stream()),
        "quantize");
  if (!config.double_quant) return t.q;
  // bitsandbytes: offset = absmax.mean() (torch, float32, on the device), then absmax - offset.
  const at::Tensor offset = t.absmax.mean();
  const at::Tensor centred = (t.absmax - offset).contiguous();
  t.q.offset = offset.item<float>();
  check(quantize_nested_cuda(centred.data_ptr<float>(), t.blocks, t.q.codes.data_ptr<uint8_t>(),
                             t.q.absmax2.data_ptr<float>(), stream()),
        "double quant");
  return t.q;
}

at::Tensor dequantize_cuda(const QuantizedWeight& w, at::ScalarType dtype) {
  c10::cuda::CUDAGuard guard(w.packed.device());
  at::Tensor out = at::empty({w.rows, w.cols}, w.packed.options().dtype(dtype));
  check(dequantize_4bit_cuda(w.view(), out.data_ptr(), elem_type_of(dtype, "dequantize"), stream()),
        "dequantize");
  return out;
}

at::Tensor forward_cuda(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& x,
                        const at::Tensor& residual, const std::vector<lq::DeviceBytes>& next) {
  c10::cuda::CUDAGuard guard(x.device());
  const int64_t K = ws[0]->cols, M = x.numel() / K, total = total_rows(ws);
  std::vector<int64_t> out_sizes = x.sizes().vec();
  out_sizes.back() = total;
  const at::Tensor x2 = aligned(x.reshape({M, K}));
  const ElemType type = elem_type_of(x.scalar_type(), "activations");
  if ((M == 1 || type != ElemType::kF32) && fused_matmul_supported(M, K) &&
      ws.size() <= static_cast<size_t>(kMaxGroup)) {
    const WeightGroup group = group_of(ws, M == 1 ? next : std::vector<lq::DeviceBytes>{});
    const at::Tensor r = residual.defined() ? residual.reshape({M, total}).contiguous() : at::Tensor();
    at::Tensor y = at::empty({M, total}, x.options());
    const void* rp = r.defined() ? r.data_ptr() : nullptr;
    check(matmul_4bit_group_cuda(x2.data_ptr(), type, M, K, group, rp, y.data_ptr(), stream()), "matmul");
    return y.view(out_sizes);
  }
  const at::Tensor r = residual.defined() ? residual.reshape({M, total}) : at::Tensor();
  if (!fused_matmul_supported(M, K) && ws.size() <= static_cast<size_t>(kMaxGroup)) {  // prefill
    if (at::Tensor y = forward_wgmma(ws, x2, type, M, K, total, r); y.defined()) return y.view(out_sizes);
    if (dequantizes_into_one(ws, x.element_size())) {
      // The weights dequantized side by side into one [total, K] matrix in one launch, then one cuBLAS
      // product, the residual as addmm's input (one kernel, the sum rounded once).
      at::Tensor w = at::empty({total, K}, x.options());
      check(dequantize_4bit_group_cuda(group_of(ws, {}), w.data_ptr(), type, stream()), "dequantize");
      return (r.defined() ? at::addmm(r, x2, w.t()) : at::matmul(x2, w.t())).view(out_sizes);
    }
  }
  std::vector<at::Tensor> outs;
  for (const QuantizedWeight* w : ws) {
    if (fused_matmul_supported(M, K) && M <= kTiledMaxBatch) {  // float32 at 2..16 rows: the tiled kernel
      at::Tensor y = at::empty({M, w->rows}, x.options());
      check(matmul_4bit_cuda(x2.data_ptr(), type, M, K, w->view(), w->rows, y.data_ptr(), stream()),
            "matmul");
      outs.push_back(y);
    } else {
      outs.push_back(at::matmul(x2, dequantize_cuda(*w, x.scalar_type()).t()));
    }
  }
  at::Tensor y = outs.size() == 1 ? outs[0] : at::cat(outs, 1);
  if (r.defined()) y = y + r;
  return y.view(out_sizes);
}

at::Tensor forward_normed_cuda(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& h,
                               const at::Tensor& norm_weight, double eps,
                               const std::vector<lq::DeviceBytes>& next) {
  c10::cuda::CUDAGuard guard(h.device());
  const std::optional<NormedCall> c = normed_call(ws, h, norm_weight, total_rows(ws), next);
  if (!c) return {};
  at::Tensor y = at::empty({1, c->out_sizes.back()}, h.options());
  check(matvec_4bit_normed_cuda(c->x.data_ptr(), c->type, c->K, c->group, c->gamma.data_ptr(),
                                static_cast<float>(eps), y.data_ptr(), stream()),
        "matvec with RMSNorm");
  return y.view(c->out_sizes);
}

at::Tensor forward_normed_swiglu_cuda(const std::vector<const QuantizedWeight*>& ws, const at::Tensor& h,
                                      const at::Tensor& norm_weight, double eps,
                                      const std::vector<lq::DeviceBytes>& next) {
  c10::cuda::CUDAGuard guard(h.device());
  const std::optional<NormedCall> c = normed_call(ws, h, norm_weight, ws[0]->rows, next);
  if (!c || !matvec_normed_swiglu_supported(c->K, c->type, c->group)) return {};
  at::Tensor y = at::empty({1, c->out_sizes.back()}, h.options());
  check(matvec_4bit_normed_swiglu_cuda(c->x.data_ptr(), c->type, c->K, c->group, c->gamma.data_ptr(),
                                       static_cast<float>(eps), y.data_ptr(), stream()),
        "matvec with RMSNorm and SwiGLU");
  return y.view(c->out_sizes);
}

}  // namespace bnb4
