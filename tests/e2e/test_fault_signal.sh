#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGINT in the middle of a run, sent three ways: to the harness alone, to
# its whole process group as a terminal's Ctrl-C does (the emulator gets it
# too), and to a station of two units. Each time:
#   - exit 130 (128 + SIGINT, the shell's convention for "interrupted");
#   - the JSON and JUnit reports are complete and valid: the run and the
#     case running are errors "interrupted by SIGINT", the scenario not
#     reached is listed as not run;
#   - the capture holds every byte counted (analyzer and tshark read it);
#   - the emulator is gone.
set -eu
B=${B:-build}
out=$(mktemp -d)
run=""
cleanup() {
	[ -n "$run" ] && kill "$run" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
. tests/e2e/fault_lib.sh
E=scenarios/examples
# A version query, then a long sleep (the interrupt lands in it, however
# slow the machine), then another.
printf 'id: fault-slow\ntitle: a long pause\nspec: "§2.2.1.10 AT+QVER"\nsteps:\n  - cmd: QVER\n  - sleep: 60s\n  - cmd: QVER\n' >"$out/slow.yaml"

for how in harness group; do
	rm -f "$out"/cap.pcapng "$out"/run.json "$out"/run.xml
	if [ $how = group ]; then
		# Its own process group, as a job of an interactive shell.
		setsid "$B/atproof" run --emulator=manual --capture "$out/cap.pcapng" \
		    --report json:"$out/run.json" --report junit:"$out/run.xml" \
		    "$out/slow.yaml" "$E/basic.yaml" >"$out/run.txt" 2>&1 &
	else
		"$B/atproof" run --emulator=manual --capture "$out/cap.pcapng" \
		    --report json:"$out/run.json" --report junit:"$out/run.xml" \
		    "$out/slow.yaml" "$E/basic.yaml" >"$out/run.txt" 2>&1 &
	fi
	run=$!
	emu=$(fault_emu_child "$run")
	[ -n "$emu" ] || { cat "$out/run.txt"; echo "$how: no emulator child"; exit 1; }
	# The first QVER (after identification's) went out: the run is in its
	# 60 s sleep.
	i=0
	until [ "$(python3 tests/e2e/pcap_count.py "$out/cap.pcapng" AT+QVER)" -ge 2 ]; do
		[ $i -lt 600 ] || { cat "$out/run.txt"; echo "$how: the first exchange never came"; exit 1; }
		sleep 0.05
		i=$((i + 1))
	done
	if [ $how = group ]; then kill -INT "-$run"; else kill -INT "$run"; fi
	rc=0
	wait "$run" || rc=$?
	run=""
	[ $rc -eq 130 ] || { cat "$out/run.txt"; echo "$how: exit $rc, not 130"; exit 1; }
	grep -q 'interrupted by SIGINT; reports and capture written (exit 130)' "$out/run.txt" ||
	    { cat "$out/run.txt"; echo "$how: no word of the interruption on standard error"; exit 1; }
	"$B/atproof" analyze --report json:"$out/ana.json" "$out/cap.pcapng" >/dev/null 2>&1 || true
	python3 - "$out/run.json" "$out/run.xml" "$out/ana.json" "$how" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
run, ana, how = json.load(open(sys.argv[1])), json.load(open(sys.argv[3])), sys.argv[4]
assert run["verdict"] == "error", (how, run["verdict"])
# Ctrl-C to the group stops the emulator too; the harness may see the port
# go before it sees the flag, but the report still says which.
assert "interrupted by SIGINT" in run["reason"] or "vanished" in run["reason"], (how, run["reason"])
if how == "harness":
    assert run["reason"] == "interrupted by SIGINT", run["reason"]
c0, c1 = run["cases"]
assert c0["verdict"] == "error", (how, c0)
assert c1["verdict"] == "skip" and c1["reason"].startswith("not run: "), (how, c1)
st, rs = ana["stats"], run["stats"]
assert rs["bytes_tx"] > 0 and rs["bytes_rx"] > 0, rs
assert st["bytes_to_module"] == rs["bytes_tx"], (how, st["bytes_to_module"], rs["bytes_tx"])
assert st["bytes_from_module"] == rs["bytes_rx"], (how, st["bytes_from_module"], rs["bytes_rx"])
# The JUnit file is whole XML, and the interrupted case is an error in it.
root = ET.parse(sys.argv[2]).getroot()
errors = [e for e in root.iter("error")]
assert errors, (how, ET.tostring(root)[:400])
PY
	if command -v tshark >/dev/null 2>&1; then
		tshark -r "$out/cap.pcapng" >"$out/tshark.txt" 2>"$out/tshark.err" ||
		    { cat "$out/tshark.err"; echo "$how: tshark cannot read the capture"; exit 1; }
		grep -q 'AT+QVER' "$out/tshark.txt" || { echo "$how: tshark misses AT+QVER"; exit 1; }
	else
		echo "skip tshark check: tshark is not installed (make deps-check installs it)"
	fi
	sleep 0.2
	if kill -0 "$emu" 2>/dev/null; then echo "$how: the emulator $emu outlived the run"; exit 1; fi
	echo "ok   SIGINT to the $how: exit 130, reports valid, capture complete, emulator gone"
done

# A station: SIGINT to it reaches every unit (as SIGTERM); the station exits
# 130, each unit's report says it was interrupted and its capture is whole.
printf 'station: bench\nunits:\n  - { name: u, emulator: manual, count: 2 }\n' >"$out/station.yaml"
"$B/atproof" run --station "$out/station.yaml" --capture "$out/st.pcapng" \
    --report json:"$out/st.json" "$out/slow.yaml" >"$out/st.txt" 2>&1 &
run=$!
i=0
until [ "$(python3 tests/e2e/pcap_count.py "$out/st-u-1.pcapng" AT+QVER)" -ge 2 ] &&
    [ "$(python3 tests/e2e/pcap_count.py "$out/st-u-0.pcapng" AT+QVER)" -ge 2 ]; do
	[ $i -lt 600 ] || { cat "$out/st.txt"; echo "station: the units never started"; exit 1; }
	sleep 0.05
	i=$((i + 1))
done
kill -INT "$run"
rc=0
wait "$run" || rc=$?
run=""
[ $rc -eq 130 ] || { cat "$out/st.txt"; echo "station: exit $rc, not 130"; exit 1; }
for u in u-0 u-1; do
	"$B/atproof" analyze --report json:"$out/ana-$u.json" "$out/st-$u.pcapng" >/dev/null 2>&1 || true
	python3 - "$out/st-$u.json" "$out/ana-$u.json" <<'PY'
import json, sys
run, ana = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert run["verdict"] == "error" and (run.get("reason") or "").startswith("interrupted by SIG"), json.dumps(run)[:1500]
st, rs = ana["stats"], run["stats"]
assert st["bytes_to_module"] == rs["bytes_tx"] > 0, (st["bytes_to_module"], rs["bytes_tx"])
assert st["bytes_from_module"] == rs["bytes_rx"] > 0, (st["bytes_from_module"], rs["bytes_rx"])
PY
done
python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert [u['verdict'] for u in d['units']] == ['error', 'error'], d['units']" "$out/st.json"
echo "ok   SIGINT to a station: exit 130, every unit's report and capture finished"
