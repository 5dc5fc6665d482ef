#!/bin/sh
# make bench: trains each benchmark spec for one epoch with nnrun and its PyTorch twin (the
# reference scripts in ../shared/bench, Debian's python3-torch on the same cores), and prints
#   MODEL nnrun_s=... torch_s=... speedup=... nnrun_rss_mb=... torch_rss_mb=...
# Seconds are the median over BENCH_EPOCHS (default 3) training epochs, evaluation excluded, on
# both sides (the machines are shared and noisy; a median of a few epochs is steadier than
# one). Set BENCH_MODELS to run a subset, BENCH_REF to point at another torch_ref.py.
set -eu
ref=${BENCH_REF:-../shared/bench/torch_ref.py}
models=${BENCH_MODELS:-mlp_ae}
epochs=${BENCH_EPOCHS:-3}
[ -f data/mnist/train-images-idx3-ubyte ] || scripts/fetch_data.sh
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "bench: PyTorch is missing; run: scripts/install_deps.sh --bench" >&2
    exit 1
fi
[ -f "$ref" ] || { echo "bench: reference script $ref not found (set BENCH_REF)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in $models; do
    spec=specs/bench/$m.yaml
    out=runs/bench_$m
    rm -rf "$out"
    /usr/bin/time -f "%M" -o "$tmp/nn_rss" bin/nnrun "$spec" --quiet --out "$out" --epochs "$epochs" > "$tmp/nn_out"
    nn_s=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } NR > 1 { print $c }' "$out/metrics.csv" |
           sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    /usr/bin/time -f "%M" -o "$tmp/pt_rss" /usr/bin/python3 "$ref" "$m" --data data/mnist --epochs "$epochs" > "$tmp/pt_out"
    pt_s=$(sed -n 's/.*sec_per_epoch=\([0-9.]*\).*/\1/p' "$tmp/pt_out")
    nn_rss=$(tail -1 "$tmp/nn_rss")
    pt_rss=$(tail -1 "$tmp/pt_rss")
    awk -v m="$m" -v a="$nn_s" -v b="$pt_s" -v ra="$nn_rss" -v rb="$pt_rss" 'BEGIN {
        printf "%s nnrun_s=%.3f torch_s=%.3f speedup=%.2f nnrun_rss_mb=%.0f torch_rss_mb=%.0f\n", m, a, b, b / a, ra / 1024, rb / 1024 }'
    grep -h "^epoch" "$tmp/nn_out" | sed 's/^/  nnrun: /'
    grep -h "RESULT" "$tmp/pt_out" | sed 's/^/  torch: /'
done
