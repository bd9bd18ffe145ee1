#include "matmul_4bit_fast.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "double_quant.h"

// x86-64 with GCC or Clang: an AVX-512 decode (one 16-entry table lookup per 16 weights), chosen at run
// time where the CPU has it; everywhere else the portable C++ one.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BNB4_AVX512 1
#include <immintrin.h>
#endif

namespace bnb4 {
namespace {

// Independent float32 partial sums per row of x: a fixed set of lanes that g++ -O3 keeps in vector
// registers (a single running sum would not vectorise without -ffast-math's reassociation). 16 fill the
// portable build's SSE registers; AVX-512 takes 64, four independent chains of fused multiply-adds.
constexpr int kLanes = 16, kLanesAvx512 = 64;
// Weights decoded at a time before the dot products: 4 KiB, stays in L1 next to the rows of x.
constexpr int64_t kChunk = 1024;

// One call's code table, also as byte -> (high nibble value, low nibble value): one lookup per byte.
struct CodeTables {
  const float* values = nullptr;
  float pairs[256][2];
  float min_nonzero = 0.0f;  // smallest nonzero |value|: whether a block's products can be subnormal
};

CodeTables make_tables(QuantType type) {
  CodeTables t;
  t.values = code_values(type);
  for (int b = 0; b < 256; ++b) {
    t.pairs[b][0] = t.values[b >> 4];
    t.pairs[b][1] = t.values[b & 15];
  }
  t.min_nonzero = FLT_MAX;
  for (int c = 0; c < 16; ++c)
    if (t.values[c] != 0.0f) t.min_nonzero = std::min(t.min_nonzero, std::fabs(t.values[c]));
  return t;
}

// Elements [s, e) of the flattened weight into out, one byte (two elements) per `pair` call; element 2i
// is the high nibble of byte i, so an odd start or end takes a single nibble.
template <class Pair>
void decode(const uint8_t* packed, const float* table, Pair pair, int64_t s, int64_t e, float* out) {
  if (s & 1) {
    *out++ = table[packed[s / 2] & 15];
    ++s;
  }
  const uint8_t* bytes = packed + s / 2;
  const int64_t whole = (e - s) / 2;
  for (int64_t i = 0; i < whole; ++i) pair(bytes[i], out + 2 * i);
  if ((e - s) & 1) out[2 * whole] = table[bytes[whole] >> 4];
}

// v[i] = mul_ftz(v[i], absmax), the float ops of dequantize_4bit_cpu. The flushes can only change a
// product below FLT_MIN; when even the smallest nonzero code value times the block's absmax is not,
// a plain (vectorised) multiply gives the same bits.
void scale_block(float* v, int64_t n, float absmax, float min_nonzero) {
  const float a = flush_denormal(absmax);
  if (std::fabs(a) * min_nonzero >= FLT_MIN) {
    for (int64_t i = 0; i < n; ++i) v[i] *= a;
  } else {
    for (int64_t i = 0; i < n; ++i) v[i] = mul_ftz(v[i], absmax);
  }
}

// A block's 16 weights as dequantize_4bit_cpu stores them in a 16-bit w_type, read back as float.
void rounded_block_table(const float* values, float absmax, ElemType w_type, float* table) {
  for (int c = 0; c < 16; ++c) {
    uint32_t stored;  // room for any type: GCC cannot see that w_type is never float32 here
    store_from_float(&stored, w_type, 0, mul_ftz(values[c], absmax));
    table[c] = load_as_float(&stored, w_type, 0);
  }
}

// acc[j] += w[i] * x[i] over i = j (mod Lanes). Inlined into its callers so that it is vectorised for
// their instruction set.
template <int Lanes>
inline __attribute__((always_inline)) void dot_lanes(const float* w, const float* x, int64_t n, float* acc) {
  float a[Lanes];
  std::copy(acc, acc + Lanes, a);
  int64_t i = 0;
  for (; i + Lanes <= n; i += Lanes)
    for (int j = 0; j < Lanes; ++j) a[j] += w[i + j] * x[i + j];
  for (int j = 0; i + j < n; ++j) a[j] += w[i + j] * x[i + j];
  std::copy(a, a + Lanes, acc);
}

#ifdef BNB4_AVX512
// A block's 16 weights, exactly as dequantize_4bit_cpu computes them (see scale_block), in w_type.
void block_table(const CodeTables& t, float absmax, ElemType w_type, float* table) {
  if (w_type != ElemType::kF32) return rounded_block_table(t.values, absmax, w_type, table);
  std::copy(t.values, t.values + 16, table);
  scale_block(table, 16, absmax, t.min_nonzero);
}

// Elements [s, e) of the flattened weight through one block's 16 weights (in `table`, and in memory
// for the odd nibbles at the ends): per 8 packed bytes, the nibbles interleaved high-first, widened to
// 16 indices, one permute.
__attribute__((target("avx512f"))) void decode_block_avx512(const uint8_t* packed, __m512 table,
                                                            const float* table_mem, int64_t s, int64_t e,
                                                            float* out) {
  if (s & 1) {
    *out++ = table_mem[packed[s / 2] & 15];
    ++s;
  }
  const uint8_t* bytes = packed + s / 2;
  const int64_t n = e - s;
  const __m128i low4 = _mm_set1_epi8(0x0f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes + i / 2));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), low4), lo = _mm_and_si128(b, low4);
    // The zero-masked forms: GCC 12 warns that the plain ones read an undefined source (PR 105593).
    const __m512i idx = _mm512_maskz_cvtepu8_epi32(0xffff, _mm_unpacklo_epi8(hi, lo));
    _mm512_storeu_ps(out + i, _mm512_maskz_permutexvar_ps(0xffff, idx, table));
  }
  for (; i + 1 < n; i += 2) {
    out[i] = table_mem[bytes[i / 2] >> 4];
    out[i + 1] = table_mem[bytes[i / 2] & 15];
  }
  if (i < n) out[i] = table_mem[bytes[i / 2] >> 4];
}

// Elements [s, e), block by block. A float32 block whose products cannot be subnormal (see
// scale_block) gets its table from one vector multiply, kept in a register: built in memory and read
// back at once, it would stall on store forwarding at every block.
__attribute__((target("avx512f"))) void decode_chunk_avx512(const uint8_t* packed, const CodeTables& t,
                                                            const float* absmax, int64_t absmax_base,
                                                            int64_t bs, ElemType w_type, int64_t s, int64_t e,
                                                            float* out) {
  const __m512 values = _mm512_loadu_ps(t.values);
  alignas(64) float table_mem[16];
  for (int64_t b = s / bs; s < e; ++b) {
    const int64_t end = std::min(e, (b + 1) * bs);
    const float a = flush_denormal(absmax[b - absmax_base]);
    __m512 table;
    if (w_type == ElemType::kF32 && std::fabs(a) * t.min_nonzero >= FLT_MIN) {
      table = _mm512_mul_ps(values, _mm512_set1_ps(a));
      _mm512_store_ps(table_mem, table);
    } else {
      block_table(t, absmax[b - absmax_base], w_type, table_mem);
      table = _mm512_load_ps(table_mem);
    }
    decode_block_avx512(packed, table, table_mem, s, end, out);
    out += end - s;
    s = end;
  }
}

__attribute__((target("avx512f"))) void dot_lanes_avx512(const float* w, const float* x, int64_t n,
                                                         float* acc) {
  dot_lanes<kLanesAvx512>(w, x, n, acc);
}

bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
#endif

float sum_lanes(float* acc, int lanes) {
  for (int width = lanes / 2; width > 0; width /= 2)
    for (int j = 0; j < width; ++j) acc[j] += acc[j + width];
  return acc[0];
}

}  // namespace

void matmul_4bit_fast_cpu(const float* x, int64_t M, int64_t K, const Packed4bit& w, ElemType w_type,
                          int64_t N, float* y, int64_t row_begin, int64_t row_end, CpuDecode decode_with) {
  if (M <= 0 || K <= 0 || row_begin >= row_end) return;
#ifdef BNB4_AVX512
  const bool avx512 = decode_with == CpuDecode::kBest && cpu_has_avx512();
#else
  (void)decode_with;
  const bool avx512 = false;
#endif
  const CodeTables tables = make_tables(w.type);
  const int64_t bs = w.blocksize;

  // The absmax of the blocks these rows touch. Nested ones are decoded by dequantize_4bit_cpu's own
  // function, from a multiple of 256 blocks so that each code meets its absmax2.
  const int64_t first_block = row_begin * K / bs, end_block = (row_end * K - 1) / bs + 1;
  std::vector<float> decoded_absmax;
  const float* absmax = w.absmax;
  int64_t absmax_base = 0;
  if (w.nested()) {
    absmax_base = first_block / kNestedBlocksize * kNestedBlocksize;
    decoded_absmax.resize(static_cast<size_t>(end_block - absmax_base));
    decode_absmax_cpu(w.nested_codes + absmax_base, w.absmax2 + absmax_base / kNestedBlocksize, w.offset,
                      end_block - absmax_base, decoded_absmax.data());
    absmax = decoded_absmax.data();
  }

  auto pair_f32 = [&tables](uint8_t byte, float* out) {
    std::memcpy(out, tables.pairs[byte], 2 * sizeof(float));
  };
  float table[16];
  auto pair_rounded = [&table](uint8_t byte, float* out) {
    out[0] = table[byte >> 4];
    out[1] = table[byte & 15];
  };

  float weights[kChunk];
  const int lanes = avx512 ? kLanesAvx512 : kLanes;
  float acc[kFastCpuMaxRows][kLanesAvx512];
  for (int64_t m0 = 0; m0 < M; m0 += kFastCpuMaxRows) {
    const int64_t rows = std::min(kFastCpuMaxRows, M - m0);
    const float* xs = x + m0 * K;
    for (int64_t r = row_begin; r < row_end; ++r) {
      for (int64_t m = 0; m < rows; ++m) std::fill(acc[m], acc[m] + lanes, 0.0f);
      const int64_t row_start = r * K;
      for (int64_t c0 = 0; c0 < K; c0 += kChunk) {
        const int64_t chunk_end = row_start + std::min(K, c0 + kChunk);
        // A row may start or end inside a block, and a block span two rows.
        const int64_t chunk_start = row_start + c0;
        auto for_each_block = [&](auto&& f) {
          int64_t s = chunk_start;
          for (int64_t b = s / bs; s < chunk_end; ++b) {
            const int64_t e = std::min(chunk_end, (b + 1) * bs);
            f(absmax[b - absmax_base], s, e, weights + (s - chunk_start));
            s = e;
          }
        };
        const int64_t len = chunk_end - chunk_start;
#ifdef BNB4_AVX512
        if (avx512) {
          decode_chunk_avx512(w.packed, tables, absmax, absmax_base, bs, w_type, chunk_start, chunk_end,
                              weights);
          for (int64_t m = 0; m < rows; ++m) dot_lanes_avx512(weights, xs + m * K + c0, len, acc[m]);
          continue;
        }
#endif
        if (w_type == ElemType::kF32) {
          // All codes first, then the scales: a wide load of the scaling pass right behind the narrow
          // stores of the decoding pass would stall on store forwarding.
          decode(w.packed, tables.values, pair_f32, chunk_start, chunk_end, weights);
          for_each_block([&](float a, int64_t s, int64_t e, float* out) {
            scale_block(out, e - s, a, tables.min_nonzero);
          });
        } else {
          for_each_block([&](float a, int64_t s, int64_t e, float* out) {
            rounded_block_table(tables.values, a, w_type, table);
            decode(w.packed, table, pair_rounded, s, e, out);
          });
        }
        for (int64_t m = 0; m < rows; ++m) dot_lanes<kLanes>(weights, xs + m * K + c0, len, acc[m]);
      }
      for (int64_t m = 0; m < rows; ++m) y[(m0 + m) * N + r] = sum_lanes(acc[m], lanes);
    }
  }
}

}  // namespace bnb4
