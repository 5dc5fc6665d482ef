# test_lib.sh — what the shell tests share (sourced): a scratch folder removed on exit ($tmp),
# the failure count and the ok / bad lines. Source it with `. "$(dirname "$0")/test_lib.sh"`;
# the test cds into $tmp itself when it works there.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { printf '  ok   %s\n' "$1"; }
bad() { printf '  FAIL %s\n' "$1"; fails=$((fails + 1)); }
expect_status() {   # expect_status WANT DESCRIPTION CMD...: its output in out.txt and err.txt
    want=$1; what=$2; shift 2
    "$@" > out.txt 2> err.txt; got=$?
    if [ "$got" -eq "$want" ]; then ok "$what"; else bad "$what (status $got, wanted $want)"; cat err.txt; fi
}
# make_idx DIR CLASSES PER SIDE: MNIST-style IDX files DIR/train-images-idx3-ubyte and
# DIR/train-labels-idx1-ubyte, PER images of SIDE x SIDE pixels for each of CLASSES classes
# (labels 0, 1, ..., CLASSES-1 in turn), each a different, seeded pattern of grey levels.
make_idx() {
    mkdir -p "$1"
    LC_ALL=C awk -v k="$2" -v per="$3" -v side="$4" -v img="$1/train-images-idx3-ubyte" -v lab="$1/train-labels-idx1-ubyte" '
        function be32(v, f) { printf "%c%c%c%c", int(v / 16777216) % 256, int(v / 65536) % 256, int(v / 256) % 256, v % 256 > f }
        BEGIN {
            n = k * per; srand(5)
            printf "%c%c%c%c", 0, 0, 8, 3 > img; be32(n, img); be32(side, img); be32(side, img)
            printf "%c%c%c%c", 0, 0, 8, 1 > lab; be32(n, lab)
            for (i = 0; i < n; i++) {
                c = i % k; printf "%c", c > lab
                for (p = 0; p < side * side; p++) printf "%c", (p % k == c ? 128 : 0) + int(rand() * 128) > img
            }
        }'
}
