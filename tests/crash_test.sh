#!/bin/sh
# A full disk and a killed process lose nothing: a checkpoint that does not fit on a small file
# system (a 3 MB tmpfs; skipped, saying why, where mounting is not permitted) fails with a
# message naming the file and the disk and a non-zero status, and leaves the previous
# checkpoint, from which --resume continues once there is room; and a run with a checkpoint
# after every epoch, SIGKILLed 50 times at random moments, resumes after each kill and ends
# with the same weights as a run never killed.
# Usage: tests/crash_test.sh PATH/TO/nnrun
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/test_lib.sh"
trap 'umount "$tmp/disk" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE   # through the EXIT trap: never leave the tmpfs mounted
cd "$tmp" || exit 1
export OMP_NUM_THREADS=1

leftovers() { ls "$1" | grep -c '\.tmp-......$'; }

# ---- a full disk: an autoencoder whose checkpoint (model 0.6 MB + Adam state 1.3 MB) fits
# on 3 MB once, but not twice (a new checkpoint is written whole before the old one goes)
cat > ae.yaml <<'YAML'
name: ae
data: {train: {dataset: points, points: gaussian, n: 64, dim: 784}}
model:
  input: [784]
  layers: [{dense: 100, act: tanh}, {dense: 784, name: recon}]
loss: {mse: {pred: recon, target: input}}
train: {optimizer: {adam: {lr: 0.001}}, batch: 16, epochs: 2}
report: []
YAML
mkdir disk
if ! mount -t tmpfs -o size=3m tmpfs disk 2>mount.txt; then
    echo "  skip full-disk test: cannot mount a 3 MB tmpfs here ($(cat mount.txt)); it needs root"
else
    "$nnrun" ae.yaml --quiet --out disk/ae --epochs 1 > /dev/null 2>&1 || bad "the first epoch fits on the small disk"
    "$nnrun" ae.yaml --quiet --out disk/ae --resume > out.txt 2> err.txt
    st=$?
    [ $st -ne 0 ] && ok "a checkpoint that does not fit fails (status $st)" || bad "a checkpoint that does not fit fails"
    grep -q "the checkpoint of step 8: disk/ae/state.safetensors: write of the temporary file failed: No space left on device (disk full or quota reached: the file system holding disk/ae)" err.txt &&
        ok "  ... naming the file and the disk" || { bad "  ... naming the file and the disk"; cat err.txt; }
    step() { head -c 300 "$1" | tr -d '\000' | sed -n 's/.*"step":"\([0-9]*\)".*/\1/p'; }
    [ "$(step disk/ae/model.safetensors)" = 4 ] && [ "$(step disk/ae/state.safetensors)" = 4 ] && [ "$(leftovers disk/ae)" -eq 0 ] &&
        ok "  ... keeping the previous checkpoint, both files of step 4, and no temporary file" ||
        { bad "  ... keeping the previous checkpoint"; ls -l disk/ae; }
    "$nnrun" eval disk/ae > /dev/null 2>&1 && ok "  ... whose weights load" || bad "  ... whose weights load"
    mount -o remount,size=16m disk
    "$nnrun" ae.yaml --quiet --out disk/ae --resume > out.txt 2> err.txt && grep -q "(resumed)" out.txt &&
        ok "  ... and --resume continues from it once there is room" || { bad "  ... and --resume continues from it"; cat err.txt; }
    "$nnrun" ae.yaml --quiet --out straight > /dev/null 2>&1
    cmp -s straight/model.safetensors disk/ae/model.safetensors && ok "  ... to the weights of a run that had room" ||
        bad "  ... to the weights of a run that had room"
    umount disk
fi

# ---- SIGKILL at random moments of a run that writes metrics, a figure and a checkpoint after
# every epoch; each resume must start (it prints "(resumed)" once the checkpoint is loaded)
cat > fit.yaml <<'YAML'
name: fit
seed: 5
data: {train: {dataset: function, expr: "sin(3*x)", range: [-1, 1], n: 64, sampling: random, noise: 0.05}}
model:
  input: [1]
  layers: [{dense: 16, act: tanh}, {dropout: 0.1}, {dense: 1, name: out}]
loss: {mse: {pred: out, target: target}}
train: {optimizer: {adam: {lr: 0.01}}, batch: 16, epochs: 2000, checkpoint_seconds: 0}
report: [loss_curve]
YAML
# start: until the first checkpoint exists
"$nnrun" fit.yaml --quiet --out kill > out.txt 2> err.txt &
pid=$!
i=0
while [ ! -f kill/state.safetensors ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i + 1)); done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
failed=0 killed=0 i=1
while [ $i -le 50 ] && [ $failed -eq 0 ]; do
    : > out.txt   # now: the child's own redirection may come after the first look below
    "$nnrun" fit.yaml --quiet --out kill --resume > out.txt 2> err.txt &
    pid=$!
    while ! grep -q "(resumed)" out.txt && kill -0 $pid 2>/dev/null; do sleep 0.005; done
    if grep -q "(resumed)" out.txt; then
        sleep "$(awk -v s=$i 'BEGIN { srand(s); printf "%.3f", 0.15 * rand() }')"
        kill -KILL $pid 2>/dev/null && killed=$((killed + 1))
        wait $pid 2>/dev/null
    else
        wait $pid
        st=$?
        [ $st -eq 0 ] || { failed=1; bad "resume $i after a SIGKILL failed (status $st)"; cat err.txt; }
    fi
    i=$((i + 1))
done
[ $failed -eq 0 ] && [ $killed -ge 40 ] && ok "$killed SIGKILLs at random moments: every resume started" ||
    { [ $failed -eq 1 ] || bad "too few of the SIGKILLs found the run still running ($killed of 50)"; }
# the rest at full speed: how often checkpoints are written changes nothing else
"$nnrun" fit.yaml --quiet --out kill --resume --set train.checkpoint_seconds=10 > /dev/null 2> err.txt &&
    ok "  ... and the run finishes" ||
    { bad "  ... and the run finishes"; cat err.txt; }
[ "$(leftovers kill)" -eq 0 ] && ok "  ... leaving no temporary file" || { bad "  ... leaving no temporary file"; ls kill; }
"$nnrun" fit.yaml --quiet --out whole --set train.checkpoint_seconds=10 > /dev/null 2>&1
cmp -s whole/model.safetensors kill/model.safetensors && ok "  ... with the weights of a run never killed" ||
    bad "  ... with the weights of a run never killed"

[ $fails -eq 0 ] && echo "crash tests passed" || { echo "$fails crash test(s) failed"; exit 1; }
