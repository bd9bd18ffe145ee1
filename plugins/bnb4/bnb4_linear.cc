#include "bnb4_linear.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "numerics/double_quant.h"
#include "numerics/matmul_4bit_fast.h"
#include "numerics/quantize_4bit.h"

#ifdef LQ_BNB4_HAVE_CUDA
#include "bnb4_cuda.h"
#endif

namespace bnb4 {

Packed4bit QuantizedWeight::view() const {
  Packed4bit v;
  v.packed = packed.data_ptr<uint8_t>();
  v.n = rows * cols;
  v.blocksize = blocksize;
  v.type = type;
  if (nested()) {
    v.nested_codes = codes.data_ptr<uint8_t>();
    v.absmax2 = absmax2.data_ptr<float>();
    v.offset = offset;
  } else {
    v.absmax = absmax.data_ptr<float>();
  }
  return v;
}

QuantizeTarget quantize_target(const at::Tensor& w, const Config& config) {
  QuantizeTarget t;
  t.q.rows = w.size(0);
  t.q.cols = w.size(1);
  t.q.blocksize = config.blocksize;
  t.q.type = config.quant_type;
  t.n = w.numel();
  t.blocks = num_blocks(t.n, config.blocksize);
  const auto u8 = w.options().dtype(at::kByte), f32 = w.options().dtype(at::kFloat);
  t.q.packed = at::empty({packed_bytes(t.n)}, u8);
  t.absmax = at::empty({t.blocks}, f32);
  if (!config.double_quant) {
    t.q.absmax = t.absmax;
    return t;
  }
  t.q.codes = at::empty({t.blocks}, u8);
  t.q.absmax2 = at::empty({num_blocks(t.blocks, kNestedBlocksize)}, f32);
  return t;
}

ElemType elem_type_of(at::ScalarType t, const std::string& what) {
  if (t == at::kFloat) return ElemType::kF32;
  if (t == at::kHalf) return ElemType::kF16;
  if (t == at::kBFloat16) return ElemType::kBF16;
  throw lq::Error(what + ": bnb4 needs float16, bfloat16 or float32, got " + std::string(at::toString(t)));
}

namespace {

QuantizedWeight quantize_weight_cpu(const at::Tensor& weight, const Config& config) {
  const at::Tensor w = weight.contiguous();
  QuantizeTarget t = quantize_target(w, config);
  quantize_4bit_cpu(w.data_ptr(), elem_type_of(w.scalar_type(), "weight"), t.n, config.blocksize,
                    config.quant_type, t.q.packed.data_ptr<uint8_t>(), t.absmax.data_ptr<float>());
  if (config.double_quant) {
    t.q.offset = absmax_mean(t.absmax.data_ptr<float>(), t.blocks);
    double_quant_cpu(t.absmax.data_ptr<float>(), t.blocks, t.q.offset, t.q.codes.data_ptr<uint8_t>(),
                     t.q.absmax2.data_ptr<float>());
  }
  return t.q;
}

// Few rows (decode): decode W on the fly instead of writing and re-reading a dense copy per call. Same
// values as dequantize + matmul up to float32 summation order; output rows split across threads.
at::Tensor forward_fused_cpu(const QuantizedWeight& q, const std::string& name, const at::Tensor& x,
                             int64_t M) {
  const int64_t N = q.rows, K = q.cols;
  const at::Tensor xf = x.reshape({M, K}).to(at::kFloat).contiguous();
  at::Tensor y = at::empty({M, N}, xf.options());
  const Packed4bit w = q.view();
  const ElemType w_type = elem_type_of(x.scalar_type(), name);
  const float* xp = xf.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  at::parallel_for(0, N, fast_cpu_grain(K), [&](int64_t begin, int64_t end) {
    matmul_4bit_fast_cpu(xp, M, K, w, w_type, N, yp, begin, end);
  });
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes.back() = N;
  return y.view(sizes).to(x.scalar_type());
}

}  // namespace

QuantizedWeight quantize_weight(const at::Tensor& weight, const Config& config) {
  if (weight.dim() != 2 || weight.numel() == 0)
    throw lq::Error("expected a non-empty 2-D weight [out_features, in_features], got shape " +
                    std::string(c10::str(weight.sizes())));
  elem_type_of(weight.scalar_type(), "weight");
  if (weight.is_cuda()) {
#ifdef LQ_BNB4_HAVE_CUDA
    return quantize_weight_cuda(weight, config);
#else
    throw lq::Error("this bnb4 plugin was built without CUDA support; use device cpu");
#endif
  }
  return quantize_weight_cpu(weight, config);
}

Bnb4Linear::Bnb4Linear(std::string name, QuantizedWeight weight, at::ScalarType compute_dtype)
    : name_(std::move(name)), w_(std::move(weight)), compute_dtype_(compute_dtype) {}

std::vector<lq::DeviceBytes> QuantizedWeight::device_bytes() const {
  std::vector<lq::DeviceBytes> runs;
  for (const at::Tensor* t : {&packed, &absmax, &codes, &absmax2})
    if (t->defined()) runs.push_back({t->data_ptr(), static_cast<int64_t>(t->nbytes())});
  return runs;
}

int64_t Bnb4Linear::bytes() const {
  int64_t b = w_.packed.numel() + 16 * 4;
  if (w_.nested()) return b + w_.codes.numel() + w_.absmax2.numel() * 4 + 4 + 256 * 4;
  return b + w_.absmax.numel() * 4;
}

std::string Bnb4Linear::describe() const {
  return std::string(quant_type_name(w_.type)) + " blocksize=" + std::to_string(w_.blocksize) +
         (w_.nested() ? " dq" : "") + " compute=" + std::string(at::toString(compute_dtype_));
}

at::Tensor Bnb4Linear::dequantize(at::ScalarType dtype) const {
  const ElemType type = elem_type_of(dtype, name_ + ": dequantize");
  if (w_.packed.is_cuda()) {
#ifdef LQ_BNB4_HAVE_CUDA
    return dequantize_cuda(w_, dtype);
#endif
  }
  at::Tensor out = at::empty({w_.rows, w_.cols}, at::TensorOptions().dtype(dtype));
  const Packed4bit w = w_.view();
  void* data = out.data_ptr();
  // Threads take whole blocks; at least ~16K weights each, below which a fork costs more than it saves.
  at::parallel_for(
      0, num_blocks(w.n, w.blocksize), std::max<int64_t>(1, 16384 / w.blocksize),
      [&](int64_t begin, int64_t end) { dequantize_4bit_blocks_cpu(w, data, type, begin, end); });
  return out;
}

void Bnb4Linear::check_input(const at::Tensor& x) const {
  if (x.scalar_type() != compute_dtype_)
    throw lq::Error(name_ + ": bnb4 layer computes in " + std::string(at::toString(compute_dtype_)) +
                    " but received " + std::string(at::toString(x.scalar_type())) + " activations");
  if (x.dim() < 1 || x.size(-1) != w_.cols)
    throw lq::Error(name_ + ": expected activations [..., " + std::to_string(w_.cols) + "], got " +
                    std::string(c10::str(x.sizes())));
  if (x.device() != w_.packed.device())
    throw lq::Error(name_ + ": activations on " + x.device().str() + " but the weight is on " +
                    w_.packed.device().str());
}

at::Tensor Bnb4Linear::forward(const at::Tensor& x) const {
  check_input(x);
#ifdef LQ_BNB4_HAVE_CUDA
  if (x.is_cuda()) return forward_cuda({&w_}, x, {}, next_);
#endif
  const int64_t M = x.numel() / w_.cols;
  if (M <= kFastCpuMaxRows) return forward_fused_cpu(w_, name_, x, M);
  const at::Tensor w = dequantize(x.scalar_type());  // rounded to the activation dtype, as bitsandbytes
  // libtorch before 2.x has no float16 matmul on the CPU: multiply the same values in float32.
  if (x.scalar_type() == at::kHalf) return at::matmul(x.to(at::kFloat), w.to(at::kFloat).t()).to(at::kHalf);
  return at::matmul(x, w.t());
}

at::Tensor Bnb4Linear::forward_add(const at::Tensor& x, const at::Tensor& residual) const {
  check_input(x);
  std::vector<int64_t> out_sizes = x.sizes().vec();
  out_sizes.back() = w_.rows;
  if (residual.sizes() != at::IntArrayRef(out_sizes) || residual.scalar_type() != x.scalar_type() ||
      residual.device() != x.device())
    throw lq::Error(name_ + ": residual " + std::string(c10::str(residual.sizes())) + " " +
                    at::toString(residual.scalar_type()) + " does not match the output " +
                    std::string(c10::str(at::IntArrayRef(out_sizes))) + " " + at::toString(x.scalar_type()));
#ifdef LQ_BNB4_HAVE_CUDA
  if (x.is_cuda()) return forward_cuda({&w_}, x, residual, next_);
#endif
  return residual + forward(x);
}

}  // namespace bnb4
