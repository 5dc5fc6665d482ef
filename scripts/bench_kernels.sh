#!/bin/sh
# Builds and runs tests/bench_kernels.c: the hot elementwise kernels, optimizer updates and 2x2
# max pooling at each instruction-set level this CPU runs (runtime/core/kernel_isa.h); not part
# of `make test`. One thread, CPU time.
# --native: then the same built with `make MARCH=native` (into build-native/), where every loop,
# dispatched or not, is compiled for this CPU alone, as nnrun was built before it chose its
# kernels at run time: its best level is the reference the dispatched build's should match.
set -eu
export OMP_NUM_THREADS=1
make -s build/bench/bench_kernels
build/bench/bench_kernels
if [ "${1:-}" = --native ]; then
    make -s BUILD=build-native MARCH=native build-native/bench/bench_kernels
    echo "== make MARCH=native"
    build-native/bench/bench_kernels
fi
