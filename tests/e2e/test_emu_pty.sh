#!/bin/sh
# SPDX-License-Identifier: MIT
# atproof emu through its pty, driven by clients we did not write (pppd's
# chat) and by a plain termios client (python3): responses byte for byte,
# garbage on the line, kill -9 during PMTF, 32 modules in one process, TCP,
# and the exit codes of bad options. Runs in well under 60 s.
set -u
B=${B:-build}
EMU="$B/atproof emu"
TMP=$(mktemp -d /tmp/test_emu_pty.XXXXXX)
pids=""
fails=0

cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# wait_for PATH: until PATH exists (2 s at most)
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
	[ -e "$1" ]
}

# start NAME ARGS...: runs the emulator in the background, its pid in $pid
start() {
	name=$1
	shift
	$EMU "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	pids="$pids $pid"
}

stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# A plain termios client: client.py TTY SEND EXPECT [SEND EXPECT]...
# (Python escapes in SEND and EXPECT; EXPECT '*' takes whatever comes and
# prints it). Exits 1 on the first difference.
cat >"$TMP/client.py" <<'EOF'
import os, select, sys, termios, time, tty

def unesc(s):
    return s.encode('latin-1').decode('unicode_escape').encode('latin-1')

def read_quiet(fd, want_len, timeout):
    out = b''
    end = time.time() + timeout
    quiet = None
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.02)
        if r:
            out += os.read(fd, 65536)
            quiet = None
        elif want_len is not None and len(out) >= want_len:
            if quiet is None:
                quiet = time.time()
            elif time.time() - quiet > 0.05:
                break
    return out

path = sys.argv[1]
if ':' in path:
    import socket
    host, port = path.rsplit(':', 1)
    sock = socket.create_connection((host, int(port)))
    fd = sock.fileno()
else:
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
args = sys.argv[2:]
for i in range(0, len(args), 2):
    send, want = unesc(args[i]), args[i + 1]
    os.write(fd, send)
    if want == '*':
        got = read_quiet(fd, 0, 1.0)
        sys.stdout.write(repr(got) + '\n')
        continue
    want = unesc(want)
    got = read_quiet(fd, len(want), 3.0)
    if got != want:
        print('sent %r\n  expected %r\n  got      %r' % (send, want, got))
        sys.exit(1)
EOF

client() {
	python3 "$TMP/client.py" "$@"
}

OK='+OK\r\n\r\n'
QVER_LUAT='+OK=H1.00.00.0000,G2.02.05@ 10:55:46 Sep 28 2018\r\n\r\n'

# ---- 1. byte for byte through the pty ---------------------------------------
start luat --pty "$TMP/tty" --log "$TMP/luat.log"
wait_for "$TMP/tty" || fail "the pty symlink did not appear"
case $(readlink "$TMP/tty") in
/dev/pts/*) ;;
*) fail "--pty PATH is not a symlink to a pseudo-terminal: $(ls -l "$TMP/tty")" ;;
esac
client "$TMP/tty" \
	'AT+\r' "$OK" \
	'AT+QVER\r' "$QVER_LUAT" \
	'AT+QMAC\r' '+OK=286dcd004e7d\r\n\r\n' \
	'AT+WPRT\r' '+OK=0\r\n\r\n' \
	'AT+WPRT=4\r' '+ERR=-4\r\n\r\n' \
	'AT+WPRT=\r' '+ERR=-2\r\n\r\n' \
	'AT+QVER=1\r' '+ERR=-2\r\n\r\n' \
	'AT+ABCDEFGHIJ\r' '+ERR=-2\r\n' \
	'AT+SSID=1,2,3,4,5,6,7,8,9,10\r' '+ERR=-4\r\n' \
	'AT+SSID=!TP-LINK_HyFi_1E\r' "$OK" \
	'AT+SSID=?\r' '+OK=TP-LINK_HyFi_1E\r\n\r\n' \
	'AT+UART=?\r' '+OK=115200,0,0,0,0\r\n\r\n' \
	'AT+BSSID=?\r' '+OK=0\r\n\r\n' \
	'AT+E\r' "$OK" \
	'at+qmac\n' 'at+qmac\r\n+OK=286dcd004e7d\r\n\r\n' \
	'AT+E\r' 'AT+E\r\n+OK\r\n\r\n' \
	'AT+WJOIN\rAT+LKSTT\r' '+OK=3c46d82bd81e,0,11,0,"TP-LINK_HyFi_1E",53\r\n\r\n+OK=1,"192.168.1.109","255.255.255.0","192.168.1.1","192.168.1.1","0.0.0.0"\r\n\r\n' \
	|| fail "luat exchanges"
grep -q '< AT+QVER\\r' "$TMP/luat.log" || fail "the log lacks the input"
grep -q '> +OK=286dcd004e7d\\r\\n\\r\\n' "$TMP/luat.log" || fail "the log lacks the output"

# ---- 2. pppd's chat against the pty -------------------------------------------
CHAT=$(command -v chat || echo /usr/sbin/chat)
if [ -x "$CHAT" ]; then
	# In chat's expect strings '-' starts a sub-expression: a literal
	# dash is written \-.
	cat >"$TMP/chat.script" <<'EOF'
TIMEOUT 5
ABORT '+ERR'
'' 'AT+QVER'
'+OK=H1.00.00.0000,G2.02.05' 'AT+SSID=!TP-LINK_HyFi_1E'
'+OK' 'AT+SSID=?'
'+OK=TP\-LINK_HyFi_1E' 'AT+WLEAV'
'+OK' 'AT+WJOIN'
'+OK=3c46d82bd81e,0,11,0,"TP\-LINK_HyFi_1E",53'
EOF
	"$CHAT" -V -f "$TMP/chat.script" <"$TMP/tty" >"$TMP/tty" 2>"$TMP/chat.err"
	rc=$?
	[ $rc -eq 0 ] || { fail "chat exited $rc"; cat "$TMP/chat.err"; }
	# And chat must fail on an error reply (ABORT '+ERR' gives exit 4).
	printf "TIMEOUT 3\nABORT '+ERR'\n'' 'AT+NOSUCH'\n'+OK' ''\n" >"$TMP/chat2.script"
	"$CHAT" -f "$TMP/chat2.script" <"$TMP/tty" >"$TMP/tty" 2>/dev/null
	rc=$?
	[ $rc -eq 4 ] || fail "chat on an unknown command exited $rc, not 4"
else
	fail "chat (Debian package ppp) is not installed"
fi

# ---- 3. garbage never wedges it -------------------------------------------------
python3 - "$TMP/tty" <<'EOF' || fail "garbage"
import os, random, select, sys, time, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
rnd = random.Random(1)
def drain(t=0.3):
    out = b''
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.02)
        if r:
            out += os.read(fd, 65536)
    return out
for k in range(20):
    blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))
    os.write(fd, blob)
os.write(fd, b'\0' * 1000)
os.write(fd, b'AT+' + b'A' * 700 + b'\r')
os.write(fd, b'AT+QV+++ER\r')
drain(0.5)
os.write(fd, b'\rAT+QMAC\r')
got = drain(0.5)
if not got.endswith(b'+OK=286dcd004e7d\r\n\r\n'):
    print('after garbage: %r' % got[-200:])
    sys.exit(1)
time.sleep(0.1)
os.write(fd, b'+++')
got = drain(0.3)
if got != b'+OK\r\n\r\n':
    print('+++ alone: %r' % got)
    sys.exit(1)
EOF
kill -0 "$pid" 2>/dev/null || fail "the emulator died of garbage"
stop "$pid"
[ -e "$TMP/tty" ] && fail "SIGTERM left the symlink behind"

# ---- 4. kill -9 during PMTF: the flash is the old or the new one -------------------
python3 - "$TMP" "$B" <<'EOF' || fail "kill -9 during PMTF"
import os, random, select, signal, subprocess, sys, time, tty
tmp, b = sys.argv[1], sys.argv[2]
flash, ttyp = tmp + '/flash', tmp + '/ktty'
rnd = random.Random(7)

def boot():
    p = subprocess.Popen([b + '/atproof', 'emu', '--firmware', 'manual', '--pty', ttyp,
                          '--flash', flash, '--log', tmp + '/kill.log'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        if os.path.exists(ttyp):
            break
        time.sleep(0.01)
    fd = os.open(ttyp, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return p, fd

def ask(fd, line):
    os.write(fd, line)
    out = b''
    end = time.time() + 2
    while time.time() < end and not out.endswith(b'\r\n\r\n'):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            out += os.read(fd, 4096)
    return out

gens = set()
for round in range(25):
    p, fd = boot()
    ssid, apssid, dname = ask(fd, b'AT+SSID=?\r'), ask(fd, b'AT+APSSID=?\r'), ask(fd, b'AT+DNAME=?\r')
    s = ssid[4:-4]
    if apssid[4:-4] != s or (s and dname[4:-4] != s):
        print('round %d: inconsistent flash: %r %r %r' % (round, ssid, apssid, dname))
        sys.exit(1)
    if round > 0 and s == b'':
        print('round %d: flash lost (factory values)' % round)
        sys.exit(1)
    gens.add(s)
    # Write generations as fast as the module takes them, then kill -9 at a
    # random moment.
    start = round * 1000
    cmds = b''.join(b'AT+SSID=g%d\rAT+APSSID=g%d\rAT+DNAME=g%d\rAT+PMTF\r' % (g, g, g)
                    for g in range(start, start + 200))
    try:
        os.set_blocking(fd, False)
        os.write(fd, cmds[:4000])
    except OSError:
        pass
    time.sleep(rnd.uniform(0.0, 0.05))
    p.send_signal(signal.SIGKILL)
    p.wait()
    os.close(fd)
    os.unlink(ttyp)
log = open(tmp + '/kill.log', errors='replace').read()
if 'unreadable' in log:
    print('a torn flash file was read: ' + [l for l in log.splitlines() if 'unreadable' in l][0])
    sys.exit(1)
if len(gens) < 5:
    print('too few generations seen: %r' % sorted(gens))
    sys.exit(1)
EOF

# ---- 5. 32 modules in one process -------------------------------------------------
start many --pty "$TMP/m" --count 32 --firmware g3
wait_for "$TMP/m-31" || fail "module 31 did not appear"
python3 - "$TMP/m" <<'EOF' || fail "32 modules"
import os, select, sys, time, tty
fds = []
for i in range(32):
    fd = os.open('%s-%d' % (sys.argv[1], i), os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    fds.append(fd)
for fd in fds:
    os.write(fd, b'AT+QMAC\r')
for i, fd in enumerate(fds):
    want = b'+OK=286dcd00%04x\r\n\r\n' % (0x4e7d + i)
    out = b''
    end = time.time() + 3
    while time.time() < end and len(out) < len(want):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            out += os.read(fd, 4096)
    if out != want:
        print('module %d: %r' % (i, out))
        sys.exit(1)
EOF
stop "$pid"
[ -e "$TMP/m-0" ] && fail "SIGTERM left module 0's symlink behind"

# ---- 6. TCP -------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# HOST:PORT as the issue writes it; the bare PORT form is the port-in-use
# check below. No --log: the byte log goes to standard error.
start tcp --tcp "127.0.0.1:$PORT" --firmware manual
i=0
while ! grep -q "tcp 127.0.0.1:$PORT" "$TMP/tcp.err" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.01
	i=$((i + 1))
done
client "127.0.0.1:$PORT" 'AT+\r' "$OK" 'AT+QVER\r' '+OK=AirM2M_Luat_WiFi_V008_WM\r\n\r\n' \
	'AT+WPRT\r' '+ERR=-3\r\n\r\n' || fail "TCP exchanges"
tcp_pid=$pid
# Every byte in and out, each line with its microsecond timestamp.
grep -Eq '^[0-9]+\.[0-9]{6} (\[0\] )?< AT\+QVER\\r$' "$TMP/tcp.err" ||
	fail "the default log (standard error) lacks the input with its timestamp"
grep -Eq '^[0-9]+\.[0-9]{6} (\[0\] )?> \+OK=AirM2M_Luat_WiFi_V008_WM\\r\\n\\r\\n$' "$TMP/tcp.err" ||
	fail "the default log (standard error) lacks the output with its timestamp"
# The port is taken now: a second emulator on it is an environment failure.
$EMU --tcp "$PORT" >/dev/null 2>&1
[ $? -eq 3 ] || fail "a port in use did not exit 3"
stop "$tcp_pid"
# Without --flash the flash is a temporary file, gone with the emulator.
tmpflash=$(sed -n 's/^[0-9.]* \(\[0\] \)\{0,1\}# flash \(.*\): .*/\2/p' "$TMP/tcp.err" | head -1)
case $tmpflash in
/*/flash-0) [ -e "$tmpflash" ] && fail "the temporary flash $tmpflash outlived the emulator" ;;
*) fail "the log does not name the temporary flash file" ;;
esac

# ---- 6b. SIGINT (Ctrl-C) stops it as SIGTERM does and removes the symlink ----
# The module on a pty and TCP at once: one byte stream, whose output goes
# to both, whichever side the command came from.
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start int --pty "$TMP/itty" --tcp "127.0.0.1:$PORT2" --log /dev/null
wait_for "$TMP/itty" || fail "the pty symlink did not appear (SIGINT case)"
python3 - "$TMP/itty" "$PORT2" <<'EOF2' || fail "pty and TCP do not share one byte stream"
import os, select, socket, sys, time, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
        break
    except OSError:
        time.sleep(0.02)
def got(want):
    out = {"pty": b"", "tcp": b""}
    end = time.time() + 3
    while time.time() < end and (out["pty"] != want or out["tcp"] != want):
        r, _, _ = select.select([fd, s], [], [], 0.05)
        if fd in r:
            out["pty"] += os.read(fd, 4096)
        if s in r:
            out["tcp"] += s.recv(4096)
    if out["pty"] != want or out["tcp"] != want:
        print("expected %r on both, got %r" % (want, out))
        sys.exit(1)
time.sleep(0.1)   # the TCP client is accepted
s.sendall(b"AT+QMAC\r")
got(b"+OK=286dcd004e7d\r\n\r\n")
os.write(fd, b"AT+\r")
got(b"+OK\r\n\r\n")
EOF2
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "SIGINT: the emulator exited $rc, not 0"
[ -e "$TMP/itty" ] || [ -L "$TMP/itty" ] && fail "SIGINT left the symlink behind"

# ---- 7. exit codes --------------------------------------------------------------
$EMU --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option did not exit 2"
$EMU --pty "$TMP/x" --firmware nosuch >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown profile did not exit 2"
$EMU --pty "$TMP/x" --count 0 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--count 0 did not exit 2"
$EMU --pty "$TMP/x" --fault nosuch >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown fault did not exit 2"
$EMU >/dev/null 2>&1
[ $? -eq 2 ] || fail "no --pty nor --tcp did not exit 2"
printf 'aps:\n  - { ssid: a, bssid: xyz }\n' >"$TMP/bad.yaml"
$EMU --pty "$TMP/x" --world "$TMP/bad.yaml" >/dev/null 2>"$TMP/bad.err"
[ $? -eq 2 ] || fail "a bad world did not exit 2"
grep -q "bad.yaml:2:" "$TMP/bad.err" || fail "a bad world's message lacks file:line:col"
$EMU --pty /nonexistent/dir/tty >/dev/null 2>&1
[ $? -eq 3 ] || fail "a pty path in a missing folder did not exit 3"
$EMU --help | grep -q "bitflip=RATE" || fail "--help does not document the faults"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "test_emu_pty: all passed"
