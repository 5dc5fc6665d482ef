#!/bin/sh
# Builds and runs tests/bench_attention.c (fused against composed attention, forward and
# forward + backward) against the optimised library; not part of `make test`.
# --torch: alternates it with PyTorch's composition (tests/bench_attention_torch.py) twice,
# nnrun then PyTorch (A B A B), both on OMP_NUM_THREADS threads (default 2). BENCH_CPU=1 times
# process CPU time on both sides (with OMP_NUM_THREADS=1, robust against other jobs).
set -eu
make -s build/bench/bench_attention
threads=${OMP_NUM_THREADS:-2}
export OMP_NUM_THREADS=$threads
if [ "${1:-}" != --torch ]; then exec build/bench/bench_attention; fi
for pair in 1 2; do
    echo "== pair $pair: nnrun"
    build/bench/bench_attention
    echo "== pair $pair: PyTorch"
    /usr/bin/python3 tests/bench_attention_torch.py --threads "$threads"
done
