#!/usr/bin/env python3
"""PyTorch scaled_dot_product_attention on the shapes of tessera_cuda_bench, timed the same way.

Shapes: fp16 and bf16, d = 64 and 128, N = 512 .. max_seq, causal and not, B * N = 16384 tokens,
H = 2048 / d; tensors [B, H, N, D] as torch expects. Each available backend (flash, cuDNN,
memory-efficient) is timed (CUDA events, 3 warm-up runs, best of `reps`) and the fastest is
reported with its name. CSV on stdout:
    impl,dtype,head_dim,causal,batch,heads,seq,ms,tflops,backend
Usage: sdpa_baseline.py [reps] [max_seq]
"""
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

WARMUP = 3
TOKENS = 16384
HEADS_TIMES_DIM = 2048
# (the cuDNN backend only exists in newer PyTorch releases)
BACKENDS = {
    name: getattr(SDPBackend, attr)
    for name, attr in (("flash", "FLASH_ATTENTION"), ("cudnn", "CUDNN_ATTENTION"),
                       ("efficient", "EFFICIENT_ATTENTION"))
    if hasattr(SDPBackend, attr)
}
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def best_ms(fn, reps):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    best = None
    for r in range(WARMUP + reps):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        ms = start.elapsed_time(stop)
        if r >= WARMUP and (best is None or ms < best):
            best = ms
    return best


def bench_shape(dtype_name, head_dim, causal, seq, reps):
    heads = HEADS_TIMES_DIM // head_dim
    batch = max(1, TOKENS // seq)
    shape = (batch, heads, seq, head_dim)
    gen = torch.Generator(device="cuda").manual_seed(0)
    q, k, v = (torch.rand(shape, device="cuda", dtype=DTYPES[dtype_name], generator=gen) * 2 - 1
               for _ in range(3))
    results = []
    for name, backend in BACKENDS.items():
        try:
            with sdpa_kernel([backend]):
                ms = best_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), reps)
            results.append((ms, name))
        except RuntimeError as err:  # backend not available for this shape / dtype / GPU
            print(f"# {name} unavailable for {dtype_name} d={head_dim} N={seq}: {str(err)[:120]}",
                  file=sys.stderr)
    if not results:
        return None
    ms, name = min(results)
    flops = 4.0 * batch * heads * seq * seq * head_dim * (0.5 if causal else 1.0)
    return (f"sdpa,{dtype_name},{head_dim},{int(causal)},{batch},{heads},{seq},{ms:.4f},"
            f"{flops / (ms * 1e-3) / 1e12:.2f},{name}")


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    max_seq = int(sys.argv[2]) if len(sys.argv) > 2 else 16384
    if not torch.cuda.is_available():
        print("SKIP: torch sees no CUDA device")
        return 0
    print("impl,dtype,head_dim,causal,batch,heads,seq,ms,tflops,backend")
    for dtype_name in DTYPES:
        for head_dim in (64, 128):
            for causal in (False, True):
                seq = 512
                while seq <= max_seq:
                    line = bench_shape(dtype_name, head_dim, causal, seq, reps)
                    if line:
                        print(line, flush=True)
                    seq *= 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
