// How fast kernels of one 512-thread CTA an SM stream S bytes from HBM when chained (programmatic dependent
// launch) from a CUDA graph, by how the bytes are loaded: the floor a 4-bit M = 1 product could reach at each
// of Llama-3.2-1B's sizes, next to what it does (BENCHMARKS.md, session 16). Each thread first issues its
// loads, then waits for the kernel before it, then consumes the bytes (an XOR sum, never stored unless it
// hits one value, so the loads cannot be dropped).
//   regU:    U uint4 in flight a thread, in registers, each reissued as it is consumed
//   tmaST:   the CTA's bytes in ST bulk copies into shared memory (cp.async.bulk, one mbarrier each)
//   cpasync: 16 bytes a thread per cp.async into shared memory, one commit group
//   chain18: reg18 that also waits for its input as a product does (reads 4 KB the launch before wrote,
//            reduces over the CTA, writes the next launch's input)
// A CTA reads n x 8 KB (512 threads x 16 bytes x n); 48 launches a graph over a 512 MB pool (no launch finds
// its bytes in L2); medians of 25 replays. On the GPU machine:
//   nvcc -arch=sm_90 -O3 -std=c++17 -o build-gpu/stream_probe scripts/gpu/stream_probe.cu &&
//   build-gpu/stream_probe
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#define CK(x)                                                                   \
  do {                                                                          \
    cudaError_t e_ = (x);                                                       \
    if (e_ != cudaSuccess) {                                                    \
      printf("CUDA %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); \
      exit(1);                                                                  \
    }                                                                           \
  } while (0)

__device__ __forceinline__ void pdl_launch() {
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
}
__device__ __forceinline__ void pdl_wait() { asm volatile("griddepcontrol.wait;" ::: "memory"); }
__device__ __forceinline__ uint32_t mix(uint4 v) { return v.x ^ (v.y * 3u) ^ (v.z * 5u) ^ (v.w * 7u); }

// Each CTA streams its n x 8 KB of w with U 16-byte loads in flight a thread, all requested before the wait
// for the kernel before it, and mixes them into a sum that is never zero in practice (written only if it is,
// so that no load is optimised away). kChained: it also depends on the kernel before it as a product does:
// after the wait it reads a 4 KB input the previous launch wrote, mixes it into the sum, reduces the sum over
// the CTA and writes its share of the next launch's input. The difference between the two is what a
// product's dependent chain costs a launch.
template <int U, bool kChained>
__global__ void __launch_bounds__(512, 1)
    stream_kernel(const uint4* w, int n, const uint32_t* x_in, uint32_t* out) {
  __shared__ uint32_t xs[kChained ? 1024 : 1], partial[kChained ? 16 : 1];
  pdl_launch();
  const uint4* p = w + static_cast<size_t>(blockIdx.x) * n * 512 + threadIdx.x;
  uint4 r[U];
#pragma unroll
  for (int u = 0; u < U; ++u) r[u] = u < n ? __ldcs(p + u * 512) : make_uint4(0, 0, 0, 0);
  pdl_wait();
  if constexpr (kChained) {
    xs[threadIdx.x] = x_in[threadIdx.x];
    xs[threadIdx.x + 512] = x_in[threadIdx.x + 512];
    __syncthreads();
  }
  uint32_t acc = 0;
  for (int i = 0; i < n; i += U) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      if (i + u < n) {
        if constexpr (kChained)
          acc += mix(r[u]) ^ xs[(threadIdx.x + i + u) & 1023];
        else
          acc += mix(r[u]);
        if (i + u + U < n) r[u] = __ldcs(p + (i + u + U) * 512);
      }
    }
  }
  if constexpr (kChained) {
    for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = acc;
    __syncthreads();
    if (threadIdx.x < 8) out[blockIdx.x * 8 + threadIdx.x] = partial[threadIdx.x] + partial[threadIdx.x + 8];
  } else if (acc == 0x9e3779b9u) {
    out[blockIdx.x] = acc;
  }
}

__device__ __forceinline__ void bar_init(uint64_t* bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"((unsigned)__cvta_generic_to_shared(bar)),
               "r"(count)
               : "memory");
}
__device__ __forceinline__ void bar_expect(uint64_t* bar, unsigned bytes) {
  asm volatile(
      "mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"((unsigned)__cvta_generic_to_shared(bar)),
      "r"(bytes)
      : "memory");
}
__device__ __forceinline__ void bulk_copy(void* dst, const void* src, unsigned bytes, uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(
          (unsigned)__cvta_generic_to_shared(dst)),
      "l"(src), "r"(bytes), "r"((unsigned)__cvta_generic_to_shared(bar))
      : "memory");
}
__device__ __forceinline__ void bar_wait(uint64_t* bar, unsigned parity) {
  asm volatile(
      "{\n .reg .pred p;\n WAIT_%=:\n mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n @!p bra "
      "WAIT_%=;\n}" ::"r"((unsigned)__cvta_generic_to_shared(bar)),
      "r"(parity)
      : "memory");
}

// Each CTA's n * 8 KB in `stages` bulk copies issued by thread 0 (or one thread per stage) before the wait.
__global__ void __launch_bounds__(512, 1) tma_kernel(const uint4* w, int n, int stages, uint32_t* out) {
  extern __shared__ uint4 buf[];
  __shared__ __align__(8) uint64_t bar[32];
  pdl_launch();
  const int vec = n * 512, per = vec / stages;
  const uint4* p = w + static_cast<size_t>(blockIdx.x) * vec;
  if (threadIdx.x < stages) {
    bar_init(&bar[threadIdx.x], 1);
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    bar_expect(&bar[threadIdx.x], per * 16);
    bulk_copy(buf + threadIdx.x * per, p + threadIdx.x * per, per * 16, &bar[threadIdx.x]);
  }
  __syncthreads();
  pdl_wait();
  uint32_t acc = 0;
  for (int s = 0; s < stages; ++s) {
    bar_wait(&bar[s], 0);
    for (int i = threadIdx.x; i < per; i += 512) acc += mix(buf[s * per + i]);
  }
  if (acc == 0x9e3779b9u) out[blockIdx.x] = acc;
}

// cp.async 16 B per thread, all issued before the wait, one commit group.
__global__ void __launch_bounds__(512, 1) lds_kernel(const uint4* w, int n, uint32_t* out) {
  extern __shared__ uint4 buf[];
  pdl_launch();
  const uint4* p = w + static_cast<size_t>(blockIdx.x) * n * 512;
  for (int i = 0; i < n; ++i) {
    const int at = i * 512 + threadIdx.x;
    asm volatile(
        "cp.async.cg.shared.global [%0], [%1], 16;" ::"r"((unsigned)__cvta_generic_to_shared(buf + at)),
        "l"(p + at)
        : "memory");
  }
  asm volatile("cp.async.commit_group;" ::: "memory");
  pdl_wait();
  asm volatile("cp.async.wait_group 0;" ::: "memory");
  uint32_t acc = 0;
  for (int i = 0; i < n; ++i) acc += mix(buf[i * 512 + threadIdx.x]);
  if (acc == 0x9e3779b9u) out[blockIdx.x] = acc;
}

constexpr size_t kPool = size_t(1) << 29;  // 512 MB
constexpr int kLaunches = 48;

template <typename Launch>
void time_graph(const char* name, int n, int grid, Launch launch, bool reads = true) {
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const size_t bytes = size_t(n) * 8192 * grid, slots = kPool / bytes, read = reads ? bytes : 0;
  cudaGraph_t g;
  cudaGraphExec_t ge;
  CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  for (int i = 0; i < kLaunches; ++i) launch(s, (i % slots) * bytes);
  CK(cudaStreamEndCapture(s, &g));
  CK(cudaGraphInstantiate(&ge, g, 0));
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  for (int i = 0; i < 5; ++i) CK(cudaGraphLaunch(ge, s));
  std::vector<float> t;
  for (int r = 0; r < 25; ++r) {
    CK(cudaEventRecord(a, s));
    CK(cudaGraphLaunch(ge, s));
    CK(cudaEventRecord(b, s));
    CK(cudaEventSynchronize(b));
    float ms;
    CK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms * 1000.0f / kLaunches);
  }
  std::sort(t.begin(), t.end());
  printf("%-10s n=%2d grid=%d %7.2f MB  median %6.2f us (min %6.2f max %6.2f)  %6.0f GB/s\n", name, n, grid,
         read / 1e6, t[t.size() / 2], t.front(), t.back(), read / (t[t.size() / 2] * 1e3));
  CK(cudaGraphExecDestroy(ge));
  CK(cudaGraphDestroy(g));
  CK(cudaStreamDestroy(s));
}

template <typename K, typename... Args>
void chained(cudaStream_t s, K kernel, int grid, size_t smem, Args... args) {
  cudaLaunchAttribute attr{};
  attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t c{};
  c.gridDim = dim3(grid), c.blockDim = dim3(512), c.dynamicSmemBytes = smem, c.stream = s;
  c.attrs = &attr, c.numAttrs = 1;
  CK(cudaLaunchKernelEx(&c, kernel, args...));
}

int main() {
  int sms;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  char* pool;
  CK(cudaMalloc(&pool, kPool));
  CK(cudaMemset(pool, 0x5b, kPool));
  uint32_t* out;
  CK(cudaMalloc(&out, 4096));
  CK(cudaFuncSetAttribute(tma_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 220 * 1024));
  CK(cudaFuncSetAttribute(lds_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 220 * 1024));
  const int grid = sms;
  uint32_t *xa, *xb;  // a chained launch's input and output, swapped every launch
  CK(cudaMalloc(&xa, 8192 * 4));
  CK(cudaMalloc(&xb, 8192 * 4));
  CK(cudaMemset(xa, 0x11, 8192 * 4));
  CK(cudaMemset(xb, 0x22, 8192 * 4));
  auto W = [&](size_t off) { return reinterpret_cast<const uint4*>(pool + off); };
  for (int n : {0, 2, 3, 5, 9, 18, 26}) {
    if (n == 0) {
      time_graph(
          "empty", 1, grid,
          [&](cudaStream_t s, size_t off) {
            chained(s, stream_kernel<1, false>, grid, 0, W(off), 0, nullptr, out);
          },
          false);
      continue;
    }
    time_graph("reg2", n, grid, [&](cudaStream_t s, size_t off) {
      chained(s, stream_kernel<2, false>, grid, 0, W(off), n, nullptr, out);
    });
    time_graph("reg4", n, grid, [&](cudaStream_t s, size_t off) {
      chained(s, stream_kernel<4, false>, grid, 0, W(off), n, nullptr, out);
    });
    time_graph("reg8", n, grid, [&](cudaStream_t s, size_t off) {
      chained(s, stream_kernel<8, false>, grid, 0, W(off), n, nullptr, out);
    });
    int k = 0;
    time_graph("chain18", n, grid, [&](cudaStream_t s, size_t off) {
      const bool odd = k++ % 2;
      chained(s, stream_kernel<18, true>, grid, 0, W(off), n, odd ? xb : xa, odd ? xa : xb);
    });
    time_graph("reg18", n, grid, [&](cudaStream_t s, size_t off) {
      chained(s, stream_kernel<18, false>, grid, 0, W(off), n, nullptr, out);
    });
    const size_t smem = size_t(n) * 8192;
    if (smem <= 220 * 1024) {
      for (int st : {1, 2, 4, 8})
        if ((n * 512) % st == 0) {
          char name[16];
          snprintf(name, sizeof name, "tma%d", st);
          time_graph(name, n, grid, [&](cudaStream_t s, size_t off) {
            chained(s, tma_kernel, grid, smem, W(off), n, st, out);
          });
        }
      time_graph("cpasync", n, grid,
                 [&](cudaStream_t s, size_t off) { chained(s, lds_kernel, grid, smem, W(off), n, out); });
    }
  }
  // One long read (2 MB a CTA, ~277 MB on 132 SMs) with four uint4 a thread in flight, for comparison.
  const int big = 256;
  time_graph("reg4-big", big, grid, [&](cudaStream_t s, size_t off) {
    chained(s, stream_kernel<4, false>, grid, 0, W(off), big, nullptr, out);
  });
  CK(cudaDeviceSynchronize());
  return 0;
}
