#!/usr/bin/env bash
# Nsight Compute on one kernel of a microbenchmark, to see why it runs below the bandwidth floor: speed of
# light (DRAM and SM throughput), where warps stall, occupancy, and memory traffic. On the GPU machine,
# from the repo root, after building with LQ_BUILD_BENCHMARKS=ON; the report goes to $OUT.
#
#   scripts/gpu/profile_kernel.sh KERNEL_REGEX BENCHMARK_BINARY BENCHMARK_FILTER
#   e.g. scripts/gpu/profile_kernel.sh matvec_4bit_kernel build-gpu/plugins/bnb4/lq_bench_bnb4_cuda \
#          'BM_Matmul4bit/2048/8192/1/'
#
# Clocks are left alone (--clock-control none: a profiler that pins clocks measures another machine), but
# caches are flushed before every replay pass (--cache-control all): Nsight Compute replays one launch with
# the same inputs many times, so without the flush every pass after the first finds the weights in L2 and
# the report describes a kernel without HBM (the benchmark's own rotation does not apply to replays).
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
[ $# -eq 3 ] || { sed -n 2,9p "$0"; exit 2; }
kernel=$1 binary=$2 filter=$3
ncu --clock-control none --cache-control all -k "regex:$kernel" -s 20 -c 3 \
  --section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats --section SchedulerStats \
  --section Occupancy --section LaunchStats \
  "$binary" --benchmark_filter="$filter" --benchmark_min_time=0.01 >"$OUT/ncu_$kernel.txt" 2>&1
grep -E "==PROF==|Duration|DRAM Throughput|Memory Throughput|Compute \(SM\)|Achieved Occupancy|Registers|Stall|Warp Cycles|Issued Warp|No Eligible" \
  "$OUT/ncu_$kernel.txt" | head -60
