#!/bin/sh
# make bench-mpi: how data-parallel training scales on this machine. For each model, the same
# bench spec (specs/bench/MODEL.yaml) three ways, alternated BENCH_PAIRS times (default 3):
#   one    one process, one thread, N batches
#   two    mpirun -np 2, one thread each, N batches each (2N in all: twice the samples)
#   wide   one process, two threads, N batches
# and prints the samples per second of `two` and `wide` over `one` (the median, with its range):
# the first is the scaling a cluster sees per node, the second says which is faster here. Also
# the bytes allreduced per iteration and the seconds of communication (--profile).
# BENCH_MODELS picks models (default: cnn_clf lstm_imdb), BENCH_BATCHES the N.
set -eu
models=${BENCH_MODELS:-cnn_clf lstm_imdb}
pairs=${BENCH_PAIRS:-3}
command -v mpirun >/dev/null 2>&1 || { echo "bench-mpi: mpirun is missing (scripts/install_deps.sh)" >&2; exit 1; }
[ -f data/mnist/train-images-idx3-ubyte ] && [ -f data/imdb/reviews.json ] || scripts/fetch_data.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. scripts/bench_common.sh   # median, load, median_seconds

for m in $models; do
    case $m in cnn_clf) n=${BENCH_BATCHES:-60} ;; *) n=${BENCH_BATCHES:-20} ;; esac
    l0=$(load)
    : > "$tmp/runs"
    p=0
    while [ "$p" -lt "$pairs" ]; do
        p=$((p + 1))
        OMP_NUM_THREADS=1 bin/nnrun "specs/bench/$m.yaml" --quiet --out "$tmp/one" --epochs 1 --limit-batches "$n" > /dev/null
        OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 bin/nnrun "specs/bench/$m.yaml" --quiet --out "$tmp/two" --epochs 1 \
            --limit-batches "$n" --profile > "$tmp/two.txt"
        OMP_NUM_THREADS=2 bin/nnrun "specs/bench/$m.yaml" --quiet --out "$tmp/wide" --epochs 1 --limit-batches "$n" > /dev/null
        echo "$(median_seconds "$tmp/one/metrics.csv") $(median_seconds "$tmp/two/metrics.csv") $(median_seconds "$tmp/wide/metrics.csv")" >> "$tmp/runs"
    done
    two=$(awk '{ print 2 * $1 / $2 }' "$tmp/runs" | median)
    two_lo=$(awk '{ print 2 * $1 / $2 }' "$tmp/runs" | sort -g | head -1)
    two_hi=$(awk '{ print 2 * $1 / $2 }' "$tmp/runs" | sort -g | tail -1)
    wide=$(awk '{ print $1 / $3 }' "$tmp/runs" | median)
    printf '%s two_ranks=%.2f (%.2f-%.2f) two_threads=%.2f one_s=%s pairs=%d batches=%d load=%s->%s\n' "$m" "$two" "$two_lo" \
        "$two_hi" "$wide" "$(cut -d' ' -f1 "$tmp/runs" | median)" "$pairs" "$n" "$l0" "$(load)"
    grep -h "^communication" "$tmp/two.txt" | sed 's/^/  /'
done
