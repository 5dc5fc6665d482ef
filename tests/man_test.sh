#!/bin/sh
# The man page, docs/nnrun.1: it renders without a single warning (groff -ww, man --warnings=w),
# `make install-man` (part of `make install`) puts it where `man nnrun` finds it, its version
# is the program's, and it cannot fall behind the program: every command `nnrun --help` lists
# (and `train`) has a subsection (.SS) and a SYNOPSIS line, every --option a command's --help
# prints has an item of its own (.TP) in that command's subsection, every --option of
# `nnrun --help` is in the page, and every --option the page names is one the help texts print
# (or --version).
# Usage: tests/man_test.sh PATH/TO/nnrun [PAGE]   (PAGE: another copy of the page to check)
# Needs groff (Debian's groff-base) and man-db; scripts/install_deps.sh installs both.
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
page=$(cd "$(dirname "${2:-$repo/docs/nnrun.1}")" && pwd)/$(basename "${2:-$repo/docs/nnrun.1}")
. "$(dirname "$0")/test_lib.sh"
cd "$tmp" || exit 1
for tool in groff man; do
    command -v $tool >/dev/null 2>&1 ||
        { echo "  FAIL '$tool' not found; run scripts/install_deps.sh (groff-base, man-db)"; exit 1; }
done

# Rendering: any warning at all is a failure.
groff -man -Tutf8 -ww -z "$page" 2> err.txt
[ -s err.txt ] && { bad "groff -man -ww renders the page without warnings"; cat err.txt; } ||
    ok "groff -man -ww renders the page without warnings"
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" > /dev/null 2> err.txt
[ -s err.txt ] && { bad "man --warnings=w -l renders the page without warnings"; cat err.txt; } ||
    ok "man --warnings=w -l renders the page without warnings"

# `make install` puts it where man looks: PREFIX/share/man/man1.
make -s -C "$repo" --no-print-directory install-man DESTDIR="$tmp/root" PREFIX=/usr/local > err.txt 2>&1 &&
    [ -f root/usr/local/share/man/man1/nnrun.1 ] && ok "make install-man installs share/man/man1/nnrun.1" ||
    { bad "make install-man installs share/man/man1/nnrun.1"; cat err.txt; }
LC_ALL=C.UTF-8 MANWIDTH=80 man -M "$tmp/root/usr/local/share/man" nnrun > installed.txt 2> err.txt
grep -q '^NNRUN(1)' installed.txt && ok "man nnrun finds the installed page" ||
    { bad "man nnrun finds the installed page"; cat err.txt; }

# The version in .TH is the program's.
version=$("$nnrun" --version | cut -d" " -f1,2)   # "nnrun X.Y.Z", without the BLAS line
grep -q "^\.TH NNRUN 1 [^ ]* \"$version\"" "$page" && ok ".TH names $version" ||
    bad ".TH names $version (the page: $(grep '^\.TH' "$page"))"

# The page's source as plain text: comments dropped, \- as -, font and spacing escapes removed.
grep -v '^\.\\"' "$page" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\c//g' -e 's/\\%//g' > plain.txt
# section CMD: the lines from `.SS CMD` (or `.SS "CMD ...`) to the next .SS or .SH.
section() { awk -v c="$1" '/^\.S[SH]/ { on = ($1 == ".SS" && ($2 == c || $2 == "\"" c)) } on' plain.txt; }
synopsis() { awk '/^\.SH/ { on = ($2 == "SYNOPSIS") } on' plain.txt; }
has_opt() { grep -q -- "$1\([^a-z-]\|\$\)"; }   # the option as a whole word on standard input
options() { grep -o -- '--[a-z][a-z-]*' | sort -u; }

"$nnrun" --help > help.txt || bad "nnrun --help exits with status 0"
cp help.txt all_help.txt
cmds="$(sed -n 's/^\(usage:\)\{0,1\} *nnrun \([a-z][a-z]*\).*/\2/p' help.txt) train"
[ "$(echo $cmds | wc -w)" -ge 9 ] && ok "nnrun --help lists the commands:$(printf ' %s' $cmds)" ||
    bad "nnrun --help lists fewer commands than expected:$(printf ' %s' $cmds)"
for c in $cmds; do
    if ! "$nnrun" "$c" --help > "help_$c.txt"; then bad "nnrun $c --help exits with status 0"; continue; fi
    cat "help_$c.txt" >> all_help.txt
    section "$c" > "sec_$c.txt"
    [ -s "sec_$c.txt" ] && ok "$c has a subsection (.SS $c)" || { bad "$c has a subsection (.SS $c)"; continue; }
    synopsis | grep -q "nnrun $c\\b" && ok "$c is in the SYNOPSIS" || bad "$c is in the SYNOPSIS (a line .SY \"nnrun $c\")"
    awk '/^\.TP/ { getline; print }' "sec_$c.txt" > "items_$c.txt"   # the tags of its .TP items
    missing=""
    for o in $(options < "help_$c.txt"); do has_opt "$o" < "items_$c.txt" || missing="$missing $o"; done
    [ -z "$missing" ] && ok "$c: every option of nnrun $c --help has an item (.TP) in its subsection" ||
        bad "$c: options of nnrun $c --help without an item (.TP) in its subsection:$missing"
done
missing=""
for o in $(options < help.txt); do has_opt "$o" < plain.txt || missing="$missing $o"; done
[ -z "$missing" ] && ok "every option of nnrun --help is in the page" || bad "options of nnrun --help missing from the page:$missing"

# And nothing invented: each --option the page names, the help texts print.
extra=""
for o in $(options < plain.txt); do
    [ "$o" = --version ] || has_opt "$o" < all_help.txt || extra="$extra $o"
done
[ -z "$extra" ] && ok "every option the page names is in a help text" || bad "options in the page that no help text prints:$extra"

[ $fails -eq 0 ] && echo "man page tests passed" || { echo "$fails man page test(s) failed"; exit 1; }
