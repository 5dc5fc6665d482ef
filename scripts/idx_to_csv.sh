#!/bin/sh
# Writes an IDX image file and its label file as one CSV, a sample per line: the label, then
# every pixel value 0..255, no header (the layout of the "MNIST in CSV" files).
# Usage: scripts/idx_to_csv.sh IMAGES-idx3-ubyte LABELS-idx1-ubyte OUT.csv
# OUT.csv appears only when complete (written to OUT.csv.part, then renamed).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 IMAGES-idx3-ubyte LABELS-idx1-ubyte OUT.csv" >&2; exit 2; }
img=$1 lbl=$2 out=$3
export LC_ALL=C   # byte-wise tr/sed: several times faster than in a UTF-8 locale

die() { printf 'idx_to_csv: %s\n' "$*" >&2; exit 1; }

# The N-th big-endian 32-bit word (from 0) of a file's header.
header_word() {
    od -An -v -tu1 -j$(($2 * 4)) -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'
}

for f in "$img" "$lbl"; do [ -r "$f" ] || die "cannot read $f"; done
[ "$(header_word "$img" 0)" = 2051 ] || die "$img is not an IDX image file (magic number is not 0x00000803)"
[ "$(header_word "$lbl" 0)" = 2049 ] || die "$lbl is not an IDX label file (magic number is not 0x00000801)"
n=$(header_word "$img" 1)
[ "$(header_word "$lbl" 1)" = "$n" ] || die "$img holds $n images but $lbl $(header_word "$lbl" 1) labels"
pixels=$(($(header_word "$img" 2) * $(header_word "$img" 3)))
[ "$(wc -c <"$img")" -eq $((16 + n * pixels)) ] || die "$img is not $n images of $pixels pixels (truncated?)"
[ "$(wc -c <"$lbl")" -eq $((8 + n)) ] || die "$lbl is not $n labels (truncated?)"

part=$out.part
labels=$out.labels.part
trap 'rm -f "$part" "$labels"' EXIT
trap 'rm -f "$part" "$labels"; exit 1' INT TERM
# od prints right-aligned numbers ("   5   0 255"): squeezing the blanks to commas leaves one
# leading comma per line, which sed removes.
od -An -v -tu1 -w1 -j8 "$lbl" >"$labels"
od -An -v -tu1 -w"$pixels" -j16 "$img" | paste -d' ' "$labels" - | tr -s ' ' ',' | sed 's/^,//' >"$part"
lines=$(wc -l <"$part")
[ "$lines" -eq "$n" ] || die "wrote $lines lines to $part, expected $n"
mv -f "$part" "$out"
rm -f "$labels"
trap - EXIT INT TERM
