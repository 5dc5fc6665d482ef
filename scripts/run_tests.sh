#!/bin/sh
# Runs every test binary given; prints a summary; fails if any failed.
fail=0
for t in "$@"; do
    printf '== %s\n' "$t"
    if ! "$t"; then fail=$((fail + 1)); printf 'FAILED: %s\n' "$t"; fi
done
[ "$fail" -eq 0 ] && echo "all tests passed" || { echo "$fail test program(s) failed"; exit 1; }
