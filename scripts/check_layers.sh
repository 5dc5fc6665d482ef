#!/bin/sh
# The include rules of runtime/ (runtime/README.md) and of interpreter/ (interpreter/README.md),
# one line per rule below, and that every file is written through nn/atomic_file.h; run by make
# test.
# Each #include "..." (and <nn/...>) of the files a rule covers is resolved as the compiler
# would (the including file's folder, then include/; then interpreter/ and its folders by name,
# to catch a header only the tests' -Iinterpreter/<folder> would find) and checked; a broken rule
# prints file:line, the header and the rule.
# Then, given the build's libnn.a (BUILD, default build), that it needs no zlib, libpng or libyaml.
# Exit status 1 if anything is broken.
cd "$(dirname "$0")/.." || exit 2

# includes FILE...: one "file:line:resolved header" per project include of the files.
includes() {
    { find runtime include interpreter -name '*.h' | sed 's/^/have /'
      grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*("[^"]+"|<nn/[^>]+>)' /dev/null "$@"; } |
    awk '
    function norm(p,   n, i, k, part, out) {   # a/b/../c -> a/c
        n = split(p, part, "/"); k = 0
        for (i = 1; i <= n; i++) {
            if (part[i] == "." || part[i] == "") continue
            if (part[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
            out[++k] = part[i]
        }
        p = out[1]; for (i = 2; i <= k; i++) p = p "/" out[i]
        return p
    }
    $1 == "have" {
        have[$2] = 1
        if ($2 ~ /^interpreter\/[^\/]+\/[^\/]+$/) { b = $2; sub(/.*\//, "", b); infolder[b] = $2 }
        next
    }
    {
        file = $0; sub(/:.*/, "", file)
        rest = substr($0, length(file) + 2); line = rest; sub(/:.*/, "", line)
        h = rest; sub(/^[^#]*#[[:space:]]*include[[:space:]]*["<]/, "", h); sub(/[">].*/, "", h)
        dir = file; sub(/\/[^\/]*$/, "", dir)
        if (norm(dir "/" h) in have) r = norm(dir "/" h)
        else if (("include/" h) in have) r = "include/" h
        else if (("interpreter/" h) in have) r = "interpreter/" h
        else if (h in infolder) r = infolder[h]
        else r = h " (not found)"
        print file ":" line ":" r
    }'
}

fail=0
# check RULE REGEX MATCH_IS_BAD FILE...: the includes whose resolved header matches the extended
# regular expression (MATCH_IS_BAD = 1), or does not (0), break RULE.
check() {
    rule=$1 re=$2 bad_if=$3
    shift 3
    # (the regex and the rule reach awk through the environment: -v would expand backslashes)
    broken=$(includes "$@" | RE=$re BAD_IF=$bad_if RULE=$rule awk -F: '
        { m = ($3 ~ ENVIRON["RE"]) ? 1 : 0 }
        m == ENVIRON["BAD_IF"] + 0 { printf "%s:%s: includes %s  (rule: %s)\n", $1, $2, $3, ENVIRON["RULE"] }')
    if [ -n "$broken" ]; then printf '%s\n' "$broken"; fail=1; fi
}
forbid() { check "$1" "$2" 1 $3; }   # forbid RULE REGEX FILES: no include may match
only()   { check "$1" "$2" 0 $3; }   # only RULE REGEX FILES: every include must match

RUNTIME=$(find runtime -name '*.[ch]' | sort)
LIBNN=$(find runtime/core runtime/ops runtime/kernels runtime/train runtime/io -name '*.[ch]' | sort)

forbid 'runtime/ never includes interpreter headers' '^interpreter/' "$RUNTIME"
forbid 'libnn (core, ops, kernels, train, io) includes nothing of data/ or plot/, nor nn/data.h, nn/text.h, nn/plot.h' '^(runtime/(data|plot)/|include/nn/(data|text|plot)\.h$)' "$LIBNN"
# plot/ may also write its PNGs through libnn's one atomic writer (nn/atomic_file.h, io/): it
# needs only libc, so libnnplot still takes nothing of libnn but nn_fail and nn_atomic_*.
only 'runtime/plot and nn/plot.h include only plot/, nn/plot.h, core/fail.h and nn/atomic_file.h' '^(runtime/plot/|include/nn/plot\.h$|runtime/core/fail\.h$|include/nn/atomic_file\.h$)' "$(ls runtime/plot/*.[ch]) include/nn/plot.h"
# data/ opens its files through libnn's nn/regular_file.h (libc only), as every reader does.
only 'runtime/data and its public headers include only data/, nn/{shape,rng,expr,data,text,bleu,regular_file,big_alloc}.h, core/fail.h and io/json_lite.h' '^(runtime/data/|include/nn/(shape|rng|expr|data|text|bleu|regular_file|big_alloc)\.h$|runtime/core/fail\.h$|runtime/io/json_lite\.h$)' "$(ls runtime/data/*.[ch]) include/nn/shape.h include/nn/rng.h include/nn/expr.h include/nn/data.h include/nn/text.h include/nn/bleu.h"

# interpreter/: lang <- build <- run <- out <- cli (each folder includes only the ones before it
# and itself); main.c on top; version.[ch] a leaf any of them may include.
in_int() { for d in "$@"; do find "interpreter/$d" -name '*.[ch]'; done | sort; }
forbid 'interpreter/lang includes nothing of build/, run/, out/, cli/' '^interpreter/(build|run|out|cli)/' "$(in_int lang)"
forbid 'interpreter/build includes, of the interpreter, only lang/ and build/' '^interpreter/(run|out|cli)/' "$(in_int build)"
# run/ never includes out/: the trainer does not know the run folder, the commands give it hooks.
forbid 'interpreter/run includes, of the interpreter, only lang/, build/ and run/ (never out/)' '^interpreter/(out|cli)/' "$(in_int run)"
forbid 'interpreter/out includes, of the interpreter, only lang/, build/, run/ and out/' '^interpreter/cli/' "$(in_int out)"
forbid 'interpreter/version.[ch] include nothing of the interpreter but version.h' '^interpreter/(lang|build|run|out|cli)/' "interpreter/version.c interpreter/version.h"

# Every file nnrun writes goes through the one atomic writer (nn/atomic_file.h), so a crash or a
# full disk never leaves half of it: no other source opens a file for writing.
writers=$(grep -nE 'fopen\([^;]*"([wa]|rb?\+)|O_WRONLY|O_RDWR|O_CREAT|[^_]creat\(|freopen\(' $(find runtime interpreter -name '*.c') |
          grep -v '^runtime/io/atomic_file\.c:')
if [ -n "$writers" ]; then
    printf '%s  (rule: files are written through nn/atomic_file.h only)\n' "$writers"
    fail=1
fi

lib=${BUILD:-build}/libnn.a
if [ -f "$lib" ]; then
    used=$(nm -A -u "$lib" 2>/dev/null | grep -E ' U (png_|gz|inflate|deflate|crc32|adler32|yaml_)')
    if [ -n "$used" ]; then
        printf '%s\n' "$used" | awk '{ print $1 " needs " $3 "  (rule: libnn.a needs no zlib, libpng or libyaml)" }'
        fail=1
    fi
fi

if [ "$fail" -eq 0 ]; then echo "layer rules hold"; else echo "layer rules broken (see runtime/README.md, interpreter/README.md)"; fi
exit "$fail"
