#!/bin/sh
# SPDX-License-Identifier: MIT
# Real adapters, by honest means (as test_run_serial.sh): in a private mount
# namespace /sys/class/tty holds two USB-UARTs (1a86:7523, serials ATP0001
# and ATP0002) as a USB adapter's sysfs tree lays them out, whose /dev nodes
# are two emulators' ptys, /dev/serial/by-id/ links to them, and a virtual
# tty that libserialport must not list. libserialport reads that tree
# itself; the preloaded shim answers the modem-line ioctls a pty lacks and
# wires DTR to the second emulator's reset (SIGUSR1). Checked:
#   - atproof ports (text, --json): both ports, IDs, description, by-id;
#     with no port at all, "no serial ports found" and exit 0;
#   - run --port usb:VID:PID: ambiguous is exit 3 naming both; with the
#     serial it picks the right module (its MAC, set by emu --mac);
#   - run --port /dev/serial/by-id/...: resolved, the report names both;
#   - --baud auto: the module at 57600 (emu --baud) is found at 57600; a
#     module at no listed rate is exit 3 naming the rates;
#   - reset: { line: dtr }, then { line: rts, active: off }: the pulse
#     reaches the module, which boots (its RAM-only SSID is gone); on a pty
#     without lines: inconclusive;
#   - data bits, stop bits and parity reach tcsetattr (termios and
#     libserialport), from the command line and from a station's units;
#   - lint checks the reset keys; a station's units get distinct MACs and
#     line settings.
# The parts that need no namespace run everywhere; without root or unshare
# the rest says so and passes (as test_run_serial.sh).
set -eu
B=${B:-build}
A=$B/atproof
out=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$out"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
start_emu() {   # name, then emu options
	n=$1
	shift
	"$A" emu --pty "$out/$n" --log "$out/$n.log" "$@" 2>"$out/$n.err" &
	pids="$pids $!"
	i=0
	while [ ! -e "$out/$n" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$out/$n" ] || fail "emulator $n did not start: $(cat "$out/$n.err")"
}

# ---- without a namespace ----------------------------------------------------

# Lint knows the reset keys.
cat >"$out/badreset.yaml" <<'EOF'
id: bad-reset
title: reset keys
spec: "§2.2.1.3"
steps:
  - reset: { line: dsr }
  - reset: { pulse: 10ms }
  - reset: { line: rts, active: maybe, wiggle: 1 }
EOF
rc=0
"$A" lint "$out/badreset.yaml" >"$out/lint.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$out/lint.txt"; fail "lint of bad reset keys: exit $rc"; }
for m in "reset line is dtr or rts" "pulse and active go with line" \
    "active must be true or false" "unknown key 'wiggle'"; do
	grep -q "$m" "$out/lint.txt" || { cat "$out/lint.txt"; fail "lint did not say: $m"; }
done
cat >"$out/reset.yaml" <<'EOF'
id: reset-dtr
title: A DTR pulse resets the module; its RAM settings are gone
spec: "§2.2.2.7 AT+SSID; §2.2.1.3 AT+Z"
steps:
  - cmd: SSID
    args: ["atproof_dtr"]
  - cmd: SSID
    form: query
    expect: { glob: "+OK=*atproof_dtr*" }
  - reset: { line: dtr, pulse: 50ms, settle: 200ms, active: on }
  - cmd: SSID
    form: query
    expect: { regex: '^\+OK(?!=.*atproof_dtr)' }
EOF
sed -e 's/line: dtr, pulse: 50ms, settle: 200ms, active: on/line: rts, pulse: 50ms, active: off/' \
    -e 's/id: reset-dtr/id: reset-rts/' "$out/reset.yaml" >"$out/reset-rts.yaml"
"$A" lint "$out/reset.yaml" "$out/reset-rts.yaml" >"$out/lint2.txt" 2>&1 ||
    { cat "$out/lint2.txt"; fail "lint of reset.yaml"; }

# A pty has no modem lines: the line reset is inconclusive (4).
rc=0
"$A" run --emulator=luat "$out/reset.yaml" >"$out/inc.txt" 2>&1 || rc=$?
[ $rc -eq 4 ] || { cat "$out/inc.txt"; fail "line reset on a pty: exit $rc, not 4"; }

# --baud auto over termios: the module's UART is at 57600.
start_emu slow --firmware luat --baud 57600
"$A" run --port "$out/slow" --serial termios --baud auto --report json:"$out/slow.json" \
    scenarios/examples/basic.yaml >"$out/slow.txt" 2>&1 || { cat "$out/slow.txt"; fail "--baud auto"; }
grep -q "answers at 57600 baud (tried 115200, 9600, 19200, 38400, 57600)" "$out/slow.txt" ||
    { cat "$out/slow.txt"; fail "--baud auto did not say 57600"; }
python3 - "$out/slow.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "pass", d["verdict"]
assert d["serial"]["baud"] == 57600 and d["serial"]["baud_auto"] is True, d["serial"]
assert d["serial"]["line"] == "57600 8N1", d["serial"]
PY
# Data bits, stop bits and parity reach the port: the shim logs what each
# tcsetattr() asked (a pty itself keeps only CS8 without parity).
cc -shared -fPIC -O2 -o "$out/sp_shim.so" tests/e2e/sp_shim.c -ldl
asan=$(ldd "$A" 2>/dev/null | awk '/libasan/ { print $3 }')
preload="${asan:+$asan }$out/sp_shim.so"
LD_PRELOAD="$preload" SP_SHIM_LOG="$out/7e2.log" "$A" run --port "$out/slow" --serial termios \
    --baud 57600 --databits 7 --stopbits 2 --parity even --report json:"$out/7e2.json" \
    scenarios/examples/basic.yaml >"$out/7e2.txt" 2>&1 || { cat "$out/7e2.txt"; fail "a 7E2 run"; }
[ "$(cat "$out/7e2.log")" = "termios 7E2" ] || { cat "$out/7e2.log"; fail "7E2 not asked"; }
python3 - "$out/7e2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["serial"]["line"] == "57600 7E2", d["serial"]
PY
# At a fixed wrong rate the module answers nothing: the run cannot pass.
rc=0
"$A" run --port "$out/slow" --serial termios --baud 115200 --no-identify \
    scenarios/examples/basic.yaml >"$out/wrong.txt" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$out/wrong.txt"; fail "a run at the wrong rate passed"; }
grep -q "at another baud rate: read as garbage" "$out/slow.log" || fail "the emulator read the bytes"
# A module at no rate of the list: exit 3 naming the rates tried.
start_emu odd --firmware luat --baud 3000000
rc=0
"$A" run --port "$out/odd" --serial termios --baud auto scenarios/examples/basic.yaml \
    >"$out/odd.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$out/odd.txt"; fail "--baud auto without an answer: exit $rc"; }
grep -q "no answer to AT+ at 115200, 9600, .*, 1200 baud" "$out/odd.txt" ||
    { cat "$out/odd.txt"; fail "the message does not name the rates"; }

# Usage: bad line options are exit 2; a missing port is exit 3 (auto too).
for opt in "--baud 0" "--baud fast" "--databits 9" "--databits 4" "--stopbits 3"; do
	rc=0
	# shellcheck disable=SC2086
	"$A" run --port "$out/odd" $opt scenarios/examples/basic.yaml >"$out/u.txt" 2>&1 || rc=$?
	[ $rc -eq 2 ] || { cat "$out/u.txt"; fail "run $opt: exit $rc, not 2"; }
done
rc=0
"$A" run --port "$out/nothing" --baud auto scenarios/examples/basic.yaml >"$out/m.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] && grep -q "cannot open $out/nothing" "$out/m.txt" ||
    { cat "$out/m.txt"; fail "a missing port with --baud auto: exit $rc"; }

# A station: emulated units get MACs of their own; line keys are checked.
cat >"$out/st.yaml" <<'EOF'
station: t
units:
  - { name: e, emulator: luat, count: 3 }
  - { name: f, emulator: g3 }
EOF
"$A" run --station "$out/st.yaml" --report json:"$out/st.json" scenarios/examples/basic.yaml \
    >"$out/st.txt" 2>&1 || { cat "$out/st.txt"; fail "station run"; }
python3 - "$out/st.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
macs = [u["mac"] for u in d["units"]]
assert len(macs) == 4 and None not in macs, macs
assert len(set(macs)) == 4, macs
assert macs[0] == "286dcd004e7d" and macs[3] == "286dcd004e80", macs
PY
cat >"$out/st2.yaml" <<'EOF'
station: t
units:
  - { name: a, port: /dev/null, parity: even, flow: rtscts, databits: 7, stopbits: 2 }
  - { name: b, emulator: luat, parity: odd }
  - { name: c, port: /dev/null, stopbits: 3, baud: auto }
EOF
rc=0
"$A" run --station "$out/st2.yaml" scenarios/examples/basic.yaml >"$out/st2.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$out/st2.txt"; fail "bad station line keys: exit $rc"; }
grep -q "parity goes with port" "$out/st2.txt" && grep -q "stopbits is 1 or 2" "$out/st2.txt" ||
    { cat "$out/st2.txt"; fail "station line keys not checked"; }
if grep -q "st2.yaml:3" "$out/st2.txt"; then cat "$out/st2.txt"; fail "a valid unit refused"; fi

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "skipped the libserialport part: needs root and unshare -m"
	echo "ports: lint, baud auto, station ok"
	exit 0
fi

# ---- in a namespace: two USB-UARTs ---------------------------------------------

start_emu ptyA --firmware g3 --mac 02:00:00:00:00:a0 --baud 57600
start_emu ptyB --firmware luat --mac 02:00:00:00:00:b0
emuB=${pids##* }
mkdir -p "$out/sys" "$out/dev/pts" "$out/dev/serial/by-id"
# A USB adapter's tree: the usb device (IDs), its interface, the
# usb-serial port and the tty, whose "device" is the port.
for k in 0 1; do
	d="$out/devices/usb1/1-$k"
	t="$d/1-$k:1.0/ttyUSB$k/tty/ttyUSB$k"
	mkdir -p "$t"
	ln -s ../../../ttyUSB$k "$t/device"
	echo 1 >"$d/busnum"
	echo $((k + 2)) >"$d/devnum"
	echo 1a86 >"$d/idVendor"
	echo 7523 >"$d/idProduct"
	echo "QinHeng Electronics" >"$d/manufacturer"
	echo "USB Serial" >"$d/product"
	echo "ATP000$((k + 1))" >"$d/serial"
	ln -s "$t" "$out/sys/ttyUSB$k"
	ln -s ../../ttyUSB$k "$out/dev/serial/by-id/usb-1a86_USB_Serial_ATP000$((k + 1))-if00-port0"
done
ln -s "$(readlink "$out/ptyA")" "$out/dev/ttyUSB0"
ln -s "$(readlink "$out/ptyB")" "$out/dev/ttyUSB1"
node=$(ls /sys/devices/virtual/tty | grep '^tty[0-9]' | head -1)
ln -s "../../devices/virtual/tty/$node" "$out/sys/ttyAT0"
ln -s "$(readlink "$out/ptyB")" "$out/dev/ttyAT0"
cat >"$out/inner.sh" <<EOF
set -u
mount --bind /dev/pts '$out/dev/pts'
mount --bind '$out/sys' /sys/class/tty
mount --rbind '$out/dev' /dev
export LD_PRELOAD='$preload'
cd '$PWD'
'$A' ports >'$out/ports.txt' 2>&1; echo \$? >'$out/ports.rc'
'$A' ports --json >'$out/ports.json' 2>&1
'$A' run --port usb:1A86:7523 scenarios/examples/basic.yaml >'$out/amb.txt' 2>&1
echo \$? >'$out/amb.rc'
'$A' run --port usb:1a86:9999 scenarios/examples/basic.yaml >'$out/none.txt' 2>&1
echo \$? >'$out/none.rc'
'$A' run --port usb:1a86:7523:ATP0002 --serial libserialport --report json:'$out/sel.json' \
    scenarios/examples/basic.yaml >'$out/sel.txt' 2>&1
echo \$? >'$out/sel.rc'
'$A' run --port /dev/serial/by-id/usb-1a86_USB_Serial_ATP0001-if00-port0 --serial libserialport \
    --baud auto --report json:'$out/byid.json' scenarios/examples/basic.yaml >'$out/byid.txt' 2>&1
echo \$? >'$out/byid.rc'
SP_SHIM_LOG='$out/lines.log' SP_SHIM_RESET=dtr:$emuB '$A' run --port usb:1a86:7523:ATP0002 \
    --serial libserialport --report json:'$out/reset.json' '$out/reset.yaml' >'$out/reset.txt' 2>&1
echo \$? >'$out/reset.rc'
SP_SHIM_LOG='$out/rts.log' SP_SHIM_RESET=rts:$emuB '$A' run --port usb:1a86:7523:ATP0002 \
    --serial libserialport '$out/reset-rts.yaml' >'$out/rts.txt' 2>&1
echo \$? >'$out/rts.rc'
SP_SHIM_LOG='$out/pst.log' '$A' run --station '$out/ports-station.yaml' --serial libserialport --report json:'$out/pst.json' \
    scenarios/examples/basic.yaml >'$out/pst.txt' 2>&1
echo \$? >'$out/pst.rc'
mkdir -p '$out/empty'
mount --bind '$out/empty' /sys/class/tty
'$A' ports >'$out/empty.txt' 2>&1; echo \$? >'$out/empty.rc'
'$A' ports --json >'$out/empty.json' 2>&1
EOF
cat >"$out/ports-station.yaml" <<'EOF'
station: bench
units:
  - { name: a, port: "usb:1a86:7523:ATP0001", baud: auto, databits: 8, stopbits: 2, parity: none }
  - { name: b, port: /dev/serial/by-id/usb-1a86_USB_Serial_ATP0002-if00-port0 }
EOF
unshare -m sh "$out/inner.sh" >"$out/inner.txt" 2>&1 || { cat "$out/inner.txt"; fail "namespace"; }

[ "$(cat "$out/ports.rc")" = 0 ] || { cat "$out/ports.txt"; fail "atproof ports: exit $(cat "$out/ports.rc")"; }
grep -q "^/dev/ttyUSB0 *usb *1a86:7523  serial ATP0001 .*USB Serial" "$out/ports.txt" &&
    grep -q "^/dev/ttyUSB1 *usb *1a86:7523  serial ATP0002" "$out/ports.txt" &&
    grep -q "by-id /dev/serial/by-id/usb-1a86_USB_Serial_ATP0002-if00-port0" "$out/ports.txt" ||
    { cat "$out/ports.txt"; fail "atproof ports"; }
if grep -q ttyAT0 "$out/ports.txt"; then fail "a virtual tty was listed"; fi
python3 - "$out/ports.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["name"]: x for x in d["ports"]}
u = p["/dev/ttyUSB1"]
assert (u["transport"], u["vid"], u["pid"], u["serial"]) == ("usb", "1a86", "7523", "ATP0002"), u
assert u["manufacturer"] == "QinHeng Electronics" and u["product"] == "USB Serial", u
assert u["by_id"] == ["/dev/serial/by-id/usb-1a86_USB_Serial_ATP0002-if00-port0"], u
assert p["/dev/ttyUSB0"]["by_id"] == ["/dev/serial/by-id/usb-1a86_USB_Serial_ATP0001-if00-port0"]
assert "/dev/ttyAT0" not in p
PY
[ "$(cat "$out/amb.rc")" = 3 ] && grep -q "2 ports match usb:1A86:7523, add :SERIAL: /dev/ttyUSB0 (serial ATP0001), /dev/ttyUSB1 (serial ATP0002)" "$out/amb.txt" ||
    { cat "$out/amb.txt"; fail "ambiguous selector"; }
[ "$(cat "$out/none.rc")" = 3 ] && grep -q "no serial port matches usb:1a86:9999" "$out/none.txt" ||
    { cat "$out/none.txt"; fail "selector with no match"; }
[ "$(cat "$out/sel.rc")" = 0 ] || { cat "$out/sel.txt"; fail "usb selector run: exit $(cat "$out/sel.rc")"; }
python3 - "$out/sel.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["transport"] == "libserialport", d["transport"]
assert d["port"] == "/dev/ttyUSB1 (usb:1a86:7523:ATP0002)", d["port"]
assert d["unit"]["mac"] == "0200000000b0", d["unit"]     # the module behind ATP0002
assert d["serial"] == {"device": "/dev/ttyUSB1", "name": "usb:1a86:7523:ATP0002",
                       "baud": 115200, "baud_auto": False, "line": "115200 8N1"}, d["serial"]
PY
[ "$(cat "$out/byid.rc")" = 0 ] || { cat "$out/byid.txt"; fail "by-id run: exit $(cat "$out/byid.rc")"; }
grep -q "/dev/ttyUSB0 answers at 57600 baud" "$out/byid.txt" || { cat "$out/byid.txt"; fail "by-id baud"; }
python3 - "$out/byid.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["port"] == "/dev/ttyUSB0 (/dev/serial/by-id/usb-1a86_USB_Serial_ATP0001-if00-port0)", d["port"]
assert d["unit"]["mac"] == "0200000000a0", d["unit"]
assert d["verdict"] == "pass"
s = d["serial"]
assert (s["device"], s["baud"], s["baud_auto"]) == ("/dev/ttyUSB0", 57600, True), s
assert s["name"] == "/dev/serial/by-id/usb-1a86_USB_Serial_ATP0001-if00-port0", s
PY
[ "$(cat "$out/reset.rc")" = 0 ] || { cat "$out/reset.txt"; fail "DTR reset: exit $(cat "$out/reset.rc")"; }
grep -q "^dtr 0$" "$out/lines.log" || { cat "$out/lines.log"; fail "no DTR release recorded"; }
grep -q "reset line pulsed" "$out/ptyB.log" || fail "the module was not reset"
grep -q "reset line pulsed" "$out/ptyA.log" && fail "the other module was reset"
# RTS, active off (inverted wiring): released first, then asserted again.
[ "$(cat "$out/rts.rc")" = 0 ] || { cat "$out/rts.txt"; fail "RTS reset: exit $(cat "$out/rts.rc")"; }
[ "$(grep -v termios "$out/rts.log")" = "$(printf 'rts 0\nrts 1')" ] || { cat "$out/rts.log"; fail "RTS pulse"; }
[ "$(grep -c "reset line pulsed" "$out/ptyB.log")" = 2 ] || fail "the RTS pulse did not reset"
# A station of the two adapters by their stable names: each unit reaches
# its own module, with its own line settings (libserialport reads back
# what it set, and a pty keeps only 8 bits without parity: 8N2 here; the
# 7E2 of the termios run above shows the other keys reach the port).
[ "$(cat "$out/pst.rc")" = 0 ] || { cat "$out/pst.txt"; fail "station of ports: exit $(cat "$out/pst.rc")"; }
grep -q "^termios 8N2$" "$out/pst.log" && grep -q "^termios 8N1$" "$out/pst.log" ||
    { cat "$out/pst.log"; fail "the units' line settings were not asked"; }
python3 - "$out/pst.json" "$out/pst-a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [(u["name"], u["mac"], u["verdict"]) for u in d["units"]] == \
    [("a", "0200000000a0", "pass"), ("b", "0200000000b0", "pass")], d["units"]
s = json.load(open(sys.argv[2]))["serial"]
assert (s["device"], s["line"], s["baud_auto"]) == ("/dev/ttyUSB0", "57600 8N2", True), s
PY
# No port at all is no error.
[ "$(cat "$out/empty.rc")" = 0 ] && [ "$(cat "$out/empty.txt")" = "no serial ports found" ] ||
    { cat "$out/empty.txt"; fail "atproof ports without ports"; }
python3 -c "import json,sys; assert json.load(open(sys.argv[1])) == {'ports': []}" "$out/empty.json"
# The emulators ran clean too (a sanitizer build reports on their stderr).
if grep -l "Sanitizer\|runtime error" "$out"/*.err 2>/dev/null; then fail "an emulator's sanitizer report"; fi
echo "ports, usb: selection, by-id, baud auto, line settings, DTR reset, stations ok"
