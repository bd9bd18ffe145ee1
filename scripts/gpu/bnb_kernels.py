#!/usr/bin/env python3
"""bitsandbytes' own 4-bit kernels and PyTorch's fp16 matmul on the Llama-3.2-1B layer shapes: the peers
that lq_bench_bnb4_cuda's rows are compared with, measured the same way in the same call.

One token (M = 1): y = x W^T with W N x K in NF4 (blocksize 64, fp32 absmax) through
bitsandbytes.functional.gemv_4bit (the kernel bitsandbytes' matmul_4bit uses for one row), and in fp16
through torch.matmul (cuBLAS); also bitsandbytes' dequantize_4bit and a device copy for the bandwidth
ceiling. Weights rotate over copies worth more than 64 MB so that every call reads HBM, not L2; CUDA
events after warm-up; median and spread over repetitions of a batch of calls. Needs bitsandbytes
importable (see scripts/gpu/bnb4_fixtures.sh for carrying its wheel).

    python3 scripts/gpu/bnb_kernels.py [--reps 20] [--calls 50]
"""
import argparse, statistics

import torch
import bitsandbytes as bnb
import bitsandbytes.functional as F

SHAPES = [(2048, 2048), (2048, 512), (2048, 8192), (8192, 2048)]
ROTATE_BYTES = 64 << 20


def median_us(fn, items, reps, calls):
    """Median and spread of one call's time in microseconds, cycling through `items`."""
    for i in range(2 * len(items)):
        fn(items[i % len(items)])
    samples = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for i in range(calls):
            fn(items[i % len(items)])
        end.record()
        torch.cuda.synchronize()
        samples.append(start.elapsed_time(end) * 1000.0 / calls)
    samples.sort()
    return statistics.median(samples), samples[0], samples[-1]


def copies_for(nbytes):
    return max(2, ROTATE_BYTES // nbytes + 1)


def row(name, shape, us, nbytes):
    med, lo, hi = us
    print(f"{name:<28} {shape:>12} {med:9.2f} us  [{lo:.2f}, {hi:.2f}]  {nbytes / med / 1e3:8.1f} GB/s", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--calls", type=int, default=50)
    args = ap.parse_args()
    torch.manual_seed(0)
    print(f"# {torch.cuda.get_device_name()}, torch {torch.__version__}, bitsandbytes {bnb.__version__}")

    n = 256 << 20  # bytes per copy buffer, read + written counted
    src, dst = torch.empty(n, dtype=torch.uint8, device="cuda"), torch.empty(n, dtype=torch.uint8, device="cuda")
    row("copy", f"{n >> 20} MB", median_us(lambda _: dst.copy_(src), [None], args.reps, 10), 2 * n)

    for N, K in SHAPES:
        shape = f"{N}x{K}"
        x = torch.randn(1, K, dtype=torch.float16, device="cuda")
        w16 = [torch.randn(N, K, dtype=torch.float16, device="cuda") for _ in range(copies_for(2 * N * K))]
        row("torch fp16 matmul", shape, median_us(lambda w: torch.matmul(x, w.t()), w16, args.reps, args.calls),
            2 * N * K)
        del w16
        wbytes = N * K // 2 + N * K // 64 * 4  # codes + fp32 absmax
        quantized = [F.quantize_4bit(torch.randn(N, K, dtype=torch.float16, device="cuda"), blocksize=64,
                                     quant_type="nf4") for _ in range(copies_for(wbytes))]
        row("bitsandbytes gemv_4bit", shape,
            median_us(lambda q: F.gemv_4bit(x, q[0].t(), state=q[1]), quantized, args.reps, args.calls), wbytes)
        row("bitsandbytes dequantize_4bit", shape,
            median_us(lambda q: F.dequantize_4bit(q[0], q[1]), quantized, args.reps, args.calls),
            wbytes + 2 * N * K)
        # Same values as torch's reference product, so a number is never timed on a wrong result.
        q, s = quantized[0]
        ref = torch.matmul(x.float(), F.dequantize_4bit(q, s).float().t())
        got = F.gemv_4bit(x, q.t(), state=s).float()
        err = ((got - ref).norm() / ref.norm()).item()
        assert err < 1e-2, f"gemv_4bit differs from dequantize + matmul on {shape}: relative error {err}"
        del quantized
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
