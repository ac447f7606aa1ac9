#!/bin/sh
# SPDX-License-Identifier: MIT
# `atproof emu --baud N`: a pty client at another rate is not understood.
# Without --line-signal the emulator reads the client's rate at every read;
# with it, at each SIGUSR2 the client sends once it has moved the rate (what
# `atproof run --emulator` does, a system call less an exchange). Checked
# with a plain termios client: the answer at the module's rate, none at
# another, the answer again back at the rate; and, with --line-signal, that
# the rate is taken from the signal (a move not signalled is not seen yet).
set -eu
B=${B:-build}
out=$(mktemp -d)
emu_pid=

start() {   # start [--line-signal]: an emulator at 115200 on $out/tty
	rm -f "$out/tty"
	"$B/atproof" emu --pty "$out/tty" --firmware manual --log /dev/null --baud 115200 "$@" \
	    2>"$out/emu.err" &
	emu_pid=$!
	i=0
	while [ ! -e "$out/tty" ]; do
		i=$((i + 1))
		[ $i -lt 500 ] || { cat "$out/emu.err"; echo "FAIL: no pty"; exit 1; }
		sleep 0.01
	done
}
stop() {
	[ -z "$emu_pid" ] || { kill "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null || true; }
	emu_pid=
}
trap 'stop; rm -rf "$out"' EXIT

# client MODE EMU_PID: prints one word per probe: "ok" (+OK came) or
# "none" (nothing within 0.5 s). MODE "signal" sends SIGUSR2 after each
# rate change, "quiet" never does.
cat >"$out/client.py" <<'EOF'
import os, select, signal, sys, termios, time
path, mode, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
def rate(speed, tell):
    t = termios.tcgetattr(fd)
    t[0] = t[1] = t[3] = 0
    t[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
    t[4] = t[5] = speed
    termios.tcsetattr(fd, termios.TCSADRAIN, t)
    if tell:
        os.kill(pid, signal.SIGUSR2)
def probe():
    os.write(fd, b"\r")           # ends what garbage the line holds
    time.sleep(0.2)
    termios.tcflush(fd, termios.TCIFLUSH)
    os.write(fd, b"AT+\r")
    got, end = b"", time.time() + 0.5
    while time.time() < end and b"+OK" not in got:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            got += os.read(fd, 256)
    return "ok" if b"+OK" in got else "none"
tell = mode == "signal"
out = []
rate(termios.B115200, tell); out.append(probe())
rate(termios.B9600, tell); out.append(probe())
rate(termios.B115200, tell); out.append(probe())
if tell:
    # A move not signalled is not seen until the next signal.
    rate(termios.B9600, False); out.append(probe())
    os.kill(pid, signal.SIGUSR2); out.append(probe())
    rate(termios.B115200, True); out.append(probe())
print(" ".join(out))
EOF

start
got=$(python3 "$out/client.py" "$out/tty" quiet "$emu_pid")
stop
[ "$got" = "ok none ok" ] || { echo "FAIL: read at every read: $got (want ok none ok)"; exit 1; }
echo "ok   without --line-signal the client's rate is read at every read"

start --line-signal
got=$(python3 "$out/client.py" "$out/tty" signal "$emu_pid")
kill -0 "$emu_pid" || { echo "FAIL: SIGUSR2 ended the emulator"; exit 1; }
stop
[ "$got" = "ok none ok ok none ok" ] ||
	{ echo "FAIL: --line-signal: $got (want ok none ok ok none ok)"; exit 1; }
echo "ok   with --line-signal the rate is read at each SIGUSR2, and only then"
