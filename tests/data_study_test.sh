#!/bin/sh
# A data study end to end: a spec with data and attention_lookup only (no model, no loss, no
# train) on MNIST-style IDX files written here. check and summary say what it is; a run writes
# spec.yaml, the figures, attention_matrix.csv (rows summing to 1) and report.html, and no
# metrics or checkpoints; the same seed gives the same numbers, another seed others; runs lists
# it, compare and eval refuse it, and training options and model-reading reports are refused
# naming the spec's line.
# Usage: tests/data_study_test.sh PATH/TO/nnrun
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/test_lib.sh"
cd "$tmp" || exit 1
export OMP_NUM_THREADS=1

make_idx idx 3 5 28
cat > study.yaml <<'YAML'
name: study
data:
  train: {dataset: mnist, path: idx}
report:
  - attention_lookup: {query: 2, temperature: [1, 0.5], draws: 150}
YAML

expect_status 0 "check of a data study" "$nnrun" check study.yaml
grep -q "^study.yaml: ok (no network: a data study; 1 report)$" out.txt && ok "  ... says it is one" || { bad "  ... says it is one"; cat out.txt; }
expect_status 0 "summary of a data study" "$nnrun" summary study.yaml
grep -q "^no network: a data study" out.txt && ok "  ... lists no layers" || { bad "  ... lists no layers"; cat out.txt; }

expect_status 0 "a data study runs" "$nnrun" study.yaml --out runs/study
grep -q "^attention_lookup.png: query a 2 (sample [0-9]* of 15), one source per class; T=1: weight on the 2 0\.[0-9]*, largest" out.txt &&
    ok "  ... a line for the example" || { bad "  ... a line for the example"; cat out.txt; }
grep -q "^attention_matrix_T0.5.png: mean weights over 150 draws at T=0.5: diagonal mean 0\.[0-9]* (uniform 0.333)" out.txt &&
    ok "  ... a line per matrix with its diagonal mean" || { bad "  ... a line per matrix with its diagonal mean"; cat out.txt; }
[ "$(tail -n 1 out.txt)" = "done: runs/study/report.html" ] && ok "  ... and ends with the report" || { bad "  ... and ends with the report"; cat out.txt; }
missing=""
for f in spec.yaml report.html attention_lookup.png attention_matrix_T1.png attention_matrix_T0.5.png attention_matrix.csv; do
    [ -s "runs/study/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "  ... writes spec.yaml, report.html, the three figures and the CSV" || bad "  ... writes$missing"
extra=""
for f in metrics.csv steps.csv model.safetensors state.safetensors; do
    [ -e "runs/study/$f" ] && extra="$extra $f"
done
[ -z "$extra" ] && ok "  ... and no metrics or checkpoints" || bad "  ... writes no$extra"
# header + 2 temperatures x 3 query classes, each row of weights summing to 1
awk -F, 'NR == 1 { next } { s = 0; for (i = 3; i <= NF; i++) s += $i; if (s < 0.99999 || s > 1.00001) bad++; n++ }
         END { exit !(n == 6 && !bad) }' runs/study/attention_matrix.csv &&
    ok "  ... the CSV's 6 rows of mean weights each sum to 1" || { bad "  ... the CSV's 6 rows of mean weights each sum to 1"; cat runs/study/attention_matrix.csv; }
grep -q "a data study: no network, nothing trained" runs/study/report.html && ok "  ... the page says what ran" || bad "  ... the page says what ran"
grep -q 'href="metrics.csv"' runs/study/report.html && bad "  ... the page links no metrics" || ok "  ... the page links no metrics"
grep -q "^train:" runs/study/spec.yaml && bad "  ... spec.yaml gets no train section" || ok "  ... spec.yaml gets no train section"
expect_status 0 "the run folder's spec.yaml is a valid data study" "$nnrun" check runs/study/spec.yaml

expect_status 0 "the same seed again" "$nnrun" study.yaml --out runs/again
cmp -s runs/study/attention_matrix.csv runs/again/attention_matrix.csv && ok "  ... gives the same mean weights" || bad "  ... gives the same mean weights"
expect_status 0 "another seed" "$nnrun" study.yaml --set seed=2 --out runs/seed2
cmp -s runs/study/attention_matrix.csv runs/seed2/attention_matrix.csv && bad "  ... draws others" || ok "  ... draws others"

expect_status 0 "runs lists data studies" "$nnrun" runs runs
grep -q "^study  .*  *0  *-  *-  *-  *-  *-$" out.txt && ok "  ... with 0 epochs and no losses" || { bad "  ... with 0 epochs and no losses"; cat out.txt; }
expect_status 2 "compare refuses a data study" "$nnrun" compare runs/study --out cmp
grep -q "runs/study is a data study (no network): nothing to compare" err.txt && ok "  ... saying why" || { bad "  ... saying why"; cat err.txt; }
expect_status 2 "eval refuses a data study" "$nnrun" eval runs/study
grep -q "^runs/study/spec.yaml:1:1: error: a data study" err.txt && ok "  ... saying why" || { bad "  ... saying why"; cat err.txt; }

expect_status 2 "--epochs on a data study" "$nnrun" study.yaml --epochs 2 --out runs/epochs
grep -q "^study.yaml:[0-9]*:[0-9]*: error: 'train' needs a network" err.txt && ok "  ... is refused at the spec" || { bad "  ... is refused at the spec"; cat err.txt; }
expect_status 2 "--resume on a data study" "$nnrun" study.yaml --resume --out runs/study
printf 'extends: study.yaml\nreport: [attention_lookup, confusion_matrix]\n' > reads_model.yaml
expect_status 2 "a data study asking for a figure of a model" "$nnrun" check reads_model.yaml
grep -q "^reads_model.yaml:2:28: error: the spec has no model: only data reports (attention_lookup) run without one, and confusion_matrix reads a model" err.txt &&
    ok "  ... is refused at its line" || { bad "  ... is refused at its line"; cat err.txt; }
printf 'extends: study.yaml\nreport: [{attention_lookup: {query: 3}}]\n' > query3.yaml
expect_status 2 "a query class the data lacks" "$nnrun" query3.yaml --out runs/q3
grep -q "^query3.yaml:2:10: error: attention_lookup: query 3 is not a class of the data (its classes are 0..2)" err.txt &&
    ok "  ... is refused at its line" || { bad "  ... is refused at its line"; cat err.txt; }
expect_status 1 "diff of two data studies" "$nnrun" diff study.yaml query3.yaml

[ $fails -eq 0 ] && echo "data study tests passed" || { echo "$fails data study test(s) failed"; exit 1; }
