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
