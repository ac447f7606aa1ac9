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
cleanup() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
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
	    "$out/$name.pcapng" >/dev/null 2>"$out/$name.err" || rc=$?
	if [ $rc -ge 2 ] && [ $rc -ne 4 ]; then
		echo "FAIL $name: atproof analyze exited $rc"
		cat "$out/$name.err"
		exit 1
	fi
}

E=scenarios/examples
run sockets luat $E/socket.yaml $E/peers.yaml $E/report.yaml $E/http.yaml
run sockets-g3 g3 $E/socket.yaml $E/peers.yaml $E/report.yaml $E/http.yaml
run mqtt manual $E/mqtt.yaml
run long luat scenarios/conformance/skrptm-005-long-report.yaml
run rcvshort luat --fault skrcv-short $E/peers.yaml
run sndshort luat --fault sksnd-drop $E/peers.yaml

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

for b in bad:
    print("FAIL", b)
if bad:
    sys.exit(1)
print("ok   sockets, MQTT, LUAT's cut +SKTRPT and both faults matched against the capture")
EOF
