#!/bin/sh
# SPDX-License-Identifier: MIT
# The analyzer's network correlation (--net) on real traffic: the harness
# runs scenarios against the emulator, whose sockets reach real TCP, UDP
# and MQTT peers on loopback, while tcpdump captures lo; 'atproof analyze
# --net' must tie every AT+SKCT to its connection and match every SKSND,
# SKRCV, +SKTRPT, HTTPC and MQTT message to its packets, count LUAT's cut +SKTRPT
# as the known deviation, and name the bytes that the emulator's faults
# skrcv-short and sksnd-drop lose. Skips (passes) when tcpdump cannot
# capture (not installed, or not root).
set -eu
B=${B:-build}
if ! command -v tcpdump >/dev/null 2>&1; then
	echo "skip: tcpdump is not installed (sh tools/deps.sh check installs it)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "skip: capturing on lo with tcpdump needs root"
	exit 0
fi
out=$(mktemp -d)
srv=""
tpid=""
cpid=""
cleanup() {
	# (a process that is gone already must not stop the cleanup)
	[ -z "$tpid" ] || kill "$tpid" 2>/dev/null || true
	[ -z "$cpid" ] || kill "$cpid" 2>/dev/null || true
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || true
	rm -rf "$out"
}
trap cleanup EXIT

python3 tests/e2e/echo_server.py >"$out/port" &
srv=$!
i=0
while [ ! -s "$out/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(head -1 "$out/port")

# Loopback only, and only IPv4 TCP/UDP: other tests' traffic may be there
# too; the analyzer ties flows by port and ignores the rest.
cap_start() {
	tcpdump -i lo -U --immediate-mode -w "$out/$1.pcap" 'ip and (tcp or udp)' \
	    >"$out/$1.tcpdump" 2>&1 &
	tpid=$!
	i=0
	while ! grep -q 'listening on' "$out/$1.tcpdump" 2>/dev/null; do
		if ! kill -0 "$tpid" 2>/dev/null || [ $i -ge 50 ]; then
			echo "skip: tcpdump cannot capture on lo:"
			cat "$out/$1.tcpdump"
			tpid=""
			exit 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
}
cap_stop() {
	sleep 0.5
	kill -INT "$tpid"
	wait "$tpid" || true
	tpid=""
}

# run NAME PROFILE [atproof run options and scenarios...]: capture, run,
# analyze into $out/NAME.json (the run's own verdict is not this test's).
run() {
	name=$1
	prof=$2
	shift 2
	cap_start "$name"
	rc=0
	"$B/atproof" run --emulator="$prof" --firmware "$prof" --var echo_port="$port" \
	    --capture "$out/$name.pcapng" "$@" >"$out/$name.run" 2>&1 || rc=$?
	cap_stop
	if [ ! -s "$out/$name.pcapng" ]; then
		echo "FAIL $name: the harness wrote no capture (exit $rc)"
		tail -5 "$out/$name.run"
		exit 1
	fi
	rc=0
	"$B/atproof" analyze --firmware "$prof" --net "$out/$name.pcap" \
	    --report json:"$out/$name.json" --report text:"$out/$name.txt" \
	    --report html:"$out/$name.html" \
	    "$out/$name.pcapng" >/dev/null 2>"$out/$name.err" || rc=$?
	if [ $rc -ge 2 ] && [ $rc -ne 4 ]; then
		echo "FAIL $name: atproof analyze exited $rc"
		cat "$out/$name.err"
		exit 1
	fi
}

# A TCP server on the module (AT+SKCT=0,1,...): a client on loopback
# connects to the emulator's listening port and says "ping from client";
# the module reports it as +SKTRPT on the accepted socket's own number,
# and the host answers with AT+SKSND on that number.
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$out/lib"
cp scenarios/examples/lib/common.yaml "$out/lib/"
cat >"$out/server.yaml" <<EOS
id: e2e-net-server
title: A TCP server's accepted connection carries data both ways
spec: ["§2.2.3.10 AT+SKCT", "§2.2.3.17 AT+SKRPTM"]
tags: [e2e, socket, server]
include: lib/common.yaml
setup:
  - use: join-open
  - cmd: SKRPTM
    args: [1]
steps:
  - cmd: SKCT
    args: [0, 1, 0, "\${srv_port}"]
    expect: { shape: "+OK=<srv:Dec 1..20>" }
  - wait_report: +SKTRPT
    expect: { glob: "+SKTRPT=*,16,127.0.0.1,*" }
    deadline: 10s
  - read_data: { text: "ping from client", len: "\${len}" }
  - cmd: SKSND
    args: ["\${socket}", 16]
    expect: "+OK=16"
  - send_data: "pong from module"
  - sleep: 500ms
teardown:
  - cmd: SKCLS
    args: ["\${srv}"]
  - cmd: SKRPTM
    args: [0]
EOS
python3 - "$sport" >"$out/client.out" 2>&1 <<'EOC' &
import socket, sys, time
end = time.time() + 20
while True:
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
        break
    except OSError:
        if time.time() > end:
            sys.exit("no server")
        time.sleep(0.05)
c.sendall(b"ping from client")
c.settimeout(10)
got = b""
while len(got) < 16:
    d = c.recv(64)
    if not d:
        break
    got += d
print(got.decode(errors="replace"))
c.close()
EOC
cpid=$!

E=scenarios/examples
run server luat --var srv_port="$sport" "$out/server.yaml"
wait "$cpid" || true
run sockets luat $E/socket.yaml $E/peers.yaml $E/report.yaml $E/http.yaml
run sockets-g3 g3 $E/socket.yaml $E/peers.yaml $E/report.yaml $E/http.yaml
run mqtt manual $E/mqtt.yaml
run long luat scenarios/conformance/skrptm-005-long-report.yaml
run rcvshort luat --fault skrcv-short $E/peers.yaml
run sndshort luat --fault sksnd-drop $E/peers.yaml

# The HTML report's sequence chart of the session has the sockets' peers
# as lifelines, with the bytes that crossed the network between them and
# the module (issue 6).
python3 - "$out/sockets.html" <<'EOF'
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
svg = h[h.index('<svg class="msc"'):]
svg = svg[:svg.index("</svg>")]
lanes = re.findall(r'<text class="lane"[^>]*>([^<]*)</text>', svg)
assert lanes[:2] == ["host", "module"], lanes
peers = [l for l in lanes if re.fullmatch(r"socket \d+ peer", l)]
assert peers, lanes
x = {m: l for m, l in re.findall(r'<text class="lane" x="(\d+)"[^>]*>([^<]*)</text>', svg)}
px = {k for k, v in x.items() if v in peers}
mx = [k for k, v in x.items() if v == "module"][0]
arrows = re.findall(r'<line x1="(\d+)" y1="\d+" x2="(\d+)"[^>]*/><text[^>]*>([^<]*)</text>', svg)
assert any(a in px and b == mx and "from peer" in t for a, b, t in arrows), arrows
assert any(a == mx and b in px and "to peer" in t for a, b, t in arrows), arrows
assert any(t.startswith("AT+SKCT=") for a, b, t in arrows), arrows
print("ok   the HTML chart of the session: %s; %d arrows" % (", ".join(lanes), len(arrows)))
EOF

python3 - "$out" <<'EOF'
import json, sys

out = sys.argv[1]
bad = []

def load(name):
    with open(f"{out}/{name}.json") as f:
        return json.load(f)

def net_findings(d):
    return [f for f in d["findings"] if f["rule"].startswith("net-")]

# Clean runs (LUAT and G3): every socket tied to its flow, every byte both
# ways matched.
for run in ("sockets", "sockets-g3"):
    d = load(run)
    n = d["network"]
    conns = n["connections"]
    protos = sorted({c["proto"] for c in conns})
    if protos != ["tcp", "udp"]:
        bad.append(f"{run}: connections over {protos}, expected tcp and udp")
    sksnd = deliveries = 0
    for c in conns:
        s, r = c["sent"], c["received"]
        tag = f"{run}: socket {c['socket']} {c['proto']} port {c['port']}"
        if not c["matched"]:
            bad.append(f"{tag}: no flow in the capture")
        if s["sksnd"] != s["sksnd_matched"] or s["unsent"] or s["extra"]:
            bad.append(f"{tag}: sent {s}")
        if r["deliveries"] != r["deliveries_matched"] or r["unreported"] or r["phantom"]:
            bad.append(f"{tag}: received {r}")
        if s["matched"] != s["uart_sent"] or r["matched"] != r["wire"]:
            bad.append(f"{tag}: bytes not all matched: {s} {r}")
        sksnd += s["sksnd"]
        deliveries += r["deliveries"]
    timed = {l["command"]: l["timed"] for l in d["stats"]["latency"]}
    if sksnd != timed.get("SKSND", 0):
        bad.append(f"{run}: {sksnd} SKSND matched of {timed.get('SKSND', 0)} sent")
    st = d["stats"]
    # report.yaml's +SKTRPT and the SKRCV reads were both there.
    if deliveries < timed.get("SKRCV", 0) or st["report_data_bytes"] == 0 or st["skrcv_bytes"] == 0:
        bad.append(f"{run}: {deliveries} deliveries (SKRCV {timed.get('SKRCV', 0)})")
    if not n["clock_aligned"] or abs(n["clock_offset_us"]) > 500000:
        bad.append(f"{run}: clock offset {n['clock_offset_us']} µs (same clock: about 0)")
    if net_findings(d):
        bad.append(f"{run}: findings {[f['message'] for f in net_findings(d)]}")
    http = n.get("http", [])
    if len(http) != 1 or not all(h["matched"] and h["request_matched"] and h["status"] == 200
                                 and h["body_matched"] and h["body_reported"] > 0 for h in http):
        bad.append(f"{run}: HTTPC {http}")

# MQTT: the publish, the subscription and the message the broker pushed.
d = load("mqtt")
mq = d["network"]["mqtt"]
kinds = sorted(m["kind"] for m in mq)
if kinds != ["data", "publish", "subscribe"]:
    bad.append(f"mqtt: UART side {kinds}")
for m in mq:
    if not m["matched"]:
        bad.append(f"mqtt: {m} has no packet")
if net_findings(d):
    bad.append(f"mqtt: findings {[f['message'] for f in net_findings(d)]}")

# LUAT's long +SKTRPT: 600 bytes on the wire, the last 511 reported.
d = load("long")
r = [c["received"] for c in d["network"]["connections"] if c["proto"] == "tcp"]
if not r or r[0]["truncated"] != 89 or r[0]["matched"] != 511 or r[0]["unreported"]:
    bad.append(f"long: received {r}")
if not any(f["rule"] == "sktrpt-cap-511" and f["verdict"] == "known" for f in d["findings"]):
    bad.append("long: no known sktrpt-cap-511 finding")

# Faults: the byte the module dropped is named, with its offset.
for name, rule, what in (("rcvshort", "net-recv-unreported", '"\\xFF"'),
                         ("sndshort", "net-sent-missing", '"r"')):
    d = load(name)
    hits = [f for f in d["findings"] if f["rule"] == rule and f["verdict"] == "fail"]
    if not hits or not any("1 bytes at offset" in f["message"] and what in f["message"]
                           for f in hits):
        bad.append(f"{name}: no {rule} naming {what}: {[f['message'] for f in net_findings(d)]}")

# The TCP server: its accepted connection tied to the client's SYN by the
# port +SKTRPT named, "ping from client" reported, "pong from module" sent.
d = load("server")
conns = d["network"]["connections"]
srv = [c for c in conns if c.get("role") == "server"]
acc = [c for c in conns if c.get("role") == "accepted"]
if len(srv) != 1 or srv[0]["accepted"] != 1:
    bad.append(f"server: listening sockets {srv}")
if len(acc) != 1:
    bad.append(f"server: accepted connections {acc}")
else:
    c = acc[0]
    s, r = c["sent"], c["received"]
    if not c["matched"] or c["parent"] != srv[0]["socket"] or not c["handshake"]["syn"]:
        bad.append(f"server: accepted connection {c}")
    if s["matched"] != 16 or s["unsent"] or s["extra"] or r["matched"] != 16 or r["unreported"] \
            or r["phantom"]:
        bad.append(f"server: bytes {s} {r}")
    if c["peer"]["port"] != int(c["client"].rsplit(":", 1)[1]):
        bad.append(f"server: peer {c['peer']} is not the flow's client {c['client']}")
if net_findings(d):
    bad.append(f"server: findings {[f['message'] for f in net_findings(d)]}")
with open(f"{out}/client.out") as f:
    if f.read().strip() != "pong from module":
        bad.append("server: the client did not get the module's answer")

for b in bad:
    print("FAIL", b)
if bad:
    sys.exit(1)
print("ok   sockets, a server's accepted connection, MQTT, LUAT's cut +SKTRPT and both faults "
      "matched against the capture")
EOF
