#!/bin/sh
# SPDX-License-Identifier: MIT
# The analyzer on atproof's own captures: the harness runs the example
# scenarios against the emulator of each firmware profile and writes the
# pcapng; 'atproof analyze --firmware PROFILE' on it must pair every command
# with its response, find nothing unanswered or unsolicited, and name only
# what the scenarios did wrong on purpose (negative.yaml's host lines) and
# the profile's known deviations.
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
checked=0
for prof in manual luat g3; do
	rc=0
	"$B/atproof" run --emulator=$prof --firmware $prof --var echo_port="$port" \
	    --capture "$out/$prof.pcapng" \
	    $E/basic.yaml $E/echo.yaml $E/flow.yaml $E/negative.yaml $E/reset.yaml \
	    $E/socket.yaml $E/report.yaml $E/transparent.yaml >"$out/$prof.run" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		# The harness's own test says why; this one is about the analyzer.
		echo "skip $prof: 'atproof run' exited $rc"
		tail -5 "$out/$prof.run"
		continue
	fi
	rc=0
	"$B/atproof" analyze --firmware $prof --report json:"$out/$prof.json" \
	    "$out/$prof.pcapng" >/dev/null 2>&1 || rc=$?
	[ $rc -eq 1 ] || { echo "analyze exit $rc with $prof, want 1 (negative.yaml)"; exit 1; }
	python3 - "$out/$prof.json" "$prof" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["stats"]
assert st["commands"] > 50, st
assert st["unanswered"] == 0 and st["unsolicited"] == 0, st
# Every command got its response ("+++" is an exchange with no command line).
assert st["responses"] == st["commands"] + 1, st
assert st["sksnd_bytes"] > 0 and st["transparent_bytes"] > 0, st
fails = sorted({f["rule"] for f in d["findings"] if f["verdict"] == "fail"})
assert fails == ["cmd-form", "cmd-unknown"], fails
for f in d["findings"]:
    assert f["verdict"] in ("fail", "known", "pass"), f
    if f["verdict"] == "fail":
        assert f["severity"] == "warning", f   # host-side only
print(sys.argv[2], "ok:", st["commands"], "commands")
PY
	checked=$((checked + 1))
done
# A harness that cannot run at all leaves nothing checked: that fails too.
[ "$checked" -gt 0 ]
