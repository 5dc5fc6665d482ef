#!/bin/sh
# nnrun bleu: the issue's test vectors read from files and from standard input, sacreBLEU's own
# two-reference corpus, and the refusals (line counts that differ, naming both files and counts;
# an empty reference, a line that is not UTF-8, naming the file and line; no line at all).
# Then, where Python's sacrebleu is installed, the same score as sacreBLEU's command line on 400
# generated sentence pairs with punctuation, numbers, entities, Unicode letters and spaces
# (skipped with a message otherwise: Debian packages no sacrebleu).
# Usage: tests/bleu_test.sh PATH/TO/nnrun
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/test_lib.sh"
cd "$tmp" || exit 1

printf 'the cat sat on the mat\nThe cat sat on the mat.\n' > hyp.txt
printf 'the cat is on the mat\nThe cat is on the mat.\n' > ref.txt
head -1 hyp.txt > hyp1.txt; head -1 ref.txt > ref1.txt
sed -n 2p hyp.txt > hyp2.txt; sed -n 2p ref.txt > ref2.txt
sig='nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.5.1'
expect_status 0 "nnrun bleu scores the first test vector" "$nnrun" bleu hyp1.txt ref1.txt
grep -qxF "BLEU|$sig = 37.9918 83.3/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)" out.txt &&
    ok "  ... 37.9918 with sacreBLEU's signature and details" || { bad "  ... 37.9918 with sacreBLEU's signature"; cat out.txt; }
expect_status 0 "the second, its hypothesis from standard input without a final newline" \
    sh -c "printf 'The cat sat on the mat.' | '$nnrun' bleu - ref2.txt"
grep -qF "BLEU|$sig = 48.8923 " out.txt && ok "  ... 48.8923" || { bad "  ... 48.8923"; cat out.txt; }
expect_status 0 "both as one corpus" "$nnrun" bleu hyp.txt ref.txt
grep -qF "hyp_len = 13 ref_len = 13)" out.txt && ok "  ... sums the two sentences' lengths" || { bad "  ... sums the lengths"; cat out.txt; }

# sacreBLEU's README corpus, two references a sentence: 48.530827 (its test_corpus_bleu)
printf 'The dog bit the man.\nIt wasn'"'"'t surprising.\nThe man had just bitten him.\n' > dog_hyp.txt
printf 'The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n' > dog_ref1.txt
printf 'The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n' > dog_ref2.txt
expect_status 0 "two reference files" "$nnrun" bleu dog_hyp.txt dog_ref1.txt dog_ref2.txt
grep -qF "BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.5.1 = 48.5308 " out.txt &&
    ok "  ... 48.5308, nrefs:2" || { bad "  ... 48.5308, nrefs:2"; cat out.txt; }

printf 'one\ntwo\nthree\n' > three.txt
expect_status 2 "line counts that differ are refused" "$nnrun" bleu three.txt ref.txt
grep -qF "three.txt has 3 lines but ref.txt has 2" err.txt && ok "  ... naming both files and counts" ||
    { bad "  ... naming both files and counts"; cat err.txt; }
printf 'a\n \t\n' > empty_ref.txt
expect_status 2 "an empty reference line is refused" "$nnrun" bleu hyp.txt empty_ref.txt
grep -qF "empty_ref.txt:2: the reference is empty" err.txt && ok "  ... naming its line" || { bad "  ... naming its line"; cat err.txt; }
printf 'fine\ncaf\351\n' > latin1.txt
expect_status 2 "a line that is not UTF-8 is refused" "$nnrun" bleu latin1.txt ref.txt
grep -qF "latin1.txt:2: not UTF-8 text (byte 0xe9 at byte 4 of the line)" err.txt && ok "  ... naming its line and byte" ||
    { bad "  ... naming its line and byte"; cat err.txt; }
: > none.txt
expect_status 2 "an empty file is refused" "$nnrun" bleu none.txt none.txt
grep -qF "none.txt has no line" err.txt && ok "  ... saying so" || { bad "  ... saying so"; cat err.txt; }
expect_status 2 "a missing file is refused" "$nnrun" bleu missing.txt ref.txt
grep -qF "missing.txt: cannot open" err.txt && ok "  ... naming it" || { bad "  ... naming it"; cat err.txt; }
expect_status 2 "one file is a usage error" "$nnrun" bleu hyp.txt
expect_status 2 "an unknown option is a usage error" "$nnrun" bleu --width 2 hyp.txt ref.txt

# Against sacreBLEU itself, where it is installed.
if ! python3 -c 'import sacrebleu' 2>/dev/null; then
    echo "  skip the comparison with sacreBLEU: python3 cannot import sacrebleu (Debian packages none; pip install sacrebleu)"
else
    python3 - <<'PY'
import random
r = random.Random(17)
words = ("the a cat dog sat ran on in mat park big small green I you it don't l'homme e-mail "
         "état déjà naïve ţară 中文 日本 😀 1 42 3.14 1,000 10-20 2-3 5. .5 v1.2 $5 100% "
         "&amp; &lt;b&gt; &quot;hi&quot; <skipped> (yes) [no] x/y a.b e.g. U.S. --").split()
marks = ["", "", "", ",", ".", "!", "?", ";", ":", "...", "\"", "'", "-"]
spaces = [" "] * 12 + ["  ", "\t", "\u00a0", "\u2009", "\u3000"]
def sentence(n):
    return "".join(r.choice(words) + r.choice(marks) + r.choice(spaces) for _ in range(n)).strip()
def edit(ref):
    toks = ref.split(" ")
    out = []
    for t in toks:
        x = r.random()
        if x < 0.1: continue
        if x < 0.25: t = r.choice(words)
        out.append(t)
        if r.random() < 0.08: out.append(r.choice(words) + r.choice(marks))
    return " ".join(out) if r.random() > 0.02 else ""
refs = [sentence(r.randint(1, 25)) for _ in range(400)]
hyps = [edit(x) for x in refs]
with open("gen_ref.txt", "w", encoding="utf-8", newline="\n") as f:
    f.write("".join(x + "\n" for x in refs))
with open("gen_hyp.txt", "w", encoding="utf-8", newline="\n") as f:
    f.write("".join(x + "\n" for x in hyps))
PY
    theirs=$(python3 -m sacrebleu gen_ref.txt -i gen_hyp.txt -b -w 4 2>err.txt)
    version=$(python3 -c 'import sacrebleu; print(sacrebleu.__version__)')
    ours=$("$nnrun" bleu gen_hyp.txt gen_ref.txt | sed 's/^BLEU|[^ ]* = \([0-9.]*\) .*/\1/')
    [ -n "$theirs" ] && [ "$ours" = "$theirs" ] && ok "400 generated pairs score $ours, as sacreBLEU $version" ||
        { bad "400 generated pairs: nnrun $ours, sacreBLEU $version ${theirs:-failed}"; cat err.txt; }
fi

[ "$fails" -eq 0 ] && echo "bleu tests passed" || { echo "$fails bleu test(s) failed"; exit 1; }
