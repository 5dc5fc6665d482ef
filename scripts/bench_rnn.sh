#!/bin/sh
# Builds and runs tests/bench_rnn.c (one training step of the recurrent benchmark models, per op)
# against the optimised library; not part of `make test`. Arguments: rnn lstm gru (default rnn).
set -eu
make -s build/libnn.a
cc -std=c11 -D_DEFAULT_SOURCE -O3 -march=native -fopenmp -Iinclude -I/usr/include/x86_64-linux-gnu/openblas-pthread \
   -o build/bench_rnn tests/bench_rnn.c build/libnn.a -lopenblas -lm -fopenmp
exec build/bench_rnn "$@"
