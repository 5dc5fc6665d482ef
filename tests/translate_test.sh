#!/bin/sh
# A translation run through the commands a user types, on a task with a known answer: the
# "French" of every pair is a random sentence of 2 to 5 words from a 12-word vocabulary and its
# "English" the same words (a copy task), written in the translation packages' layout
# (DIR/en/doc-0.json, DIR/fr/doc-0.json with the English's MD5). A small Transformer trained by
# `nnrun SPEC` must copy: `nnrun translate` (arguments, stdin, --beam, --attention), `nnrun runs`
# (its BLEU) and `nnrun compare` of it and a GRU-with-attention run (BLEU side by side, the
# same sentences through both, no images of word ids).
# Usage: tests/translate_test.sh PATH/TO/nnrun
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/test_lib.sh"
cd "$tmp" || exit 1

# 600 seeded copy pairs
mkdir -p pairs/en pairs/fr
awk 'BEGIN { srand(3); split("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima", w, " ")
             for (i = 0; i < 600; i++) { n = 2 + int(rand() * 4); s = w[1 + int(rand() * 12)]
                                         for (k = 1; k < n; k++) s = s " " w[1 + int(rand() * 12)]; print s } }' > sentences.txt
{ printf '['; sep=''; while read -r s; do printf '%s\n  "%s"' "$sep" "$s"; sep=','; done < sentences.txt; printf '\n]'; } > pairs/en/doc-0.json
{ printf '['; sep=''; while read -r s; do
      printf '%s\n  ["%s", "%s"]' "$sep" "$s" "$(printf '%s' "$s" | md5sum | cut -c1-32)"; sep=','
  done < sentences.txt; printf '\n]'; } > pairs/fr/doc-0.json

cat > copy.yaml <<'YAML'
name: copy
seed: 1
data:
  train: {dataset: translation, split: train, path: pairs, max_words: 7, min_count: 1}
  test: {dataset: translation, split: test}
model:
  input: [7]
  layers:
    - {embedding: {vocab: 16, dim: 32, padding_id: 0}}
    - {positional_encoding: {kind: learned}}
    - {transformer_encoder: {heads: 2, ff: 64, dropout: 0, mask: input}, name: memory}
    - {shift: {fill: 1}, from: target}
    - {embedding: {vocab: 16, dim: 32, padding_id: 0, words: target}}
    - {positional_encoding: {kind: learned}, name: positions}
    - {transformer_decoder: {heads: 2, ff: 64, dropout: 0, memory_mask: input}, from: [positions, memory]}
    - {dense: 16, name: logits}
loss: {cross_entropy: {pred: logits, target: target, ignore: 0}}
train: {optimizer: {adam: {lr: 0.003}}, batch: 32, epochs: 12}
report: [loss_curve]
YAML
cat > gru.yaml <<'YAML'
extends: copy.yaml
name: gru
model:
  input: [7]
  layers:
    - {embedding: {vocab: 16, dim: 16, padding_id: 0}}
    - {gru: {units: 32, output: all, mask: input}, name: encoder}
    - {last_over: {mask: input}, from: encoder, name: state}
    - {shift: {fill: 1}, from: target}
    - {embedding: {vocab: 16, dim: 16, padding_id: 0, words: target}}
    - {gru: {units: 32, output: all, initial_state: state, attend: encoder, attend_mask: input}}
    - {dense: 16, name: logits}
train: {epochs: 2}
YAML

expect_status 0 "a Transformer learns the copy task" "$nnrun" copy.yaml --quiet --out runs/copy
bleu=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "test_bleu") c = i } END { print $c }' runs/copy/metrics.csv)
[ "$bleu" = 100 ] && ok "  ... its last test_bleu is 100" || bad "  ... its last test_bleu is 100 (got '$bleu')"

expect_status 0 "nnrun translate --help" "$nnrun" translate --help
expect_status 0 "translate two sentences given as arguments" "$nnrun" translate runs/copy "Alpha BRAVO" "kilo lima golf hotel"
[ "$(cat out.txt)" = "alpha bravo
kilo lima golf hotel" ] && ok "  ... copies them, normalised as the data was, one a line" || { bad "  ... copies them"; cat out.txt; }
printf 'india juliet\necho echo delta\n' > lines.txt
expect_status 0 "translate the lines of stdin with beam search" sh -c "'$nnrun' translate runs/copy --beam 3 < lines.txt"
cmp -s out.txt lines.txt && ok "  ... copies each line" || { bad "  ... copies each line"; cat out.txt; }
expect_status 0 "translate with an attention map" "$nnrun" translate runs/copy "charlie delta echo" --attention att.png
[ "$(head -c 8 att.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok "  ... writes a PNG" || bad "  ... writes a PNG"
expect_status 2 "translate --beam 0 is a usage error" "$nnrun" translate runs/copy --beam 0 "alpha"
expect_status 2 "translate of a run that is no translation run fails" "$nnrun" translate nowhere "alpha"

expect_status 0 "a GRU with attention trains 2 epochs on it" "$nnrun" gru.yaml --quiet --out runs/gru
expect_status 0 "nnrun runs --csv lists both with their BLEU" "$nnrun" runs runs --csv
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "bleu") c = i } $1 == "copy" { print $c + 0 }' out.txt > bleu.txt
[ "$(cat bleu.txt)" = 100 ] && ok "  ... copy's BLEU is 100" || { bad "  ... copy's BLEU is 100"; cat out.txt; }

expect_status 0 "compare of the two translation runs" "$nnrun" compare runs/copy runs/gru --out cmp --count 5
grep -q '^copy: test BLEU 100.00, greedy search over' out.txt && ok "  ... prints each model's test BLEU" ||
    { bad "  ... prints each model's test BLEU"; cat out.txt; }
grep -q '<th>test BLEU (greedy)</th>' cmp/compare.html && grep -q '<td>100.00</td></tr>' cmp/compare.html &&
    ok "  ... with a BLEU column" || { bad "  ... with a BLEU column"; grep -A3 '<table>' cmp/compare.html; }
rows=$(sed -n '/<h2>Translations/,/<\/table>/p' cmp/compare.html | grep -c '^<tr><td>')
[ "$rows" = 5 ] && ok "  ... and 5 sentences side by side" || { bad "  ... and 5 sentences side by side ($rows)"; cat cmp/compare.html; }
same=$(sed -n '/<h2>Translations/,/<\/table>/p' cmp/compare.html | grep '^<tr><td>' |
       awk -F'</td><td>' '{ src = substr($1, 9); if (src == $2 && $2 == $3) n++ } END { print n + 0 }')
[ "$same" = 5 ] && ok "  ... where copy's output is each source" || { bad "  ... where copy's output is each source ($same)"; cat cmp/compare.html; }
[ -s cmp/compare_bleu.png ] && [ ! -e cmp/compare_images.png ] && ! grep -q '<h2>Images' cmp/compare.html &&
    ok "  ... a BLEU chart and no images of word ids" || bad "  ... a BLEU chart and no images of word ids"

[ "$fails" -eq 0 ] && echo "translate_test: all passed" || { echo "translate_test: $fails failed"; exit 1; }
