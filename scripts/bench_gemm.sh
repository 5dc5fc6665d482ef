#!/bin/sh
# Builds and runs tests/bench_gemm.c: the panel GEMM nn_sgemm uses for thin products against
# OpenBLAS, on one core, per shape; not part of `make test`. Arguments go to it ("layers":
# the bench models' dense layers only; "pool": those layers through nn_sgemm on all cores, in
# cache and cold). Benchmark as a user runs: an environment that sets OPENBLAS_CORETYPE pins
# OpenBLAS's kernels (env -u OPENBLAS_CORETYPE lifts it).
set -eu
case "${1:-}" in
pool | peak) ;;
*) export OMP_NUM_THREADS=1 ;;
esac
make -s build/bench/bench_gemm
build/bench/bench_gemm "$@"
