#!/bin/sh
# SPDX-License-Identifier: MIT
# The other end of the module's sockets fails:
#   bind      a peer cannot start (its port: is taken): exit 3, "peer ...
#             could not start on 127.0.0.1:P: Address already in use", and
#             no byte is sent for that case;
#   refused   SKCT to a port where nobody listens: the module answers
#             +ERR=-13 (SKT_CONN, w600-firmware.md §5); a scenario that
#             expects it passes, one that expects a socket fails (exit 1)
#             naming the response;
#   rst       a peer resets the connection (RST, reset_after) in the middle
#             of a transparent stream, and under a socket between two
#             SKSNDs: the failing step says the peer reset it.
# Each time the capture holds every byte the run counted.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. tests/e2e/fault_lib.sh

fault_join "$out/join.yaml"
scenario() { # NAME SPEC PEERS (YAML flow lines): a header, then stdin
	{
		printf 'id: fault-%s\ntitle: a peer fails (%s)\nspec: "%s"\npeers:\n%s\nsteps:\n' \
		    "$1" "$1" "$2" "$3"
		cat "$out/join.yaml"
		cat
	} >"$out/$1.yaml"
}
connect='  - cmd: SKCT
    args: [0, 0, 192.168.1.100, "${peers.echo.port}"]
    expect: { shape: "+OK=<sock:Dec 1..20>" }
    deadline: 5s'
# A loopback port nobody listens on (the kernel's pick, let go again).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run() { fault_run "$1" "$2" "$out/$1.yaml"; }   # CASE EXPECTED-EXIT

# bind: two peers on one fixed port; the second cannot have it.
p=$(free_port)
scenario bind "§2.2.3.10 AT+SKCT" "  echo: { type: tcp-server, port: $p }
  twin: { type: tcp-server, port: $p }" <<EOF
$connect
EOF
run bind 3
python3 - "$out/bind.json" "$p" <<'PY'
import json, sys
run, port = json.load(open(sys.argv[1])), sys.argv[2]
assert run["verdict"] == "error", run["verdict"]
r = run["reason"]
assert "could not start on 127.0.0.1:%s" % port in r and "in use" in r, r
PY
# The run's identification (AT+QVER, AT+QMAC) went out, no step of the case.
if grep -aq 'AT+WPRT' "$out/bind.pcapng"; then echo "bind: the case ran without its peer"; exit 1; fi
echo "ok   a peer that cannot bind: exit 3, \"could not start ... in use\", nothing sent"

# refused: SKCT to a port with no listener.
p=$(free_port)
scenario refused "§2.2.3.10 AT+SKCT" "  echo: { type: tcp-server }" <<EOF
  - cmd: SKCT
    args: [0, 0, 192.168.1.100, $p]
    expect_error: -13
    deadline: 5s
  - cmd: QVER
EOF
run refused 0
scenario refused-ok "§2.2.3.10 AT+SKCT" "  echo: { type: tcp-server }" <<EOF
  - cmd: SKCT
    args: [0, 0, 192.168.1.100, $p]
    expect: { shape: "+OK=<sock:Dec 1..20>" }
    deadline: 5s
EOF
run refused-ok 1
python3 - "$out/refused-ok.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
s = [s for s in run["cases"][0]["steps"] if s["verdict"] == "fail"]
assert len(s) == 1 and s[0]["name"].startswith("AT+SKCT"), s
assert "unexpected response +ERR=-13" in s[0]["message"], s[0]["message"]
PY
echo "ok   a refused connection: +ERR=-13 judged (expected: exit 0; not expected: exit 1)"

# rst in transparent mode: 5 bytes echoed, then 5 of the next 22 and RST.
scenario rst-stream "§2.2.1.4 AT+ENTM" "  echo: { type: tcp-server, echo: true, reset_after: 10 }" <<EOF
$connect
  - cmd: SKSDF
    args: ["\${sock}"]
  - enter_transparent: true
  - stream: "hello"
    expect_data: "hello"
    deadline: 5s
  - stream: "the rest of the stream"
    expect_data: "the rest of the stream"
    deadline: 3s
  - leave_transparent: { guard: 100ms }
EOF
run rst-stream 1
# rst under a socket: the second SKSND finds it closed.
scenario rst-sock "§2.2.3.11 AT+SKSND" "  echo: { type: tcp-server, reset_after: 10 }" <<EOF
$connect
  - cmd: SKSND
    args: ["\${sock}", 12]
    expect: "+OK=12"
  - send_data: "twelve bytes"
  - peer_expect: { peer: echo, text: "twelve bytes" }
    deadline: 5s
  - sleep: 300ms
  - cmd: SKSND
    args: ["\${sock}", 5]
    expect: "+OK=5"
  - send_data: "again"
EOF
run rst-sock 1
python3 - "$out/rst-stream.json" "$out/rst-sock.json" <<'PY'
import json, sys
for path, step, symptom in ((sys.argv[1], "stream", "5 of 22 bytes came back"),
                            (sys.argv[2], "AT+SKSND", "unexpected response +ERR=-4")):
    run = json.load(open(path))
    assert run["verdict"] == "fail", (path, run["verdict"])
    bad = [s for s in run["cases"][0]["steps"] if s["verdict"] == "fail"]
    assert bad and bad[0]["name"].startswith(step), (path, bad)
    m = bad[0]["message"]
    assert symptom in m, (path, m)
    assert "peer echo reset 1 connection (RST) after 10 bytes" in m, (path, m)
PY
echo "ok   a peer that resets: the failing step names the RST (transparent and socket)"

# The options are checked at load: each misuse is exit 2 with its place.
for bad in "{ type: udp, reset_after: 5 }|reset_after goes with tcp-server" \
    "{ type: tcp-server, reset_after: 0 }|reset_after must be 1 or more" \
    "{ type: tcp-server, port: 0 }|port must be 1..65535" \
    "{ type: tcp-server, port: 70000 }|is larger than 65535" \
    "{ type: mqtt, port: 1883 }|an mqtt peer's port is a free one"; do
	def=${bad%%|*}
	msg=${bad#*|}
	printf 'id: bad-peer\ntitle: t\nspec: "§2.2.3.10 AT+SKCT"\npeers:\n  echo: %s\nsteps:\n  - cmd: QVER\n' \
	    "$def" >"$out/bad.yaml"
	rc=0
	"$B/atproof" lint "$out/bad.yaml" >"$out/bad.txt" 2>&1 || rc=$?
	[ $rc -eq 2 ] && grep -q "bad.yaml:5:.*$msg" "$out/bad.txt" ||
	    { cat "$out/bad.txt"; echo "peer $def: exit $rc, not 2 with '$msg'"; exit 1; }
done
echo "ok   port: and reset_after: misused: exit 2 at the place"
