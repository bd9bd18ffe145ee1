// CUDA kernels against the CPU reference on fresh random inputs each run, with poisoned outputs and
// guard bytes (inputs are allocated to their exact size, so compute-sanitizer sees any over-read).
// Quantization is compared bit for bit given the GPU's own reciprocals (rcp.approx), as is
// dequantization; the fused matmul (matrix-vector kernel at M = 1, tensor-core kernel for float16 /
// bfloat16 at M = 2..16, each alone or as a group with a residual; tiled kernel for float32) output by output
// within the rounding of its type plus a float32 accumulation bound, and overall to 1e-3 relative error in
// fp16. Skips without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "llama_quant/cuda/device_traits.h"
#include "numerics/double_quant.h"
#include "numerics/matmul_4bit.h"
#include "numerics/quantize_4bit.h"

namespace bnb4 {
namespace {

constexpr uint8_t kPoison = 0xFF;  // NaN in every float type
constexpr size_t kGuard = 64;

bool have_gpu() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

#define SKIP_WITHOUT_GPU() \
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device"
#define CUDA_OK(expr) ASSERT_EQ((expr), cudaSuccess) << cudaGetErrorString(cudaGetLastError())

// A device buffer of `bytes`, poisoned. Outputs get guard bytes after them (checked by contents());
// inputs are exactly their size.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes, size_t guard = kGuard) : bytes_(bytes), guard_(guard) {
    if (cudaMalloc(&ptr_, bytes + guard) != cudaSuccess)
      ptr_ = nullptr;
    else
      cudaMemset(ptr_, kPoison, bytes + guard);
  }
  DeviceBuffer(const void* host, size_t bytes) : DeviceBuffer(bytes, 0) {
    if (ptr_ && bytes) cudaMemcpy(ptr_, host, bytes, cudaMemcpyHostToDevice);
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T = void>
  T* get() const {
    return static_cast<T*>(ptr_);
  }
  std::vector<uint8_t> download() const {
    std::vector<uint8_t> out(bytes_ + guard_);
    cudaMemcpy(out.data(), ptr_, out.size(), cudaMemcpyDeviceToHost);
    return out;
  }
  // The contents, after checking that nothing was written past the end.
  template <class T>
  std::vector<T> contents() const {
    std::vector<uint8_t> raw = download();
    for (size_t i = bytes_; i < raw.size(); ++i)
      EXPECT_EQ(raw[i], kPoison) << "write past the end at +" << i - bytes_;
    std::vector<T> out(bytes_ / sizeof(T));
    std::memcpy(out.data(), raw.data(), bytes_);
    return out;
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_, guard_;
};

std::mt19937& rng() {
  static std::mt19937 r(std::random_device{}());
  return r;
}

// n elements of `type` as raw bytes: normal values with a few outliers and, sometimes, a zero block.
std::vector<uint8_t> random_input(ElemType type, int64_t n, int blocksize) {
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<uint8_t> raw(static_cast<size_t>(n * elem_size(type)));
  const bool zero_block = n > blocksize && rng()() % 2;
  for (int64_t i = 0; i < n; ++i) {
    float v = dist(rng());
    if (rng()() % 997 == 0) v *= 40;
    if (zero_block && i < blocksize) v = 0;
    store_from_float(raw.data(), type, i, v);
  }
  return raw;
}

const ElemType kTypes[] = {ElemType::kF32, ElemType::kF16, ElemType::kBF16};
const QuantType kQuantTypes[] = {QuantType::kNF4, QuantType::kFP4};

TEST(Bnb4Cuda, QuantizeIsBitExactGivenTheGpuReciprocal) {
  SKIP_WITHOUT_GPU();
  for (ElemType type : kTypes)
    for (QuantType qt : kQuantTypes)
      for (int bs : {32, 64, 128, 256, 512, 1024, 2048, 4096})
        for (int64_t n : {int64_t{bs} * 37, int64_t{bs} * 5 + 33, int64_t{3}, int64_t{4097 * 3}}) {
          SCOPED_TRACE(std::string(elem_type_name(type)) + " " + quant_type_name(qt) + " bs " +
                       std::to_string(bs) + " n " + std::to_string(n));
          const auto x = random_input(type, n, bs);
          const int64_t blocks = num_blocks(n, bs), bytes = packed_bytes(n);
          DeviceBuffer dx(x.data(), x.size()), dpacked(bytes), dabsmax(blocks * 4), dinv(blocks * 4);
          CUDA_OK(quantize_4bit_cuda(dx.get(), type, n, bs, qt, dpacked.get<uint8_t>(), dabsmax.get<float>(),
                                     nullptr));
          CUDA_OK(reciprocal_approx_cuda(dabsmax.get<float>(), blocks, dinv.get<float>(), nullptr));
          CUDA_OK(cudaDeviceSynchronize());
          const auto packed = dpacked.contents<uint8_t>();
          const auto absmax = dabsmax.contents<float>();
          const auto inv = dinv.contents<float>();
          std::vector<uint8_t> ref_packed(bytes);
          std::vector<float> ref_absmax(blocks);
          quantize_4bit_cpu(x.data(), type, n, bs, qt, ref_packed.data(), ref_absmax.data(), inv.data());
          ASSERT_EQ(absmax, ref_absmax);
          ASSERT_EQ(packed, ref_packed);
        }
}

TEST(Bnb4Cuda, NestedQuantizeIsBitExactGivenTheGpuReciprocal) {
  SKIP_WITHOUT_GPU();
  for (int64_t blocks : {int64_t{1}, int64_t{255}, int64_t{256 * 7 + 13}}) {
    std::uniform_real_distribution<float> dist(0.001f, 0.2f);
    std::vector<float> absmax(blocks);
    for (auto& a : absmax) a = dist(rng());
    const float offset = absmax_mean(absmax.data(), blocks);
    std::vector<float> centred(blocks);
    for (int64_t i = 0; i < blocks; ++i) centred[i] = absmax[i] - offset;
    const int64_t nested = num_blocks(blocks, kNestedBlocksize);
    DeviceBuffer dc(centred.data(), blocks * 4), dcodes(blocks), dabsmax2(nested * 4), dinv(nested * 4);
    CUDA_OK(
        quantize_nested_cuda(dc.get<float>(), blocks, dcodes.get<uint8_t>(), dabsmax2.get<float>(), nullptr));
    CUDA_OK(reciprocal_approx_cuda(dabsmax2.get<float>(), nested, dinv.get<float>(), nullptr));
    CUDA_OK(cudaDeviceSynchronize());
    const auto inv = dinv.contents<float>();
    std::vector<uint8_t> codes(blocks);
    std::vector<float> absmax2(nested);
    double_quant_cpu(absmax.data(), blocks, offset, codes.data(), absmax2.data(), inv.data());
    EXPECT_EQ(dabsmax2.contents<float>(), absmax2);
    EXPECT_EQ(dcodes.contents<uint8_t>(), codes);
  }
}

struct HostQuantized {
  std::vector<uint8_t> packed, codes;
  std::vector<float> absmax, absmax2;
  float offset = 0;
};

HostQuantized quantize_host(const std::vector<uint8_t>& x, ElemType type, int64_t n, int bs, QuantType qt,
                            bool dq) {
  HostQuantized h;
  h.packed.resize(packed_bytes(n));
  h.absmax.resize(num_blocks(n, bs));
  quantize_4bit_cpu(x.data(), type, n, bs, qt, h.packed.data(), h.absmax.data());
  if (dq) {
    const int64_t blocks = static_cast<int64_t>(h.absmax.size());
    h.offset = absmax_mean(h.absmax.data(), blocks);
    h.codes.resize(blocks);
    h.absmax2.resize(num_blocks(blocks, kNestedBlocksize));
    double_quant_cpu(h.absmax.data(), blocks, h.offset, h.codes.data(), h.absmax2.data());
  }
  return h;
}

// The same state on the device, and views of both.
struct DeviceQuantized {
  DeviceBuffer packed, absmax, codes, absmax2;
  explicit DeviceQuantized(const HostQuantized& h)
      : packed(h.packed.data(), h.packed.size()),
        absmax(h.absmax.data(), h.absmax.size() * 4),
        codes(h.codes.data(), h.codes.size()),
        absmax2(h.absmax2.data(), h.absmax2.size() * 4) {}
};

Packed4bit view(const HostQuantized& h, const uint8_t* packed, const float* absmax, const uint8_t* codes,
                const float* absmax2, int64_t n, int bs, QuantType qt) {
  Packed4bit w;
  w.packed = packed;
  w.n = n;
  w.blocksize = bs;
  w.type = qt;
  if (h.codes.empty()) {
    w.absmax = absmax;
  } else {
    w.nested_codes = codes;
    w.absmax2 = absmax2;
    w.offset = h.offset;
  }
  return w;
}

TEST(Bnb4Cuda, DequantizeIsBitExact) {
  SKIP_WITHOUT_GPU();
  for (ElemType type : kTypes)
    for (QuantType qt : kQuantTypes)
      for (int bs : {32, 64, 256, 4096})
        for (bool dq : {false, true})
          for (int64_t n : {int64_t{bs} * 40, int64_t{bs} * 3 + 31, int64_t{7}}) {
            SCOPED_TRACE(std::string(elem_type_name(type)) + " " + quant_type_name(qt) + " bs " +
                         std::to_string(bs) + (dq ? " dq" : "") + " n " + std::to_string(n));
            const auto x = random_input(ElemType::kF32, n, bs);
            const HostQuantized h = quantize_host(x, ElemType::kF32, n, bs, qt, dq);
            DeviceQuantized d(h);
            DeviceBuffer out(static_cast<size_t>(n * elem_size(type)));
            const Packed4bit dw = view(h, d.packed.get<uint8_t>(), d.absmax.get<float>(),
                                       d.codes.get<uint8_t>(), d.absmax2.get<float>(), n, bs, qt);
            CUDA_OK(dequantize_4bit_cuda(dw, out.get(), type, nullptr));
            CUDA_OK(cudaDeviceSynchronize());
            std::vector<uint8_t> ref(static_cast<size_t>(n * elem_size(type)));
            dequantize_4bit_cpu(
                view(h, h.packed.data(), h.absmax.data(), h.codes.data(), h.absmax2.data(), n, bs, qt),
                ref.data(), type);
            ASSERT_EQ(out.contents<uint8_t>(), ref);
          }
}

// Which fused entry point a check calls.
enum class Entry { kDispatch, kMatvecCudaCores, kMatvecTensorCores, kBatch, kTiled };

const char* entry_name(Entry e) {
  return e == Entry::kDispatch            ? "dispatch"
         : e == Entry::kMatvecCudaCores   ? "matvec (CUDA cores)"
         : e == Entry::kMatvecTensorCores ? "matvec (tensor cores)"
         : e == Entry::kBatch             ? "batch"
                                          : "tiled";
}

bool is_matvec(Entry e) { return e == Entry::kMatvecCudaCores || e == Entry::kMatvecTensorCores; }
MatvecKernel matvec_kernel(Entry e) {
  return e == Entry::kMatvecCudaCores ? MatvecKernel::kCudaCores : MatvecKernel::kTensorCores;
}

// How many roundings to the activation type a weight goes through before its product: none on CUDA cores
// or in float32; the code value in the tensor-core matrix-vector kernel (the dispatch's choice at one row
// in float16 / bfloat16; a GPU without tensor cores only makes the bound looser); code value, absmax and
// their product in the batch kernel (the dispatch's choice from two rows).
int code_roundings(Entry e, ElemType type, int64_t m) {
  if (type == ElemType::kF32 || e == Entry::kMatvecCudaCores || e == Entry::kTiled) return 0;
  return e == Entry::kBatch || (e == Entry::kDispatch && m > 1) ? 3 : 1;
}

WeightGroup group_of_one(const Packed4bit& w, int64_t rows) {
  WeightGroup group;
  group.w[0] = w;
  group.rows[0] = rows;
  group.count = 1;
  return group;
}

// A random N x K weight quantized on the host, its copy on the device, and its decoded float32 values.
struct TestWeight {
  HostQuantized h;
  DeviceQuantized d;
  Packed4bit host_view, device_view;
  std::vector<float> values;
  TestWeight(int64_t n, int64_t k, int bs, QuantType qt, bool dq)
      : h(quantize_host(random_input(ElemType::kF32, n * k, bs), ElemType::kF32, n * k, bs, qt, dq)),
        d(h),
        host_view(view(h, h.packed.data(), h.absmax.data(), h.codes.data(), h.absmax2.data(), n * k, bs, qt)),
        device_view(view(h, d.packed.get<uint8_t>(), d.absmax.get<float>(), d.codes.get<uint8_t>(),
                         d.absmax2.get<float>(), n * k, bs, qt)),
        values(static_cast<size_t>(n * k)) {
    dequantize_4bit_cpu(host_view, values.data(), ElemType::kF32);
  }
};

// Fresh random activations of `type` (raw) and their float values.
struct TestInput {
  std::vector<uint8_t> raw;
  std::vector<float> values;
  TestInput(ElemType type, int64_t n, float sd) : raw(static_cast<size_t>(n * elem_size(type))), values(n) {
    std::normal_distribution<float> dist(0.0f, sd);
    for (int64_t i = 0; i < n; ++i) {
      store_from_float(raw.data(), type, i, dist(rng()));
      values[i] = load_as_float(raw.data(), type, i);
    }
  }
};

// The reference for the outputs [m, col0 + n) of y (row length `width`) = x W^T (+ residual), with
// sum_k |x_k w_k| per output for the bounds.
void reference(const TestWeight& w, const TestInput& x, int64_t m, int64_t n, int64_t k, int64_t col0,
               int64_t width, const TestInput* residual, std::vector<double>& ref,
               std::vector<double>& abs_sum) {
  std::vector<float> part(static_cast<size_t>(m * n));
  matmul_4bit_cpu(x.values.data(), m, k, w.host_view, n, part.data());
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < n; ++c) {
      const int64_t at = r * width + col0 + c;
      double s = 0;
      for (int64_t e = 0; e < k; ++e)
        s += std::fabs(static_cast<double>(x.values[r * k + e]) * w.values[c * k + e]);
      ref[at] = part[r * n + c] + (residual ? residual->values[at] : 0.0);
      abs_sum[at] = s;
    }
}

// Each output within the rounding of its type (relative 2^-11 fp16, 2^-8 bf16), plus, for the tensor-core
// kernels, each rounding a weight goes through in the activation type (same relative size) times
// sum_k |x_k w_k|, plus a float32 accumulation bound 2^-24 (K / 32 + 64) sum_k |x_k w_k|: tight enough to
// catch one chunk or block scale gone wrong. With many outputs also the relative L2 error: 1e-5 fp32,
// 1e-3 fp16, 8e-3 bf16, over at least 32 nonzero references and rows of at least 256 products: a zero
// block can leave one output, and a 32-product row under an outlier's absmax cancels to a few codes, whose
// relative error then says more about the cancellation than about the kernel (the bound above holds).
void expect_close(const std::vector<uint8_t>& y, ElemType type, int roundings, int64_t k,
                  const std::vector<double>& ref, const std::vector<double>& abs_sum) {
  const double out_rel = type == ElemType::kF32 ? 0 : type == ElemType::kF16 ? 0x1p-11 : 0x1p-8;
  const double acc_rel = 0x1p-24 * static_cast<double>(k / 32 + 64) + roundings * out_rel;
  double err = 0, norm = 0;
  int bad = 0, nonzero = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    nonzero += ref[i] != 0;
    const double v = load_as_float(y.data(), type, static_cast<int64_t>(i));
    ASSERT_FALSE(std::isnan(v)) << "output " << i << " not written";
    const double bound = out_rel * std::fabs(ref[i]) + acc_rel * abs_sum[i] + 0x1p-24;
    if (std::fabs(v - ref[i]) > bound && bad++ < 5)
      ADD_FAILURE() << "output " << i << ": " << v << " vs reference " << ref[i] << ", bound " << bound;
    err += (v - ref[i]) * (v - ref[i]);
    norm += ref[i] * ref[i];
  }
  EXPECT_EQ(bad, 0) << "outputs out of bounds";
  if (nonzero >= 32 && k >= 256) {
    const double tol = type == ElemType::kF32 ? 1e-5 : type == ElemType::kF16 ? 1e-3 : 8e-3;
    EXPECT_LT(std::sqrt(err / norm), tol);
  }
}

// Runs y = x W^T for fresh random x of `type` through `entry` and compares it with matmul_4bit_cpu.
void check_fused_matmul(const TestWeight& w, ElemType type, int64_t m, int64_t n, int64_t k, Entry entry) {
  SCOPED_TRACE(std::string(elem_type_name(type)) + " " + quant_type_name(w.host_view.type) + " bs " +
               std::to_string(w.host_view.blocksize) + (w.host_view.nested() ? " dq" : "") + " M " +
               std::to_string(m) + " N " + std::to_string(n) + " K " + std::to_string(k) + " " +
               entry_name(entry));
  const TestInput x(type, m * k, 1.0f);
  DeviceBuffer dx(x.raw.data(), x.raw.size()), dy(static_cast<size_t>(m * n * elem_size(type)));
  switch (entry) {
    case Entry::kDispatch:
      CUDA_OK(matmul_4bit_cuda(dx.get(), type, m, k, w.device_view, n, dy.get(), nullptr));
      break;
    case Entry::kMatvecCudaCores:
    case Entry::kMatvecTensorCores:
      ASSERT_EQ(m, 1);
      CUDA_OK(matvec_4bit_cuda(dx.get(), type, k, group_of_one(w.device_view, n), nullptr, dy.get(), nullptr,
                               matvec_kernel(entry)));
      break;
    case Entry::kBatch:
      CUDA_OK(matmul_4bit_batch_cuda(dx.get(), type, m, k, group_of_one(w.device_view, n), nullptr, dy.get(),
                                     nullptr));
      break;
    case Entry::kTiled:
      CUDA_OK(matmul_4bit_tiled_cuda(dx.get(), type, m, k, w.device_view, n, dy.get(), nullptr));
      break;
  }
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<double> ref(static_cast<size_t>(m * n)), abs_sum(ref.size());
  reference(w, x, m, n, k, 0, n, nullptr, ref, abs_sum);
  expect_close(dy.contents<uint8_t>(), type, code_roundings(entry, type, m), k, ref, abs_sum);
}

const int kBlocksizes[] = {32, 64, 128, 256, 512, 1024, 2048, 4096};

TEST(Bnb4Cuda, FusedMatmulMatchesTheReference) {
  SKIP_WITHOUT_GPU();
  struct Shape {
    int64_t n, k;
  } shapes[] = {{64, 256}, {101, 2048}, {48, 8192}, {33, 96}};
  for (QuantType qt : kQuantTypes)
    for (bool dq : {false, true})
      for (const Shape& s : shapes) {
        const TestWeight w(s.n, s.k, 64, qt, dq);
        for (ElemType type : kTypes)
          for (int64_t m : {1, 2, 5, 16}) check_fused_matmul(w, type, m, s.n, s.k, Entry::kDispatch);
        // 17..32 rows in float16 / bfloat16 only (float32 has no fused kernel there).
        for (ElemType type : {ElemType::kF16, ElemType::kBF16})
          for (int64_t m : {17, 32}) check_fused_matmul(w, type, m, s.n, s.k, Entry::kDispatch);
      }
}

// The matrix-vector kernels (CUDA cores: all activation types; tensor cores: float16 / bfloat16) and the
// batch kernel (1, 2, 9 and 32 rows: one, two and four n-tiles) on every blocksize, both codes and both
// absmax forms, over small shapes that exercise each layout: one chunk per row (K = 32), chunk counts that
// leave threads or lanes idle (K = 96, 160), K split over few and many threads or warps, a single row and row
// counts that leave a CTA or tile partly empty; blocks straddling rows where K is not a multiple of the
// blocksize.
TEST(Bnb4Cuda, FusedKernelsMatchTheReferenceOnEveryLayout) {
  SKIP_WITHOUT_GPU();
  for (int bs : kBlocksizes)
    for (QuantType qt : kQuantTypes)
      for (bool dq : {false, true})
        for (int64_t n : {1, 3, 33})
          for (int64_t k : {32, 96, 160, 512, 1024, 4096}) {
            const TestWeight w(n, k, bs, qt, dq);
            for (ElemType type : kTypes) check_fused_matmul(w, type, 1, n, k, Entry::kMatvecCudaCores);
            for (ElemType type : {ElemType::kF16, ElemType::kBF16}) {
              check_fused_matmul(w, type, 1, n, k, Entry::kMatvecTensorCores);
              for (int64_t m : {1, 2, 9, 32}) check_fused_matmul(w, type, m, n, k, Entry::kBatch);
            }
          }
}

// Layer-sized shapes (N x K over 1, 3, 2048, 8192 x 64, 512, 2048, 8192) at M = 1, which between them
// pick every rows-per-thread choice of the matrix-vector kernel; each with both absmax forms and in all
// three activation types, the code and blocksize varying from shape to shape, NF4 blocksize 64 (the
// production case) on the largest ones.
TEST(Bnb4Cuda, MatvecMatchesTheReferenceOnLayerShapes) {
  SKIP_WITHOUT_GPU();
  int i = 0;
  for (int64_t n : {1, 3, 2048, 8192})
    for (int64_t k : {64, 512, 2048, 8192}) {
      if (n * k > 2048 * 8192) continue;  // 8192 x 8192: 2048 x 8192's layout at 4x the reference's cost
      const bool large = n * k >= 2048 * 2048;
      for (bool dq : {false, true}) {
        const TestWeight w(n, k, large ? 64 : kBlocksizes[i % 8],
                           large ? QuantType::kNF4 : kQuantTypes[i % 2], dq);
        for (ElemType type : kTypes) check_fused_matmul(w, type, 1, n, k, Entry::kDispatch);
      }
      ++i;
    }
}

// The batch kernel at 8, 16 and 32 rows on layer shapes, each of its launch shapes on an H100 (132 SMs):
// one row tile a CTA with K over several rounds of steps (2048 x 8192), two (3072 rows: 96 CTAs) and four
// (16,384 rows), both absmax forms.
TEST(Bnb4Cuda, BatchKernelMatchesTheReferenceOnLayerShapes) {
  SKIP_WITHOUT_GPU();
  for (auto [n, k] : {std::pair<int64_t, int64_t>{2048, 8192}, {3072, 512}, {16384, 256}})
    for (bool dq : {false, true}) {
      const TestWeight w(n, k, 64, QuantType::kNF4, dq);
      for (ElemType type : {ElemType::kF16, ElemType::kBF16})
        for (int64_t m : {8, 16, 32}) check_fused_matmul(w, type, m, n, k, Entry::kBatch);
    }
}

// The tiled kernel still takes M = 1 (the benchmark compares the two kernels there).
TEST(Bnb4Cuda, TiledKernelAtOneRowMatchesTheReference) {
  SKIP_WITHOUT_GPU();
  for (bool dq : {false, true}) {
    const TestWeight w(2048, 2048, 64, QuantType::kNF4, dq);
    for (ElemType type : kTypes) check_fused_matmul(w, type, 1, 2048, 2048, Entry::kTiled);
  }
}

// A group of weights of different row counts (partial CTAs and tiles at each boundary) and blocksizes,
// both absmax forms, with and without a residual, through the matrix-vector kernel (M = 1), the
// batch kernel (1, 7 and 32): every output column lands in its
// own weight's place.
TEST(Bnb4Cuda, GroupWithResidualMatchesTheReference) {
  SKIP_WITHOUT_GPU();
  const int64_t k = 512;
  const int64_t rows[] = {40, 16, 9};
  for (bool dq : {false, true})
    for (ElemType type : {ElemType::kF16, ElemType::kBF16})
      for (Entry entry : {Entry::kMatvecCudaCores, Entry::kMatvecTensorCores, Entry::kBatch})
        for (int64_t m : {1, 7, 32})
          for (bool with_residual : {false, true}) {
            if (is_matvec(entry) && m > 1) continue;
            SCOPED_TRACE(std::string(elem_type_name(type)) + (dq ? " dq" : "") + " M " + std::to_string(m) +
                         (with_residual ? " residual " : " ") + entry_name(entry));
            std::vector<std::unique_ptr<TestWeight>> ws;
            WeightGroup group;
            int64_t width = 0;
            for (int i = 0; i < 3; ++i) {
              ws.push_back(std::make_unique<TestWeight>(rows[i], k, i == 1 ? 128 : 64, QuantType::kNF4, dq));
              group.w[i] = ws.back()->device_view;
              group.rows[i] = rows[i];
              width += rows[i];
            }
            group.count = 3;
            const TestInput x(type, m * k, 1.0f), residual(type, m * width, 4.0f);
            DeviceBuffer dx(x.raw.data(), x.raw.size()), dr(residual.raw.data(), residual.raw.size());
            DeviceBuffer dy(static_cast<size_t>(m * width * elem_size(type)));
            const void* r = with_residual ? dr.get() : nullptr;
            CUDA_OK(
                is_matvec(entry)
                    ? matvec_4bit_cuda(dx.get(), type, k, group, r, dy.get(), nullptr, matvec_kernel(entry))
                    : matmul_4bit_batch_cuda(dx.get(), type, m, k, group, r, dy.get(), nullptr));
            CUDA_OK(cudaDeviceSynchronize());
            std::vector<double> ref(static_cast<size_t>(m * width)), abs_sum(ref.size());
            int64_t col0 = 0;
            for (int i = 0; i < 3; ++i) {
              reference(*ws[i], x, m, rows[i], k, col0, width, with_residual ? &residual : nullptr, ref,
                        abs_sum);
              col0 += rows[i];
            }
            expect_close(dy.contents<uint8_t>(), type, code_roundings(entry, type, m), k, ref, abs_sum);
          }
}

// matvec_4bit_normed_cuda on both kernels against the plain product of x normalized on the host
// (dtype(w * dtype(x * rsqrt(mean(x^2) + eps)))): the CTA's own sum of squares may round the inverse
// differently in the last bit, so the outputs agree to a few units of the type's rounding, not exactly.
// K = 4160 leaves a CTA of 256 threads units of x beyond the two each thread holds.
TEST(Bnb4Cuda, NormedMatvecEqualsTheProductOfTheNormalizedInput) {
  SKIP_WITHOUT_GPU();
  const int64_t rows[] = {96, 33};
  const float eps = 1e-5f;
  for (int64_t k : {2048, 4160})
    for (bool dq : {false, true})
      for (ElemType type : {ElemType::kF16, ElemType::kBF16})
        for (Entry entry : {Entry::kMatvecCudaCores, Entry::kMatvecTensorCores}) {
          SCOPED_TRACE(std::string(elem_type_name(type)) + (dq ? " dq " : " ") + entry_name(entry) + " K " +
                       std::to_string(k));
          std::vector<std::unique_ptr<TestWeight>> ws;
          WeightGroup group;
          for (int i = 0; i < 2; ++i) {
            ws.push_back(std::make_unique<TestWeight>(rows[i], k, 64, QuantType::kNF4, dq));
            group.w[i] = ws.back()->device_view;
            group.rows[i] = rows[i];
          }
          group.count = 2;
          const TestInput h(type, k, 3.0f), gamma(type, k, 1.0f);
          double squares = 0;
          for (float v : h.values) squares += static_cast<double>(v) * v;
          const float inv = 1.0f / std::sqrt(static_cast<float>(squares / k) + eps);
          std::vector<uint8_t> normed(h.raw.size());
          for (int64_t i = 0; i < k; ++i) {
            store_from_float(normed.data(), type, i, h.values[i] * inv);
            store_from_float(normed.data(), type, i, gamma.values[i] * load_as_float(normed.data(), type, i));
          }
          const int64_t width = rows[0] + rows[1];
          DeviceBuffer dh(h.raw.data(), h.raw.size()), dg(gamma.raw.data(), gamma.raw.size());
          DeviceBuffer dn(normed.data(), normed.size());
          const size_t out_bytes = static_cast<size_t>(width * elem_size(type));
          DeviceBuffer want(out_bytes), got(out_bytes);
          CUDA_OK(
              matvec_4bit_cuda(dn.get(), type, k, group, nullptr, want.get(), nullptr, matvec_kernel(entry)));
          CUDA_OK(matvec_4bit_normed_cuda(dh.get(), type, k, group, dg.get(), eps, got.get(), nullptr,
                                          matvec_kernel(entry)));
          CUDA_OK(cudaDeviceSynchronize());
          const auto w = want.contents<uint8_t>(), g = got.contents<uint8_t>();
          double scale = 0, worst = 0;
          for (int64_t i = 0; i < width; ++i) {
            const double a = load_as_float(w.data(), type, i), b = load_as_float(g.data(), type, i);
            scale = std::max(scale, std::fabs(a));
            worst = std::max(worst, std::fabs(b - a));
          }
          EXPECT_GT(scale, 0.0);
          EXPECT_LE(worst, (type == ElemType::kF16 ? 4e-3 : 3e-2) * scale);
        }
}

// A group dequantized in one launch is each weight's dequantize_4bit_cpu side by side, bit for bit (weights
// of different blocksizes and lengths, plain and double-quantized); a weight whose start in the matrix is not
// 16-byte aligned is refused.
TEST(Bnb4Cuda, GroupDequantizeIsEachWeightBitForBit) {
  SKIP_WITHOUT_GPU();
  const int64_t k = 512;
  const int64_t rows[] = {40, 16, 9, 1};
  const int blocksizes[] = {64, 128, 64, 256};
  for (ElemType type : kTypes)
    for (bool dq : {false, true}) {
      SCOPED_TRACE(std::string(elem_type_name(type)) + (dq ? " dq" : ""));
      std::vector<std::unique_ptr<TestWeight>> ws;
      WeightGroup group;
      std::vector<uint8_t> want;
      for (int i = 0; i < 4; ++i) {
        ws.push_back(std::make_unique<TestWeight>(rows[i], k, blocksizes[i], QuantType::kNF4, dq));
        group.w[i] = ws.back()->device_view;
        group.rows[i] = rows[i];
        std::vector<uint8_t> part(static_cast<size_t>(rows[i] * k * elem_size(type)));
        dequantize_4bit_cpu(ws.back()->host_view, part.data(), type);
        want.insert(want.end(), part.begin(), part.end());
      }
      group.count = 4;
      DeviceBuffer out(want.size());
      CUDA_OK(dequantize_4bit_group_cuda(group, out.get(), type, nullptr));
      CUDA_OK(cudaDeviceSynchronize());
      EXPECT_EQ(out.contents<uint8_t>(), want);
      WeightGroup odd = group;  // a first weight of 34 elements puts the second's start off 16 bytes
      odd.w[0].n = 34;
      EXPECT_EQ(dequantize_4bit_group_cuda(odd, out.get(), type, nullptr), cudaErrorMisalignedAddress);
    }
}

// The prefill kernel on Hopper's warpgroup tensor cores against the reference: a group of weights whose
// rows leave tiles partly empty (136, 8) beside full ones, K of one, three (an odd count of stages) and 16
// stages, token counts of one, a partial tile and several tiles, both codes, blocksizes 64 to 256, a
// nested absmax (decoded in the kernel), with and without a residual; and one weight tall enough (66 row
// tiles) that the kernel takes its 128-token tiles (200 tokens) and its 256-token tiles (257) on an H100's
// 132 SMs. Each weight value is rounded once to the activation type, as dequantize_4bit_cuda makes it.
// Skips on a GPU other than compute capability 9.0.
TEST(Bnb4Cuda, WgmmaPrefillMatchesTheReference) {
  if (!have_gpu() || !matmul_4bit_wgmma_device()) GTEST_SKIP() << "no compute capability 9.0 device";
  struct Case {
    std::vector<int64_t> rows;
    int64_t k;
    std::vector<int64_t> ms;
  };
  const Case cases[] = {{{136, 64, 8}, 64, {1, 70}},
                        {{136, 64, 8}, 192, {33, 200}},
                        {{64, 128}, 1024, {129}},
                        {{8448}, 128, {200, 257}}};
  int variant = 0;
  for (const Case& c : cases)
    for (ElemType type : {ElemType::kF16, ElemType::kBF16})
      for (int64_t m : c.ms) {
        const QuantType qt = kQuantTypes[variant % 2];
        const bool dq = variant % 3 == 1, with_residual = variant % 2 == 0;
        const int splits = 1 + variant % 3;  // K of 1024 in 3 slices: 6, 6 and 4 stages
        ++variant;
        SCOPED_TRACE(std::string(elem_type_name(type)) + " " + quant_type_name(qt) + (dq ? " dq" : "") +
                     " M " + std::to_string(m) + " K " + std::to_string(c.k) +
                     (with_residual ? " residual" : "") + " splits " + std::to_string(splits));
        std::vector<std::unique_ptr<TestWeight>> ws;
        WeightGroup group;
        int64_t width = 0;
        for (size_t i = 0; i < c.rows.size(); ++i) {
          const int bs = 64 << (i % 3);
          ws.push_back(std::make_unique<TestWeight>(c.rows[i], c.k, bs, qt, dq));
          group.w[group.count] = ws.back()->device_view;
          group.rows[group.count++] = c.rows[i];
          width += c.rows[i];
        }
        ASSERT_TRUE(matmul_4bit_wgmma_supported(m, c.k, group, type));
        const TestInput x(type, m * c.k, 1.0f), residual(type, m * width, 4.0f);
        DeviceBuffer dx(x.raw.data(), x.raw.size()), dr(residual.raw.data(), residual.raw.size());
        DeviceBuffer dy(static_cast<size_t>(m * width * elem_size(type)));
        const int64_t workspace_bytes = matmul_4bit_wgmma_workspace_bytes(m, c.k, group, splits);
        EXPECT_EQ(workspace_bytes > 0, splits > 1 && c.k > 64);  // K = 64: one stage, one slice
        DeviceBuffer workspace(static_cast<size_t>(std::max<int64_t>(workspace_bytes, 16)));
        CUDA_OK(matmul_4bit_wgmma_cuda(dx.get(), type, m, c.k, group, with_residual ? dr.get() : nullptr,
                                       dy.get(), nullptr, splits, workspace.get<float>()));
        CUDA_OK(cudaDeviceSynchronize());
        std::vector<double> ref(static_cast<size_t>(m * width)), abs_sum(ref.size());
        int64_t col0 = 0;
        for (size_t i = 0; i < c.rows.size(); ++i) {
          reference(*ws[i], x, m, c.rows[i], c.k, col0, width, with_residual ? &residual : nullptr, ref,
                    abs_sum);
          col0 += c.rows[i];
        }
        expect_close(dy.contents<uint8_t>(), type, 1, c.k, ref, abs_sum);
      }
}

// The shape checks and refusals come before any device work, so this runs without a GPU too (host memory
// stands in for the weights: nothing is read).
TEST(Bnb4Cuda, WgmmaPrefillRejectsWhatItDoesNotTake) {
  alignas(16) static uint8_t host[4096];
  float* const host_floats = reinterpret_cast<float*>(host);
  Packed4bit w;
  w.packed = host;
  w.absmax = host_floats;
  w.n = 64 * 128;
  const WeightGroup one = group_of_one(w, 64);
  EXPECT_TRUE(matmul_4bit_wgmma_supported(100, 128, one, ElemType::kF16));
  EXPECT_FALSE(matmul_4bit_wgmma_supported(100, 128, one, ElemType::kF32));
  EXPECT_FALSE(matmul_4bit_wgmma_supported(int64_t{65536} * 64, 128, one, ElemType::kF16));  // grid's y
  WeightGroup odd_k = one;
  odd_k.w[0].n = 64 * 96;
  EXPECT_FALSE(matmul_4bit_wgmma_supported(100, 96, odd_k, ElemType::kF16));  // K not a multiple of 64
  WeightGroup small_blocks = one;
  small_blocks.w[0].blocksize = 32;
  EXPECT_FALSE(matmul_4bit_wgmma_supported(100, 128, small_blocks, ElemType::kF16));
  WeightGroup odd_rows = one;
  odd_rows.rows[0] = 63;
  odd_rows.w[0].n = 63 * 128;
  EXPECT_FALSE(matmul_4bit_wgmma_supported(100, 128, odd_rows, ElemType::kF16));
  // The same group with a nested absmax (scale codes and absmax2) in place of the float32 one.
  const auto nested_of = [&](WeightGroup g) {
    g.w[0].absmax = nullptr;
    g.w[0].nested_codes = host;
    g.w[0].absmax2 = host_floats;
    return g;
  };
  const WeightGroup nested = nested_of(one);
  EXPECT_TRUE(matmul_4bit_wgmma_supported(100, 128, nested, ElemType::kF16));
  WeightGroup half_nested = nested;
  half_nested.w[0].absmax2 = nullptr;
  EXPECT_EQ(matmul_4bit_wgmma_cuda(host, ElemType::kF16, 100, 128, half_nested, nullptr, host, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(matmul_4bit_wgmma_cuda(host, ElemType::kF16, 100, 96, odd_k, nullptr, host, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(matmul_4bit_wgmma_cuda(host, ElemType::kF16, 100, 128, one, nullptr, host, nullptr, 0, nullptr),
            cudaErrorInvalidValue);  // no slice
  EXPECT_EQ(matmul_4bit_wgmma_cuda(host, ElemType::kF16, 100, 128, one, nullptr, host, nullptr, 2, nullptr),
            cudaErrorInvalidValue);  // slices without a workspace
  // Prefill takes the kernel where 256-token tiles give (at least 90% of) the SMs a CTA at 512 tokens (132
  // SMs without a GPU, as on the H100): gate/up's 16,384 rows (256 CTAs); down's 2,048 rows over K = 8,192
  // in 4 slices (128 CTAs); not q/k/v's 3,072 rows over 2,048 (2 slices: 96 CTAs), nor one tile of 128 rows.
  const auto shaped = [&](int64_t rows, int64_t k) {
    WeightGroup g = one;
    g.rows[0] = rows;
    g.w[0].n = rows * k;
    return g;
  };
  const WeightGroup gate_up = shaped(16384, 2048), down = shaped(2048, 8192), qkv = shaped(3072, 2048),
                    tile = shaped(128, 128);
  const int sms = lq::cuda::current_device_traits().sms;
  if (sms == 132 || sms == 0) {  // an H100's, or none (the kernels then count 132)
    EXPECT_TRUE(matmul_4bit_wgmma_preferred(512, 2048, gate_up));
    EXPECT_EQ(matmul_4bit_wgmma_splits(512, 2048, gate_up), 1);
    EXPECT_TRUE(matmul_4bit_wgmma_preferred(512, 8192, down));
    EXPECT_EQ(matmul_4bit_wgmma_splits(512, 8192, down), 4);
    EXPECT_EQ(matmul_4bit_wgmma_workspace_bytes(512, 8192, down, 4), 4 * 512 * 2048 * 4);
    const WeightGroup nested_down = nested_of(down);  // decoded in the kernel, it splits as a float32 one
    EXPECT_TRUE(matmul_4bit_wgmma_preferred(512, 8192, nested_down));
    EXPECT_EQ(matmul_4bit_wgmma_splits(512, 8192, nested_down), 4);
    EXPECT_FALSE(matmul_4bit_wgmma_preferred(512, 2048, qkv));
    EXPECT_EQ(matmul_4bit_wgmma_splits(512, 2048, qkv), 2);
    EXPECT_FALSE(matmul_4bit_wgmma_preferred(512, 128, tile));
  }
  // ceil(stages / splits) stages a slice, and no empty slice: K = 192's 3 stages in 4 slices are 3 of 1;
  // K = 256's 4 stages in 3 slices are 2 of 2.
  EXPECT_EQ(matmul_4bit_wgmma_workspace_bytes(8, 192, shaped(64, 192), 4), 3 * 8 * 64 * 4);
  EXPECT_EQ(matmul_4bit_wgmma_workspace_bytes(8, 256, shaped(64, 256), 3), 2 * 8 * 64 * 4);
  EXPECT_EQ(matmul_4bit_wgmma_workspace_bytes(8, 256, shaped(64, 256), 1), 0);
  if (have_gpu() && matmul_4bit_wgmma_device())
    EXPECT_EQ(matmul_4bit_wgmma_cuda(host + 2, ElemType::kF16, 1, 128, one, nullptr, host, nullptr),
              cudaErrorMisalignedAddress);
  else
    EXPECT_EQ(matmul_4bit_wgmma_cuda(host, ElemType::kF16, 1, 128, one, nullptr, host, nullptr),
              cudaErrorNotSupported);
}

// The device traits the kernels pick by (lq::cuda::device_traits, read once per device) are the runtime's:
// zeros for no device, and for a device that does not exist.
TEST(Bnb4Cuda, DeviceTraitsAreTheRuntimes) {
  EXPECT_EQ(lq::cuda::device_traits(-1).major, 0);
  EXPECT_EQ(lq::cuda::device_traits(64).sms, 0);
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess) {
    EXPECT_EQ(lq::cuda::device_traits(count).major, 0);
  }
  cudaGetLastError();  // the failed queries above leave their error behind
  const lq::cuda::DeviceTraits current = lq::cuda::current_device_traits();
  if (!have_gpu()) {
    EXPECT_EQ(current.major, 0);
    EXPECT_EQ(current.sms, 0);
    return;
  }
  int device = 0, major = 0, minor = 0, sms = 0;
  ASSERT_EQ(cudaGetDevice(&device), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), cudaSuccess);
  for (int read = 0; read < 2; ++read) {  // the first read, then the kept one
    const lq::cuda::DeviceTraits t = lq::cuda::current_device_traits();
    EXPECT_EQ(t.major, major);
    EXPECT_EQ(t.minor, minor);
    EXPECT_EQ(t.sms, sms);
  }
  EXPECT_EQ(matmul_4bit_wgmma_device(), major == 9 && minor == 0);
}

// WeightGroup::next only asks L2 for another weight's memory: the tensor-core kernel's outputs (plain,
// normed, gated) are the same bits with it as without, for runs of any size, more runs than CTAs' shares
// can split evenly, and a run shorter than the CTAs.
TEST(Bnb4Cuda, AskingL2ForTheNextWeightChangesNoOutputBit) {
  SKIP_WITHOUT_GPU();
  const int64_t k = 2048, rows = 1024;
  const float eps = 1e-5f;
  for (bool dq : {false, true}) {
    SCOPED_TRACE(dq ? "dq" : "plain");
    const TestWeight gate(rows, k, 64, QuantType::kNF4, dq), up(rows, k, 64, QuantType::kNF4, dq);
    const TestWeight next(3 * rows + 5, k, 64, QuantType::kNF4, dq);
    WeightGroup group;
    group.w[0] = gate.device_view, group.w[1] = up.device_view;
    group.rows[0] = group.rows[1] = rows;
    group.count = 2;
    WeightGroup prefetching = group;
    const void* runs[] = {next.d.packed.get(), next.d.absmax.get(), next.d.codes.get(), next.d.absmax2.get()};
    const int64_t sizes[] = {
        static_cast<int64_t>(next.h.packed.size()), static_cast<int64_t>(next.h.absmax.size() * 4),
        static_cast<int64_t>(next.h.codes.size()), static_cast<int64_t>(next.h.absmax2.size() * 4)};
    for (int i = 0; i < 4; ++i)
      if (sizes[i] > 0) {
        prefetching.next.data[prefetching.next.count] = runs[i];
        prefetching.next.bytes[prefetching.next.count++] = sizes[i];
      }
    prefetching.next.data[prefetching.next.count] = next.d.packed.get();  // 7 bytes: below any CTA's share
    prefetching.next.bytes[prefetching.next.count++] = 7;
    const TestInput h(ElemType::kF16, k, 3.0f), gamma(ElemType::kF16, k, 1.0f);
    DeviceBuffer dh(h.raw.data(), h.raw.size()), dg(gamma.raw.data(), gamma.raw.size());
    const size_t out_bytes = static_cast<size_t>(2 * rows * 2);
    DeviceBuffer plain_a(out_bytes), plain_b(out_bytes), normed_a(out_bytes), normed_b(out_bytes);
    DeviceBuffer gated_a(out_bytes / 2), gated_b(out_bytes / 2);
    const auto tc = MatvecKernel::kTensorCores;
    CUDA_OK(matvec_4bit_cuda(dh.get(), ElemType::kF16, k, group, nullptr, plain_a.get(), nullptr, tc));
    CUDA_OK(matvec_4bit_cuda(dh.get(), ElemType::kF16, k, prefetching, nullptr, plain_b.get(), nullptr, tc));
    CUDA_OK(matvec_4bit_normed_cuda(dh.get(), ElemType::kF16, k, group, dg.get(), eps, normed_a.get(),
                                    nullptr, tc));
    CUDA_OK(matvec_4bit_normed_cuda(dh.get(), ElemType::kF16, k, prefetching, dg.get(), eps, normed_b.get(),
                                    nullptr, tc));
    CUDA_OK(matvec_4bit_normed_swiglu_cuda(dh.get(), ElemType::kF16, k, group, dg.get(), eps, gated_a.get(),
                                           nullptr));
    CUDA_OK(matvec_4bit_normed_swiglu_cuda(dh.get(), ElemType::kF16, k, prefetching, dg.get(), eps,
                                           gated_b.get(), nullptr));
    CUDA_OK(cudaDeviceSynchronize());
    EXPECT_EQ(plain_a.contents<uint8_t>(), plain_b.contents<uint8_t>());
    EXPECT_EQ(normed_a.contents<uint8_t>(), normed_b.contents<uint8_t>());
    EXPECT_EQ(gated_a.contents<uint8_t>(), gated_b.contents<uint8_t>());
    EXPECT_NE(plain_a.contents<uint8_t>(), std::vector<uint8_t>(out_bytes, kPoison));
  }
}

TEST(Bnb4Cuda, RejectsBadArguments) {
  SKIP_WITHOUT_GPU();
  DeviceBuffer buf(4096);
  EXPECT_EQ(quantize_4bit_cuda(buf.get(), ElemType::kF16, 100, 48, QuantType::kNF4, buf.get<uint8_t>(),
                               buf.get<float>(), nullptr),
            cudaErrorInvalidValue);
  Packed4bit w;
  w.packed = buf.get<uint8_t>();
  w.n = 33 * 100;
  w.absmax = buf.get<float>();
  EXPECT_EQ(matmul_4bit_cuda(buf.get(), ElemType::kF16, 1, 100, w, 33, buf.get(), nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(matmul_4bit_cuda(buf.get(), ElemType::kF16, 33, 96, w, 33, buf.get(), nullptr),
            cudaErrorInvalidValue);
  auto batch_kernel = [&](const void* x, ElemType type, int64_t m, int64_t k, int64_t n) {
    return matmul_4bit_batch_cuda(x, type, m, k, group_of_one(w, n), nullptr, buf.get(), nullptr);
  };
  auto matvec = [&](const void* x, int64_t k, int64_t n) {
    return matvec_4bit_cuda(x, ElemType::kF16, k, group_of_one(w, n), nullptr, buf.get(), nullptr);
  };
  EXPECT_EQ(batch_kernel(buf.get(), ElemType::kF16, 1, 100, 33), cudaErrorInvalidValue);
  EXPECT_EQ(matvec(buf.get(), 100, 33), cudaErrorInvalidValue);
  w.n = 0;
  EXPECT_EQ(matvec(buf.get(), 0, 33), cudaErrorInvalidValue);
  EXPECT_EQ(batch_kernel(buf.get(), ElemType::kF16, 1, 0, 33), cudaErrorInvalidValue);
  EXPECT_EQ(batch_kernel(buf.get(), ElemType::kF16, 1, 96, 0), cudaErrorInvalidValue);
  w.n = 96 * 33;
  EXPECT_EQ(batch_kernel(buf.get(), ElemType::kF16, 1, 96, 32), cudaErrorInvalidValue);
  EXPECT_EQ(matvec(buf.get(), 96, 32), cudaErrorInvalidValue);
  // The tensor-core matrix-vector kernel takes float16 / bfloat16 with x within 48 KB only.
  EXPECT_EQ(matvec_4bit_cuda(buf.get(), ElemType::kF32, 96, group_of_one(w, 33), nullptr, buf.get(), nullptr,
                             MatvecKernel::kTensorCores),
            cudaErrorInvalidValue);
  Packed4bit wide = w;
  wide.n = 32 * 24608;
  EXPECT_EQ(matvec_4bit_cuda(buf.get(), ElemType::kF16, 24608, group_of_one(wide, 32), nullptr, buf.get(),
                             nullptr, MatvecKernel::kTensorCores),
            cudaErrorInvalidValue);
  EXPECT_EQ(batch_kernel(buf.get(), ElemType::kF32, 2, 96, 33),
            cudaErrorInvalidValue);  // float32 runs the tiled kernel
  auto batch = [&](ElemType type, int64_t m) {
    return matmul_4bit_batch_cuda(buf.get(), type, m, 96, group_of_one(w, 33), nullptr, buf.get(), nullptr);
  };
  EXPECT_EQ(batch(ElemType::kF16, 33), cudaErrorInvalidValue);
  EXPECT_EQ(batch(ElemType::kF32, 17), cudaErrorInvalidValue);
  EXPECT_EQ(matmul_4bit_tiled_cuda(buf.get(), ElemType::kF32, 17, 96, w, 33, buf.get(), nullptr),
            cudaErrorInvalidValue);  // the tiled kernel stops at 16 rows
  WeightGroup empty;
  EXPECT_EQ(matmul_4bit_batch_cuda(buf.get(), ElemType::kF16, 1, 96, empty, nullptr, buf.get(), nullptr),
            cudaErrorInvalidValue);
  WeightGroup mixed;
  mixed.w[0] = mixed.w[1] = w;
  mixed.w[1].type = QuantType::kFP4;
  mixed.rows[0] = mixed.rows[1] = 33;
  mixed.count = 2;
  EXPECT_EQ(matmul_4bit_batch_cuda(buf.get(), ElemType::kF16, 1, 96, mixed, nullptr, buf.get(), nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(matvec_4bit_cuda(buf.get(), ElemType::kF16, 96, mixed, nullptr, buf.get(), nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(matvec_4bit_cuda(buf.get(), ElemType::kF16, 96, empty, nullptr, buf.get(), nullptr),
            cudaErrorInvalidValue);
  w.blocksize = 48;
  EXPECT_EQ(batch_kernel(buf.get(), ElemType::kF16, 1, 96, 33), cudaErrorInvalidValue);
  w.blocksize = 64;
  EXPECT_EQ(batch_kernel(buf.get<uint8_t>() + 2, ElemType::kF16, 1, 96, 33), cudaErrorMisalignedAddress);
  EXPECT_EQ(matvec(buf.get<uint8_t>() + 2, 96, 33), cudaErrorMisalignedAddress);
  w.packed = buf.get<uint8_t>() + 8;
  EXPECT_EQ(batch_kernel(buf.get(), ElemType::kF16, 1, 96, 33), cudaErrorMisalignedAddress);
  EXPECT_EQ(matvec(buf.get(), 96, 33), cudaErrorMisalignedAddress);
  EXPECT_EQ(matmul_4bit_tiled_cuda(buf.get(), ElemType::kF16, 2, 96, w, 33, buf.get(), nullptr),
            cudaErrorMisalignedAddress);
}

}  // namespace
}  // namespace bnb4
