#!/bin/sh
# SPDX-License-Identifier: MIT
# The libserialport path, over a pty by honest means (DESIGN.md): in a
# private mount namespace, /sys/class/tty shows one port ttyAT0 (a symlink
# to a virtual tty's sysfs node) and /dev/ttyAT0 is the emulator's pty; a
# preloaded shim answers the modem-line ioctls a pty lacks. libserialport
# then finds, opens, configures, writes and reads the port itself, sets
# DTR/RTS and sends a break (line.yaml); the report says which transport ran. Without root or unshare the test says
# so and passes: the README names what is then untested.
set -eu
B=${B:-build}
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "skipped: needs root and unshare -m (libserialport path untested here)"
	exit 0
fi
out=$(mktemp -d)
emu=""
cleanup() {
	[ -n "$emu" ] && kill "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT

cc -shared -fPIC -O2 -o "$out/sp_shim.so" tests/e2e/sp_shim.c -ldl
# A sanitizer build wants its runtime first in LD_PRELOAD.
asan=$(ldd "$B/atproof" 2>/dev/null | awk '/libasan/ { print $3 }')
preload="${asan:+$asan }$out/sp_shim.so"
"$B/atproof" emu --pty "$out/pty" --firmware g3 >"$out/emu.txt" 2>&1 &
emu=$!
i=0
while [ ! -e "$out/pty" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
pts=$(readlink "$out/pty")
node=$(ls /sys/devices/virtual/tty | grep '^tty[0-9]' | head -1)
mkdir -p "$out/sys" "$out/dev/pts"
ln -s "../../devices/virtual/tty/$node" "$out/sys/ttyAT0"
ln -s "$pts" "$out/dev/ttyAT0"
unshare -m sh -c "
	set -e
	mount --bind /dev/pts '$out/dev/pts'
	mount --bind '$out/sys' /sys/class/tty
	mount --rbind '$out/dev' /dev
	LD_PRELOAD='$preload' '$B/atproof' run --port /dev/ttyAT0 --serial libserialport \
	    --firmware g3 --report json:'$out/run.json' scenarios/examples/basic.yaml \
	    scenarios/examples/negative.yaml scenarios/examples/echo.yaml \
	    scenarios/examples/line.yaml
" >"$out/run.txt" 2>&1 || { cat "$out/run.txt"; echo "the libserialport run failed"; exit 1; }
python3 - "$out/run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["transport"] == "libserialport", d["transport"]
assert d["port"] == "/dev/ttyAT0", d["port"]
assert d["verdict"] == "pass", d
assert [c["verdict"] for c in d["cases"]] == ["pass"] * 4, d["cases"]
assert "G3.04" in d["unit"]["firmware"], d["unit"]
PY
# Without the namespace, libserialport cannot open a pty and auto mode
# falls back to termios.
"$B/atproof" run --port "$out/pty" --report json:"$out/auto.json" scenarios/examples/basic.yaml \
    >/dev/null 2>&1 || true
python3 -c "import json,sys; d=json.load(open('$out/auto.json')); assert d['transport'] == 'tty', d['transport']"
# termios on a pty has no modem lines: the line steps are inconclusive (4).
rc=0
"$B/atproof" run --port "$out/pty" --serial termios scenarios/examples/line.yaml \
    >"$out/l.txt" 2>&1 || rc=$?
[ $rc -eq 4 ] || { cat "$out/l.txt"; echo "line steps on a pty: exit $rc, not 4"; exit 1; }
rc=0
"$B/atproof" run --port "$out/pty" --serial libserialport scenarios/examples/basic.yaml \
    >"$out/e.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$out/e.txt"; echo "libserialport on a bare pty: exit $rc"; exit 1; }
echo "libserialport path ok; termios fallback ok"
