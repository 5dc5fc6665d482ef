#!/bin/sh
# Builds and runs tests/bench_conv.c (forward + backward of the benchmark models' convolution
# layers at batch 128) against the optimised library; not part of `make test`.
set -eu
make -s build/bench/bench_conv
exec build/bench/bench_conv "$@"
