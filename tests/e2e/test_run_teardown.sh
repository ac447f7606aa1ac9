#!/bin/sh
# SPDX-License-Identifier: MIT
# A step that fails in transparent mode leaves the module there; the runner
# leaves it (guard, "+++", guard) before the teardown, so the teardown's
# commands are commands and not data for the socket (issue 7 soak: a stuck
# module failed every later run). Checked in the JSON report: the runner's
# step, the teardown passing, and a following case on the same module.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

mkdir -p "$out/s/lib"
cp scenarios/flows/lib/common.yaml "$out/s/lib/"
# flow 3.9 with a stream step that expects other bytes than the peer sends
sed -e 's/^id: flow-3.9-transparent/id: t-stuck/' \
    -e 's/expect_data: "from the peer"/expect_data: "not what the peer sends"/' \
    scenarios/flows/3.9-transparent.yaml >"$out/s/stuck.yaml"
grep -q 'not what the peer sends' "$out/s/stuck.yaml"
cp scenarios/conformance/000-factory-state.yaml "$out/s/after.yaml"

for prof in manual luat; do
	rc=0
	"$B/atproof" run --emulator=$prof --firmware $prof --root "$out/s" \
	    --report json:"$out/$prof.json" "$out/s/stuck.yaml" "$out/s/after.yaml" \
	    >"$out/$prof.txt" 2>&1 || rc=$?
	[ $rc -eq 1 ] || { cat "$out/$prof.txt"; echo "exit $rc with $prof, not 1"; exit 1; }
	python3 - "$out/$prof.json" "$prof" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
cases = {c["id"]: c for c in d["cases"]}
stuck, after = cases["t-stuck"], cases["conf-000-factory-state"]
assert stuck["verdict"] == "fail", stuck["verdict"]
steps = [(s.get("phase"), s.get("name"), s.get("verdict")) for s in stuck["steps"]]
failed = [s for s in steps if s[2] == "fail"]
assert len(failed) == 1 and failed[0][1] == "stream", failed
runner = [s for s in steps if s[1].startswith("the runner: leave transparent")]
assert runner and runner[0][0] == "teardown" and runner[0][2] == "pass", (runner, steps)
td = [s for s in steps if s[0] == "teardown"]
assert td[0] == runner[0], td
assert all(s[2] == "pass" for s in td), td
assert after["verdict"] == "pass", after
print("%s: the runner left transparent mode; the teardown and the next case pass" % sys.argv[2])
PY
done
# A case that passes in transparent mode is left alone (its own steps leave).
rc=0
"$B/atproof" run --emulator=manual --report json:"$out/ok.json" scenarios/flows/3.9-transparent.yaml \
    >"$out/ok.txt" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$out/ok.txt"; exit 1; }
if grep -q "the runner: leave transparent" "$out/ok.json"; then
	echo "the runner left transparent mode in a passing case"; exit 1
fi
echo "test_run_teardown: ok"
