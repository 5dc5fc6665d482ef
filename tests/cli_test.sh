#!/bin/sh
# Command-line behaviour of nnrun: help and exit statuses, diff, summary, eval, and Ctrl-C
# (a real SIGINT ends a run with status 130 and a checkpoint that eval can read).
# Usage: tests/cli_test.sh PATH/TO/nnrun
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/test_lib.sh"
cd "$tmp" || exit 1

cat > fit.yaml <<'YAML'
name: fit
data:
  train: {dataset: function, expr: "sin(3*x)", range: [-1, 1], n: 256}
  test: {dataset: function, expr: "sin(3*x)", range: [-1, 1], n: 64}
model:
  input: [1]
  layers:
    - {dense: 32, act: tanh}
    - {dense: 1, name: out}
loss: {mse: {pred: out, target: target}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 8, epochs: 3, metrics: [rel_l2]}
YAML

expect_status 0 "nnrun --help" "$nnrun" --help
for c in check summary diff eval ops train compare decode sample layers schema resolve bleu; do expect_status 0 "nnrun $c --help" "$nnrun" $c --help; done
expect_status 2 "no arguments is a usage error" "$nnrun"
expect_status 2 "an unknown option is a usage error" "$nnrun" fit.yaml --bogus
expect_status 2 "a missing spec is reported" "$nnrun" check missing.yaml
grep -q "missing.yaml" err.txt && ok "  ... naming the file" || bad "  ... naming the file"

printf 'extends: fit.yaml\ntrain: {epochs: 0, optimizr: adam}\n' > bad.yaml
expect_status 2 "a bad spec exits 2" "$nnrun" check bad.yaml
[ "$(grep -c '^bad.yaml:2:[0-9]*: error: ' err.txt)" -eq 2 ] && ok "  ... with both errors at their lines" || { bad "  ... with both errors at their lines"; cat err.txt; }

expect_status 0 "check of a good spec" "$nnrun" check fit.yaml
printf 'extends: fit.yaml\ndata:\n  train: {dataset: csv, path: nowhere.csv}\n  test: ~\nmodel: {input: [1]}\n' > csv.yaml
expect_status 0 "check of a spec whose CSV is not fetched yet" "$nnrun" check csv.yaml
grep -q "warning: data.train: cannot read nowhere.csv yet" err.txt && ok "  ... warns that the data is missing" || { bad "  ... warns that the data is missing"; cat err.txt; }
expect_status 2 "training on it fails with the data's error" "$nnrun" csv.yaml --quiet --out runs/csv
expect_status 0 "summary" "$nnrun" summary fit.yaml
grep -q "^total .* 97 " out.txt && ok "  ... counts 64 + 33 parameters" || { bad "  ... counts 64 + 33 parameters"; cat out.txt; }
expect_status 0 "summary --ranks 4 --bandwidth 1Gb --latency 10" "$nnrun" summary fit.yaml --ranks 4 --bandwidth 1Gb --latency 10
# 97 floats = 388 bytes: 1.5 x 388 / 125e6 s + 6 x 10 us = 0.0647 ms
grep -q "^on 4 ranks: each iteration allreduces 0.000388 MB of gradients; a ring allreduce at 1 Gb/s and 10 us takes about 0.0647 ms" out.txt &&
    ok "  ... models the allreduce of its 97 gradients" || { bad "  ... models the allreduce of its 97 gradients"; cat out.txt; }
expect_status 2 "summary --ranks with a bad bandwidth" "$nnrun" summary fit.yaml --ranks 4 --bandwidth fast
printf '1,3,4,0,0,0\n0,2,2,1,0,0\n' > ids.csv
cat > bilstm.yaml <<'YAML'
name: bilstm
data:
  train: {dataset: csv, path: ids.csv, header: false}
model:
  input: [5]
  layers:
    - {embedding: {vocab: 5, dim: 3, padding_id: 0}}
    - {lstm: {units: 4, output: all, mask: input, bidirectional: true}, name: every}
    - {lstm: {units: 2, output: max, mask: input, bidirectional: true}, name: pooled}
    - {dense: 2, name: logits}
loss: {cross_entropy: {pred: logits, target: target}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 2, epochs: 1}
YAML
expect_status 0 "summary of stacked bidirectional LSTMs" "$nnrun" summary bilstm.yaml
# every: 2 x 4H(D + H + 1) = 2 x 16 x 8; pooled: 2 x 8 x (8 + 2 + 1)
grep -q "^every  *lstm  *\[5, 8\]  *256 " out.txt && grep -q "^pooled  *lstm  *\[4\]  *176 " out.txt &&
    ok "  ... with 2H features per step, then 2H pooled, and both directions' weights" || { bad "  ... with 2H features"; cat out.txt; }

# The 1-D CNN's summary: every layer's per-sample shape and the parameters counted by hand.
#   embedding 20002 words x 100                    = 2000200
#   conv1d    128 filters x 100 channels x 5 + 128 =   64128   (200 - 5 + 1 = 196 steps)
#   dense_1   64 x 128 + 64                        =    8256
#   logits    2 x 64 + 2                           =     130
#   total     2000200 + 64128 + 8256 + 130         = 2072714
expect_status 0 "summary of the 1-D CNN" "$nnrun" summary "$repo/specs/cnn1d_sentiment.yaml"
for row in "input input [200] 0" "embedding_1 embedding [200,100] 2000200" "conv1d_1 conv1d+relu [196,128] 64128" \
           "max_over_1 max_over [128] 0" "dense_1 dense+relu [64] 8256" "dropout_1 dropout [64] 0" "logits dense [2] 130"; do
    set -- $row
    shape=$(printf '%s' "$3" | sed 's/,/, /g')
    if awk -v l="$1" -v o="$2" -v s="$shape" -v p="$4" \
        '$1 == l && $2 == o { rest = $0; sub(/^[^ ]+ +[^ ]+ +/, "", rest); if (index(rest, s " ") == 1 && $(NF-1) == p) f = 1 } END { exit !f }' out.txt
    then ok "  ... $1: $2 $shape, $4 parameters"; else bad "  ... $1: $2 $shape, $4 parameters"; cat out.txt; fi
done
grep -q "^total .* 2072714 " out.txt && grep -q "^trainable parameters: 2072714 " out.txt &&
    ok "  ... total 2072714 = 2000200 + 64128 + 8256 + 130" || { bad "  ... total 2072714"; cat out.txt; }

# summary --math: the forward pass as equations, with the sizes of the built model.
# has_line TEXT DESCRIPTION: out.txt has TEXT as a whole line.
has_line() { if grep -qxF -- "$1" out.txt; then ok "$2"; else bad "$2 (no line '$1')"; cat out.txt; fi; }
expect_status 0 "summary --math of the 1-D CNN" "$nnrun" summary "$repo/specs/cnn1d_sentiment.yaml" --math
has_line '# cnn1d_sentiment: the forward pass' "  ... as Markdown, headed by the spec's name"
has_line '  T_{\mathrm{out}} &= \left\lfloor \frac{200 + 0 + 0 - 5}{1} \right\rfloor + 1 = 196' \
    "  ... the conv's output length with the numbers: (200 - 5)/1 + 1 = 196"
has_line '  - $W^{(2)}$ = `conv1d_1.weight` [128, 100, 5]' "  ... its weight by its stored name and shape"
grep -q "^total" out.txt && bad "  ... and no table" || ok "  ... and no table"
expect_status 0 "summary --math of the RNN classifier" "$nnrun" summary "$repo/specs/rnn_sentiment.yaml" --math
has_line '  h_t &= \tanh(W^{(2)}_{ih} x_{1,t} + W^{(2)}_{hh} h_{t-1} + b^{(2)}) \\' "  ... the step equation"
has_line '  - $W^{(2)}_{ih}$ = `rnn_1.weight_ih` [256, 100]' "  ... W_ih [256, 100]"
expect_status 0 "summary --math=latex of the VAE" "$nnrun" summary "$repo/specs/vae_mnist.yaml" --math=latex
has_line '\begin{align*}' "  ... align* blocks"
has_line ' &= -\frac{1}{2 N} \sum_{n=1}^{N} \sum_{j=1}^{20} (1 + \log \sigma^{2}_{nj} - \mu^{2}_{nj} - \sigma^{2}_{nj}) \\' \
    "  ... the KL to N(0, I) in closed form over its 20 dimensions"
has_line 'W^{(1)} &\in \mathbb{R}^{400 \times 784} && \texttt{hidden.weight} \\' "  ... the parameters' shapes"
expect_status 2 "summary --math=html is a usage error" "$nnrun" summary fit.yaml --math=html
grep -qF -- "--math takes markdown|latex, not 'html'" err.txt && ok "  ... naming the forms" || { bad "  ... naming the forms"; cat err.txt; }
expect_status 2 "summary --math of a bad spec" "$nnrun" summary bad.yaml --math
[ "$(grep -c '^bad.yaml:2:[0-9]*: error: ' err.txt)" -eq 2 ] && [ ! -s out.txt ] &&
    ok "  ... gives the usual diagnostics and no equations" || { bad "  ... gives the usual diagnostics"; cat err.txt out.txt; }

expect_status 0 "ops" "$nnrun" ops
grep -q "^dense " out.txt && ok "  ... lists dense" || bad "  ... lists dense"
cut -d' ' -f1 out.txt > op_names.txt

# The per-op benchmark at the gradient check's own size: a row for every registered op, in
# registry order, with a positive forward time, a positive backward time or '-', GFLOP/s where
# the op counts FLOPs; the header names the threads and the OpenBLAS kernel.
expect_status 0 "ops --bench --size 1" "$nnrun" ops --bench --size 1
grep -v '^#' out.txt > rows.txt
awk '{ print $1 }' rows.txt | cmp -s - op_names.txt && ok "  ... a row for every registered op" ||
    { bad "  ... a row for every registered op"; diff op_names.txt rows.txt; }
awk '!($2 > 0 && $2 < 1e6 && ($3 == "-" || ($3 > 0 && $3 < 1e6)) && $NF ~ /\]|\)$/) { print; n++ } END { exit n > 0 }' rows.txt &&
    ok "  ... each with finite positive times" || bad "  ... each with finite positive times"
awk '$1 == "dense" && $3 > 0 && $4 > 0 && $5 > 0 { f = 1 } END { exit !f }' rows.txt &&
    ok "  ... dense with its backward and GFLOP/s both ways" || { bad "  ... dense with its backward and GFLOP/s"; grep '^dense ' rows.txt; }
grep -q '^rnn_grad .* - .*(in the backward of rnn_states)$' rows.txt && ok "  ... rnn_grad timed in rnn_states' backward" ||
    { bad "  ... rnn_grad timed in rnn_states' backward"; grep '^rnn_grad ' rows.txt; }
grep -q "^# .*OpenBLAS [A-Za-z0-9]*, [0-9]* threads*" out.txt && ok "  ... the header names the kernel and the threads" ||
    { bad "  ... the header names the kernel and the threads"; head -5 out.txt; }
expect_status 0 "ops --bench --op relu --op dense" "$nnrun" ops --bench --size 1 --op relu --op dense
[ "$(grep -v '^#' out.txt | awk '{ print $1 }' | tr '\n' ' ')" = "dense relu " ] && ok "  ... only those two, in registry order" ||
    { bad "  ... only those two, in registry order"; cat out.txt; }
expect_status 2 "ops --bench --op with an unknown op" "$nnrun" ops --bench --op densee
grep -q "unknown op 'densee' (did you mean 'dense'?)" err.txt && ok "  ... suggests the closest" || { bad "  ... suggests the closest"; cat err.txt; }
for args in "--bench --size 0" "--bench --size 65" "--bench --size x" "--bench --size" "--size 2" "--op dense" "--bench --fast"; do
    expect_status 2 "ops $args is a usage error" "$nnrun" ops $args
    [ -s err.txt ] && [ ! -s out.txt ] && ok "  ... with a message and no table" || bad "  ... with a message and no table"
done
grep -q "unknown option '--fast'" err.txt && ok "  ... naming the unknown option" || { bad "  ... naming the unknown option"; cat err.txt; }

printf 'extends: fit.yaml\nname: fit2\ntrain: {batch: 16}\n' > fit2.yaml
expect_status 1 "diff of different specs exits 1" "$nnrun" diff fit.yaml fit2.yaml
grep -q "~ name: fit -> fit2" out.txt && grep -q "~ train.batch: 8 -> 16" out.txt && ok "  ... and shows the key paths" ||
    { bad "  ... and shows the key paths"; cat out.txt; }
expect_status 0 "diff of a spec with itself exits 0" "$nnrun" diff fit.yaml fit.yaml
expect_status 0 "resolve of a child spec" "$nnrun" resolve fit2.yaml --set train.epochs=5
grep -q "^name: fit2" out.txt && grep -q "batch: 16" out.txt && grep -q "epochs: 5" out.txt && ! grep -q "extends" out.txt &&
    ok "  ... merges it over its parent and applies --set" || { bad "  ... merges it over its parent and applies --set"; cat out.txt; }
expect_status 0 "resolve --defaults --json" "$nnrun" resolve fit2.yaml --defaults --json
grep -q '"shuffle": true' out.txt && grep -q '"sampling": "grid"' out.txt && grep -q '"betas": \[' out.txt &&
    ok "  ... writes out every default, as JSON" || { bad "  ... writes out every default, as JSON"; cat out.txt; }
expect_status 0 "resolve --as-written" "$nnrun" resolve fit2.yaml --as-written
grep -q "^extends: fit.yaml" out.txt && ok "  ... prints the file alone" || { bad "  ... prints the file alone"; cat out.txt; }
expect_status 2 "resolve of a missing spec fails" "$nnrun" resolve missing.yaml

expect_status 0 "a training run" "$nnrun" fit.yaml --quiet --out run1
expect_status 0 "a run with --profile" "$nnrun" fit.yaml --quiet --out run1p --profile
grep -q "^time per op" out.txt && grep -q "^dense " out.txt && ok "  ... prints the time per op" || { bad "  ... prints the time per op"; cat out.txt; }
grep -q "^training: [0-9.e+-]* GFLOP per iteration.*GFLOP/s$" out.txt && ok "  ... and the training's FLOPs and rate" ||
    { bad "  ... and the training's FLOPs and rate"; cat out.txt; }
grep -Eq '<p class="ran">nnrun [0-9.]* \(commit [^)]*\) &middot; (base|avx2|avx512) kernels, OpenBLAS [^,]*, [0-9]* threads? &middot; written 20' run1/report.html &&
    grep -q '<p class="final">After epoch [0-9]*: train loss [0-9.e+-]* &middot; test loss ' run1/report.html &&
    ! grep -q 'class="changes"' run1/report.html && ok "  ... its report says what ran and the final metrics" ||
    { bad "  ... its report says what ran and the final metrics"; grep -A3 'class="ran"' run1/report.html; }
expect_status 0 "a run of a child spec" "$nnrun" fit2.yaml --quiet --out run_child --set train.epochs=1
grep -q '<summary>Extends <code>fit.yaml</code>, changing 3 keys</summary>' run_child/report.html &&
    grep -q '^~ train.batch: [0-9]* -&gt; 16$' run_child/report.html && grep -q '^~ train.epochs: [0-9]* -&gt; 1$' run_child/report.html &&
    ok "  ... its report lists the keys it changes against its parent, --set included" ||
    { bad "  ... its report lists the keys it changes against its parent, --set included"; grep -A6 'class="changes"' run_child/report.html; }
expect_status 0 "eval of the run" "$nnrun" eval run1
grep -q "relative L2 error" out.txt && ok "  ... reports its metrics" || { bad "  ... reports its metrics"; cat out.txt; }
expect_status 0 "runs lists the run folders" "$nnrun" runs . --sort test_loss --csv
head -1 out.txt | grep -qx "name,date,epochs,train_loss,test_loss,accuracy,bleu,seconds_per_epoch" &&
    grep -q "^run1,20[0-9-]* [0-9:]*,3,[0-9.e-]*,[0-9.e-]*,,,[0-9.e-]*$" out.txt && grep -q "^run_child,.*,1," out.txt &&
    awk -F, 'NR > 2 && $5 != "" && p != "" && $5 + 0 < p + 0 { bad = 1 } $5 != "" && NR > 1 { p = $5 } END { exit bad }' out.txt &&
    ok "  ... one row each with its epochs and last losses, sorted by test loss" ||
    { bad "  ... one row each with its epochs and last losses, sorted by test loss"; cat out.txt; }
expect_status 2 "runs refuses an unknown sort column" "$nnrun" runs . --sort speed

# Special files where a file is expected: a FIFO opened for reading would wait for a writer
# forever; each is refused at once (timeout 10: status 124 if it blocked), naming the path.
# expect_refused STATUS DESCRIPTION MESSAGE CMD...
expect_refused() {
    want=$1; what=$2; msg=$3; shift 3
    timeout 10 "$@" > out.txt 2> err.txt; got=$?
    if [ "$got" -eq "$want" ] && grep -qF -- "$msg" err.txt; then ok "$what"; else bad "$what (status $got, wanted $want and '$msg')"; cat err.txt; fi
}
mkfifo pipe.yaml
expect_refused 2 "a spec that is a FIFO is refused at once" "pipe.yaml: error: is a FIFO, not a regular file" "$nnrun" check pipe.yaml
mkdir spec.d
expect_refused 2 "a spec that is a directory is refused" "spec.d: error: is a directory, not a regular file" "$nnrun" check spec.d
printf 'extends: pipe.yaml\n' > child.yaml
expect_refused 2 "a parent spec that is a FIFO is refused at once" "parent spec 'pipe.yaml': is a FIFO, not a regular file" "$nnrun" check child.yaml
cp -r run1 runfifo && rm runfifo/model.safetensors && mkfifo runfifo/model.safetensors
expect_refused 1 "eval of a run whose model.safetensors is a FIFO fails at once" "runfifo/model.safetensors: is a FIFO, not a regular file" "$nnrun" eval runfifo
mkfifo pipe.csv
printf 'extends: fit.yaml\ndata:\n  train: {dataset: csv, path: pipe.csv}\n  test: ~\nmodel: {input: [1]}\n' > csvfifo.yaml
expect_refused 2 "check of a spec whose CSV is a FIFO fails at once" "data.train: pipe.csv: is a FIFO, not a regular file" "$nnrun" check csvfifo.yaml
expect_refused 2 "  ... and so does training on it" "data.train: pipe.csv: is a FIFO, not a regular file" "$nnrun" csvfifo.yaml --quiet --out runs/csvfifo
[ ! -e runs/csvfifo ] && ok "  ... leaving no run folder" || bad "  ... leaving no run folder"

# A spec nested 200000 levels deep (400 KB) is refused at level 65 within seconds (quadratic
# loading took over a minute), and a file over 10 MB is not read at all.
awk 'BEGIN { printf "x: "; for (i = 0; i < 200000; i++) printf "["; for (i = 0; i < 200000; i++) printf "]"; print "" }' > deep.yaml
expect_refused 2 "a spec 200000 levels deep is refused in seconds" "deep.yaml:1:67: error: nesting deeper than 64 levels" timeout 5 "$nnrun" check deep.yaml
{ echo "name: huge"; head -c 11000000 /dev/zero | tr '\0' '#'; echo; } > huge.yaml
expect_refused 2 "a spec over 10 MB is refused" "huge.yaml: error: 11000012 bytes: more than a spec may have (10 MB)" "$nnrun" check huge.yaml

# Labels the model cannot predict: a CSV of classes 0..10 for a 10-class model is refused by
# check and by training, naming the file, the line and the label (not a NaN later on).
awk 'BEGIN { for (i = 0; i < 40; i++) printf "%d,%d,%d\n", i % 11, i % 3, i % 5 }' > eleven.csv
cat > eleven.yaml <<'YAML'
name: eleven
data:
  train: {dataset: csv, path: eleven.csv, header: false}
model:
  input: [2]
  layers: [{dense: 10, name: logits}]
loss: {cross_entropy: {pred: logits, target: target}}
train: {optimizer: {sgd: {lr: 0.1}}, batch: 8, epochs: 1}
YAML
expect_refused 2 "check of labels 0..10 for 10 classes fails" "eleven.csv:11: label 10, but the model predicts 10 classes (0..9)" "$nnrun" check eleven.yaml
expect_refused 2 "  ... and so does training" "eleven.csv:11: label 10, but the model predicts 10 classes (0..9)" "$nnrun" eleven.yaml --quiet --out runs/eleven
grep -q "eleven.csv:33: label 10" err.txt && ok "  ... listing every such line" || { bad "  ... listing every such line"; cat err.txt; }
printf 'extends: eleven.yaml\nmodel:\n  layers: [{dense: 11, name: logits}]\n' > eleven11.yaml
expect_status 0 "  ... while 11 classes check" "$nnrun" check eleven11.yaml
printf 'extends: eleven.yaml\ndata:\n  test: {dataset: csv, path: eleven.csv, header: false}\n  train: {path: ten.csv}\n' > eleventest.yaml
awk 'BEGIN { for (i = 0; i < 40; i++) printf "%d,%d,%d\n", i % 10, i % 3, i % 5 }' > ten.csv
expect_refused 2 "a test split with label 10 for 10 classes fails training" "data.test: eleven.csv: 3 bad rows" "$nnrun" eleventest.yaml --quiet --out runs/eleventest
expect_refused 2 "  ... and check" "eleven.csv:22: label 10, but the model predicts 10 classes (0..9)" "$nnrun" check eleventest.yaml
# Names, not ids: `classes:` names the class ids in the confusion matrix, its table and the page
cat > named.yaml <<'YAML'
extends: eleven.yaml
data:
  train: {path: three.csv, classes: [rock, paper, scissors]}
  test: {dataset: csv, path: three.csv, header: false}
model:
  layers: [{dense: 3, name: logits}]
report: [confusion_matrix]
YAML
awk 'BEGIN { for (i = 0; i < 30; i++) printf "%d,%d,%d\n", i % 3, i % 3, (i + 1) % 3 }' > three.csv
expect_status 0 "classes: names the class ids" "$nnrun" named.yaml --quiet --out runs/named
grep -q "^   0 .*%  rock$" out.txt && grep -q "^   2 .*%  scissors$" out.txt && grep -q "<td>paper: [0-9.]*%</td>" runs/named/report.html &&
    ok "  ... in the confusion table and the per-class accuracies" || { bad "  ... in the confusion table and the per-class accuracies"; cat out.txt; }
head -1 runs/named/steps.csv | grep -qx "step,epoch,train_loss,lr,train_accuracy" &&
    awk -F, 'NR > 1 && ($5 < 0 || $5 > 1 || $5 == "") { bad = 1 } END { exit bad || NR < 3 }' runs/named/steps.csv &&
    ok "  ... and steps.csv has each iteration's accuracy" || { bad "  ... and steps.csv has each iteration's accuracy"; head -3 runs/named/steps.csv; }
printf 'extends: named.yaml\ndata:\n  train: {classes: [rock, paper]}\n' > named2.yaml
expect_refused 2 "  ... and must name every class id" "data.train.classes names 2 classes, but the labels run 0..2" "$nnrun" named2.yaml --quiet --out runs/named2
mkdir idx   # two 28x28 MNIST-style images labelled 9 and 0, for a model of 5 classes
{ printf '\000\000\010\003\000\000\000\002\000\000\000\034\000\000\000\034'; head -c 1568 /dev/zero; } > idx/train-images-idx3-ubyte
printf '\000\000\010\001\000\000\000\002\011\000' > idx/train-labels-idx1-ubyte
printf 'extends: eleven.yaml\ndata:\n  train: {dataset: mnist, path: idx}\nmodel:\n  input: [784]\n  layers: [{dense: 5, name: logits}]\n' > idx5.yaml
expect_refused 2 "MNIST-style labels 0..9 for a model of 5 classes fail training" "data.train: the labels run 0..9, but the model predicts 5 classes (0..4)" "$nnrun" idx5.yaml --quiet --out runs/idx5
printf '0,1,2\n-1,1,2\n' > negative.csv
printf 'extends: eleven.yaml\ndata:\n  train: {path: negative.csv}\n' > negative.yaml
expect_refused 2 "a negative label is not a class id" "negative.csv:2: label (field 1) must be a class id (a whole number >= 0), got -1" "$nnrun" check negative.yaml
printf '0,1,2\n2.5,1,2\n' > fraction.csv
printf 'extends: eleven.yaml\ndata:\n  train: {path: fraction.csv}\n' > fraction.yaml
expect_refused 2 "a fractional label is not a class id" "fraction.csv:2: label (field 1) must be a class id (a whole number >= 0), got 2.5" "$nnrun" fraction.yaml --quiet --out runs/fraction

# Ctrl-C: a long run gets SIGINT, saves a resumable state and exits 130; while it trains, its
# report.html is a live page (metrics so far, reloading itself), then says it was interrupted
"$nnrun" fit.yaml --quiet --out run2 --epochs 100000 --set train.checkpoint_seconds=0 > out.txt 2> err.txt &
pid=$!
i=0
while ! grep -qs "Training: [0-9]* of 100000 epochs done" run2/report.html && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q '<meta http-equiv="refresh" content="15">' run2/report.html && grep -q '<img src="loss_curve.png"' run2/report.html &&
    ok "a training run's report.html is live: epochs done, the loss so far, reloading itself" ||
    { bad "a training run's report.html is live"; head -c 2000 run2/report.html; }
kill -INT $pid
wait $pid
st=$?
[ $st -eq 130 ] && ok "Ctrl-C exits 130" || { bad "Ctrl-C exits 130 (got $st)"; cat err.txt; }
[ -s run2/state.safetensors ] && [ -s run2/model.safetensors ] && ok "  ... leaving a checkpoint" || bad "  ... leaving a checkpoint"
grep -q -- "--resume" err.txt && ok "  ... and says how to resume" || bad "  ... and says how to resume"
expect_status 0 "  ... that eval reads" "$nnrun" eval run2
grep -q "Interrupted in epoch [0-9]* of 100000 (a checkpoint was saved: --resume continues)" run2/report.html &&
    ! grep -q 'http-equiv="refresh"' run2/report.html && ok "  ... and the report says it was interrupted, no longer reloading" ||
    { bad "  ... and the report says it was interrupted"; grep -A2 'class="status"' run2/report.html; }

# SIGTERM (how batch schedulers stop a job): the same checkpoint, and status 143 as shells expect
"$nnrun" fit.yaml --quiet --out run3 --epochs 100000 > out.txt 2> err.txt &
pid=$!
i=0
while [ ! -f run3/spec.yaml ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -TERM $pid
wait $pid
st=$?
[ $st -eq 143 ] && ok "SIGTERM exits 143" || { bad "SIGTERM exits 143 (got $st)"; cat err.txt; }
epoch=$(sed -n 's/^nnrun: interrupted (SIGTERM) at epoch \([0-9]*\), .*--resume$/\1/p' err.txt)
[ -n "$epoch" ] && ok "  ... saying so, in epoch $epoch, and how to resume" || { bad "  ... saying so and how to resume"; cat err.txt; }
expect_status 0 "  ... and --resume finishes that epoch" "$nnrun" fit.yaml --quiet --out run3 --resume --epochs "${epoch:-1}"
[ "$(wc -l < run3/metrics.csv)" -eq $((${epoch:-0} + 1)) ] && ok "  ... with a metrics row for each of its $epoch epochs" ||
    { bad "  ... with a metrics row for each of its $epoch epochs"; cat run3/metrics.csv; }

# Ctrl-C twice: NNRUN_TEST_INTERRUPT=40 makes the run send itself SIGINT after step 40 (in
# epoch 2 of 32 batches) and again while it writes the checkpoint, which must still be whole
NNRUN_TEST_INTERRUPT=40 "$nnrun" fit.yaml --quiet --out run4 > out.txt 2> err.txt
st=$?
[ $st -eq 130 ] && grep -q "interrupted at epoch 2, batch 8; state saved in run4" err.txt &&
    ok "a second Ctrl-C while the checkpoint is written: exit 130 once it is saved" ||
    { bad "a second Ctrl-C while the checkpoint is written: exit 130 once it is saved (got $st)"; cat err.txt; }
head -c 400 run4/state.safetensors | tr -d '\000' | grep -q '"step":"40"' &&
    head -c 400 run4/model.safetensors | tr -d '\000' | grep -q '"step":"40"' &&
    ok "  ... both files of step 40" || bad "  ... both files of step 40"
expect_status 0 "  ... which --resume continues" "$nnrun" fit.yaml --quiet --out run4 --resume
[ "$(wc -l < run4/metrics.csv)" -eq 4 ] && ok "  ... to the end (3 epochs)" || { bad "  ... to the end (3 epochs)"; cat run4/metrics.csv; }

# several nets: a GAN on points of a parabola (two nets, two groups, two steps)
cat > gan.yaml <<'YAML'
name: gan
data:
  train: {dataset: points, points: parabola, n: 256, range: [-1, 1]}
  test: {dataset: points, points: parabola, n: 64, range: [-1, 1]}
nets:
  G: {input: {noise: [2]}, layers: [{dense: 16, act: tanh}, {dense: 2, name: xy}]}
  D: {input: [2], layers: [{dense: 16, act: tanh}, {dense: 1, name: logit}]}
losses:
  critic: [{bce_with_logits: {pred: D(data), target: 1}}, {bce_with_logits: {pred: D(G), target: 0}}]
  gen: {bce_with_logits: {pred: D(G), target: 1}}
train:
  batch: 32
  epochs: 2
  steps: [{minimize: critic, update: D}, {minimize: gen, update: G}]
report: [loss_curve, {points: {layers: [data, G]}}]
YAML
expect_status 0 "check of a GAN" "$nnrun" check gan.yaml
grep -q "ok (2 nets" out.txt && ok "  ... counting its nets" || { bad "  ... counting its nets"; cat out.txt; }
expect_status 0 "summary of a GAN" "$nnrun" summary gan.yaml
grep -q "^net G" out.txt && grep -q "^net D" out.txt && grep -q "^noise " out.txt && ok "  ... prints every net and its inputs" ||
    { bad "  ... prints every net and its inputs"; cat out.txt; }
expect_status 0 "a GAN trains" "$nnrun" gan.yaml --quiet --out gan1
grep -q "train critic .* gen " out.txt && ok "  ... printing each group's loss" || { bad "  ... printing each group's loss"; cat out.txt; }
head -1 gan1/steps.csv | grep -q "^step,epoch,train_critic,train_gen,lr_critic,lr_gen$" && ok "  ... steps.csv: a column per group and step" ||
    { bad "  ... steps.csv: a column per group and step"; head -2 gan1/steps.csv; }
expect_status 0 "eval of a GAN run" "$nnrun" eval gan1
grep -q "critic .* gen " out.txt && ok "  ... reports each group" || { bad "  ... reports each group"; cat out.txt; }
printf 'extends: gan.yaml\nnets:\n  G: {layers: [{dense: 2, name: xy}]}\nlosses:\n  gen: {mse: {pred: G, target: 0}}\ntrain:\n  steps: [{minimize: critic, update: D}, {minimize: gen, update: G, optimizer: {sgd: {lr: 1e6}}}]\n' > gan_nan.yaml
expect_status 3 "a GAN whose loss blows up stops with status 3" "$nnrun" gan_nan.yaml --quiet --out gan2
grep -q "the loss of step .* became" err.txt && ok "  ... naming the step" || { bad "  ... naming the step"; cat err.txt; }
printf 'extends: gan.yaml\nlosses:\n  gen: {bce_with_logits: {pred: D(Q), target: 1}}\n' > gan_bad.yaml
expect_status 2 "a call of an unknown net is a spec error" "$nnrun" check gan_bad.yaml
grep -q "gan_bad.yaml:3:[0-9]*: error: unknown name 'Q'" err.txt && ok "  ... at its line" || { bad "  ... at its line"; cat err.txt; }

# a moving average of G's weights (ema): saved as the model, the raw weights kept for resume
printf 'extends: gan.yaml\nnets:\n  G: {ema: 0.9}\ntrain: {epochs: 4}\n' > gan_ema.yaml
OMP_NUM_THREADS=1 "$nnrun" gan_ema.yaml --quiet --out ema4 > /dev/null 2>&1 || bad "training a GAN with ema"
OMP_NUM_THREADS=1 "$nnrun" gan.yaml --quiet --out noema4 --set train.epochs=4 > /dev/null 2>&1 || bad "training a GAN without ema"
OMP_NUM_THREADS=1 "$nnrun" gan_ema.yaml --quiet --out ema2 --set train.epochs=2 > /dev/null 2>&1 &&
    OMP_NUM_THREADS=1 "$nnrun" gan_ema.yaml --quiet --out ema2 --resume > /dev/null 2>&1 || bad "resuming a GAN with ema"
cmp -s ema4/model.safetensors ema2/model.safetensors && ok "a GAN with ema resumes bit for bit" || bad "a GAN with ema resumes bit for bit"
cmp -s ema4/model.safetensors noema4/model.safetensors && bad "  ... and saves the averages, not the raw weights" ||
    ok "  ... and saves the averages, not the raw weights"
head -c 4000 ema4/state.safetensors | grep -q 'raw.G.xy.weight' && ok "  ... the raw weights in the state" ||
    bad "  ... the raw weights in the state"

printf 'garbage' > run1/model.safetensors
expect_status 1 "eval of a corrupt checkpoint fails cleanly" "$nnrun" eval run1
grep -q "model.safetensors" err.txt && ok "  ... naming the file" || { bad "  ... naming the file"; cat err.txt; }

# compare: two tiny autoencoders of 4-D points (one corrupting its input at evaluation too)
cat > ae.yaml <<'YAML'
name: ae
data:
  train: {dataset: points, points: gaussian, n: 64, dim: 4}
  test: {dataset: points, points: gaussian, n: 32, dim: 4}
model:
  input: [4]
  layers:
    - {dense: 8, act: tanh}
    - {dense: 2, name: code}
    - {dense: 4, name: recon}
loss: {mse: {pred: recon, target: input}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 16, epochs: 2}
report: [loss_curve, {embedding: {layer: code}}]
YAML
printf 'extends: ae.yaml\nname: dae\nmodel:\n  layers:\n    - {gaussian_noise: {sigma: 0.3, eval: true}}\n    - {dense: 8, act: tanh}\n    - {dense: 2, name: code}\n    - {dense: 4, name: recon}\n' > dae.yaml
printf 'extends: ae.yaml\nname: ae3\ndata:\n  train: {dim: 3}\n  test: {dim: 3}\nmodel: {input: [3], layers: [{dense: 2, name: code}, {dense: 3, name: recon}]}\n' > ae3.yaml
for r in ae dae ae3; do "$nnrun" $r.yaml --quiet --out runs/$r > /dev/null 2>&1 || bad "training run $r for compare"; done
expect_status 0 "compare of two runs" "$nnrun" compare runs/ae runs/dae --out cmp --count 5
[ -s cmp/compare.png ] && [ -s cmp/compare.html ] && ok "  ... writes compare.png and compare.html" ||
    bad "  ... writes compare.png and compare.html"
grep -q "dae" cmp/compare.html && grep -q "compare_embedding_2.png" cmp/compare.html && [ -s cmp/compare_embedding_2.png ] &&
    ok "  ... with each run's embedding" || { bad "  ... with each run's embedding"; cat cmp/compare.html; }
"$nnrun" named.yaml --quiet --out runs/named_b --set train.epochs=2 > /dev/null 2>&1 || bad "a second classifier run for compare"
expect_status 0 "compare of two classifiers" "$nnrun" compare runs/named runs/named_b --out cmpc
grep -q "<th>final accuracy</th><th>seconds per epoch</th>" cmpc/compare.html &&
    [ "$(grep -c '<td>[0-9.]*%</td><td>[0-9.e-]*</td></tr>' cmpc/compare.html)" = 2 ] &&
    ok "  ... their final accuracies and seconds per epoch side by side" || { bad "  ... their final accuracies side by side"; grep -A3 "<table>" cmpc/compare.html; }
# a code wider than 3 units is drawn as its first two principal components
printf 'extends: ae.yaml\nname: ae5\nmodel:\n  layers:\n    - {dense: 8, act: tanh}\n    - {dense: 5, name: code}\n    - {dense: 4, name: recon}\n' > ae5.yaml
expect_status 0 "an embedding of a 5-unit code" "$nnrun" ae5.yaml --quiet --out runs/ae5
grep -q "^embedding of 'code': its 5 units projected on their first 2 principal components ([0-9.]*% of the variance)$" out.txt &&
    [ -s runs/ae5/embedding_code.png ] && ok "  ... is its PCA, with the variance it keeps" ||
    { bad "  ... is its PCA, with the variance it keeps"; cat out.txt; }
# ... or, asked, laid out by t-SNE (seeded: the same picture twice), beside the PCA figure
tsne_report='report=[{embedding: {layer: code}}, {embedding: {layer: code, method: tsne, perplexity: 10}}]'
expect_status 0 "an embedding of a 5-unit code by t-SNE" "$nnrun" ae5.yaml --quiet --out runs/ae5t --set "$tsne_report"
grep -q "^embedding of 'code': its 5 units laid out by t-SNE (perplexity 10, exact, KL [0-9.]*)$" out.txt &&
    [ -s runs/ae5t/embedding_code_tsne.png ] && [ -s runs/ae5t/embedding_code.png ] &&
    ok "  ... is its exact t-SNE, in its own file beside the PCA" || { bad "  ... is its exact t-SNE, beside the PCA"; cat out.txt; }
"$nnrun" ae5.yaml --quiet --out runs/ae5t2 --set "$tsne_report" > /dev/null 2>&1
cmp -s runs/ae5t/embedding_code_tsne.png runs/ae5t2/embedding_code_tsne.png && ok "  ... the same picture from the same seed" ||
    bad "  ... the same picture from the same seed"
expect_status 2 "a t-SNE perplexity too large for the test codes is refused" "$nnrun" ae5.yaml --quiet --out runs/ae5p \
    --set 'report=[{embedding: {layer: code, method: tsne, perplexity: 31}}]'
grep -q "perplexity 31 needs more than 32 codes, and the test split has 32" err.txt && [ ! -e runs/ae5p/model.safetensors ] &&
    ok "  ... before training" || { bad "  ... before training"; cat err.txt; }
expect_status 2 "compare of runs whose data differ in shape fails" "$nnrun" compare runs/ae runs/ae3 --out cmp2
grep -q "differ in shape" err.txt && grep -q "runs/ae3" err.txt && ok "  ... naming the run and the shapes" ||
    { bad "  ... naming the run and the shapes"; cat err.txt; }
[ ! -e cmp2/compare.png ] && ok "  ... writing no figure" || bad "  ... writing no figure"
expect_status 2 "compare of a folder that is no run fails" "$nnrun" compare runs/ae nowhere
grep -q "nowhere/spec.yaml" err.txt && ok "  ... naming the missing spec" || { bad "  ... naming the missing spec"; cat err.txt; }
expect_status 2 "compare --count 0 is a usage error" "$nnrun" compare runs/ae --count 0
rm runs/dae/model.safetensors
expect_status 1 "compare of a run without weights fails cleanly" "$nnrun" compare runs/ae runs/dae --out cmp3
grep -q "model.safetensors" err.txt && ok "  ... naming the file" || { bad "  ... naming the file"; cat err.txt; }

# decode: run the trained autoencoder from its 2-unit code
expect_status 0 "decode of chosen code points" "$nnrun" decode runs/ae --layer code --points "0,0; 1,-1; 2,0.5" --out dec.png
[ -s dec.png ] && grep -q "^point 3: 2 0.5" out.txt && ok "  ... draws them and lists the points" || { bad "  ... draws them and lists the points"; cat out.txt; }
expect_status 0 "decode of a line between two points" "$nnrun" decode runs/ae --layer code --interpolate "0,0" "1,1" --steps 5 --out line.png
[ "$(grep -c '^point' out.txt)" -eq 5 ] && grep -q "^point 3: 0.5 0.5" out.txt && ok "  ... in 5 even steps" || { bad "  ... in 5 even steps"; cat out.txt; }
expect_status 2 "decode with points of the wrong width fails" "$nnrun" decode runs/ae --layer code --points "1,2,3"
grep -q "more than the 2 numbers" err.txt && ok "  ... saying how many it needs" || { bad "  ... saying how many it needs"; cat err.txt; }
expect_status 2 "decode of an unknown layer fails" "$nnrun" decode runs/ae --layer nope --points "1,2"

# decode --random: samples of a tiny VAE of 16-D points from z ~ N(0, I) (KL term first: the
# drawn layer defaults to the first term naming a prediction)
cat > vae.yaml <<'YAML'
name: vae
data:
  train: {dataset: points, points: gaussian, n: 64, dim: 16}
model:
  input: [16]
  layers:
    - {dense: 8, act: tanh, name: h}
    - {dense: 2, name: mu}
    - {dense: 2, name: logvar, from: h}
    - {sample_gaussian: {mean: mu, logvar: logvar}, name: z}
    - {dense: 8, act: tanh}
    - {dense: 16, name: recon}
loss:
  - {kl_normal: {mean: mu, logvar: logvar}}
  - {bce_with_logits: {pred: recon, target: input}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 16, epochs: 2}
YAML
"$nnrun" vae.yaml --quiet --out runs/vae > /dev/null 2>&1 || bad "training the VAE for decode --random"
expect_status 0 "decode of 6 samples of a VAE's z" "$nnrun" decode runs/vae --layer z --random 6 --seed 3 --out r1.png
range=$(sed -n "s/^'recon' drawn: values from \([^ ]*\) to \([^ ]*\)$/\1 \2/p" out.txt)
[ -s r1.png ] && [ "$(grep -c '^point' out.txt)" -eq 6 ] && [ -n "$range" ] &&
    awk -v r="$range" 'BEGIN { split(r, v, " "); exit !(v[1] > 0 && v[2] < 1 && v[1] < v[2]) }' &&
    ok "  ... draws 6 images of sigmoid(recon), not blank ($range)" || { bad "  ... draws 6 images of sigmoid(recon), not blank"; cat out.txt; }
"$nnrun" decode runs/vae --layer z --random 6 --seed 3 --out r2.png > /dev/null 2>&1
"$nnrun" decode runs/vae --layer z --random 6 --seed 4 --out r3.png > /dev/null 2>&1
cmp -s r1.png r2.png && ok "  ... the same seed gives the same PNG" || bad "  ... the same seed gives the same PNG"
[ -s r3.png ] && ! cmp -s r1.png r3.png && ok "  ... another seed another PNG" || bad "  ... another seed another PNG"
expect_status 2 "decode --random 0 is a usage error" "$nnrun" decode runs/vae --layer z --random 0
grep -q "random takes a whole number from 1 to 256, not '0'" err.txt && ok "  ... saying what it takes" || { bad "  ... saying what it takes"; cat err.txt; }
expect_status 2 "decode --random with --points is a usage error" "$nnrun" decode runs/vae --layer z --random 3 --points "0,0"
grep -q "one of --points, --interpolate or --random" err.txt && ok "  ... saying so" || { bad "  ... saying so"; cat err.txt; }
printf 'extends: ae.yaml\nname: skip\nmodel:\n  layers: [{dense: 2, name: code}, {dense: 4, name: d}, {add: [d, input], name: recon}]\nreport: ~\n' > skip.yaml
"$nnrun" skip.yaml --quiet --out runs/skip > /dev/null 2>&1 || bad "training the skip model for decode"
expect_status 1 "decode around a skip from the input is refused" "$nnrun" decode runs/skip --layer code --random 2
grep -q "layer 'recon' after the decoded layer reads 'input'" err.txt && ok "  ... naming both" || { bad "  ... naming both"; cat err.txt; }

# character model: a one-hot RNN learns "abc abc ..." (every next character follows from the
# current one), then `nnrun sample` continues a prime with it
i=0; : > abc.txt; while [ $i -lt 150 ]; do printf 'Abc, abc abc ' >> abc.txt; i=$((i + 1)); done
cat > chars.yaml <<'YAML'
name: chars
data:
  train: {dataset: chars, file: abc.txt, length: 12, stride: 4, splits: [0.8, 0.2]}
  test: {dataset: chars, split: test}
model:
  input: [12]
  layers:
    - {one_hot: 27}
    - {rnn: {units: 16, act: relu, output: all}}
    - {dense: 27, name: logits}
loss: {cross_entropy: {pred: logits, target: target}}
train: {optimizer: {adam: {lr: 0.02}}, clip_grad_norm: 5, batch: 16, epochs: 6}
YAML
expect_status 0 "a character model trains" "$nnrun" chars.yaml --quiet --out runs/chars
acc=$(sed -n 's/^next-character accuracy: \([0-9.]*\)%$/\1/p' out.txt)
[ -n "$acc" ] && awk "BEGIN { exit !($acc >= 90) }" && ok "  ... to a next-character accuracy of $acc% (chance: 1/27)" ||
    { bad "  ... to a next-character accuracy of at least 90% (got '${acc}')"; cat out.txt; }
grep -q "next-character accuracy (test text)" runs/chars/report.html && ok "  ... also in the report" || bad "  ... also in the report"
expect_status 0 "sample with temperature 0" "$nnrun" sample runs/chars --prime "AB" --length 14 --temperature 0
[ "$(cat out.txt)" = "abc abc abc abc " ] && ok "  ... continues the pattern" || { bad "  ... continues the pattern"; cat out.txt; }
expect_status 0 "sample with a temperature and a seed" "$nnrun" sample runs/chars --prime "a" --length 40 --temperature 0.8 --seed 7
cp out.txt sample1.txt
"$nnrun" sample runs/chars --prime "a" --length 40 --temperature 0.8 --seed 7 > sample2.txt 2>&1
[ "$(wc -c < sample1.txt)" -eq 42 ] && cmp -s sample1.txt sample2.txt && ok "  ... is 1 + 40 characters, repeatable" ||
    { bad "  ... is 1 + 40 characters, repeatable"; cat sample1.txt sample2.txt; }
expect_status 2 "sample of a missing run folder fails" "$nnrun" sample runs/nowhere
grep -q "no run folder 'runs/nowhere'" err.txt && ok "  ... naming it" || { bad "  ... naming it"; cat err.txt; }
expect_status 2 "sample with a prime of no letters fails" "$nnrun" sample runs/chars --prime "123"
grep -q "has no letter" err.txt && ok "  ... saying what the model reads" || { bad "  ... saying what the model reads"; cat err.txt; }
expect_status 2 "sample of a run that is no character model and draws no figure of samples fails" "$nnrun" sample runs/ae
grep -q "runs/ae is not a character model.*: say what to draw with --of (a generator net such as G, or a layer with --from z)" err.txt &&
    ok "  ... asking for --of" || { bad "  ... asking for --of"; cat err.txt; }
expect_status 2 "sample --count on a character model is refused" "$nnrun" sample runs/chars --count 3
grep -q "count is for generators and decoders; runs/chars is a character model" err.txt && ok "  ... saying why" ||
    { bad "  ... saying why"; cat err.txt; }
expect_status 2 "sample --temperature -1 is a usage error" "$nnrun" sample runs/chars --temperature -1
printf 'name: c2\ndata:\n  train: {dataset: chars, length: 12}\nmodel: {input: [12], layers: [{one_hot: 27}, {dense: 27, name: o}]}\nloss: {cross_entropy: {pred: o, target: target}}\n' > nofile.yaml
expect_status 2 "a chars source without a file is a spec error" "$nnrun" check nofile.yaml
grep -q "needs 'file'" err.txt && ok "  ... saying so" || { bad "  ... saying so"; cat err.txt; }
printf 'extends: chars.yaml\ndata:\n  train: {length: 1000}\nmodel: {input: [1000]}\n' > long.yaml
expect_status 2 "windows longer than the held-out text fail" "$nnrun" long.yaml --quiet --out runs/long
grep -q "the test part of abc.txt .*use a shorter length" err.txt && ok "  ... naming the part and what to do" ||
    { bad "  ... naming the part and what to do"; cat err.txt; }

# sample of generators: a GAN and a conditional GAN of 4x4 "images" (16 CSV values after a
# class id 0..9), a few batches each; the cGAN's samples figure gives the default --of
awk 'BEGIN { srand(3); for (i = 0; i < 64; i++) { printf "%d", i % 10
    for (j = 0; j < 16; j++) printf ",%.3f", j % 4 == i % 4 ? 0.9 : 0.1 * rand(); printf "\n" } }' > img16.csv
cat > gan16.yaml <<'YAML'
name: gan16
data:
  train: {dataset: csv, path: img16.csv, header: false}
nets:
  G: {input: {noise: [4]}, layers: [{dense: 16, act: tanh}, {dense: 16, act: sigmoid, name: image}]}
  D: {input: [16], layers: [{dense: 8, act: tanh}, {dense: 1, name: logit}]}
losses:
  critic: [{bce_with_logits: {pred: D(data), target: 1}}, {bce_with_logits: {pred: D(G), target: 0}}]
  gen: {bce_with_logits: {pred: D(G), target: 1}}
train: {batch: 16, epochs: 1, steps: [{minimize: critic, update: D}, {minimize: gen, update: G}]}
YAML
cat > cgan16.yaml <<'YAML'
extends: gan16.yaml
name: cgan16
nets:
  G:
    input: {noise: [4], label: [10]}
    layers: [{concat: [noise, label]}, {dense: 16, act: tanh}, {dense: 16, act: sigmoid, name: image}]
  D:
    input: {input: [16], label: [10]}
    layers: [{concat: [input, label]}, {dense: 8, act: tanh}, {dense: 1, name: logit}]
report: [{samples: {of: G, count: 20}}]
YAML
for r in gan16 cgan16; do "$nnrun" $r.yaml --quiet --out runs/$r > /dev/null 2>&1 || bad "training $r for sample"; done
header() { head -c 300 "$1" | tr -d '\000'; }   # the safetensors' JSON header (and what follows)
expect_status 0 "sample of a conditional GAN, --of from its samples figure" "$nnrun" sample runs/cgan16
grep -q "^10 samples of 'G': values from 0[.0-9]* to 0[.0-9]*$" out.txt && [ -s runs/cgan16/samples.png ] &&
    grep -q "^wrote runs/cgan16/samples.png$" out.txt && ok "  ... draws 10 by default, in the sigmoid's range, into samples.png" ||
    { bad "  ... draws 10 by default, in the sigmoid's range, into samples.png"; cat out.txt; }
header runs/cgan16/samples.safetensors | grep -q '"samples":{"dtype":"F32","shape":\[10,16\]' &&
    header runs/cgan16/samples.safetensors | grep -q '"labels":{"dtype":"F32","shape":\[10\]' &&
    [ "$(tail -c 8 runs/cgan16/samples.safetensors | od -An -tx1 | tr -d ' \n')" = 0000004100001041 ] &&
    ok "  ... and samples.safetensors: samples [10, 16], labels [10] cycling through the classes (8, 9 last)" ||
    { bad "  ... and samples.safetensors: samples [10, 16], labels [10] cycling through the classes"; header runs/cgan16/samples.safetensors; }
expect_status 0 "sample --class 3 of the conditional GAN" "$nnrun" sample runs/cgan16 --class 3 --count 5 --out c3.png
[ -s c3.png ] && [ "$(tail -c 20 c3.safetensors | od -An -tx1 | tr -d ' \n')" = "$(printf '00004040%.0s' 1 2 3 4 5)" ] &&
    header c3.safetensors | grep -q '"samples":{"dtype":"F32","shape":\[5,16\]' &&
    ok "  ... writes c3.png and c3.safetensors: 5 samples, every label 3" || { bad "  ... writes c3.png and c3.safetensors: 5 samples, every label 3"; cat out.txt; }
expect_status 2 "sample --class 10 of 10 classes is refused" "$nnrun" sample runs/cgan16 --class 10
grep -q "class 10: 'G' of runs/cgan16 draws the classes 0 to 9" err.txt && ok "  ... naming the classes" || { bad "  ... naming the classes"; cat err.txt; }
expect_status 2 "sample of a GAN without a samples figure or --of fails" "$nnrun" sample runs/gan16
grep -q "say what to draw with --of" err.txt && ok "  ... asking for --of" || { bad "  ... asking for --of"; cat err.txt; }
expect_status 2 "sample --class of an unconditional GAN is refused" "$nnrun" sample runs/gan16 --of G --class 1
grep -q "class: 'G' of runs/gan16 draws no classes" err.txt && ok "  ... saying it is not conditional" || { bad "  ... saying it is not conditional"; cat err.txt; }
expect_status 0 "sample --of G of an unconditional GAN" "$nnrun" sample runs/gan16 --of G --seed 7 --out s7a.png
header s7a.safetensors | grep -q '"samples":{"dtype":"F32","shape":\[10,16\]' && ! header s7a.safetensors | grep -q labels &&
    ok "  ... 10 samples, no labels" || { bad "  ... 10 samples, no labels"; header s7a.safetensors; }
"$nnrun" sample runs/gan16 --of G --seed 7 --out s7b.png > /dev/null 2>&1
"$nnrun" sample runs/gan16 --of G --seed 8 --out s8.png > /dev/null 2>&1
cmp -s s7a.safetensors s7b.safetensors && cmp -s s7a.png s7b.png && ok "  ... the same seed gives the same bytes" ||
    bad "  ... the same seed gives the same bytes"
[ -s s8.safetensors ] && ! cmp -s s7a.safetensors s8.safetensors && ok "  ... another seed other bytes" || bad "  ... another seed other bytes"
expect_status 2 "sample --prime of a GAN is refused" "$nnrun" sample runs/gan16 --of G --prime "ab"
grep -q "prime is for character models; runs/gan16 is not one" err.txt && ok "  ... saying why" || { bad "  ... saying why"; cat err.txt; }
expect_status 2 "sample --of D (which reads the data) is refused" "$nnrun" sample runs/gan16 --of D
grep -q "'D' depends on the data" err.txt && ok "  ... saying why" || { bad "  ... saying why"; cat err.txt; }
expect_status 2 "sample --count 10001 is a usage error" "$nnrun" sample runs/gan16 --of G --count 10001
expect_status 0 "sample of the VAE's decoder fed N(0, I) at z" "$nnrun" sample runs/vae --of recon --from z --count 6
range=$(sed -n "s/^6 samples of 'recon' from N(0, I) at z: values from \([^ ]*\) to \([^ ]*\)$/\1 \2/p" out.txt)
[ -s runs/vae/samples.png ] && [ -n "$range" ] && awk -v r="$range" 'BEGIN { split(r, v, " "); exit !(v[1] > 0 && v[2] < 1 && v[1] < v[2]) }' &&
    ok "  ... through the sigmoid of its logits ($range)" || { bad "  ... through the sigmoid of its logits"; cat out.txt; }

# the kernels' instruction set (runtime/core/kernel_isa.h): --version names it, NNRUN_KERNELS lowers it
expect_status 0 "nnrun --version" "$nnrun" --version
grep -Eq '^nnrun [0-9.]+ \((base|avx2|avx512) kernels, OpenBLAS ' out.txt && ok "  ... names the kernels it chose" ||
    { bad "  ... names the kernels it chose"; cat out.txt; }
expect_status 0 "NNRUN_KERNELS=base nnrun --version" env NNRUN_KERNELS=base "$nnrun" --version
grep -q "(base kernels, " out.txt && ok "  ... runs the baseline's" || { bad "  ... runs the baseline's"; cat out.txt; }
expect_status 2 "NNRUN_KERNELS=sse9 is refused" env NNRUN_KERNELS=sse9 "$nnrun" check fit.yaml
grep -q "^nnrun: NNRUN_KERNELS=sse9: no kernels are called 'sse9': choose base, avx2 or avx512" err.txt &&
    ok "  ... naming the choices" || { bad "  ... naming the choices"; cat err.txt; }
expect_status 0 "training on the baseline's kernels" env NNRUN_KERNELS=base "$nnrun" fit.yaml --quiet --out runs/fit-base
expect_status 0 "training on the best kernels this CPU runs" "$nnrun" fit.yaml --quiet --out runs/fit-best
paste -d, runs/fit-base/metrics.csv runs/fit-best/metrics.csv | awk -F, 'NR > 1 { d = $2 - $10; if (d < 0) d = -d; if (d > 1e-4 * $2) bad = 1 } END { exit bad }' &&
    ok "  ... reach the same losses, to rounding" || { bad "  ... reach the same losses, to rounding"; cat runs/fit-base/metrics.csv runs/fit-best/metrics.csv; }

[ $fails -eq 0 ] && echo "cli tests passed" || { echo "$fails cli test(s) failed"; exit 1; }
