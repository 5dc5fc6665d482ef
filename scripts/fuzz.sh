#!/bin/sh
# make fuzz: runs each libFuzzer harness of tests/fuzz/ (build-fuzz/fuzz/fuzz_NAME, built by
# `make fuzz`) for FUZZ_SECONDS seconds (default 60), or until FUZZ_RUNS inputs ran when that
# is set and comes first, one after the other, on one core.
#   scripts/fuzz.sh [NAME...]        the harnesses named (all by default)
# Each starts from its corpus of earlier runs (build-fuzz/corpus/NAME, grown as it finds new
# paths), the seeds made by make_seeds (SEEDER; specs/ for the spec harness) and the inputs
# that once crashed (tests/fuzz/regressions/NAME). A crash, a leak, a timeout (10 s for one
# input) or more than 2 GB of memory stops that harness and leaves the input in
# build-fuzz/crashes/NAME/; the script goes on with the next and exits 1 at the end. Logs:
# build-fuzz/logs/NAME.log. Prints a line per harness: executions, speed, corpus size.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/build-fuzz
seconds=${FUZZ_SECONDS:-60}
seeder=${SEEDER:-build/tests/fuzz/make_seeds}
names=${*:-$(ls "$out"/fuzz/ | sed -n 's/^fuzz_\([a-z_]*\)$/\1/p')}

rm -rf "$out/seeds"
"$seeder" "$out/seeds" >/dev/null 2>&1 || { echo "fuzz: $seeder failed" >&2; exit 1; }
mkdir -p "$out/seeds/spec" "$out/logs" "$out/work"
cp specs/*.yaml "$out/seeds/spec/"
for f in specs/bench/*.yaml; do cp "$f" "$out/seeds/spec/bench_${f##*/}"; done   # a bench spec may share a name
# The harnesses write their inputs to files: on a tmpfs when there is one.
scratch=$(mktemp -d /dev/shm/nnrun-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=0
for name in $names; do
    bin=$out/fuzz/fuzz_$name
    [ -x "$bin" ] || { echo "fuzz: no harness $name (expected $bin)" >&2; exit 2; }
    mkdir -p "$out/corpus/$name" "$out/crashes/$name"
    dirs="$out/corpus/$name"
    [ -d "$out/seeds/$name" ] && dirs="$dirs $out/seeds/$name"
    [ -d "tests/fuzz/regressions/$name" ] && dirs="$dirs $root/tests/fuzz/regressions/$name"
    log=$out/logs/$name.log
    # The working directory has no data/: a spec naming data files is checked without them.
    # shellcheck disable=SC2086
    if (cd "$out/work" && TMPDIR=$scratch NNRUN_FUZZ_SPECS=$root/specs OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
        "$bin" -max_total_time="$seconds" -runs="${FUZZ_RUNS:--1}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/crashes/$name/" $dirs) >"$log" 2>&1; then
        result=ok
    else
        result="FAILED: $(ls -t "$out/crashes/$name" | head -1) (see $log)"
        failed=$((failed + 1))
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(ls "$out/corpus/$name" | wc -l)
    printf 'fuzz %-13s %10s runs %7s/s  corpus %5s  %s\n' "$name" "${runs:-?}" "${speed:-?}" "$corpus" "$result"
done
if [ "$failed" -gt 0 ]; then
    echo "fuzz: $failed harness(es) failed; reproduce with build-fuzz/fuzz/fuzz_NAME FILE, and once fixed, add the"
    echo "input to tests/fuzz/regressions/NAME/ (make test replays it)"
    exit 1
fi
