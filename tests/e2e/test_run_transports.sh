#!/bin/sh
# SPDX-License-Identifier: MIT
# The transports other than --emulator: --port on a pty that `atproof emu`
# made (termios), --tcp on the emulator's raw TCP port (ser2net style), and
# the errors: a missing port and a closed TCP port are exit 3, bad options 2.
# A text report on a pipe has no colour codes; secrets stay out of the
# capture.
set -eu
B=${B:-build}
out=$(mktemp -d)
emu=""
cleanup() {
	[ -n "$emu" ] && kill "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
E=scenarios/examples

# --port on a pty.
"$B/atproof" emu --pty "$out/tty" --firmware g3 >"$out/emu.txt" 2>&1 &
emu=$!
i=0
while [ ! -e "$out/tty" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$B/atproof" run --port "$out/tty" --firmware g3 --report json:"$out/pty.json" \
    --report text:"$out/pty.txt" $E/basic.yaml $E/negative.yaml
python3 - "$out/pty.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "pass", d
assert d["port"].endswith("/tty"), d["port"]
assert "G3.04" in d["unit"]["firmware"], d["unit"]
assert [c["verdict"] for c in d["cases"]] == ["pass", "pass"], d["cases"]
PY
if grep -q "$(printf '\033')" "$out/pty.txt"; then echo "colour codes in a file report"; exit 1; fi
kill "$emu"
wait "$emu" 2>/dev/null || true
emu=""

# --tcp: pick a free loopback port, serve the emulator there.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$B/atproof" emu --tcp 127.0.0.1:"$port" --firmware manual >"$out/emu.txt" 2>&1 &
emu=$!
i=0
until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2).close()" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$out/emu.txt"; echo "the emulator's TCP port did not open"; exit 1; }
done
sleep 0.1
"$B/atproof" run --tcp 127.0.0.1:"$port" --secret k=hunter22 --capture "$out/tcp.pcapng" \
    --report json:"$out/tcp.json" $E/flow.yaml >/dev/null
python3 - "$out/tcp.json" "$out/tcp.pcapng" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "pass", d
assert d["port"].startswith("127.0.0.1:"), d["port"]
assert len(d["cases"]) == 4, [c["id"] for c in d["cases"]]
cap = open(sys.argv[2], "rb").read()
assert cap[:4] == b"\x0a\x0d\x0d\x0a", cap[:4]
assert b"s3cr3t" not in cap, "a secret in the capture"
assert b"**********" in cap, "the masked key is not in the capture"
PY
kill "$emu"
wait "$emu" 2>/dev/null || true
emu=""

# --world passes the emulator its world (here the default one, explicitly).
"$B/atproof" run --emulator=luat --firmware luat --world scenarios/worlds/default.yaml \
    --report json:"$out/world.json" $E/socket.yaml >/dev/null
python3 -c "import json; d=json.load(open('$out/world.json')); assert d['verdict'] == 'pass', d['verdict']"
rc=0
"$B/atproof" run --emulator=luat --world "$out/no-world.yaml" $E/basic.yaml >"$out/e.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$out/e.txt"; echo "a missing world: exit $rc, not 3"; exit 1; }

# Environment failures are exit 3; usage errors are 2.
rc=0
"$B/atproof" run --port "$out/nope" $E/basic.yaml >"$out/e.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$out/e.txt"; echo "missing port: exit $rc"; exit 1; }
grep -q "cannot open" "$out/e.txt"
rc=0
"$B/atproof" run --tcp 127.0.0.1:"$port" $E/basic.yaml >"$out/e.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$out/e.txt"; echo "closed TCP port: exit $rc"; exit 1; }
for args in "--port" "--emulator --tcp 127.0.0.1:1 $E/basic.yaml" "--emulator=nosuch $E/basic.yaml" \
    "--emulator --report xml:- $E/basic.yaml" "--emulator --tags (a $E/basic.yaml" \
    "--emulator --bogus $E/basic.yaml" "--port /dev/null --fault x $E/basic.yaml" \
    "--emulator --firmware nosuch $E/basic.yaml" "--emulator $out/none.yaml"; do
	rc=0
	# shellcheck disable=SC2086
	"$B/atproof" run $args >"$out/e.txt" 2>&1 || rc=$?
	[ $rc -eq 2 ] || { cat "$out/e.txt"; echo "run $args: exit $rc, not 2"; exit 1; }
done
"$B/atproof" run --help | grep -q -- "--emulator"
echo "pty, tcp and errors ok"
