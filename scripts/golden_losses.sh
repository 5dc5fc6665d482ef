#!/bin/sh
# The regression oracle: the training loss (of each loss group) of the first 20 steps of every spec in specs/ and
# specs/bench/ that trains (data studies do not), one thread, so the sums run in one order, against
# tests/golden/losses.txt.
#   scripts/golden_losses.sh NNRUN            compare (exit 1 on a difference)
#   scripts/golden_losses.sh NNRUN --write    record the file anew (say so in the commit)
# A change that moves these numbers on purpose updates the file in the same commit.
# GOLDEN_TOLERANCE (relative, default 0: bit for bit) allows a machine whose kernels sum in
# another order. Specs whose data is missing (`make data`) fail, naming the spec.
set -u
nnrun=${1:-bin/nnrun}
mode=${2:-compare}
golden=tests/golden/losses.txt
tol=${GOLDEN_TOLERANCE:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# one spec: its first 20 steps as "SPEC[/RUN] STEP LOSS" lines in $tmp/NAME.txt (sweeps: every
# run); a spec with fewer steps per epoch runs as many epochs as 20 steps take
train() {   # SPEC EPOCHS OUT LOG
    OMP_NUM_THREADS=1 "$nnrun" "$1" --epochs "$2" --limit-batches 20 --quiet --set 'report=[]' --out "$3" >"$4" 2>&1
}
run_spec() {
    name=$(echo "$1" | sed 's|^specs/||; s|\.yaml$||')
    file=$(echo "$name" | tr / _)
    out="$tmp/runs/$name"
    if ! train "$1" 1 "$out" "$tmp/$file.log"; then
        echo "golden: $1 failed to run:" >&2
        tail -5 "$tmp/$file.log" >&2
        return 1
    fi
    per_epoch=$(($(find "$out" -name steps.csv | sort | head -1 | xargs cat | wc -l) - 1))
    if [ "$per_epoch" -gt 0 ] && [ "$per_epoch" -lt 20 ]; then
        rm -rf "$out"
        train "$1" $(((20 + per_epoch - 1) / per_epoch)) "$out" "$tmp/$file.log" || return 1
    fi
    find "$out" -name steps.csv | sort | while read -r f; do
        run=$(dirname "$f" | sed "s|^$out||")
        # every group's loss: train_loss (one group) or train_GROUP, keyed SPEC[/RUN][:GROUP]
        awk -F, -v n="$name$run" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^train_/ && $i != "train_accuracy") { c[++k] = i; g[k] = substr($i, 7) }; next }
                                  NR <= 21 { for (j = 1; j <= k; j++) if ($c[j] != "") print n (g[j] == "loss" ? "" : ":" g[j]), $1, $c[j] }' "$f"
    done >"$tmp/$file.txt"
}

# a data study (no model: or nets: once resolved) trains nothing: it has no losses to record
trains() { "$nnrun" resolve "$1" 2>/dev/null | grep -Eq '^(model|nets):'; }
specs=$(for s in specs/*.yaml specs/bench/*.yaml; do if trains "$s"; then echo "$s"; fi; done)
fail=0
# two specs at a time, one thread each
set -- $specs
while [ $# -gt 0 ]; do
    run_spec "$1" & p1=$!
    p2=""
    if [ $# -gt 1 ]; then run_spec "$2" & p2=$!; fi
    wait $p1 || fail=1
    [ -n "$p2" ] && { wait $p2 || fail=1; }
    shift; [ $# -gt 0 ] && shift
done
for s in $specs; do
    name=$(echo "$s" | sed 's|^specs/||; s|\.yaml$||')
    cat "$tmp/$(echo "$name" | tr / _).txt" 2>/dev/null
done >"$tmp/all.txt"

if [ "$mode" = "--write" ]; then
    [ "$fail" -eq 0 ] || { echo "golden: not written (a spec failed)" >&2; exit 1; }
    mkdir -p "$(dirname "$golden")"
    cp "$tmp/all.txt" "$golden"
    echo "golden: wrote $(wc -l <"$golden") losses to $golden"
    exit 0
fi
# compare line by line: same specs, same steps, losses equal (or within the tolerance)
if ! awk -v tol="$tol" '
    NR == FNR { want[$1 " " $2] = $3; order[++n] = $1 " " $2; next }
    { got[$1 " " $2] = $3 }
    END {
        bad = 0
        for (i = 1; i <= n; i++) {
            k = order[i]
            if (!(k in got)) { printf "golden: %s: no loss (expected %s)\n", k, want[k]; bad++; continue }
            w = want[k] + 0; g = got[k] + 0; d = w - g; if (d < 0) d = -d; m = w < 0 ? -w : w
            if ((tol == 0 && want[k] != got[k]) || (tol > 0 && d > tol * m)) {
                printf "golden: %s: loss %s, expected %s\n", k, got[k], want[k]; bad++
            }
        }
        for (k in got) if (!(k in want)) { printf "golden: %s: not in the golden file\n", k; bad++ }
        if (bad) { printf "golden: %d of %d losses differ\n", bad, n; exit 1 }
        printf "golden: %d losses match\n", n
    }' "$golden" "$tmp/all.txt"; then
    fail=1
fi
exit $fail
