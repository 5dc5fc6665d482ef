#!/bin/sh
# make bench: trains each benchmark spec (specs/bench/MODEL.yaml) with nnrun and its PyTorch
# twin (the reference script in ../shared/bench, Debian's python3-torch, on the same cores) in
# the same invocation, and prints one line per model:
#   MODEL speedup=MEDIAN (MIN-MAX) nnrun_s=... torch_s=... pairs=N load=BEFORE->AFTER nnrun_rss_mb=... torch_rss_mb=...
#         nnrun_gflops=R (P% of peak)
# where R is the rate nnrun's timed epochs ran at (bench_rate) and the peak a 1024^3 sgemm on the
# same threads, timed first (tests/bench_gemm.c).
# The two sides alternate, nnrun then PyTorch, BENCH_PAIRS times (default 3) per model: a
# neighbour's load then hits both sides alike, and the median ratio of the pairs is printed with
# its range (a one-off run once read 3.5-7.9x because PyTorch's side ran while the machine was
# busy). The load average before and after each model is printed, and at the top the OpenBLAS
# kernel each side runs (OPENBLAS_CORETYPE pins it: a machine's environment may).
# What each model runs: scripts/bench_common.sh. BENCH_MODELS picks models, BENCH_PAIRS the
# pairs, BENCH_REF another torch_ref.py.
set -eu
. scripts/bench_common.sh
models=${BENCH_MODELS:-mlp_ae vae gan_mlp cgan_mlp wgan_gp_uniform cnn_ae cae_2d cnn_clf rnn_imdb gru_imdb lstm_imdb transformer_imdb seq2seq_transformer seq2seq_rnn}
bench_check_setup
pairs=${BENCH_PAIRS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

torch_kernel=$(/usr/bin/python3 -c '
import ctypes, torch
lib = next((l.split()[-1] for l in open("/proc/self/maps") if "libopenblas" in l), None)
if lib:
    f = ctypes.CDLL(lib).openblas_get_corename
    f.restype = ctypes.c_char_p
    print("OpenBLAS " + f().decode() + ", torch " + torch.__version__)
else:
    print("no OpenBLAS loaded, torch %s" % torch.__version__)' 2>/dev/null || echo unknown)
make -s build/bench/bench_gemm
peak=$(build/bench/bench_gemm peak | sed -n 's/^peak GFLOP\/s //p')
echo "sgemm peak: $peak GFLOP/s (1024^3, nnrun's threads and OpenBLAS kernels)"
echo "kernels: nnrun $(bin/nnrun --version | sed 's/^nnrun [^ ]* (\(.*\))$/\1/'); PyTorch $torch_kernel (the twin's threads: its --threads, 2)"

for m in $models; do
    bench_model "$m"
    out=runs/bench_$m
    load_before=$(load)
    : > "$tmp/pairs"
    p=0
    while [ "$p" -lt "$pairs" ]; do
        p=$((p + 1))
        nn_s=$(bench_nnrun "$m" "$out" "$tmp/nn_out" "$tmp/nn_rss")
        pt_s=$(bench_torch "$m" "$tmp/pt_out" "$tmp/pt_rss")
        echo "$nn_s $pt_s $(tail -1 "$tmp/nn_rss") $(tail -1 "$tmp/pt_rss")" >> "$tmp/pairs"
    done
    ratio_med=$(awk '{ print $2 / $1 }' "$tmp/pairs" | median)
    ratio_min=$(awk '{ print $2 / $1 }' "$tmp/pairs" | sort -g | head -1)
    ratio_max=$(awk '{ print $2 / $1 }' "$tmp/pairs" | sort -g | tail -1)
    rate=$(bench_rate "$m" "$out" "$tmp/rate" "$(cut -d' ' -f1 "$tmp/pairs" | median)")
    awk -v m="$m" -v med="$ratio_med" -v lo="$ratio_min" -v hi="$ratio_max" -v a="$(cut -d' ' -f1 "$tmp/pairs" | median)" \
        -v b="$(cut -d' ' -f2 "$tmp/pairs" | median)" -v ra="$(cut -d' ' -f3 "$tmp/pairs" | median)" \
        -v rb="$(cut -d' ' -f4 "$tmp/pairs" | median)" -v n="$pairs" -v l0="$load_before" -v l1="$(load)" -v note="$note" \
        -v rate="$rate" -v peak="$peak" 'BEGIN {
        share = rate != "" && peak > 0 ? sprintf(" nnrun_gflops=%.0f (%.0f%% of peak)", rate, 100 * rate / peak) : ""
        printf "%s speedup=%.2f (%.2f-%.2f) nnrun_s=%.3f torch_s=%.3f pairs=%d load=%s->%s nnrun_rss_mb=%.0f torch_rss_mb=%.0f%s%s\n",
               m, med, lo, hi, a, b, n, l0, l1, ra / 1024, rb / 1024, share, note }'
    grep -h "^epoch" "$tmp/nn_out" | sed 's/^/  nnrun (last pair): /'
    grep -h "RESULT" "$tmp/pt_out" | sed 's/^/  torch (last pair): /'
done
