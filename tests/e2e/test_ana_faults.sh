#!/bin/sh
# SPDX-License-Identifier: MIT
# Each emulator fault, captured by the harness, is named by the analyzer
# from the capture alone: the rule it breaks and, where it says one, the
# detail (SKRCV short of its count names the missing byte).
set -eu
B=${B:-build}
out=$(mktemp -d)
srv=""
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT

python3 tests/e2e/echo_server.py >"$out/port" &
srv=$!
i=0
while [ ! -s "$out/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(head -1 "$out/port")

E=scenarios/examples
n=0
# fault | scenario | rule | a text its message must hold
while IFS='|' read -r fault scen rule text; do
	[ -n "$fault" ] || continue
	rc=0
	"$B/atproof" run --emulator=manual --fault "$fault" --var echo_port="$port" \
	    --capture "$out/f.pcapng" "$E/$scen.yaml" >"$out/run.txt" 2>&1 || rc=$?
	[ -s "$out/f.pcapng" ] || { cat "$out/run.txt"; echo "--fault $fault: no capture"; exit 1; }
	rc=0
	"$B/atproof" analyze --limit '*=500' --report json:"$out/f.json" "$out/f.pcapng" \
	    >/dev/null 2>&1 || rc=$?
	[ $rc -eq 1 ] || { echo "--fault $fault: analyze exit $rc, want 1"; exit 1; }
	python3 - "$out/f.json" "$fault" "$rule" "$text" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fault, rule, text = sys.argv[2:5]
hits = [f for f in d["findings"] if f["rule"] == rule and f["verdict"] == "fail"]
assert hits, (fault, rule, sorted({f["rule"] for f in d["findings"]}))
assert any(text in f["message"] for f in hits), (fault, text, [f["message"] for f in hits])
PY
	n=$((n + 1))
	printf "ok   --fault %s: %s\n" "$fault" "$rule"
done <<'EOF2'
delay=600|basic|latency-limit|over the limit of 500 ms
drop-crlf|basic|resp-terminator|ends with "\r\n"
skrcv-short|socket|frame-incomplete|63 of 64 bytes
garbage=1|basic|text-unexpected|no response, report or echo
wrong-error|negative|resp-errcode|-4
spurious-report=1|basic|resp-terminator|ends with "\r\n"
EOF2
[ $n -eq 6 ]
