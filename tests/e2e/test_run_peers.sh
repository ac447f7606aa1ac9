#!/bin/sh
# SPDX-License-Identifier: MIT
# The HTTP and MQTT peers against the emulator, through the JSON report:
#   mqtt-qos  the manual's MQTT (§2.2.4) through the broker the harness
#             starts (mosquitto): the module subscribes at QoS 1, the peer
#             publishes to it at QoS 1 (+MTOPIC/+MQD come), the module
#             publishes at QoS 1 retained and at QoS 2, and peer_expect
#             checks each QoS and retain flag; expecting another QoS or
#             retain flag fails, naming what came;
#   http-conn HTTPC twice: the firmware opens a connection per request
#             (the emulator's libcurl forbids reuse), so the requests are
#             the peer's connections 1 and 2; expecting both on 1 fails;
#   lint      qos, retain and connection where they do not belong.
# (Keep-alive on one connection, with curl, is in test_hns_peers.)
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The steps that join the default world's network (fault_lib.sh).
. tests/e2e/fault_lib.sh
fault_join "$out/join.yaml"
join=$(cat "$out/join.yaml")

# mqtt SUFFIX QOS RETAIN: the module's first MPUB (QoS 1, retained) as
# peer_expect wants it.
mqtt() {
	cat >"$out/mqtt$1.yaml" <<EOF
id: peers-mqtt-qos$1
title: QoS 1 both ways through the harness's broker
spec: ["§2.2.4.5 AT+MSUB", "§2.2.4.6 AT+MPUB", "§2.2.4.7 +MTOPIC"]
requires: [mqtt]
peers:
  broker: { type: mqtt, subscribe: ["dev/#"] }
reports: { "+MQTT": allow, "+MSUB": allow, "+MPUB": allow }
steps:
$join
  - cmd: MSERVER
    args: ["\${peers.broker.port}", 120.55.137.106]
  - cmd: MID
    args: [unit42]
  - cmd: MCONNECT
  - wait_report: +MQTT
    expect: "+MQTT:CONNECTED"
    deadline: 3s
  - cmd: MSUB
    args: [cmd/unit42, 1]
  - wait_report: +MSUB
    expect: "+MSUB:OK"
    deadline: 2s
  - peer_send: { peer: broker, topic: cmd/unit42, qos: 1, text: "led on" }
  - wait_report: +MTOPIC
    expect: "+MTOPIC:10,cmd/unit42"
    deadline: 2s
  - wait_report: +MQD
    expect: "+MQD:6,led on"
  - cmd: MPUB
    args: [dev/unit42, 1, 1, hello]
  - wait_report: +MPUB
    expect: "+MPUB:OK"
    deadline: 2s
  - id: first
    peer_expect: { peer: broker, text: "dev/unit42 hello\n", qos: $2, retain: $3 }
    deadline: 2s
  - cmd: MPUB
    args: [dev/unit42, 2, 0, again]
  - wait_report: +MPUB
    expect: "+MPUB:OK"
    deadline: 2s
  - peer_expect: { peer: broker, text: "dev/unit42 again\n", qos: 2, retain: false }
    deadline: 2s
teardown:
  - cmd: MCLOSE
EOF
}
mqtt "" 1 true
mqtt -q0 0 true
mqtt -r0 1 false

# http SUFFIX CONN: the second request's connection as peer_expect wants it.
http() {
	cat >"$out/http$1.yaml" <<EOF
id: peers-http-conn$1
title: one connection per HTTPC request
spec: ["§2.2.3.19 AT+HTTPC", "w600-firmware.md §10 +HTTPCRPT"]
peers:
  web:
    type: http-server
    answers:
      "/a": { status: 200, body: "alpha" }
      "/b": { status: 200, body: "beta" }
steps:
$join
  - cmd: SKRPTM
    args: [1]
  - cmd: HTTPC
    args: ["http://192.168.1.100:\${peers.web.port}/a", 0]
    expect: { glob: "+OK*" }
  - wait_report: +HTTPCRPT
    deadline: 3s
  - read_data: { text: "alpha", len: "\${len}" }
  - peer_expect: { peer: web, text: "GET /a\n", connection: 1 }
  - cmd: HTTPC
    args: ["http://192.168.1.100:\${peers.web.port}/b", 0]
    expect: { glob: "+OK*" }
  - wait_report: +HTTPCRPT
    deadline: 3s
  - read_data: { text: "beta", len: "\${len}" }
  - id: second
    peer_expect: { peer: web, text: "GET /b\n", connection: $2 }
teardown:
  - cmd: SKRPTM
    args: [0]
EOF
}
http "" 2
http -one 1

# raw SUFFIX BYTES REQUEST PEER-EXPECT: the module's own TCP socket to the
# HTTP peer (SKCT, SKSND) sends REQUEST as it is.
raw() {
	cat >"$out/raw$1.yaml" <<EOF
id: peers-http-raw$1
title: HTTP/1.1 on a socket of the module's
spec: ["§2.2.3.10 AT+SKCT", "§2.2.3.11 AT+SKSND", "§2.2.3.12 AT+SKRCV"]
peers:
  web:
    type: http-server
    answers:
      "/a": { status: 200, body: "alpha" }
steps:
$join
  - cmd: SKCT
    args: [0, 0, 192.168.1.100, "\${peers.web.port}"]
    expect: { shape: "+OK=<sock:Dec 1..20>" }
    deadline: 5s
  - cmd: SKSND
    args: ["\${sock}", $2]
    expect: "+OK=$2"
  - send_data: "$3"
$4
teardown:
  - cmd: SKCLS
    args: ["\${sock}"]
EOF
}
# Two requests on one connection, both answered there (keep-alive): 2 x 28
# bytes out, 2 x 43 back.
raw "" 56 'GET /a HTTP/1.1\r\nHost: m\r\n\r\nGET /a HTTP/1.1\r\nHost: m\r\n\r\n' \
'  - peer_expect: { peer: web, text: "GET /a\nGET /a\n", connection: 1 }
    deadline: 2s
  - sleep: 200ms
  - cmd: SKRCV
    args: ["${sock}", 200]
    expect: "+OK=86"
  - read_data: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalphaHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalpha"'
# Not HTTP: refused with 400, the peer's finding at a peer_expect, or at
# the case's end when no step looks.
raw -bad 24 'BREW /pot HTCPCP/1.0\r\n\r\n' \
'  - peer_expect: { peer: web, text: "BREW /pot\n" }
    deadline: 1s'
raw -bad2 24 'BREW /pot HTCPCP/1.0\r\n\r\n' '  - sleep: 200ms'

run() { # NAME WANT-EXIT FILE...
	_n=$1 _want=$2
	shift 2
	_rc=0
	"$B/atproof" run --emulator=manual --report json:"$out/$_n.json" "$@" \
	    >"$out/$_n.txt" 2>&1 || _rc=$?
	[ $_rc -eq "$_want" ] || { cat "$out/$_n.txt"; echo "$_n: exit $_rc, not $_want"; exit 1; }
}

run pass 0 "$out/mqtt.yaml" "$out/http.yaml" "$out/raw.yaml"
python3 - "$out/pass.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["id"] for c in d["cases"]] == ["peers-mqtt-qos", "peers-http-conn", "peers-http-raw"], \
    d["cases"]
for c in d["cases"]:
    assert c["verdict"] == "pass", (c["id"], c.get("reason"), c["steps"])
    assert all(s["verdict"] == "pass" for s in c["steps"]), c["steps"]
names = [s["name"] for s in d["cases"][0]["steps"]]
assert names.count("peer_expect broker") + names.count("first") == 2, names
PY
echo "ok   MQTT QoS 1 both ways, QoS 2 and retain; HTTPC on connections 1 and 2;"
echo "     two requests on one socket of the module's, both answered"

run wrong 1 "$out/mqtt-q0.yaml" "$out/mqtt-r0.yaml" "$out/http-one.yaml" "$out/raw-bad.yaml" \
    "$out/raw-bad2.yaml"
python3 - "$out/wrong.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = {
    "peers-mqtt-qos-q0": ("first", "peer broker: message 1 came with QoS 1, not 0"),
    "peers-mqtt-qos-r0": ("first", "peer broker: message 1 came with retain 1, not 0"),
    "peers-http-conn-one": ("second", "peer web: request 1 came on connection 2 "
                            "(request 1 there), not on connection 1"),
    "peers-http-raw-bad": ("peer_expect web", "peer web: request 1 on connection 1: a "
                           "request line that is not METHOD SP target SP HTTP/1.x"),
    "peers-http-raw-bad2": ("quiet after the last step", "answered 400 and closed"),
}
for c in d["cases"]:
    step, msg = want.pop(c["id"])
    assert c["verdict"] == "fail", (c["id"], c["verdict"])
    bad = [s for s in c["steps"] if s["verdict"] == "fail"]
    assert len(bad) == 1 and bad[0]["name"] == step, (c["id"], bad)
    assert msg in bad[0]["message"], (c["id"], bad[0]["message"])
assert not want, want
PY
echo "ok   another QoS, retain flag or connection than the module's fails, naming it;"
echo "     a request the HTTP peer refuses fails the case, at a peer_expect or at its end"

# lint: the new keys where they do not belong.
cat >"$out/bad.yaml" <<'EOF'
id: peers-bad
title: misplaced peer keys
spec: "§2.2.4.6 AT+MPUB"
peers:
  web: { type: http-server }
  broker: { type: mqtt }
steps:
  - peer_expect: { peer: web, text: "GET /\n", qos: 1 }
  - peer_send: { peer: broker, topic: t, text: x, connection: 1 }
  - peer_send: { peer: broker, topic: t, text: x, qos: 3 }
  - peer_expect: { peer: broker, text: "t x\n", retain: maybe }
  - peer_expect: { peer: web, text: "GET /\n", connection: 0 }
  - send_data: { text: x, qos: 1 }
EOF
rc=0
"$B/atproof" lint "$out/bad.yaml" >"$out/lint.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$out/lint.txt"; echo "lint: exit $rc, not 2"; exit 1; }
for want in \
    "bad.yaml:8:53: error: qos goes with an mqtt peer ('web' is not one)" \
    "bad.yaml:9:63: error: connection goes in an http-server's peer_expect, not in peer_send" \
    "bad.yaml:10:56: error: qos: 3 is larger than 2" \
    "bad.yaml:11:57: error: retain must be true or false" \
    "bad.yaml:12:60: error: connection counts from 1" \
    "bad.yaml:13:32: error: qos goes in a peer_send or peer_expect of an mqtt peer"; do
	grep -qF -- "$want" "$out/lint.txt" || { cat "$out/lint.txt"; echo "lint: no line with: $want"; exit 1; }
done
echo "ok   lint places qos, retain and connection"
