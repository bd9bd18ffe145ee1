// Hopper's warpgroup tensor-core instructions (wgmma, sm_90a), as the prefill kernel uses them
// (matmul_4bit_wgmma_sm90a.cu): A (64 x 16) in registers, B (16 x N) in shared memory as K-major rows of
// 128 bytes with the 128-byte swizzle, float32 accumulators. A warpgroup is four consecutive warps; every
// call here is made by all 128 of its threads together.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

namespace bnb4::wgmma {

// Orders this thread's register and shared-memory writes before the wgmma that follow.
__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
// Closes the group of wgmma issued since the last commit.
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most kPending committed groups are unfinished: only then may their A registers and
// accumulators be touched, or the shared memory they read be overwritten.
template <int kPending>
__device__ __forceinline__ void wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}

// Makes this thread's generic-proxy writes of shared memory (stores, cp.async) visible to wgmma's reads,
// which go through the async proxy; a barrier must follow before another thread's wgmma reads them.
__device__ __forceinline__ void fence_shared_for_async() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// The descriptor of a B tile at shared-memory address `addr` (1024-byte aligned, plus 32 bytes per k16
// step): rows of 64 elements (128 bytes) along K, each 8-row group of 1024 bytes swizzled with the
// 128-byte pattern (16-byte unit u of row r stored at unit u ^ (r % 8)).
__device__ __forceinline__ uint64_t k_major_sw128(uint32_t addr) {
  constexpr uint64_t kGroupStride = 1024 >> 4, kSwizzle128 = 1;
  return ((addr & 0x3ffffu) >> 4) | (uint64_t{1} << 16) | (kGroupStride << 32) | (kSwizzle128 << 62);
}

// d (64 x N, float32) += A (64 x 16 of type TY, registers a) B (16 x N of TY, descriptor b), as one
// warpgroup's asynchronous wgmma. The accumulators are operands 0 .. N / 2 - 1 (D: their names in blocks of
// 32; D32(o): the constraints of d[o .. o + 31]); A, B and SCALE name the operands after them.
#define BNB4_WGMMA(N, TY, D, A, B, SCALE, ...)                                                        \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, " SCALE ", 0;\n"                                   \
               "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." #TY "." #TY " {" D "}, {" A "}, " B \
               ", p, 1, 1, 0;\n}\n"                                                                     \
               : __VA_ARGS__                                                                         \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1))
#define BNB4_WGMMA_D0 \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, " \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
#define BNB4_WGMMA_D1 \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
#define BNB4_WGMMA_D2 \
  "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, " \
  "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95"
#define BNB4_WGMMA_D3 \
  "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, " \
  "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
#define BNB4_WGMMA_D32(o) \
  "+f"(d[o + 0]), "+f"(d[o + 1]), "+f"(d[o + 2]), "+f"(d[o + 3]), "+f"(d[o + 4]), "+f"(d[o + 5]), \
  "+f"(d[o + 6]), "+f"(d[o + 7]), "+f"(d[o + 8]), "+f"(d[o + 9]), "+f"(d[o + 10]), "+f"(d[o + 11]), \
  "+f"(d[o + 12]), "+f"(d[o + 13]), "+f"(d[o + 14]), "+f"(d[o + 15]), "+f"(d[o + 16]), "+f"(d[o + 17]), \
  "+f"(d[o + 18]), "+f"(d[o + 19]), "+f"(d[o + 20]), "+f"(d[o + 21]), "+f"(d[o + 22]), "+f"(d[o + 23]), \
  "+f"(d[o + 24]), "+f"(d[o + 25]), "+f"(d[o + 26]), "+f"(d[o + 27]), "+f"(d[o + 28]), "+f"(d[o + 29]), \
  "+f"(d[o + 30]), "+f"(d[o + 31])

// The wgmma of T (__half or __nv_bfloat16) for N = 64, 128 or 256 columns.
template <typename T, int N>
__device__ __forceinline__ void mma(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t b) {
  static_assert(N == 64 || N == 128 || N == 256, "N = 64, 128 or 256");
  constexpr bool kHalf = std::is_same_v<T, __half>;
  if constexpr (N == 64 && kHalf)
    BNB4_WGMMA(64, f16, BNB4_WGMMA_D0, "%32, %33, %34, %35", "%36", "%37", BNB4_WGMMA_D32(0));
  else if constexpr (N == 64)
    BNB4_WGMMA(64, bf16, BNB4_WGMMA_D0, "%32, %33, %34, %35", "%36", "%37", BNB4_WGMMA_D32(0));
  else if constexpr (N == 128 && kHalf)
    BNB4_WGMMA(128, f16, BNB4_WGMMA_D0 ", " BNB4_WGMMA_D1, "%64, %65, %66, %67", "%68", "%69",
               BNB4_WGMMA_D32(0), BNB4_WGMMA_D32(32));
  else if constexpr (N == 128)
    BNB4_WGMMA(128, bf16, BNB4_WGMMA_D0 ", " BNB4_WGMMA_D1, "%64, %65, %66, %67", "%68", "%69",
               BNB4_WGMMA_D32(0), BNB4_WGMMA_D32(32));
  else if constexpr (kHalf)
    BNB4_WGMMA(256, f16, BNB4_WGMMA_D0 ", " BNB4_WGMMA_D1 ", " BNB4_WGMMA_D2 ", " BNB4_WGMMA_D3,
               "%128, %129, %130, %131", "%132", "%133", BNB4_WGMMA_D32(0), BNB4_WGMMA_D32(32),
               BNB4_WGMMA_D32(64), BNB4_WGMMA_D32(96));
  else
    BNB4_WGMMA(256, bf16, BNB4_WGMMA_D0 ", " BNB4_WGMMA_D1 ", " BNB4_WGMMA_D2 ", " BNB4_WGMMA_D3,
               "%128, %129, %130, %131", "%132", "%133", BNB4_WGMMA_D32(0), BNB4_WGMMA_D32(32),
               BNB4_WGMMA_D32(64), BNB4_WGMMA_D32(96));
}

}  // namespace bnb4::wgmma
