#!/bin/sh
# nnrun under valgrind's memcheck: `nnrun check` of two specs, and short training runs of a
# tiny CNN (direct and Winograd convolutions, fused activations, max pooling, dropout, Adam) and
# a tiny LSTM that the test writes, each with no memcheck error and no definite leak (the pool's
# detached workers keep their thread memory until exit: "possibly lost", not counted). valgrind
# 3.19 runs no AVX-512, so nnrun chooses its AVX2 kernels there (runtime/core/kernel_isa.h):
# this also runs them. Not for the sanitizer build (ASan and valgrind exclude each other).
# Usage: tests/valgrind_test.sh PATH/TO/nnrun
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/test_lib.sh"
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed (scripts/install_deps.sh installs it)"; exit 1; }
cd "$tmp" || exit 1

memcheck() {   # memcheck DESCRIPTION ARGS...: nnrun ARGS under memcheck, its log in vg.txt
    what=$1; shift
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        "$nnrun" "$@" > out.txt 2> vg.txt; then
        ok "$what"
    else
        bad "$what (status $?)"; cat vg.txt
    fi
}

for s in ae_mlp_mnist gan_points; do memcheck "nnrun check specs/$s.yaml" check "$repo/specs/$s.yaml"; done

cat > cnn.yaml <<'YAML'
name: cnn
seed: 1
data: {train: {dataset: points, points: gaussian, n: 32, dim: 64}}
model:
  input: [1, 8, 8]
  layers:
    - {conv: {filters: 8, kernel: 3, pad: same}, act: relu}
    - {conv: {filters: 8, kernel: 3, pad: same}, act: selu}
    - maxpool
    - dropout: 0.1
    - flatten
    - {dense: 64, name: out}
loss: {mse: {pred: out, target: input}}
train: {optimizer: {adam: {lr: 0.001}}, batch: 16, epochs: 2}
report: [loss_curve]
YAML
memcheck "training a tiny CNN" cnn.yaml --quiet --out runs/cnn
grep -q "^epoch 2/2" out.txt && [ -s runs/cnn/model.safetensors ] && ok "  ... for its 2 epochs" || { bad "  ... for its 2 epochs"; cat out.txt; }

cat > lstm.yaml <<'YAML'
name: lstm
seed: 1
data: {train: {dataset: points, points: gaussian, n: 32, dim: 40}}
model:
  input: [5, 8]
  layers: [{lstm: {units: 12, output: all}}, {dense: 8, name: out}]
loss: {mse: {pred: out, target: input}}
train: {optimizer: {rmsprop: {lr: 0.001}}, batch: 16, epochs: 2}
report: []
YAML
memcheck "training a tiny LSTM" lstm.yaml --quiet --out runs/lstm
grep -q "^epoch 2/2" out.txt && ok "  ... for its 2 epochs" || { bad "  ... for its 2 epochs"; cat out.txt; }

[ $fails -eq 0 ] && echo "valgrind tests passed" || { echo "$fails valgrind test(s) failed"; exit 1; }
