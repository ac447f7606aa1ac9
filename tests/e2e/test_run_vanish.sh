#!/bin/sh
# SPDX-License-Identifier: MIT
# Killing the emulator in the middle of a run ends the run with exit 3
# within the step's deadline; the JSON report says the port vanished; the
# capture written as the run went is read to its last byte by the analyzer
# (byte counts equal to the run's) and by tshark when it is installed.
set -eu
B=${B:-build}
out=$(mktemp -d)
run=""
cleanup() {
	[ -n "$run" ] && kill "$run" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT

"$B/atproof" run --emulator=manual --capture "$out/cap.pcapng" \
    --report json:"$out/run.json" scenarios/examples/slow.yaml >"$out/run.txt" 2>&1 &
run=$!
# The emulator is the run's child; wait for it and for the first exchanges.
emu=""
i=0
while [ -z "$emu" ] && [ $i -lt 100 ]; do
	emu=$(pgrep -P "$run" || true)
	sleep 0.05
	i=$((i + 1))
done
[ -n "$emu" ] || { cat "$out/run.txt"; echo "no emulator child"; exit 1; }
sleep 0.8
t0=$(date +%s%N)
kill "$emu"
rc=0
wait "$run" || rc=$?
run=""
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
cat "$out/run.txt"
[ $rc -eq 3 ] || { echo "exit $rc, not 3"; exit 1; }
# The step running is a 2 s sleep: the run must end well within it.
[ $ms -lt 1500 ] || { echo "the run took $ms ms to end after the kill"; exit 1; }
"$B/atproof" analyze --report json:"$out/ana.json" "$out/cap.pcapng" >/dev/null || true
python3 - "$out/run.json" "$out/ana.json" <<'PY'
import json, sys
run, ana = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert run["verdict"] == "error", run["verdict"]
assert "vanished" in run["reason"], run["reason"]
c = run["cases"][0]
assert c["verdict"] == "error" and "vanished" in c["reason"], c
# Every byte of the run is in the capture, both ways.
st = ana["stats"]
assert st["bytes_to_module"] == run["stats"]["bytes_tx"], (st, run["stats"])
assert st["bytes_from_module"] == run["stats"]["bytes_rx"], (st, run["stats"])
assert st["bytes_to_module"] > 0 and st["bytes_from_module"] > 0, st
PY
if command -v tshark >/dev/null 2>&1; then
	tshark -r "$out/cap.pcapng" >"$out/tshark.txt" 2>"$out/tshark.err" ||
	    { cat "$out/tshark.err"; echo "tshark cannot read the capture"; exit 1; }
	grep -q 'AT+QVER' "$out/tshark.txt" || { cat "$out/tshark.txt"; exit 1; }
fi
echo "exit 3 after $ms ms, report and capture complete"

# SIGTERM to the harness (a CI timeout): it stops the emulator, writes its
# report ("interrupted") and exits 143 (128 + SIGTERM); nothing is left running.
"$B/atproof" run --emulator=manual --report json:"$out/int.json" scenarios/examples/slow.yaml \
    >"$out/int.txt" 2>&1 &
run=$!
emu=""
i=0
while [ -z "$emu" ] && [ $i -lt 100 ]; do
	emu=$(pgrep -P "$run" || true)
	sleep 0.05
	i=$((i + 1))
done
sleep 0.5
kill -TERM "$run"
rc=0
wait "$run" || rc=$?
run=""
[ $rc -eq 143 ] || { cat "$out/int.txt"; echo "SIGTERM: exit $rc, not 143"; exit 1; }
python3 -c "import json; d=json.load(open('$out/int.json')); assert d['verdict'] == 'error' and 'interrupted' in d['reason'], d"
sleep 0.2
if [ -n "$emu" ] && kill -0 "$emu" 2>/dev/null; then echo "the emulator $emu outlived the harness"; exit 1; fi
echo "SIGTERM: exit 143, report written, emulator stopped"
