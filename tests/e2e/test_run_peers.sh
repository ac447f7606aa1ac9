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
#   max_body  an http-server's body ceiling: a body within it is taken,
#             one over it refused (413); lint bounds it (1 byte..1 MiB);
#   lint      qos, retain and connection where they do not belong;
#   ack       --timeout-scale scales the wait for the broker's PUBACK.
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

# raw SUFFIX BYTES REQUEST PEER-EXPECT [PEER-KEY]: the module's own TCP
# socket to the HTTP peer (SKCT, SKSND) sends REQUEST as it is; PEER-KEY
# is one more key of the peer (max_body: N).
raw() {
	cat >"$out/raw$1.yaml" <<EOF
id: peers-http-raw$1
title: HTTP/1.1 on a socket of the module's
spec: ["§2.2.3.10 AT+SKCT", "§2.2.3.11 AT+SKSND", "§2.2.3.12 AT+SKRCV"]
peers:
  web:
    type: http-server
    ${5:-}
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
# max_body: a 5-byte body within 5, over 4 (413, the peer's finding).
post='POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'
raw -max5 44 "$post" '  - peer_expect: { peer: web, text: "POST /a\nhello" }
    deadline: 2s' 'max_body: 5'
raw -max4 44 "$post" '  - peer_expect: { peer: web, text: "POST /a\nhello" }
    deadline: 2s' 'max_body: 4'

run() { # NAME WANT-EXIT FILE...
	_n=$1 _want=$2
	shift 2
	_rc=0
	"$B/atproof" run --emulator=manual --report json:"$out/$_n.json" "$@" \
	    >"$out/$_n.txt" 2>&1 || _rc=$?
	[ $_rc -eq "$_want" ] || { cat "$out/$_n.txt"; echo "$_n: exit $_rc, not $_want"; exit 1; }
}

run pass 0 "$out/mqtt.yaml" "$out/http.yaml" "$out/raw.yaml" "$out/raw-max5.yaml"
python3 - "$out/pass.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["id"] for c in d["cases"]] == ["peers-mqtt-qos", "peers-http-conn", "peers-http-raw",
                                         "peers-http-raw-max5"], d["cases"]
for c in d["cases"]:
    assert c["verdict"] == "pass", (c["id"], c.get("reason"), c["steps"])
    assert all(s["verdict"] == "pass" for s in c["steps"]), c["steps"]
names = [s["name"] for s in d["cases"][0]["steps"]]
assert names.count("peer_expect broker") + names.count("first") == 2, names
PY
echo "ok   MQTT QoS 1 both ways, QoS 2 and retain; HTTPC on connections 1 and 2;"
echo "     two requests on one socket of the module's, both answered; a body within max_body"

run wrong 1 "$out/mqtt-q0.yaml" "$out/mqtt-r0.yaml" "$out/http-one.yaml" "$out/raw-bad.yaml" \
    "$out/raw-bad2.yaml" "$out/raw-max4.yaml"
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
    "peers-http-raw-max4": ("peer_expect web", "a Content-Length over the body ceiling "
                            "(headers up to 8192 bytes, a body up to 4); answered 413"),
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
echo "     a request the HTTP peer refuses fails the case, at a peer_expect or at its end;"
echo "     a body over the peer's max_body is refused (413)"

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
# lint_wants FILE ERRORS LINE...: lint finds exactly ERRORS errors in FILE,
# each LINE among them.
lint_wants() {
	_f=$1 _n=$2
	shift 2
	_rc=0
	"$B/atproof" lint "$_f" >"$out/lint.txt" 2>&1 || _rc=$?
	[ $_rc -eq 2 ] || { cat "$out/lint.txt"; echo "lint $_f: exit $_rc, not 2"; exit 1; }
	for _w in "$@"; do
		grep -qF -- "$_w" "$out/lint.txt" || { cat "$out/lint.txt"; echo "lint: no line with: $_w"; exit 1; }
	done
	[ "$(grep -c ': error:' "$out/lint.txt")" -eq "$_n" ] || { cat "$out/lint.txt"; echo "lint $_f: not $_n errors"; exit 1; }
}
lint_wants "$out/bad.yaml" 6 \
    "bad.yaml:8:53: error: qos goes with an mqtt peer ('web' is not one)" \
    "bad.yaml:9:63: error: connection goes in an http-server's peer_expect, not in peer_send" \
    "bad.yaml:10:56: error: qos: 3 is larger than 2" \
    "bad.yaml:11:57: error: retain must be true or false" \
    "bad.yaml:12:60: error: connection counts from 1" \
    "bad.yaml:13:32: error: qos goes in a peer_send or peer_expect of an mqtt peer"
echo "ok   lint places qos, retain and connection"

# lint: max_body, a size up to 1 MiB, on an http-server only.
cat >"$out/bad-max.yaml" <<'EOF'
id: peers-bad-max
title: max_body out of bounds
spec: "§2.2.3.19 AT+HTTPC"
peers:
  big: { type: http-server, max_body: 2MiB }
  zero: { type: http-server, max_body: 0 }
  unit: { type: http-server, max_body: 1GB }
  huge: { type: http-server, max_body: 99999999999 }
  tcp: { type: tcp-server, max_body: 1KiB }
  ok: { type: http-server, max_body: 1MiB }
steps:
  - sleep: 1ms
EOF
# 1MiB, the most, passes: five errors.
lint_wants "$out/bad-max.yaml" 5 \
    "bad-max.yaml:5:39: error: max_body must be 1 byte to 1048576 bytes (1 MiB), not 2MiB" \
    "bad-max.yaml:6:40: error: max_body must be 1 byte to 1048576 bytes (1 MiB), not 0" \
    "bad-max.yaml:7:40: error: max_body is a size in bytes, KiB or MiB (\"1MiB\"), not \"1GB\"" \
    "bad-max.yaml:8:40: error: max_body: 99999999999 is larger than 1048576 bytes" \
    "bad-max.yaml:9:38: error: max_body goes with http-server"
echo "ok   lint bounds max_body (1 byte to 1 MiB, http-server only)"

# --timeout-scale scales the wait for the broker's PUBACK (5 s): with the
# broker stopped (SIGSTOP, by its pid: the run's child mosquitto) once the
# peer's client is in (its log says so; its SUBACK comes right after), a
# QoS 1 peer_send at 0.1 gives up after 0.5 s. The sleep (3 s at 0.1) is
# room for that. The broker goes on (SIGCONT) once the run has told it to
# end (SIGTERM pending), so the run can reap it.
cat >"$out/ack.yaml" <<'EOF'
id: peers-mqtt-ack
title: the wait for the broker's PUBACK follows --timeout-scale
spec: "§2.2.4.6 AT+MPUB"
requires: [mqtt]
peers:
  broker: { type: mqtt }
steps:
  - sleep: 30s
  - peer_send: { peer: broker, topic: cmd/x, qos: 1, text: go }
EOF
"$B/atproof" run --emulator=manual --timeout-scale 0.1 --report json:"$out/ack.json" \
    "$out/ack.yaml" >"$out/ack.txt" 2>&1 &
run_pid=$!
bpid= stopped= i=0
while [ $i -lt 600 ] && kill -0 "$run_pid" 2>/dev/null; do
	i=$((i + 1))
	if [ -z "$bpid" ]; then
		bpid=$(pgrep -P "$run_pid" -x mosquitto || true)
	elif [ -z "$stopped" ]; then
		if grep -q 'New client connected' "/proc/$bpid/fd/2" 2>/dev/null; then
			sleep 0.5
			kill -STOP "$bpid" && stopped=1
		fi
	else
		pnd=$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$bpid/status" 2>/dev/null || echo 0)
		[ $((0x${pnd:-0} & 0x4000)) -ne 0 ] && break
	fi
	sleep 0.05
done
[ -n "$bpid" ] && kill -CONT "$bpid" 2>/dev/null || true
rc=0
wait "$run_pid" || rc=$?
[ -n "$stopped" ] || { cat "$out/ack.txt"; echo "ack: the run's broker was not found"; exit 1; }
[ $rc -eq 1 ] || { cat "$out/ack.txt"; echo "ack: exit $rc, not 1"; exit 1; }
python3 - "$out/ack.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["cases"][0]
bad = [s for s in c["steps"] if s["verdict"] == "fail"]
assert len(bad) == 1 and bad[0]["name"].startswith("peer_send"), c["steps"]
assert "did not acknowledge the QoS 1 publish within 0.5 s" in bad[0]["message"], bad[0]
PY
echo "ok   the wait for the broker's PUBACK is 5 s times --timeout-scale"
