#!/bin/sh
# report.html in a real browser: a small run's report opens in headless Chromium, shows its
# metrics table, and its self-check script finds every figure decoded; a corrupt or missing
# PNG is reported broken, in the counts and in the red banner; a 3-unit embedding gets an
# interactive 3-D canvas that draws every test code, lists every class and really rotates; a
# data study's page has no metrics and its figures decode.
# Usage: tests/report_test.sh PATH/TO/nnrun
# Needs Debian's chromium package (scripts/install_deps.sh installs it; CHROMIUM=... picks
# another binary). NNRUN_SKIP_BROWSER=1 skips the test when no browser can be installed.
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
chromium=${CHROMIUM:-chromium}
if ! command -v "$chromium" >/dev/null 2>&1; then
    if [ "${NNRUN_SKIP_BROWSER:-0}" = 1 ]; then
        echo "  skip report browser test: $chromium not found and NNRUN_SKIP_BROWSER=1"
        exit 0
    fi
    echo "  FAIL report browser test: '$chromium' not found; run scripts/install_deps.sh (installs Debian's" \
         "chromium package), or set NNRUN_SKIP_BROWSER=1 to skip this test"
    exit 1
fi
. "$(dirname "$0")/test_lib.sh"
cd "$tmp" || exit 1

# dump_dom RUN_DIR: the page's DOM once loaded and its scripts have run, into dom.html.
# A fresh profile each time, and nothing that talks to the network; timeout guards a hang.
dump_dom() {
    profile=$(mktemp -d "$tmp/profile.XXXXXX")
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
        --virtual-time-budget=5000 --dump-dom "file://$tmp/$1/report.html" > dom.html 2> chromium.log
}
# has TEXT DESCRIPTION: dom.html contains TEXT.
has() {
    if grep -qF -- "$1" dom.html; then ok "$2"; else bad "$2 (no '$1' in the DOM)"; fi
}
lacks() {
    if grep -qF -- "$1" dom.html; then bad "$2 ('$1' is in the DOM)"; else ok "$2"; fi
}

cat > fit.yaml <<'YAML'
name: fit
data:
  train: {dataset: function, expr: "sin(3*x)", range: [-1, 1], n: 128}
  test: {dataset: function, expr: "sin(3*x)", range: [-1, 1], n: 32}
model:
  input: [1]
  layers:
    - {dense: 16, act: tanh}
    - {dense: 1, name: out}
loss: {mse: {pred: out, target: target}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 16, epochs: 3, metrics: [rel_l2]}
report: [loss_curve, function_fit]
YAML

if "$nnrun" fit.yaml --quiet --out run > out.txt 2> err.txt; then ok "a small run writes its report"
else bad "a small run writes its report"; cat err.txt; exit 1
fi

# chromium's log is mostly D-Bus complaints (there is no bus in a container): show the rest
if dump_dom run; then ok "chromium loads report.html"; else bad "chromium loads report.html"; grep -v dbus chromium.log | tail -n 20; fi
has "<h1>fit</h1>" "  ... with its title"
has "<tr><td>3</td>" "  ... and the metrics table's 3 epochs"
has '<p class="ran">nnrun ' "  ... and the header saying what ran"
has '<p class="final">After epoch 3: train loss ' "  ... and the final metrics"
lacks 'http-equiv="refresh"' "  ... a finished run's page no longer reloads"
has 'data-images-ok="2"' "  ... and both figures decoded"
has 'data-images-broken="0"' "  ... none broken"
lacks 'id="broken-images"' "  ... and no warning banner"

# The Model section: the equations as MathML, which Chromium lays out natively (no script).
has '<h2 id="model">Model</h2>' "the page has a Model section"
has '<mtd><msub><mi>x</mi><mn>1</mn></msub></mtd><mtd><mo>=</mo></mtd><mtd><mi>tanh</mi><mrow><mo>(</mo>' \
    "  ... with the hidden layer's equation, x_1 = tanh(...)"
has '<code>dense_1.weight</code> [16, 1]' "  ... and its weight's stored name and shape"
lacks 'class="math-error"' "  ... and no equation that failed to convert"
math=$(grep -o 'data-math="[0-9]*"' dom.html | cut -d'"' -f2)
math_ok=$(grep -o 'data-math-ok="[0-9]*"' dom.html | cut -d'"' -f2)
if [ -n "$math" ] && [ "$math" -gt 10 ] && [ "$math" = "$math_ok" ]; then ok "  ... all $math <math> elements laid out as MathML"
else bad "  ... all <math> elements laid out as MathML ('$math_ok' of '$math')"; fi
# Each <math> element of the page is well-formed XML made of MathML Core elements.
if python3 - run/report.html > math.txt 2>&1 <<'PY'
import re, sys, xml.etree.ElementTree as ET
core = set("math mi mn mo mtext mspace mrow mfrac msqrt msub msup msubsup munder mover munderover "
           "mtable mtr mtd merror".split())
page = open(sys.argv[1], encoding="utf-8").read()
maths = re.findall(r"<math[ >].*?</math>", page, re.S)
for m in maths:
    root = ET.fromstring(m.replace("&#160;", "&#xa0;"))
    bad = {e.tag for e in root.iter()} - core
    if bad: sys.exit("not MathML Core: %s in %s" % (sorted(bad), m[:200]))
    if root.find(".//merror") is not None: sys.exit("an equation that did not convert: " + m[:200])
print(len(maths))
PY
then ok "  ... each of the $(cat math.txt) <math> elements is well-formed MathML Core"
else bad "  ... each <math> element is well-formed MathML Core"; cat math.txt; fi

cp -r run corrupt
printf 'this is not a PNG' > corrupt/loss_curve.png
dump_dom corrupt || bad "chromium loads a report with a corrupt figure"
has 'data-images-ok="1"' "a corrupt PNG: the other figure still decodes"
has 'data-images-broken="1"' "  ... the corrupt one is counted broken"
has 'could not be shown: loss_curve.png' "  ... and named in the banner"

cp -r run missing
rm missing/function_fit.png
dump_dom missing || bad "chromium loads a report with a missing figure"
has 'data-images-broken="1"' "a missing PNG is counted broken"
has 'could not be shown: function_fit.png' "  ... and named in the banner"

# A 3-unit code: under its PNG an interactive canvas. Three labelled clusters in 6-D, written
# as CSV (label, then features); 30 test points, under the 2,000 cap, so all are drawn.
awk 'BEGIN { srand(7); for (i = 0; i < 120; i++) { c = i % 3; printf "%d", c;
             for (j = 0; j < 6; j++) printf ",%.3f", (j == 2 * c || j == 2 * c + 1 ? 2 : 0) + rand() - 0.5;
             printf "\n" } }' > clusters.csv
head -n 90 clusters.csv > train.csv
tail -n 30 clusters.csv > test.csv
cat > ae3.yaml <<'YAML'
name: ae3
data:
  train: {dataset: csv, path: train.csv, header: false}
  test: {dataset: csv, path: test.csv, header: false}
model:
  input: [6]
  layers:
    - {dense: 8, act: tanh}
    - {dense: 3, name: code}
    - {dense: 6, name: recon}
loss: {mse: {pred: recon, target: input}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 16, epochs: 2}
report: [{embedding: {layer: code}}]
YAML
if "$nnrun" ae3.yaml --quiet --out ae3 > out.txt 2> err.txt; then ok "a 3-unit embedding run writes its report"
else bad "a 3-unit embedding run writes its report"; cat err.txt
fi
dump_dom ae3 || bad "chromium loads the 3-unit embedding's report"
has 'data-images-ok="1"' "3-D view: the static PNG still decodes"
has '<canvas id="view3d-1"' "  ... and a canvas follows it"
has 'data-points-drawn="30"' "  ... drawing every one of the 30 test codes"
has 'data-view="30,20"' "  ... in the PNG's first view (azimuth 30, elevation 20) once reset"
for c in 0 1 2; do has "data-class=\"$c\"" "  ... the legend lists class $c"; done
lacks 'data-class="3"' "  ... and no class the data lacks"
has 'data-rotation-moved="yes"' "  ... a drag rotates the view (the first point moves on screen)"
if grep -q 'data-view-rotated="30,20"' dom.html; then bad "  ... the view after a drag is not the first view"
else ok "  ... the view after a drag is not the first view"; fi
first=$(grep -o 'data-first-xy="[^"]*"' dom.html | cut -d'"' -f2)
rotated=$(grep -o 'data-first-xy-rotated="[^"]*"' dom.html | cut -d'"' -f2)
if [ -n "$first" ] && [ "$first" != "$rotated" ]; then ok "  ... the first point's screen position changes ($first -> $rotated)"
else bad "  ... the first point's screen position changes ('$first' -> '$rotated')"; fi
has 'data-zoom-changed="yes"' "  ... the wheel zooms"
has 'data-reset-ok="yes"' "  ... a double-click resets view and zoom"
has '30 points shown.' "  ... and the caption says how many points it shows"

# the same codes with 2 units: a flat scatter, no 3-D view (and no script for one)
sed -e 's/dense: 3, name: code/dense: 2, name: code/' -e 's/^name: ae3/name: ae2/' ae3.yaml > ae2.yaml
"$nnrun" ae2.yaml --quiet --out ae2 > out.txt 2> err.txt || { bad "a 2-unit embedding run writes its report"; cat err.txt; }
dump_dom ae2 || bad "chromium loads the 2-unit embedding's report"
has 'data-images-ok="1"' "2-unit embedding: the PNG decodes"
lacks '<canvas' "  ... and there is no 3-D canvas"
lacks 'nnView3d' "  ... nor its script"

# a data study: no metrics, its three figures (the example, a matrix per temperature) decode
make_idx idx 3 4 28
printf 'name: study\ndata: {train: {dataset: mnist, path: idx}}\nreport: [{attention_lookup: {query: 1, temperature: [1, 0.2], draws: 20}}]\n' > study.yaml
"$nnrun" study.yaml --out study > out.txt 2> err.txt || { bad "a data study writes its report"; cat err.txt; }
dump_dom study || bad "chromium loads a data study's report"
has "a data study: no network, nothing trained" "data study: the header says so"
lacks "<h2>Metrics</h2>" "  ... there is no metrics table"
has 'data-images-ok="3"' "  ... its three figures decode"
has 'data-images-broken="0"' "  ... none broken"
lacks '<h2 id="model">' "  ... and no Model section"

# A sequence model's equations (sums, fractions, floors, masks, accents, a Transformer's and a
# GRU's rows) are laid out as MathML too.
printf '1,3,4,2,0,0\n0,2,2,1,0,0\n1,4,1,0,0,0\n0,3,3,3,2,1\n' > ids.csv
cat > seq.yaml <<'YAML'
name: seq
data: {train: {dataset: csv, path: ids.csv, header: false}}
model:
  input: [5]
  layers:
    - {embedding: {vocab: 5, dim: 4, padding_id: 0}}
    - {positional_encoding: {}}
    - {transformer_encoder: {heads: 2, ff: 8, mask: input}, name: enc}
    - {gru: {units: 4, output: all, mask: input}, name: rec}
    - {conv1d: {filters: 3, kernel: 2}, act: relu}
    - {max_over: 0}
    - {dense: 2, name: logits}
loss: {cross_entropy: {pred: logits, target: target}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 2, epochs: 1}
report: [loss_curve]
YAML
"$nnrun" seq.yaml --quiet --out seq > out.txt 2> err.txt || { bad "a sequence model writes its report"; cat err.txt; }
dump_dom seq || bad "chromium loads the sequence model's report"
has '<mtd><mrow><mo>(</mo><mi>Q</mi><mo>,</mo><mi>K</mi><mo>,</mo><mi>V</mi><mo>)</mo></mrow></mtd>' \
    "sequence model: the encoder's attention rows are there"
math=$(grep -o 'data-math="[0-9]*"' dom.html | cut -d'"' -f2)
math_ok=$(grep -o 'data-math-ok="[0-9]*"' dom.html | cut -d'"' -f2)
if [ -n "$math" ] && [ "$math" -gt 50 ] && [ "$math" = "$math_ok" ]; then ok "  ... all $math <math> elements laid out as MathML"
else bad "  ... all <math> elements laid out as MathML ('$math_ok' of '$math')"; fi

[ $fails -eq 0 ] && echo "report tests passed" || { echo "$fails report test(s) failed"; exit 1; }
