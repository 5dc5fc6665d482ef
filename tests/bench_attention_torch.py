"""PyTorch's side of tests/bench_attention.c: the same shapes, attention composed from matmul,
softmax and matmul (torch 1.13 has no fused scaled_dot_product_attention), forward and forward +
backward of loss = sum(attention(q, k, v) * r) with gradients for q, k and v, on --threads
threads (default 2). Prints the same table: ms per step, the median of 3 rounds of the median
of 10 steps. BENCH_CPU=1: process CPU time instead of wall time, as bench_attention.c. Run
through scripts/bench_attention.sh --torch."""
import argparse
import math
import os
import statistics
import time

import torch

SHAPES = [(32, 4, 200, 16), (64, 8, 20, 32)]
WARMUP, STEPS, ROUNDS = 3, 10, 3
clock = time.process_time if os.environ.get("BENCH_CPU") else time.perf_counter


def attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) * (1.0 / math.sqrt(q.shape[-1])), dim=-1)
    return w @ v


def median_ms(step):
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(STEPS):
        t0 = clock()
        step()
        times.append((clock() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    torch.set_num_threads(ap.parse_args().threads)
    torch.manual_seed(5)
    print("torch %s, %d threads" % (torch.__version__, torch.get_num_threads()))
    print("%-22s %-9s %9s %12s" % ("shape (B,H,T,d)", "variant", "fwd ms", "fwd+bwd ms"))
    for b, h, t, d in SHAPES:
        q, k, v = (torch.rand(b, h, t, d).mul_(2).sub_(1).requires_grad_() for _ in range(3))
        r = torch.rand(b, h, t, d)

        def forward():
            with torch.no_grad():
                attention(q, k, v)

        def full():
            q.grad = k.grad = v.grad = None
            (attention(q, k, v) * r).sum().backward()

        fwd = statistics.median(median_ms(forward) for _ in range(ROUNDS))
        both = statistics.median(median_ms(full) for _ in range(ROUNDS))
        print("%-22s %-9s %9.2f %12.2f" % ("(%d,%d,%d,%d)" % (b, h, t, d), "torch", fwd, both))


if __name__ == "__main__":
    main()
