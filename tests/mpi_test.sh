#!/bin/sh
# Data-parallel training under mpirun (nn/dist.h, interpreter/run/trainer_dist.c), on this
# machine's cores: two ranks give the same bytes twice; two ranks of batch 8 train as one rank of
# batch 16 (the same samples per step, the mean of the two gradients); a GAN trains; only rank 0
# writes and prints; a run interrupted mid-epoch resumes bit for bit on as many ranks and is
# refused on another number; a killed rank ends the run instead of hanging it.
# Usage: tests/mpi_test.sh PATH/TO/nnrun. Skipped (with a line saying so) when nnrun was built
# without MPI or mpirun is missing; scripts/install_deps.sh installs Open MPI.
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ! command -v mpirun >/dev/null 2>&1 || ! nm "$nnrun" 2>/dev/null | grep -q MPI_Allreduce; then
    echo "  skip mpi tests: mpirun missing or $1 built without MPI (scripts/install_deps.sh, then make)"
    exit 0
fi
. "$(dirname "$0")/test_lib.sh"
cd "$tmp" || exit 1
# root in a container: Open MPI refuses root unless told, and its shared-memory single copy
# needs ptrace rights a container lacks
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
# under AddressSanitizer: Open MPI keeps allocations to the end (some in components it loads
# at run time, which LeakSanitizer cannot name to suppress); nnrun's own paths are leak-checked
# by the one-process tests
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
mpi2() { timeout 120 mpirun --oversubscribe -np 2 "$nnrun" "$@"; }

cat > fit.yaml <<'YAML'
name: fit
seed: 3
data:
  train: {dataset: function, expr: "sin(3*x)", range: [-1, 1], n: 512, sampling: random}
  test: {dataset: function, expr: "sin(3*x)", range: [-1, 1], n: 128}
model:
  input: [1]
  layers:
    - {dense: 32, act: tanh}
    - {dense: 1, name: out}
loss: {mse: {pred: out, target: target}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 8, epochs: 3}
report: [loss_curve]
YAML

# the metrics of two runs equal to 1e-5 (relative), the seconds column aside
same_metrics() {
    awk -F, 'NR == FNR { a[FNR] = $0; next }
             { split(a[FNR], x, ","); for (i = 1; i <= NF; i++) if (i != s) {
                   d = x[i] - $i; if (d < 0) d = -d; m = ($i < 0 ? -$i : $i); if (d > 1e-5 * (m > 1 ? m : 1)) bad = 1 } }
             FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") s = i }
             END { exit bad }' "$1" "$2"
}

mpi2 fit.yaml --out two_a > out.txt 2> err.txt && ok "two ranks train a spec" || { bad "two ranks train a spec"; cat err.txt; }
grep -q "^fit: 2 ranks, each a batch of 8: a global batch of 16" out.txt && ok "  ... saying the global batch" ||
    { bad "  ... saying the global batch"; cat out.txt; }
[ "$(grep -c '^done:' out.txt)" = 1 ] && [ "$(grep -c '^fit: 512 training samples' out.txt)" = 1 ] &&
    ok "  ... rank 0 alone prints" || { bad "  ... rank 0 alone prints"; cat out.txt; }
[ "$(ls -d two_a* | wc -l)" = 1 ] && [ -f two_a/model.safetensors ] && [ -f two_a/report.html ] &&
    ok "  ... and writes one run folder" || { bad "  ... and writes one run folder"; ls; }
mpi2 fit.yaml --out two_b > /dev/null 2>&1
cmp -s two_a/model.safetensors two_b/model.safetensors && ok "two runs on two ranks give the same bytes" ||
    bad "two runs on two ranks give the same bytes"
"$nnrun" fit.yaml --out one --set train.batch=16 > /dev/null 2>&1
same_metrics two_a/metrics.csv one/metrics.csv && ok "two ranks of batch 8 train as one of batch 16 (losses to 1e-5)" ||
    { bad "two ranks of batch 8 train as one of batch 16"; cat two_a/metrics.csv one/metrics.csv; }

mpi2 fit.yaml --out scaled --set train.scale_lr_with_ranks=true > out.txt 2>&1
grep -q "the learning rates times the ranks" out.txt && awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "lr") c = i }
    NR > 1 && $c != 0.02 { bad = 1 } END { exit bad || NR < 2 }' scaled/metrics.csv &&
    ok "train.scale_lr_with_ranks: two ranks train at twice the spec's learning rate" ||
    { bad "train.scale_lr_with_ranks"; cat out.txt scaled/metrics.csv; }

# Ctrl-C after step 10 of 32 per epoch on both ranks, then --resume: the bytes of a straight run
NNRUN_TEST_INTERRUPT=10 mpi2 fit.yaml --out cut > /dev/null 2> err.txt
grep -q "interrupted at epoch 1, batch 10" err.txt && ok "an interrupted run on two ranks saves its state" ||
    { bad "an interrupted run on two ranks saves its state"; cat err.txt; }
expect_status 2 "  ... which one rank may not resume mid-epoch" "$nnrun" fit.yaml --out cut --resume
grep -q "ranks 2 is outside 1..1 (the ranks running now: a run stopped mid-epoch resumes on as many ranks" err.txt && ok "  ... saying how many ranks" ||
    { bad "  ... saying how many ranks"; cat err.txt; }
mpi2 fit.yaml --out cut --resume > /dev/null 2>&1 && cmp -s cut/model.safetensors two_a/model.safetensors &&
    same_metrics cut/metrics.csv two_a/metrics.csv && ok "  ... and two ranks resume bit for bit" ||
    { bad "  ... and two ranks resume bit for bit"; cat cut/metrics.csv two_a/metrics.csv; }

# a GAN: two nets, two steps, noise drawn apart on each rank
cat > gan.yaml <<'YAML'
name: gan
seed: 3
data:
  train: {dataset: points, points: parabola, n: 256, range: [-1, 1]}
  test: {dataset: points, points: parabola, n: 64, range: [-1, 1]}
nets:
  G: {input: {noise: [2]}, layers: [{dense: 8, act: tanh}, {dense: 2}]}
  D: {input: [2], layers: [{dense: 8, act: tanh}, {dense: 1}]}
losses:
  disc:
    - {bce_with_logits: {pred: D(data), target: 1, name: real}}
    - {bce_with_logits: {pred: D(G), target: 0, name: fake}}
  gen: {bce_with_logits: {pred: D(G), target: 1}}
train:
  batch: 16
  epochs: 2
  steps: [{minimize: disc, update: D}, {minimize: gen, update: G}]
report: [loss_curve]
YAML
mpi2 gan.yaml --out gan > /dev/null 2> err.txt && [ "$(wc -l < gan/metrics.csv)" = 3 ] && ok "a GAN trains on two ranks" ||
    { bad "a GAN trains on two ranks"; cat err.txt; }

# a rank killed mid-run: mpirun ends the others (no hang) and fails
timeout 120 mpirun --oversubscribe -np 2 "$nnrun" fit.yaml --out killed --quiet --epochs 100000 > /dev/null 2> err.txt &
job=$!
victim=""
for i in $(seq 1 100); do
    for p in $(pgrep -f "nnrun fit.yaml --out killed" || true); do
        tr '\0' '\n' < /proc/"$p"/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=$p
    done
    [ -n "$victim" ] && break
    sleep 0.1
done
[ -n "$victim" ] && sleep 1 && kill -9 "$victim"
wait "$job"
status=$?
[ -n "$victim" ] && [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && ok "a killed rank ends the run (status $status, no hang)" ||
    { bad "a killed rank ends the run (victim '$victim', status $status)"; tail -5 err.txt; }

# Two "machines": network namespaces joined by a veth pair, Open MPI between them over TCP only
# (its launcher starts the remote daemon through `ip netns exec` instead of ssh): the path a
# cluster takes. The sums of two numbers do not depend on the wire: the bytes of the local run.
# (Namespace names without '_': Open MPI's launcher fails to reach a host named nnrun_b.)
ns=nnr$$   # names of this run's own: tests may run side by side
if [ "$(id -u)" -eq 0 ] && ip netns add ${ns}a 2>/dev/null; then
    trap 'ip netns del ${ns}a 2>/dev/null; ip netns del ${ns}b 2>/dev/null; rm -rf "$tmp"' EXIT
    ip netns add ${ns}b && ip link add ${ns}va type veth peer name ${ns}vb &&
        ip link set ${ns}va netns ${ns}a && ip link set ${ns}vb netns ${ns}b &&
        ip -n ${ns}a addr add 10.77.0.1/24 dev ${ns}va && ip -n ${ns}b addr add 10.77.0.2/24 dev ${ns}vb &&
        ip -n ${ns}a link set ${ns}va up && ip -n ${ns}b link set ${ns}vb up &&
        ip -n ${ns}a link set lo up && ip -n ${ns}b link set lo up || bad "two network namespaces joined by a veth pair"
    cat > agent.sh <<'SH'
#!/bin/sh
# mpirun's remote launcher, "agent [options] HOST COMMAND...": COMMAND in the namespace HOST
while [ $# -gt 0 ]; do case $1 in -*) shift ;; *) break ;; esac; done
host=$1; shift
exec ip netns exec "$host" /bin/sh -c "$*"
SH
    chmod +x agent.sh
    # A veth pair's carrier comes up asynchronously: on a loaded machine Open MPI's first
    # connection could find no route ("could not route to the remote daemon"). Wait until both
    # ends report their carrier (LOWER_UP), at most 10 s, before starting.
    k=0
    until { ip -n ${ns}a link show ${ns}va; ip -n ${ns}b link show ${ns}vb; } 2>/dev/null | grep -c LOWER_UP | grep -qx 2 ||
        [ $k -ge 20 ]; do k=$((k + 1)); sleep 0.5; done
    printf '%sa slots=1\n%sb slots=1\n' "$ns" "$ns" > hosts
    two_hosts() {
        timeout 120 ip netns exec ${ns}a mpirun --hostfile hosts -np 2 --mca plm_rsh_agent "$tmp/agent.sh" \
            --mca btl tcp,self --mca oob_tcp_if_include 10.77.0.0/24 --mca btl_tcp_if_include 10.77.0.0/24 \
            "$nnrun" fit.yaml --out hosts2 > out.txt 2> err.txt
    }
    # Open MPI's launch over the new link has failed on a loaded machine ("could not route" to
    # the remote daemon, before nnrun started; twice in a row once, 2026-12-05): up to two more
    # tries then, said aloud.
    try=1
    while ! two_hosts && grep -qi "route" err.txt && [ $try -lt 3 ]; do
        try=$((try + 1))
        echo "  (the two-namespace launch found no route; try $try of 3)"
        sleep 1
    done
    cmp -s hosts2/model.safetensors two_a/model.safetensors &&
        ok "two ranks on two network namespaces over TCP train as two local ranks (the same bytes)" ||
        { bad "two ranks on two network namespaces over TCP"; tail -20 err.txt; }
else
    echo "  skip the two-namespace test: needs root and ip netns"
fi

[ $fails -eq 0 ] && echo "mpi tests passed" || { echo "$fails mpi test(s) failed"; exit 1; }
