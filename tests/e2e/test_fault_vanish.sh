#!/bin/sh
# SPDX-License-Identifier: MIT
# The port vanishes (the emulator is killed with SIGKILL) in the three
# places where the harness is not waiting for a response line:
#   send      in send_data, while the payload of a binary phase (after
#             AT+SKSND) is being written and the port has stopped taking it;
#   read      in read_data, while a counted SKRCV phase waits for its last
#             byte (--fault skrcv-short keeps it from coming);
#   stream    in transparent mode (AT+ENTM), while a stream step waits for
#             data the echo peer will not send.
# Each time: exit 3, the report says the port vanished in that very step,
# and the capture holds every byte the run counted up to the kill, both ways
# (the analyzer's byte counts equal the run's; tshark reads the file).
# No timing is asserted: the moments are found by watching the capture and
# the harness's write counter, and every step waits far longer than needed.
set -eu
B=${B:-build}
out=$(mktemp -d)
run=""
emu=""
cleanup() {
	[ -n "$emu" ] && kill -CONT "$emu" 2>/dev/null
	[ -n "$run" ] && kill "$run" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
have_tshark=1
command -v tshark >/dev/null 2>&1 || {
	have_tshark=0
	echo "skip tshark checks: tshark is not installed (make deps-check installs it)"
}

. tests/e2e/fault_lib.sh
fault_join "$out/join.yaml" connect
scenario() { # NAME SPEC PEER-ECHO: a header, the join steps, then stdin
	{
		printf 'id: fault-%s\ntitle: the port vanishes in %s\nspec: "%s"\n' "$1" "$1" "$2"
		printf 'peers:\n  echo: { type: tcp-server, echo: %s }\nsteps:\n' "$3"
		cat "$out/join.yaml"
		cat
	} >"$out/$1.yaml"
}

scenario send "§2.2.3.11 AT+SKSND" false <<'EOF'
  - cmd: SKSND
    args: ["${sock}", 512]
    expect: "+OK=512"
  - sleep: 3s                      # the test stops the module in it
  - send_data: { random: { len: 1000000, seed: 3 } }   # far more than a pty buffers
    check_len: false
  - cmd: QVER
EOF
scenario read "§2.2.3.12 AT+SKRCV" true <<'EOF'
  - cmd: SKSND
    args: ["${sock}", 40]
    expect: "+OK=40"
  - send_data: { random: { len: 40, seed: 5 } }
  - sleep: 300ms
  - cmd: SKRCV
    args: ["${sock}", 40]
    expect: "+OK=40"
  - read_data: { len: 40 }
    deadline: 60s
  - cmd: QVER
EOF
scenario stream "§2.2.1.4 AT+ENTM" true <<'EOF'
  - cmd: SKSDF
    args: ["${sock}"]
  - enter_transparent: true
  - stream: "first-burst"
    expect_data: "first-burst"
    deadline: 5s
  - stream: "second-burst"
    expect_data: "second-burst and more that the echo peer never sends"
    deadline: 60s
  - leave_transparent: { guard: 100ms }
EOF

# How often TEXT occurs in the capture FILE (a text split over two
# reads included).
count() { python3 tests/e2e/pcap_count.py "$1" "$2"; }
# Waits (at most ~30 s) until the capture holds TEXT at least N times.
wait_cap() {
	i=0
	until [ "$(count "$out/cap.pcapng" "$1")" -ge "$2" ]; do
		[ $i -lt 600 ] || { cat "$out/run.txt"; echo "$case: '$1' x$2 never came"; exit 1; }
		kill -0 "$run" 2>/dev/null || { cat "$out/run.txt"; echo "$case: the run ended early"; exit 1; }
		sleep 0.05
		i=$((i + 1))
	done
}
wchar() { awk '/^wchar/ { print $2 }' "/proc/$run/io" 2>/dev/null || echo 0; }

for case in send read stream; do
	if [ "$case" = send ] && [ "${VALGRIND:-0}" = 1 ]; then
		# The trigger is the harness's write counter (/proc/PID/io), and
		# under memcheck valgrind's own log writes move it too: the kill
		# would land before the payload. The other cases run.
		echo "skip send: its trigger cannot be read under valgrind"
		continue
	fi
	rm -f "$out/cap.pcapng" "$out/run.json" "$out/ana.json"
	faults=""
	[ $case = read ] && faults="--fault skrcv-short"
	# shellcheck disable=SC2086
	"$B/atproof" run --emulator=manual $faults --capture "$out/cap.pcapng" \
	    --report json:"$out/run.json" "$out/$case.yaml" >"$out/run.txt" 2>&1 &
	run=$!
	emu=$(fault_emu_child "$run")
	[ -n "$emu" ] || { cat "$out/run.txt"; echo "$case: no emulator child"; exit 1; }
	case $case in
	send)
		# SKSND accepted: stop the module so that the port stops
		# taking bytes, then kill it once the harness is inside the
		# payload's write (its write counter has moved on).
		wait_cap '+OK=512' 1
		kill -STOP "$emu"
		w0=$(wchar)
		i=0
		while [ $(($(wchar) - w0)) -lt 4096 ]; do
			[ $i -lt 1500 ] || { echo "send: the payload write never started"; exit 1; }
			sleep 0.02
			i=$((i + 1))
		done
		step="send_data"
		;;
	read)
		# Both +OK=40 (SKSND, SKRCV) and the 39 bytes are in: read_data
		# waits for the 40th.
		wait_cap '+OK=40' 2
		sleep 0.3
		step="read_data"
		;;
	stream)
		# The second burst went out and came back: the step waits for
		# the rest of its expect_data.
		wait_cap 'second-burst' 2
		sleep 0.3
		step="stream"
		;;
	esac
	kill -9 "$emu"
	emu=""
	rc=0
	wait "$run" || rc=$?
	run=""
	[ $rc -eq 3 ] || { cat "$out/run.txt"; echo "$case: exit $rc, not 3"; exit 1; }
	"$B/atproof" analyze --report json:"$out/ana.json" "$out/cap.pcapng" >/dev/null 2>&1 || true
	python3 - "$out/run.json" "$out/ana.json" "$case" "$step" <<'PY'
import json, sys
run, ana = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
case, step = sys.argv[3], sys.argv[4]
assert run["verdict"] == "error", (case, run["verdict"])
assert "vanished" in run["reason"], (case, run["reason"])
steps = run["cases"][0]["steps"]
bad = [s for s in steps if s["verdict"] == "error"]
assert len(bad) == 1 and bad[0]["name"].startswith(step), (case, [(s["name"], s["verdict"]) for s in steps])
assert "vanished" in bad[0]["message"], (case, bad[0])
# Every byte the run counted, both ways, is in the capture.
st, rs = ana["stats"], run["stats"]
assert st["bytes_to_module"] == rs["bytes_tx"], (case, st["bytes_to_module"], rs["bytes_tx"])
assert st["bytes_from_module"] == rs["bytes_rx"], (case, st["bytes_from_module"], rs["bytes_rx"])
if case == "send":
    # The part of the payload the port took before it vanished counts:
    # more than the 4 KiB the test waited for, beyond the command lines.
    assert rs["bytes_tx"] > 4096 + 100, rs
if case == "read":
    assert st["skrcv_bytes"] >= 39, st
if case == "stream":
    assert st["transparent_bytes"] >= 2 * len("first-burst" "second-burst"), st
PY
	if [ $have_tshark = 1 ]; then
		tshark -r "$out/cap.pcapng" >"$out/tshark.txt" 2>"$out/tshark.err" ||
		    { cat "$out/tshark.err"; echo "$case: tshark cannot read the capture"; exit 1; }
		[ -s "$out/tshark.txt" ] || { echo "$case: tshark read no packet"; exit 1; }
	fi
	echo "ok   vanished in $step: exit 3, the step says so, the capture holds every byte"
done
