#!/usr/bin/env python3
"""Hugging Face transformers on the same card, as the reference figures next to llama-quant's.

Llama-3.2-1B shape (configs/models/llama-3.2-1b/config.json) with random weights, fp16, eager generate:
prefill latency at a 512-token prompt, decode tok/s at batch 1/8/32 (prompt 512, 128 new tokens, greedy,
min_new_tokens = max_new_tokens). With --nf4/--fp4 also bitsandbytes 4-bit (needs bitsandbytes importable).
Timed with CUDA events after warm-up; prints medians and spread as JSON lines.

    python3 scripts/gpu/hf_baseline.py --config configs/models/llama-3.2-1b/config.json [--nf4] [--fp4]
"""
import argparse, json, statistics, time

import torch
from transformers import AutoConfig, AutoModelForCausalLM


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        samples.append(start.elapsed_time(end))
    samples.sort()
    return {"median_ms": statistics.median(samples), "min_ms": samples[0], "max_ms": samples[-1],
            "stdev_ms": statistics.pstdev(samples), "samples_ms": samples}


def build(config_path, quant):
    config = AutoConfig.from_pretrained(config_path)
    torch.manual_seed(0)
    kwargs = {}
    # Built on the GPU: drawing 1.2 B random weights on the host took most of a call's minute.
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.float16)
    if quant:
        from transformers import BitsAndBytesConfig
        import tempfile
        tmp = tempfile.mkdtemp()
        model.save_pretrained(tmp)
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type=quant, bnb_4bit_compute_dtype=torch.float16)
        model = AutoModelForCausalLM.from_pretrained(tmp, torch_dtype=torch.float16, device_map="cuda", **kwargs)
    else:
        model = model.cuda()  # a no-op where the device context already put it there
    model.eval()
    return model, config


def bench(name, model, config, args):
    gen = torch.Generator().manual_seed(1)
    vocab = config.vocab_size
    out = {"backend": name, "device": torch.cuda.get_device_name(0)}
    ids = torch.randint(0, vocab, (1, args.prompt), generator=gen).cuda()
    with torch.no_grad():
        out["prefill_512_b1"] = timed(lambda: model(ids), 3, args.reps)
        for b in args.batches:
            ids_b = torch.randint(0, vocab, (b, args.prompt), generator=gen).cuda()
            mask = torch.ones_like(ids_b)
            run = lambda: model.generate(ids_b, attention_mask=mask, max_new_tokens=args.new_tokens,
                                         min_new_tokens=args.new_tokens, do_sample=False, pad_token_id=0)
            t = timed(run, 1, max(2, args.reps // 2))
            # decode throughput excludes the prefill (time to first token), measured separately
            pre = timed(lambda: model(ids_b), 1, 3)["median_ms"]
            decode_ms = t["median_ms"] - pre
            out[f"decode_b{b}"] = {"total": t, "prefill_ms": pre,
                                   "tok_per_s": b * (args.new_tokens - 1) / (decode_ms / 1000.0)}
    out["peak_memory_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--prompt", type=int, default=512)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--nf4", action="store_true")
    p.add_argument("--fp4", action="store_true")
    args = p.parse_args()
    for name, quant in [("hf_fp16", None)] + ([("hf_bnb_nf4", "nf4")] if args.nf4 else []) + \
            ([("hf_bnb_fp4", "fp4")] if args.fp4 else []):
        model, config = build(args.config, quant)
        torch.cuda.reset_peak_memory_stats()
        bench(name, model, config, args)
        del model
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
