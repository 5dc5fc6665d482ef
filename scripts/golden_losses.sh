#!/bin/sh
# The regression oracle: the training loss (of each loss group) of the first 20 steps of every spec in specs/ and
# specs/bench/ that trains (data studies do not), one thread, so the sums run in one order, against
# tests/golden/losses*.txt: one file per machine arithmetic recorded (the same OpenBLAS kernels sum
# in another order on another CPU: OPENBLAS_CORETYPE=Haswell on an AVX-512 AMD EPYC gives other
# last bits than on the machine losses.txt was recorded on).
#   scripts/golden_losses.sh NNRUN            compare (exit 1 on a difference)
#   scripts/golden_losses.sh NNRUN --write    record this machine's file anew (say so in the commit):
#                                             losses.txt, or losses-$GOLDEN_MACHINE.txt when set
# The losses must equal one file's bit for bit. When no file does (a machine not recorded, or a
# spec one of them lacks), each loss must be within GOLDEN_FALLBACK (default 0.02) of a recorded
# one, relative to max(|loss|, 1), and the script says that no file matched exactly.
# A change that moves these numbers on purpose records them anew in the same commit, and removes
# the files it could not record again. GOLDEN_TOLERANCE (relative, default 0: bit for bit)
# loosens the exact comparison. Specs whose data is missing (`make data`) fail, naming the spec.
set -u
nnrun=${1:-bin/nnrun}
mode=${2:-compare}
golden=tests/golden/losses${GOLDEN_MACHINE:+-$GOLDEN_MACHINE}.txt
tol=${GOLDEN_TOLERANCE:-0}
fallback=${GOLDEN_FALLBACK:-0.02}
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
# compare FILE TOL SCALE: every recorded loss of FILE found, within TOL (0: bit for bit) relative to
# |want| (SCALE 0) or max(|want|, 1) (SCALE 1), and no loss FILE lacks; QUIET=1 prints only the
# summary line
compare() {
    awk -v tol="$2" -v scale="$3" -v quiet="${QUIET:-0}" -v file="$1" '
    NR == FNR { want[$1 " " $2] = $3; order[++n] = $1 " " $2; next }
    { got[$1 " " $2] = $3 }
    END {
        bad = 0; worst = 0
        for (i = 1; i <= n; i++) {
            k = order[i]
            if (!(k in got)) { if (!quiet) printf "golden: %s: no loss (expected %s)\n", k, want[k]; bad++; continue }
            w = want[k] + 0; g = got[k] + 0; d = w - g; if (d < 0) d = -d; m = w < 0 ? -w : w
            if (scale && m < 1) m = 1
            if (m > 0 && d / m > worst) worst = d / m
            if ((tol == 0 && want[k] != got[k]) || (tol > 0 && d > tol * m)) {
                if (!quiet) printf "golden: %s: loss %s, expected %s\n", k, got[k], want[k]; bad++
            }
        }
        for (k in got) if (!(k in want)) { if (!quiet) printf "golden: %s: not in %s\n", k, file; bad++ }
        if (bad) { printf "golden: %s: %d of %d losses differ (largest relative difference %.3g)\n", file, bad, n, worst; exit 1 }
        how = tol > 0 ? sprintf(" within %s (largest relative difference %.3g)", tol, worst) : " bit for bit"
        printf "golden: %d losses match %s%s\n", n, file, how
    }' "$1" "$tmp/all.txt"
}
files=$(ls tests/golden/losses*.txt)
for f in $files; do
    QUIET=1 compare "$f" "$tol" 0 >/dev/null && { compare "$f" "$tol" 0; exit $fail; }
done
echo "golden: no recorded file matches this machine's losses exactly:"
for f in $files; do QUIET=1 compare "$f" "$tol" 0; done
for f in $files; do
    QUIET=1 compare "$f" "$fallback" 1 >/dev/null && { compare "$f" "$fallback" 1; exit $fail; }
done
for f in $files; do compare "$f" "$fallback" 1; done
exit 1
