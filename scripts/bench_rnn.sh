#!/bin/sh
# Builds and runs tests/bench_rnn.c (one training step of the recurrent benchmark models, per op)
# against the optimised library; not part of `make test`. Arguments: rnn lstm gru (default rnn).
set -eu
make -s build/bench/bench_rnn
exec build/bench/bench_rnn "$@"
