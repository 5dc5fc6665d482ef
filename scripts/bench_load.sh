#!/bin/sh
# make bench-load: how much a neighbour that keeps one core busy slows nnrun, beside how much it
# slows PyTorch. For each model (BENCH_MODELS, default mlp_ae cnn_clf lstm_imdb gan_mlp),
# BENCH_PAIRS rounds (default 3) of: nnrun quiet, nnrun loaded, PyTorch quiet, PyTorch loaded,
# where loaded means a busy-loop process (a shell's `while :; do :; done`) pinned with taskset
# to the last core for the length of the run. Prints one line per model:
#   MODEL nnrun_slowdown=MEDIAN (MIN-MAX) torch_slowdown=MEDIAN (MIN-MAX) nnrun_s=QUIET->LOADED torch_s=QUIET->LOADED pairs=N load=BEFORE->AFTER
# a slowdown being loaded / quiet seconds per epoch within a round (the median over rounds, with
# its range), the seconds the medians of each kind of run. With one of two cores shared
# half-and-half, a job split perfectly would be 1.33x slower and a fixed two-way split 2x.
# What each model runs is scripts/bench_common.sh's; both sides run as in make bench.
set -eu
. scripts/bench_common.sh
models=${BENCH_MODELS:-mlp_ae cnn_clf lstm_imdb gan_mlp}
cores=$(nproc)
if [ "$cores" -lt 2 ]; then
    echo "bench-load: needs 2 cores or more (one to keep busy), found $cores" >&2
    exit 1
fi
command -v taskset >/dev/null || { echo "bench-load: taskset (util-linux) is missing" >&2; exit 1; }
bench_check_setup
pairs=${BENCH_PAIRS:-3}
tmp=$(mktemp -d)
busy=""
stop_busy() { [ -z "$busy" ] || { kill "$busy" 2>/dev/null; wait "$busy" 2>/dev/null || true; busy=""; }; }
trap 'stop_busy; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
start_busy() {
    taskset -c $((cores - 1)) sh -c 'while :; do :; done' &
    busy=$!
}

# loaded CMD...: CMD's output with the busy loop running beside it (stopped also when CMD fails)
loaded() {
    start_busy
    status=0
    "$@" || status=$?
    stop_busy
    return $status
}

echo "busy loop pinned to core $((cores - 1)) of $cores; nnrun: $(bin/nnrun --version | sed 's/^nnrun [^ ]* (\(.*\))$/\1/')"
for m in $models; do
    bench_model "$m"
    load_before=$(load)
    : > "$tmp/rounds"
    p=0
    while [ "$p" -lt "$pairs" ]; do
        p=$((p + 1))
        nn_q=$(bench_nnrun "$m" "$tmp/run" "$tmp/out" "$tmp/rss")
        nn_l=$(loaded bench_nnrun "$m" "$tmp/run" "$tmp/out" "$tmp/rss")
        pt_q=$(bench_torch "$m" "$tmp/out" "$tmp/rss")
        pt_l=$(loaded bench_torch "$m" "$tmp/out" "$tmp/rss")
        echo "$nn_q $nn_l $pt_q $pt_l" >> "$tmp/rounds"
    done
    # column statistics: slowdown (loaded / quiet) of a side, and the median of a column
    slow() { awk -v q="$1" -v l="$2" '{ print $l / $q }' "$tmp/rounds"; }
    col() { cut -d' ' -f"$1" "$tmp/rounds" | median; }
    awk -v m="$m" -v nmed="$(slow 1 2 | median)" -v nlo="$(slow 1 2 | sort -g | head -1)" -v nhi="$(slow 1 2 | sort -g | tail -1)" \
        -v tmed="$(slow 3 4 | median)" -v tlo="$(slow 3 4 | sort -g | head -1)" -v thi="$(slow 3 4 | sort -g | tail -1)" \
        -v nq="$(col 1)" -v nl="$(col 2)" -v tq="$(col 3)" -v tl="$(col 4)" -v n="$pairs" -v l0="$load_before" \
        -v l1="$(load)" -v note="$note" 'BEGIN {
        printf "%s nnrun_slowdown=%.2f (%.2f-%.2f) torch_slowdown=%.2f (%.2f-%.2f) nnrun_s=%.3f->%.3f torch_s=%.3f->%.3f pairs=%d load=%s->%s%s\n",
               m, nmed, nlo, nhi, tmed, tlo, thi, nq, nl, tq, tl, n, l0, l1, note }'
done
