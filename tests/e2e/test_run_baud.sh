#!/bin/sh
# SPDX-License-Identifier: MIT
# The `baud` step and AT+UART's rate (§2.2.2.20): the emulator started by
# `run --emulator` runs at the run's rate and reads the host's termios
# speed, so a host at another rate gets no answer. Checked: the manual
# moves the line after AT+UART='s +OK, the Luat firmware at the next AT+Z
# only (uart-after-restart), the host alone at another rate is not
# understood, the runner puts the run's rate back after a case, TCP makes
# the step inconclusive, and lint refuses a rate AT+UART does not have.
set -eu
B=${B:-build}
out=$(mktemp -d)
emu_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT

sc() {   # sc NAME STEPS [TEARDOWN]: a scenario file
	{
		printf 'id: t-%s\ntitle: "%s"\nspec: "§2.2.2.20"\ntags: [t]\nsteps:\n%s' "$1" "$1" "$2"
		[ $# -lt 3 ] || printf 'teardown:\n%s' "$3"
	} >"$out/$1.yaml"
}
BACK='  - baud: 115200
  - send: "\r"
    nowait: true
  - send: "AT+UART=!115200,0,0,0\r"
    expect: "+OK"
'

# 1. manual: = moves the line once its +OK is out; the host follows.
sc follow '  - send: "AT+UART=9600,0,0,0\r"
    expect: "+OK"
  - baud: 9600
  - send: "AT+UART=?\r"
    expect: "+OK=9600,0,0,0"
  - send: "AT+UART=115200,0,0,0\r"
    expect: "+OK"
  - baud: 115200
  - send: "AT+UART=?\r"
    expect: "+OK=115200,0,0,0"
' "$BACK"
"$B/atproof" run --emulator=manual --report json:"$out/follow.json" "$out/follow.yaml" \
    >"$out/follow.txt" 2>&1 || { cat "$out/follow.txt"; echo "manual: the host could not follow"; exit 1; }

# 2. The host alone at another rate: the module does not understand it.
sc alone '  - baud: 9600
  - send: "AT+\r"
    expect: "+OK"
' "$BACK"
rc=0
"$B/atproof" run --emulator=manual --report json:"$out/alone.json" "$out/alone.yaml" \
    >"$out/alone.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$out/alone.txt"; echo "a host at 9600 was understood (exit $rc)"; exit 1; }
python3 - "$out/alone.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = {s["name"]: s for s in d["cases"][0]["steps"]}
assert st["send AT+\\r"]["verdict"] == "fail", st
assert "no response" in st["send AT+\\r"]["message"], st
PY

# 3. luat: = does not move the line (uart-after-restart); =! and AT+Z do,
# and the restart comes back at the rate in flash.
rc=0
"$B/atproof" run --emulator=luat --firmware luat --report json:"$out/follow-luat.json" \
    "$out/follow.yaml" >"$out/fl.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$out/fl.txt"; echo "luat moved the line at = (exit $rc)"; exit 1; }
sc restart '  - send: "AT+UART=!9600,0,0,0\r"
    expect: "+OK"
  - send: "AT+UART=?\r"
    expect: "+OK=9600,0,0,0,0"
  - send: "AT+Z\r"
    expect: "+OK"
  - baud: 9600
  - sleep: 300ms
  - send: "AT+\r"
    expect: "+OK"
    retry: { max: 5, delay: 200ms }
  - send: "AT+UART=!115200,0,0,0\r"
    expect: "+OK"
  - send: "AT+Z\r"
    expect: "+OK"
  - baud: 115200
  - sleep: 300ms
  - send: "AT+\r"
    expect: "+OK"
    retry: { max: 5, delay: 200ms }
' "$BACK"
"$B/atproof" run --emulator=luat --firmware luat --report json:"$out/restart.json" \
    "$out/restart.yaml" >"$out/restart.txt" 2>&1 ||
    { cat "$out/restart.txt"; echo "luat: =! and AT+Z did not move the line"; exit 1; }

# 4. A case that ends at another rate: the runner's own step puts the
# run's rate back, and the next case talks at it.
sc left '  - baud: 9600
'
sc next '  - send: "AT+\r"
    expect: "+OK"
'
"$B/atproof" run --emulator=manual --report json:"$out/left.json" "$out/left.yaml" \
    "$out/next.yaml" >"$out/left.txt" 2>&1 ||
    { cat "$out/left.txt"; echo "the run's rate did not come back"; exit 1; }
python3 - "$out/left.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = [s["name"] for s in d["cases"][0]["steps"]]
assert "the runner: baud back to 115200 8N1, the run's line" in names, names
assert not any(s["name"].startswith("the runner") for s in d["cases"][1]["steps"]), d["cases"][1]
PY
# ... and at the run's own rate when that is not 115200
"$B/atproof" run --emulator=manual --baud 19200 --report json:"$out/left19.json" \
    "$out/left.yaml" "$out/next.yaml" >"$out/left19.txt" 2>&1 ||
    { cat "$out/left19.txt"; echo "--baud 19200 with the emulator"; exit 1; }
grep -q "baud back to 19200" "$out/left19.json" || { echo "no step back to 19200"; exit 1; }

# ... and to the run's format after a baud step with one
sc fmt '  - baud: { rate: 115200, databits: 7, stopbits: 2, parity: even }
'
"$B/atproof" run --emulator=manual --report json:"$out/fmt.json" "$out/fmt.yaml" \
    "$out/next.yaml" >"$out/fmt.txt" 2>&1 ||
    { cat "$out/fmt.txt"; echo "a format step"; exit 1; }
python3 - "$out/fmt.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = [s["name"] for s in d["cases"][0]["steps"]]
assert "baud 115200, 7 data bits, 2 stop bits, even parity" in names, names
assert "the runner: baud back to 115200 8N1, the run's line" in names, names
PY

# 5. TCP has no rate: the step is inconclusive (exit 4), not failed.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$B/atproof" emu --tcp "127.0.0.1:$port" --firmware manual --log /dev/null 2>"$out/emu.txt" &
emu_pid=$!
i=0
until grep -q "on tcp" "$out/emu.txt" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$out/emu.txt"; exit 1; }; sleep 0.05
done
rc=0
"$B/atproof" run --tcp "127.0.0.1:$port" --report json:"$out/tcp.json" "$out/left.yaml" \
    >"$out/tcp.txt" 2>&1 || rc=$?
[ $rc -eq 4 ] || { cat "$out/tcp.txt"; echo "TCP baud step: exit $rc, want 4"; exit 1; }
grep -q "has no baud rate" "$out/tcp.json" || { echo "no reason for the inconclusive step"; exit 1; }

# 6. lint: a rate AT+UART does not have is an error; a baud step with none
# in the teardown is a warning.
sc badrate '  - baud: 14400
'
rc=0
"$B/atproof" lint "$out/badrate.yaml" >"$out/lint.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q "14400 is none of AT+UART's rates" "$out/lint.txt" ||
    { cat "$out/lint.txt"; echo "lint took baud 14400 (exit $rc)"; exit 1; }
sc badfmt '  - baud: { rate: 9600, databits: 6, parity: mark }
  - baud: { databits: 7 }
'
rc=0
"$B/atproof" lint "$out/badfmt.yaml" >"$out/lintf.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q "databits is 7 or 8" "$out/lintf.txt" &&
    grep -q "parity is none, odd or even" "$out/lintf.txt" &&
    grep -q "baud needs rate" "$out/lintf.txt" ||
    { cat "$out/lintf.txt"; echo "lint took a bad format (exit $rc)"; exit 1; }
"$B/atproof" lint "$out/left.yaml" >"$out/lint2.txt" 2>&1 ||
    { cat "$out/lint2.txt"; echo "lint refused a missing teardown baud"; exit 1; }
grep -q "warning: a baud step and no baud step in the teardown" "$out/lint2.txt" ||
    { cat "$out/lint2.txt"; echo "no warning for a teardown without baud"; exit 1; }
"$B/atproof" lint "$out/follow.yaml" >"$out/lint3.txt" 2>&1 && ! grep -q warning "$out/lint3.txt" ||
    { cat "$out/lint3.txt"; echo "lint: follow.yaml is not clean"; exit 1; }
echo "baud step: manual moves at =, luat at AT+Z, the runner restores, TCP inconclusive, lint checks"
