#!/bin/sh
# SPDX-License-Identifier: MIT
# Security (issue 7): every socket atproof binds or connects is loopback
# (the emulator, its TCP port, every harness peer, the broker), `emu --tcp`
# elsewhere needs an explicit host, and a world file cannot map a socket off
# loopback; secrets (--secret, a secret: true variable from the environment)
# reach no report format, no capture (bytes or step comments) and no
# terminal output; scenario and world files make atproof run no program of
# their choosing, read no file outside the scenario root and write nothing
# but the paths the command line gave.
set -eu
B=${B:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
out=$(mktemp -d)
emu=""
cleanup() {
	[ -n "$emu" ] && kill "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
E=scenarios/examples

# An LD_PRELOAD shim logs the address of every bind() and connect() of
# atproof and its children (the emulator, mosquitto) to $ATP_NETLOG.
cat >"$out/netlog.c" <<'C'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
note(const char *what, const struct sockaddr *sa)
{
	const char *path = getenv("ATP_NETLOG");
	char a[INET6_ADDRSTRLEN] = "?", line[128];
	unsigned port = 0;
	int fd, n;

	if (path == NULL || sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
	} else {
		return;
	}
	n = snprintf(line, sizeof(line), "%s %s %u\n", what, a, port);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)!write(fd, line, (size_t)n);
		close(fd);
	}
}

int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
	    (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	note("bind", sa);
	return real(fd, sa, len);
}

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
	    (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	note("connect", sa);
	return real(fd, sa, len);
}
C
cc -shared -fPIC -O2 -o "$out/netlog.so" "$out/netlog.c" -ldl
# A sanitizer build wants its runtime first in LD_PRELOAD.
asan=$(ldd "$B/atproof" 2>/dev/null | awk '/libasan/ { print $3 }')
preload="${asan:+$asan }$out/netlog.so"
net() {
	ATP_NETLOG="$out/net.log" LD_PRELOAD="$preload" "$@"
}
# Every logged address is loopback (127/8, ::1, ::ffff:127/104).
only_loopback() {
	[ -s "$out/net.log" ] || { echo "$1: the shim logged nothing"; exit 1; }
	if grep -v -E '^(bind|connect) (127\.[0-9.]+|::1|::ffff:127\.[0-9.]+) [0-9]+$' \
	    "$out/net.log"; then
		echo "$1: a socket off loopback (above)"
		exit 1
	fi
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# 1. `emu --tcp PORT` listens on 127.0.0.1 only; no host is an error, not
# "every interface".
port=$(free_port)
: >"$out/net.log"
# (Not through net(): $! must be atproof's own pid, for the kill below.)
ATP_NETLOG="$out/net.log" LD_PRELOAD="$preload" "$B/atproof" emu --tcp "$port" \
    --firmware manual >"$out/emu.txt" 2>&1 &
emu=$!
i=0
until grep -q "^bind " "$out/net.log" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
	[ $i -lt 400 ] || { cat "$out/emu.txt"; echo "emu --tcp never bound"; exit 1; }
done
grep -q "^bind 127.0.0.1 $port\$" "$out/net.log" || { cat "$out/net.log"; exit 1; }
only_loopback "emu --tcp PORT"
kill "$emu"
wait "$emu" 2>/dev/null || true
emu=""
rc=0
"$B/atproof" emu --tcp ":$port" --firmware manual >"$out/e.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$out/e.txt"; echo "emu --tcp :PORT: exit $rc, not 2"; exit 1; }

# 2. A run with every kind of peer (TCP and UDP servers, HTTP, the MQTT
# broker and client) and the emulator's sockets: loopback only.
: >"$out/net.log"
net "$B/atproof" run --emulator=luat --firmware luat --cap mqtt --report json:"$out/peers.json" \
    $E/socket.yaml $E/peers.yaml $E/http.yaml $E/mqtt.yaml >"$out/peers.txt" 2>&1 || {
	cat "$out/peers.txt"; echo "the peer scenarios failed"; exit 1; }
only_loopback "run with peers"
python3 - "$out/peers.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = [c["verdict"] for c in d["cases"]]
assert v == ["pass"] * 4, v
PY
grep -q '^connect 127\.' "$out/net.log" || { echo "no emulator connect logged"; exit 1; }

# 3. A world file that maps a scenario address off loopback opens no way
# out: the SKCT is refused (-13 on the wire), nothing connects to 10/8.
sed 's/^    to: 127.0.0.1$/    to: 10.255.255.1/' scenarios/worlds/default.yaml >"$out/out.yaml"
grep -q 'to: 10.255.255.1' "$out/out.yaml"
cat >"$out/skct.yaml" <<'YAML'
id: sec-world-map
spec: ["§2.2.3.10 AT+SKCT"]
include: lib/common.yaml
setup:
  - use: join-open
steps:
  - cmd: SKCT
    args: [0, 0, 192.168.1.100, 4001]
    expect: "+ERR=-13"
    deadline: 5s
YAML
mkdir -p "$out/sc/lib"
cp $E/lib/common.yaml "$out/sc/lib/"
cp "$out/skct.yaml" "$out/sc/"
: >"$out/net.log"
net "$B/atproof" run --emulator=luat --firmware luat --world "$out/out.yaml" \
    --report json:"$out/map.json" "$out/sc/skct.yaml" >"$out/map.txt" 2>&1 || {
	cat "$out/map.txt"; echo "an off-loopback world map was not refused"; exit 1; }
if grep -q '10\.255\.255\.1' "$out/net.log"; then
	echo "the emulator connected off loopback as the world said"
	exit 1
fi

# 4. Secrets: one from --secret, one a secret variable from the
# environment; both go over the wire (SSID is no secret command, so only
# the variables mask them) and both are in a failure message.
cat >"$out/sc/secret.yaml" <<'YAML'
id: sec-secrets
spec: ["§2.2.2.8 AT+SSID"]
vars:
  envkey: { value: "${env.ATP_SEC_ENV}", secret: true }
steps:
  - cmd: SSID
    args: ["${cli}"]
  - cmd: SSID
    form: query
    expect: "+OK=${cli}"
  - cmd: SSID
    args: ["${envkey}"]
  - cmd: SSID
    form: query
    expect: "+OK=not-${envkey}-${cli}"
YAML
rc=0
ATP_SEC_ENV=EnvSecret-7q2 "$B/atproof" run --emulator=manual --secret cli=CliSecret-4k9 \
    --capture "$out/sec.pcapng" --report text:"$out/sec.txt" --report json:"$out/sec.json" \
    --report junit:"$out/sec.xml" --report tap:"$out/sec.tap" --report html:"$out/sec.html" \
    --report text:- "$out/sc/secret.yaml" >"$out/sec.out" 2>"$out/sec.err" || rc=$?
[ $rc -eq 1 ] || { cat "$out/sec.out" "$out/sec.err"; echo "secret run: exit $rc, not 1"; exit 1; }
for f in sec.txt sec.json sec.xml sec.tap sec.html sec.pcapng sec.out sec.err; do
	[ -s "$out/$f" ] || [ "$f" = sec.err ] || { echo "$f is empty"; exit 1; }
	if grep -a -q -e CliSecret -e EnvSecret -e 4k9 -e 7q2 "$out/$f"; then
		echo "a secret in $f:"
		grep -a -e CliSecret -e EnvSecret "$out/$f" | head -5
		exit 1
	fi
done
# The masking happened (so the checks above could fail): *** in the
# reports, same-length stars on the wire in the capture.
grep -q '\*\*\*' "$out/sec.txt"
grep -q '\*\*\*' "$out/sec.json"
grep -a -q 'AT+SSID=\*\*\*\*\*\*\*\*\*\*\*\*\*' "$out/sec.pcapng"
grep -q '"verdict": *"fail"' "$out/sec.json"

# 5. A scenario cannot read outside its root (a data file given as an
# absolute path), and no scenario or world makes atproof run a program:
# the only exec calls in the sources are the emulator (ourselves) and the
# mosquitto broker of an mqtt peer, both with fixed argument lists.
for f in /etc/passwd ../../../../../../../../etc/passwd; do
	cat >"$out/sc/passwd.yaml" <<YAML
id: sec-escape
spec: ["§2.2.3.11 AT+SKSND"]
steps:
  - send_data: { file: $f }
YAML
	rc=0
	"$B/atproof" run --emulator=manual "$out/sc/passwd.yaml" >"$out/esc.txt" 2>&1 || rc=$?
	[ $rc -eq 2 ] || { cat "$out/esc.txt"; echo "$f: exit $rc, not 2"; exit 1; }
	grep -q -E 'outside the scenario root|absolute path' "$out/esc.txt" || {
		cat "$out/esc.txt"; exit 1; }
	if grep -q 'root:' "$out/esc.txt"; then echo "/etc/passwd was read"; exit 1; fi
done
execs=$(grep -n -E '\b(system|popen|execv|execvp|execve|execl|execlp|execle|posix_spawnp?)[[:space:]]*\(' \
    core/*.c emulator/*.c harness/*.c analyzer/*.c reports/*.c cli/*.c |
    grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
want='harness/peers.c execl("/usr/sbin/mosquitto"
harness/peers.c execlp("mosquitto"
harness/transport.c execv(exe'
got=$(echo "$execs" | sed -E 's/^([^:]+):[0-9]+:[[:space:]]*/\1 /; s/, .*//; s/\(\(char.*//')
if [ "$got" != "$want" ]; then
	echo "exec calls changed; review them for scenario-controlled programs:"
	echo "$execs"
	exit 1
fi

# 6. A run writes only the paths its command line gave: the scenario
# folder and the working folder get nothing new.
mkdir -p "$out/cwd" "$out/rep"
cp -r $E "$out/ex"
touch "$out/mark"
sleep 1
(cd "$out/cwd" && "$B/atproof" run --emulator=luat --firmware luat \
    --capture "$out/rep/c.pcapng" --report json:"$out/rep/r.json" \
    "$out/ex/basic.yaml" "$out/ex/flow.yaml" "$out/ex/socket.yaml" >"$out/w.txt" 2>&1) || true
[ -s "$out/rep/r.json" ] || { cat "$out/w.txt"; echo "no report"; exit 1; }
new=$(find "$out/cwd" "$out/ex" -newer "$out/mark")
[ -z "$new" ] || [ "$new" = "$out/cwd" ] || { echo "written outside the given paths:"; echo "$new"; exit 1; }
echo "security ok"
