// The fused CPU matmul for few activation rows (decode): y = x W^T with W [N, K] decoded from its 4-bit
// codes block by block as it is read, instead of dequantizing the whole matrix first. Unlike the float64
// reference in matmul_4bit.h, it reproduces the plugin's dequantize-then-multiply exactly up to float32
// summation order: W decoded as dequantize_4bit_cpu does (rounded to w_type), float32 accumulation.
#pragma once

#include <cstdint>

#include "dequantize_4bit.h"

namespace bnb4 {

// Up to this many activation rows the fused kernel beats dequantize + matmul on the CPU; beyond it the
// dense copy of W amortises over the rows.
constexpr int64_t kFastCpuMaxRows = 16;

// Output rows of W per at::parallel_for task: at least ~16K weights, below which a fork costs more than
// it saves.
inline int64_t fast_cpu_grain(int64_t K) { return K >= 4096 ? 4 : 16384 / K; }

// How W's codes are decoded: the fastest way this CPU has (AVX-512 on x86-64 where present), or the
// portable C++ loop (tests run both). Both decode the same weights; the AVX-512 sums run over more lanes
// and fuse each multiply-add, so they differ in float32 rounding order only.
enum class CpuDecode { kBest, kPortable };

// Output columns [row_begin, row_end) of y: x is M x K float32, y is M x N float32 (other columns are
// left alone), w.n == N * K. Each weight is code_value * absmax in float32 as in dequantize_4bit_cpu,
// then rounded to w_type (bitsandbytes rounds the dequantized W to the activation type). Any M works;
// rows of x are taken kFastCpuMaxRows at a time. Thread-safe: callers split [0, N) across threads.
void matmul_4bit_fast_cpu(const float* x, int64_t M, int64_t K, const Packed4bit& w, ElemType w_type,
                          int64_t N, float* y, int64_t row_begin, int64_t row_end,
                          CpuDecode decode_with = CpuDecode::kBest);

}  // namespace bnb4
