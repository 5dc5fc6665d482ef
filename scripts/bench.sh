#!/bin/sh
# make bench: trains each benchmark spec (specs/bench/MODEL.yaml) with nnrun and its PyTorch
# twin (the reference script in ../shared/bench, Debian's python3-torch, on the same cores) in
# the same invocation, and prints one line per model:
#   MODEL speedup=MEDIAN (MIN-MAX) nnrun_s=... torch_s=... pairs=N load=BEFORE->AFTER nnrun_rss_mb=... torch_rss_mb=...
# The two sides alternate, nnrun then PyTorch, BENCH_PAIRS times (default 3) per model: a
# neighbour's load then hits both sides alike, and the median ratio of the pairs is printed with
# its range (a one-off run once read 3.5-7.9x because PyTorch's side ran while the machine was
# busy). The load average before and after each model is printed, and at the top the OpenBLAS
# kernel each side runs (OPENBLAS_CORETYPE pins it: a machine's environment may).
# Seconds per training epoch, evaluation excluded, on both sides: the median over 3 epochs for
# the small MLPs (mlp_ae, vae: the machines are shared and noisy), one epoch of the GANs
# (Fashion-MNIST, one D step and one G step per batch of 64), one epoch for the CNNs, and for cnn_clf
# the first 150 (cnn_clf), 100 (rnn_imdb) or 40 (gru_imdb, lstm_imdb) batches of one (a full epoch
# takes minutes) — said in their lines; wgan_gp_uniform: 50 generator steps (250 critic steps).
# BENCH_MODELS picks models, BENCH_PAIRS the pairs, BENCH_REF another torch_ref.py.
set -eu
ref=${BENCH_REF:-../shared/bench/torch_ref.py}
models=${BENCH_MODELS:-mlp_ae vae gan_mlp cgan_mlp wgan_gp_uniform cnn_ae cae_2d cnn_clf rnn_imdb gru_imdb lstm_imdb}
[ -f data/mnist/train-images-idx3-ubyte ] && [ -f data/imdb/reviews.json ] || scripts/fetch_data.sh
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "bench: PyTorch is missing; run: scripts/install_deps.sh --bench" >&2
    exit 1
fi
[ -f "$ref" ] || { echo "bench: reference script $ref not found (set BENCH_REF)" >&2; exit 1; }
pairs=${BENCH_PAIRS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_seconds() {   # the median of metrics.csv's seconds column
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } NR > 1 { print $c }' "$1" |
        sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

median() {   # the median of the numbers on standard input
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
load() { cut -d' ' -f1 /proc/loadavg; }

torch_kernel=$(/usr/bin/python3 -c '
import ctypes, torch
lib = next((l.split()[-1] for l in open("/proc/self/maps") if "libopenblas" in l), None)
if lib:
    f = ctypes.CDLL(lib).openblas_get_corename
    f.restype = ctypes.c_char_p
    print("OpenBLAS " + f().decode() + ", torch " + torch.__version__)
else:
    print("no OpenBLAS loaded, torch %s" % torch.__version__)' 2>/dev/null || echo unknown)
echo "kernels: nnrun $(bin/nnrun --version | sed 's/^nnrun [^ ]* (\(.*\))$/\1/'); PyTorch $torch_kernel (the twin's threads: its --threads, 2)"

for m in $models; do
    epochs=1 limit=0
    case $m in
        mlp_ae | vae) epochs=3 ;;
        cnn_clf) limit=150 ;;
        rnn_imdb) limit=100 ;;
        gru_imdb) limit=40 ;;
        lstm_imdb) limit=40 ;;
    esac
    nn_limit="" pt_limit="" note=""
    if [ "$limit" -gt 0 ]; then
        nn_limit="--limit-batches $limit" pt_limit="--limit-batches $limit" note=" limit_batches=$limit"
    fi
    if [ "$m" = wgan_gp_uniform ]; then   # the twin counts generator steps, nnrun data batches (5 per step)
        nn_limit="--limit-batches 250" pt_limit="--limit-batches 50" note=" generator_steps=50"
    fi
    # shellcheck disable=SC2086
    case $m in *_imdb) pdata=data/imdb ;; *gan*) pdata=/usr/share/datasets/fashion-mnist ;; *) pdata=data/mnist ;; esac
    out=runs/bench_$m
    load_before=$(load)
    : > "$tmp/pairs"
    p=0
    while [ "$p" -lt "$pairs" ]; do
        p=$((p + 1))
        rm -rf "$out"
        # shellcheck disable=SC2086
        /usr/bin/time -f "%M" -o "$tmp/nn_rss" bin/nnrun "specs/bench/$m.yaml" --quiet --out "$out" --epochs "$epochs" $nn_limit > "$tmp/nn_out"
        nn_s=$(median_seconds "$out/metrics.csv")
        # the same OpenMP spin setting nnrun gives itself (interpreter/main.c): with libgomp's
        # default, PyTorch's waiting threads spin for milliseconds and on a busy machine ran the
        # same batches 5-16x slower, which would make the ratio measure the load, not the code
        # shellcheck disable=SC2086
        GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000} /usr/bin/time -f "%M" -o "$tmp/pt_rss" /usr/bin/python3 "$ref" "$m" --data "$pdata" --epochs "$epochs" $pt_limit > "$tmp/pt_out"
        pt_s=$(sed -n 's/.*sec_per_epoch=\([0-9.]*\).*/\1/p' "$tmp/pt_out")
        echo "$nn_s $pt_s $(tail -1 "$tmp/nn_rss") $(tail -1 "$tmp/pt_rss")" >> "$tmp/pairs"
    done
    ratio_med=$(awk '{ print $2 / $1 }' "$tmp/pairs" | median)
    ratio_min=$(awk '{ print $2 / $1 }' "$tmp/pairs" | sort -g | head -1)
    ratio_max=$(awk '{ print $2 / $1 }' "$tmp/pairs" | sort -g | tail -1)
    awk -v m="$m" -v med="$ratio_med" -v lo="$ratio_min" -v hi="$ratio_max" -v a="$(cut -d' ' -f1 "$tmp/pairs" | median)" \
        -v b="$(cut -d' ' -f2 "$tmp/pairs" | median)" -v ra="$(cut -d' ' -f3 "$tmp/pairs" | median)" \
        -v rb="$(cut -d' ' -f4 "$tmp/pairs" | median)" -v n="$pairs" -v l0="$load_before" -v l1="$(load)" -v note="$note" 'BEGIN {
        printf "%s speedup=%.2f (%.2f-%.2f) nnrun_s=%.3f torch_s=%.3f pairs=%d load=%s->%s nnrun_rss_mb=%.0f torch_rss_mb=%.0f%s\n",
               m, med, lo, hi, a, b, n, l0, l1, ra / 1024, rb / 1024, note }'
    grep -h "^epoch" "$tmp/nn_out" | sed 's/^/  nnrun (last pair): /'
    grep -h "RESULT" "$tmp/pt_out" | sed 's/^/  torch (last pair): /'
done
