#!/bin/sh
# Builds and runs tests/bench_conv.c (forward + backward of the benchmark models' convolution
# layers at batch 128) against the optimised library; not part of `make test`.
set -eu
make -s build/libnn.a
cc -std=c11 -D_DEFAULT_SOURCE -O3 -march=native -fopenmp -Iinclude -I/usr/include/x86_64-linux-gnu/openblas-pthread \
   -o build/bench_conv tests/bench_conv.c build/libnn.a -lopenblas -lm -fopenmp
exec build/bench_conv "$@"
