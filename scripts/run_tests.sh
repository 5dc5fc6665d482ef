#!/bin/sh
# make test: checks the include rules of runtime/ and interpreter/ (scripts/check_layers.sh),
# runs every cmocka test program given, replays the fuzz harnesses' regression inputs and seeds
# through their gcc builds (tests/fuzz/replay.sh), then validates every spec in specs/ with `nnrun check` (schema,
# references and shapes; no data needed), the golden losses of every spec
# (scripts/golden_losses.sh; needs `make data`; not in the sanitizer build), then the command-line tests
# (tests/cli_test.sh; tests/bleu_test.sh: nnrun bleu, and against sacreBLEU where it is installed;
# tests/data_study_test.sh: a data study; tests/translate_test.sh: a copy task through translate, runs and compare),
# the data-parallel tests under mpirun (tests/mpi_test.sh),
# the crash tests (a full disk, SIGKILLs; the full disk needs root to mount a tmpfs, else skipped),
# nnrun under valgrind (tests/valgrind_test.sh: `nnrun check` and two tiny trainings; not in the
# sanitizer build),
# the language tests (docs/spec.md's layer table, the JSON Schema against every spec; needs
# python3-jsonschema), the man page test (docs/nnrun.1 renders cleanly and names every command
# and option of every --help) and the report test (report.html in headless Chromium;
# NNRUN_SKIP_BROWSER=1 skips it).
# Fails if anything failed.
fail=0
printf '== scripts/check_layers.sh\n'
scripts/check_layers.sh || fail=$((fail + 1))
for t in "$@"; do
    printf '== %s\n' "$t"
    if ! "$t"; then fail=$((fail + 1)); printf 'FAILED: %s\n' "$t"; fi
done
printf '== tests/fuzz/replay.sh\n'
tests/fuzz/replay.sh "${BUILD:-build}" || fail=$((fail + 1))
printf '== nnrun check specs/\n'
for s in specs/*.yaml specs/bench/*.yaml; do
    if ! "${NNRUN:-bin/nnrun}" check "$s" >/dev/null; then fail=$((fail + 1)); printf 'FAILED: nnrun check %s\n' "$s"; fi
done
if [ "${BUILD:-build}" != build-san ]; then   # the oracle needs the optimised build's sums
    printf '== scripts/golden_losses.sh\n'
    scripts/golden_losses.sh "${NNRUN:-bin/nnrun}" || fail=$((fail + 1))
fi
# The end-to-end scripts, each given nnrun; valgrind cannot run ASan's binaries.
script() {
    printf '== %s\n' "$1"
    "$1" "${NNRUN:-bin/nnrun}" || fail=$((fail + 1))
}
for t in cli bleu data_study translate mpi crash valgrind lang man report; do
    [ "$t" = valgrind ] && [ "${BUILD:-build}" = build-san ] && continue
    script "tests/${t}_test.sh"
done
if [ "$fail" -eq 0 ]; then echo "all tests passed"; else echo "$fail test program(s) failed"; exit 1; fi
