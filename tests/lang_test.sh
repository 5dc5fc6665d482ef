#!/bin/sh
# The spec language's generated descriptions against the parser and the docs:
# - docs/spec.md's layer table is `nnrun layers --markdown`;
# - `nnrun schema` is a valid JSON Schema (draft 2020-12) that every spec of specs/ and
#   specs/bench/ satisfies: resolved (`nnrun resolve --json`), with its defaults written out
#   (--defaults, the run folder's spec.yaml) and as written (--as-written: a child spec is
#   partial); and that rejects an unknown key, a wrong type, an unknown layer or activation, a
#   key of another dataset kind, a loss without a model, and a data study (no model) with a
#   report that reads a model, a train section or no report.
# The validator is python3-jsonschema (scripts/install_deps.sh).
# Usage: tests/lang_test.sh PATH/TO/nnrun
set -u
nnrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/test_lib.sh"

# ---- docs/spec.md's layer table
"$nnrun" layers --markdown > "$tmp/layers.md"
awk '/^\| type \| value \| options \| output \|$/ { t = 1 } t && /^\|/ { print; next } t { exit }' "$repo/docs/spec.md" > "$tmp/doc.md"
if [ -s "$tmp/doc.md" ] && cmp -s "$tmp/layers.md" "$tmp/doc.md"; then ok "docs/spec.md's layer table is nnrun layers --markdown"
else bad "docs/spec.md's layer table differs from nnrun layers --markdown (paste its output in)"; diff "$tmp/doc.md" "$tmp/layers.md" | head -20; fi
"$nnrun" layers > "$tmp/layers.txt" && grep -q "^conv1d " "$tmp/layers.txt" && grep -q "^leaky_relu " "$tmp/layers.txt" &&
    ok "nnrun layers lists layers and activations" || bad "nnrun layers lists layers and activations"

# ---- the JSON Schema
py=""
for p in /usr/bin/python3 python3; do   # Debian's python3-jsonschema first
    if "$p" -c 'import jsonschema' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
    bad "no python3 with jsonschema: install python3-jsonschema (scripts/install_deps.sh)"
    exit 1
fi
"$nnrun" schema > "$tmp/schema.json" || bad "nnrun schema"
mkdir -p "$tmp/good" "$tmp/bad"
cd "$repo" || exit 1
for s in specs/*.yaml specs/bench/*.yaml; do
    n=$(echo "$s" | tr / _)
    "$nnrun" resolve --json "$s" > "$tmp/good/$n.resolved.json" || bad "nnrun resolve $s"
    "$nnrun" resolve --json --defaults "$s" > "$tmp/good/$n.defaults.json" || bad "nnrun resolve --defaults $s"
    "$nnrun" resolve --json --as-written "$s" > "$tmp/good/$n.as-written.json" || bad "nnrun resolve --as-written $s"
done
i=0
while IFS='|' read -r what spec set; do
    i=$((i + 1))
    "$nnrun" resolve --json "specs/$spec" --set "$set" > "$tmp/bad/$i.json" || bad "nnrun resolve $spec --set $set"
    printf '%s\n' "$what" > "$tmp/bad/$i.txt"
done <<'EOF'
an unknown key|osc_l2.yaml|train.shufle=true
a wrong type|osc_l2.yaml|train.batch=big
an unknown layer|osc_l2.yaml|model.layers.0={dense2: 8}
an unknown activation|osc_l2.yaml|model.layers.0={dense: 8, act: tanhh}
a key of another dataset kind|osc_l2.yaml|data.train.vocab=100
a layer option of the wrong type|osc_l2.yaml|model.layers.0={dense: {units: 8.5}}
a second type key|osc_l2.yaml|model.layers.0={dense: 8, relu: ~}
a spec with a loss but no model|osc_l2.yaml|model=~
a data study with a report that reads a model|attention_mnist.yaml|report=[loss_curve]
a data study with a train section|attention_mnist.yaml|train={epochs: 2}
a data study with no report|attention_mnist.yaml|report=~
a temperature of 0|attention_mnist.yaml|report.0.attention_lookup.temperature=[1, 0]
EOF
"$py" - "$tmp" <<'EOF' || fails=$((fails + 1))
import glob, json, os, sys
import jsonschema
tmp = sys.argv[1]
schema = json.load(open(os.path.join(tmp, "schema.json")))
cls = jsonschema.Draft202012Validator
cls.check_schema(schema)
print("  ok   nnrun schema is a valid draft 2020-12 schema")
v = cls(schema)
fails = 0
for f in sorted(glob.glob(os.path.join(tmp, "good", "*.json"))):
    errors = list(v.iter_errors(json.load(open(f))))
    if errors:
        e = jsonschema.exceptions.best_match(errors)
        print("  FAIL %s: %s at %s" % (os.path.basename(f), e.message[:200], list(e.absolute_path)))
        fails += 1
print("  %s every spec of specs/ and specs/bench/ satisfies it (resolved, with defaults, as written)" % ("ok  " if not fails else "FAIL"))
for f in sorted(glob.glob(os.path.join(tmp, "bad", "*.json"))):
    what = open(f[:-5] + ".txt").read().strip()
    if v.is_valid(json.load(open(f))):
        print("  FAIL it accepts %s" % what)
        fails += 1
    else:
        print("  ok   it rejects %s" % what)
sys.exit(1 if fails else 0)
EOF
if [ "$fails" -eq 0 ]; then echo "language tests passed"; else echo "$fails language test(s) failed"; exit 1; fi
