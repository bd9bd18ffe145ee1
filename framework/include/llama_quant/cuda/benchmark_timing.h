// Google Benchmark timing for CUDA kernels, shared by the framework's and the plugins' microbenchmarks:
// CUDA events around each iteration's launches after warm-up, reported per launch, either launched on a
// stream or replayed from one captured CUDA graph (as a decode step runs, without launch cost).
// Header-only; the including benchmark links benchmark::benchmark and the CUDA runtime.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <type_traits>

namespace lq::cuda {

// Whether a CUDA device is present (benchmarks skip with an error otherwise).
inline bool have_device() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

// Each iteration makes `launches` calls of `launch(i, stream)` on a stream of its own and reports the time
// per call. Launched plainly, i keeps counting across iterations, so a launch that picks its inputs by i
// rotates through all of them; with `graph`, the calls for i = 0 .. launches - 1 are captured once and
// every iteration replays that graph (pick launches >= the number of input copies). Three iterations'
// worth of warm-up first. A launch may return a cudaError_t (a kernel entry point's refusal, which leaves no
// sticky CUDA error): the first error returned, or else a CUDA error, skips the benchmark with its message.
template <class F>
void time_launches(benchmark::State& state, int launches, bool graph, F&& launch) {
  cudaError_t refused = cudaSuccess;
  auto call = [&](int i, cudaStream_t s) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&, int, cudaStream_t>, cudaError_t>) {
      const cudaError_t e = launch(i, s);
      if (e != cudaSuccess && refused == cudaSuccess) refused = e;
    } else {
      launch(i, s);
    }
  };
  cudaStream_t stream;
  if (cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) != cudaSuccess)
    return state.SkipWithError("cudaStreamCreate failed");
  cudaGraphExec_t exec = nullptr;
  if (graph) {
    cudaGraph_t g;
    cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
    for (int i = 0; i < launches; ++i) call(i, stream);
    const bool captured = cudaStreamEndCapture(stream, &g) == cudaSuccess;
    const bool ready = captured && cudaGraphInstantiate(&exec, g, 0) == cudaSuccess;
    if (captured) cudaGraphDestroy(g);
    if (!ready) {
      cudaStreamDestroy(stream);
      return state.SkipWithError("CUDA graph capture failed");
    }
  }
  int next = 0;
  auto enqueue = [&] {
    if (graph) {
      cudaGraphLaunch(exec, stream);
    } else {
      for (int r = 0; r < launches; ++r) call(next++, stream);
    }
  };
  for (int w = 0; w < 3; ++w) enqueue();
  // A refusal in warm-up (or capture) skips before timing, so that no empty launch is timed.
  const cudaError_t refused_early = refused;
  if (refused_early != cudaSuccess) state.SkipWithError(cudaGetErrorString(refused_early));
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  for (auto _ : state) {
    cudaEventRecord(start, stream);
    enqueue();
    cudaEventRecord(stop, stream);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    state.SetIterationTime(ms / 1e3 / launches);
  }
  if (refused_early == cudaSuccess && refused != cudaSuccess)
    state.SkipWithError(cudaGetErrorString(refused));
  else if (refused == cudaSuccess && cudaGetLastError() != cudaSuccess)
    state.SkipWithError("CUDA error");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  if (exec) cudaGraphExecDestroy(exec);
  cudaStreamDestroy(stream);
}

}  // namespace lq::cuda
