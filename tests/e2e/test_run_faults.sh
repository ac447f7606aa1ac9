#!/bin/sh
# SPDX-License-Identifier: MIT
# For each emulator fault (atproof emu --fault ...), a scenario that passes
# on the clean emulator fails on the faulty one, and the JSON report's
# message names the fault's symptom.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
E=scenarios/examples
n=0
# fault | scenario | a text the failure message must hold
while IFS='|' read -r fault scen symptom; do
	[ -n "$fault" ] || continue
	n=$((n + 1))
	rc=0
	"$B/atproof" run --emulator=manual \
	    --report json:"$out/clean.json" "$E/$scen.yaml" >"$out/clean.txt" 2>&1 || rc=$?
	[ $rc -eq 0 ] || { cat "$out/clean.txt"; echo "$scen fails on the clean emulator"; exit 1; }
	rc=0
	"$B/atproof" run --emulator=manual --fault "$fault" \
	    --report json:"$out/fault.json" "$E/$scen.yaml" >"$out/fault.txt" 2>&1 || rc=$?
	[ $rc -eq 1 ] || { cat "$out/fault.txt"; echo "--fault $fault: exit $rc, not 1"; exit 1; }
	python3 - "$out/clean.json" "$out/fault.json" "$fault" "$symptom" <<'PY'
import json, sys
clean, bad = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
fault, symptom = sys.argv[3], sys.argv[4]
assert clean["verdict"] == "pass", clean["verdict"]
assert bad["verdict"] == "fail", (fault, bad["verdict"])
reason = bad["cases"][0].get("reason") or ""
msgs = [reason] + [s.get("message", "") for c in bad["cases"] for s in c["steps"]]
assert any(symptom in m for m in msgs), (fault, symptom, msgs)
# The failure names a place (file:line) and the step.
assert reason.startswith("scenarios/examples/") and ":" in reason, reason
PY
	printf "ok   --fault %s: %s\n" "$fault" "$symptom"
done <<'EOF2'
delay=600|basic|later than the maximum 500000 us
drop-crlf|basic|not \r\n\r\n
mac-case|negative|+OK=286DCD004E7D
spurious-report=1|basic|report +SKTRPT
echo-stuck|basic|an echo with echo off
wrong-error|negative|got +ERR=-4
skrcv-short|socket|63 of 64 data bytes
garbage=1|basic|no response, report or echo
reset-mid=2|basic|"ready"
bitflip=0.05|basic|not \r\n\r\n
EOF2
[ $n -eq 10 ] || { echo "only $n faults checked"; exit 1; }
