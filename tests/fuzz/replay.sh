#!/bin/sh
# make test: every fuzz harness built with gcc (BUILD/tests/fuzz/replay_NAME, replay_main.c in
# place of libFuzzer) replays the inputs that once crashed it (tests/fuzz/regressions/NAME/)
# and the seeds make_seeds writes (specs/ for the spec harness): each must pass the harness's
# checks, so a fixed crash stays fixed on any build, clang or not.
#   tests/fuzz/replay.sh BUILD
build=${1:-build}
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
"$build/tests/fuzz/make_seeds" "$seeds" >/dev/null 2>&1 || { echo "FAILED: $build/tests/fuzz/make_seeds"; exit 1; }
mkdir -p "$seeds/spec"
cp specs/*.yaml "$seeds/spec/"
for f in specs/bench/*.yaml; do cp "$f" "$seeds/spec/bench_${f##*/}"; done   # a bench spec may share a name
fail=0
for bin in "$build"/tests/fuzz/replay_*; do
    name=${bin##*/replay_}
    case $name in *.d) continue ;; esac
    dirs="$seeds/$name"
    [ -d "tests/fuzz/regressions/$name" ] && dirs="$dirs tests/fuzz/regressions/$name"
    log=$seeds/$name.log
    # shellcheck disable=SC2086
    if OMP_NUM_THREADS=1 "$bin" $dirs >"$log" 2>&1; then
        tail -1 "$log"
    else
        tail -20 "$log"
        echo "FAILED: $bin"
        fail=1
    fi
done
exit $fail
