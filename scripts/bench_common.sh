# Sourced by scripts/bench.sh (make bench) and scripts/bench_load.sh (make bench-load): the
# set-up check, each model's run of nnrun and of its PyTorch twin, and small statistics.
# Seconds per training epoch, evaluation excluded, on both sides: the median over 3 epochs for
# the small MLPs (mlp_ae, vae: the machines are shared and noisy), one epoch of the GANs
# (Fashion-MNIST, one D step and one G step per batch of 64), one epoch for the CNNs, and the
# first 150 (cnn_clf), 100 (rnn_imdb, transformer_imdb, seq2seq_*) or 40 (gru_imdb, lstm_imdb) batches of one (a full epoch
# takes minutes); the seq2seq_* twins are scripts/seq2seq_torch.py; wgan_gp_uniform: 50 generator steps (250 critic steps).
# BENCH_REF names another torch_ref.py.
ref=${BENCH_REF:-../shared/bench/torch_ref.py}

bench_check_setup() {
    [ -f data/mnist/train-images-idx3-ubyte ] && [ -f data/imdb/reviews.json ] || scripts/fetch_data.sh
    if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        echo "bench: PyTorch is missing; run: scripts/install_deps.sh --bench" >&2
        exit 1
    fi
    [ -f "$ref" ] || { echo "bench: reference script $ref not found (set BENCH_REF)" >&2; exit 1; }
}

median_seconds() {   # the median of metrics.csv's seconds column
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i } NR > 1 { print $c }' "$1" |
        sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

median() {   # the median of the numbers on standard input
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
load() { cut -d' ' -f1 /proc/loadavg; }

# bench_model MODEL: sets epochs, nn_limit, pt_limit (the batch limits of each side), note (for
# the printed line) and pdata (the twin's data folder)
bench_model() {
    epochs=1 limit=0
    case $1 in
        mlp_ae | vae) epochs=3 ;;
        cnn_clf) limit=150 ;;
        rnn_imdb | transformer_imdb | seq2seq_*) limit=100 ;;
        gru_imdb) limit=40 ;;
        lstm_imdb) limit=40 ;;
    esac
    nn_limit="" pt_limit="" note=""
    if [ "$limit" -gt 0 ]; then
        nn_limit="--limit-batches $limit" pt_limit="--limit-batches $limit" note=" limit_batches=$limit"
    fi
    if [ "$1" = wgan_gp_uniform ]; then   # the twin counts generator steps, nnrun data batches (5 per step)
        nn_limit="--limit-batches 250" pt_limit="--limit-batches 50" note=" generator_steps=50"
    fi
    case $1 in *_imdb) pdata=data/imdb ;; *gan*) pdata=/usr/share/datasets/fashion-mnist ;; seq2seq_*) pdata=data/translation ;;
        *) pdata=data/mnist ;; esac
    # the translation twins are this project's own (the issue asks for them under scripts/)
    case $1 in seq2seq_*) model_ref=scripts/seq2seq_torch.py pt_extra="--beam 0" ;; *) model_ref=$ref pt_extra="" ;; esac
}

# bench_nnrun MODEL OUT LOG RSS: trains specs/bench/MODEL.yaml into OUT (bench_model first),
# its output in LOG and its peak RSS (kB) in RSS; prints the seconds per epoch
bench_nnrun() {
    rm -rf "$2"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%M" -o "$4" bin/nnrun "specs/bench/$1.yaml" --quiet --out "$2" --epochs "$epochs" $nn_limit > "$3" ||
        { echo "bench: nnrun failed on $1:" >&2; tail -5 "$3" >&2; return 1; }
    median_seconds "$2/metrics.csv"
}

# bench_rate MODEL OUT LOG SECONDS: nnrun's GFLOP/s in the timed runs: the work of an iteration
# (counted by a --profile run of the same settings into OUT.rate, a count that no timing moves)
# times its iterations per epoch, over SECONDS (the timed runs' median per epoch); empty when
# the model counts none
bench_rate() {
    rm -rf "$2.rate"
    # shellcheck disable=SC2086
    bin/nnrun "specs/bench/$1.yaml" --quiet --profile --out "$2.rate" --epochs 1 $nn_limit > "$3" 2>&1 || return 0
    rm -rf "$2.rate"
    sed -n 's/^training: \([0-9.e+-]*\) GFLOP per iteration.*, \([0-9]*\) iterations in .*/\1 \2/p' "$3" |
        awk -v s="$4" 'NF == 2 && s > 0 { printf "%.1f", $1 * $2 / s }'
}

# bench_torch MODEL LOG RSS: the PyTorch twin, the same way; prints the seconds per epoch.
# Its OpenMP threads get a short spin (GOMP_SPINCOUNT=10000 unless set; nnrun's own pool spins
# 20 us, runtime/core/pool.c): with libgomp's default, PyTorch's waiting threads spin for
# milliseconds and on a busy machine ran the same batches 5-16x slower, which would make the
# ratio measure the load, not the code.
bench_torch() {
    # shellcheck disable=SC2086
    GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000} /usr/bin/time -f "%M" -o "$3" /usr/bin/python3 "$model_ref" "$1" --data "$pdata" \
        --epochs "$epochs" $pt_limit $pt_extra > "$2" || { echo "bench: the PyTorch twin failed on $1:" >&2; tail -5 "$2" >&2; return 1; }
    sed -n 's/.*sec_per_epoch=\([0-9.]*\).*/\1/p' "$2"
}
