#!/bin/sh
# make bench: trains each benchmark spec (specs/bench/MODEL.yaml) with nnrun and its PyTorch
# twin (the reference script in ../shared/bench, Debian's python3-torch, on the same cores) in
# the same invocation, and prints one line per model:
#   MODEL nnrun_s=... torch_s=... speedup=... nnrun_rss_mb=... torch_rss_mb=... [limit_batches=N]
# Seconds per training epoch, evaluation excluded, on both sides: the median over 3 epochs for
# the small MLPs (mlp_ae, vae: the machines are shared and noisy), one epoch of the GANs
# (Fashion-MNIST, one D step and one G step per batch of 64), one epoch for the CNNs, and for cnn_clf
# the first 150 (cnn_clf), 100 (rnn_imdb) or 40 (gru_imdb, lstm_imdb) batches of one (a full epoch
# takes minutes) — said in their lines; wgan_gp_uniform: 50 generator steps (250 critic steps).
# BENCH_MODELS picks models, BENCH_REF another torch_ref.py.
set -eu
ref=${BENCH_REF:-../shared/bench/torch_ref.py}
models=${BENCH_MODELS:-mlp_ae vae gan_mlp cgan_mlp wgan_gp_uniform cnn_ae cae_2d cnn_clf rnn_imdb gru_imdb lstm_imdb}
[ -f data/mnist/train-images-idx3-ubyte ] && [ -f data/imdb/reviews.json ] || scripts/fetch_data.sh
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "bench: PyTorch is missing; run: scripts/install_deps.sh --bench" >&2
    exit 1
fi
[ -f "$ref" ] || { echo "bench: reference script $ref not found (set BENCH_REF)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_seconds() {   # the median of metrics.csv's seconds column
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } NR > 1 { print $c }' "$1" |
        sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

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
    out=runs/bench_$m
    rm -rf "$out"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%M" -o "$tmp/nn_rss" bin/nnrun "specs/bench/$m.yaml" --quiet --out "$out" --epochs "$epochs" $nn_limit > "$tmp/nn_out"
    nn_s=$(median_seconds "$out/metrics.csv")
    # shellcheck disable=SC2086
    case $m in *_imdb) pdata=data/imdb ;; *gan*) pdata=/usr/share/datasets/fashion-mnist ;; *) pdata=data/mnist ;; esac
    # the same OpenMP spin setting nnrun gives itself (interpreter/main.c): with libgomp's
    # default, PyTorch's waiting threads spin for milliseconds and on a busy machine ran the
    # same batches 5-16x slower, which would make the ratio measure the load, not the code
    GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000} /usr/bin/time -f "%M" -o "$tmp/pt_rss" /usr/bin/python3 "$ref" "$m" --data "$pdata" --epochs "$epochs" $pt_limit > "$tmp/pt_out"
    pt_s=$(sed -n 's/.*sec_per_epoch=\([0-9.]*\).*/\1/p' "$tmp/pt_out")
    awk -v m="$m" -v a="$nn_s" -v b="$pt_s" -v ra="$(tail -1 "$tmp/nn_rss")" -v rb="$(tail -1 "$tmp/pt_rss")" -v note="$note" 'BEGIN {
        printf "%s nnrun_s=%.3f torch_s=%.3f speedup=%.2f nnrun_rss_mb=%.0f torch_rss_mb=%.0f%s\n", m, a, b, b / a, ra / 1024, rb / 1024, note }'
    grep -h "^epoch" "$tmp/nn_out" | sed 's/^/  nnrun: /'
    grep -h "RESULT" "$tmp/pt_out" | sed 's/^/  torch: /'
done
