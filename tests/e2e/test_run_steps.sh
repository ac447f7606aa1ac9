#!/bin/sh
# SPDX-License-Identifier: MIT
# 'atproof run --emulator' over a pty, every step type of the scenario
# language (send, cmd, expect, expect_error, send_data, read_data,
# wait_report, enter/stream/leave transparent, sleep, reset, measure, set,
# peer_send, peer_expect, use, matrix, repeat, retry, teardown, TCP, UDP
# HTTP and MQTT peers; capability gating), checked in the JSON report's
# verdicts, steps and measures, not only the exit code.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

E=scenarios/examples
for prof in manual luat g3; do
	rc=0
	"$B/atproof" run --emulator=$prof --firmware $prof \
	    --report json:"$out/$prof.json" --report junit:"$out/$prof.xml" \
	    --report tap:"$out/$prof.tap" --report html:"$out/$prof.html" \
	    $E/basic.yaml $E/echo.yaml $E/flow.yaml $E/negative.yaml $E/reset.yaml \
	    $E/socket.yaml $E/report.yaml $E/transparent.yaml $E/peers.yaml $E/http.yaml \
	    $E/mqtt.yaml \
	    >"$out/$prof.txt" 2>&1 || rc=$?
	[ $rc -eq 0 ] || { cat "$out/$prof.txt"; echo "exit $rc with profile $prof"; exit 1; }
	python3 - "$out/$prof.json" "$out/$prof.xml" "$out/$prof.tap" "$prof" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "pass", d["verdict"]
ids = [c["id"] for c in d["cases"]]
want = ["example-basic", "example-echo", "example-flow[mode=0]#1", "example-flow[mode=0]#2",
        "example-flow[mode=2]#1", "example-flow[mode=2]#2", "example-negative",
        "example-reset", "example-socket", "example-report", "example-transparent",
        "example-peers", "example-http", "example-mqtt"]
assert ids == want, ids
for c in d["cases"]:
    if c["id"] == "example-mqtt" and sys.argv[4] != "manual":
        # MQTT is the manual's alone (requires: [mqtt]): skipped elsewhere.
        assert c["verdict"] == "skip" and "requires mqtt" in c["reason"], c
        continue
    assert c["verdict"] == "pass", (c["id"], c.get("reason"))
    assert c["file"].startswith("scenarios/examples/"), c["file"]
    assert c["steps"], c["id"]
    for s in c["steps"]:
        assert s["verdict"] == "pass", (c["id"], s)
if sys.argv[4] == "manual":
    assert [c["verdict"] for c in d["cases"] if c["id"] == "example-mqtt"] == ["pass"]
kinds = {s["name"].split(" ")[0] for c in d["cases"] for s in c["steps"]}
for k in ["send", "AT+QVER", "send_data", "read_data", "wait_report", "enter_transparent",
          "stream", "leave_transparent", "sleep", "reset", "measure", "set", "expect",
          "peer_send", "peer_expect"]:
    assert k in kinds, (k, sorted(kinds))
# Timing on the wire: every exchange has its first and final byte times.
qver = [s for c in d["cases"] for s in c["steps"] if s["name"] == "AT+QVER"]
assert qver and all(s["final_byte_us"] >= 0 for s in qver), qver
# Measurements are recorded per case; the unit's identity is known.
m = [m for c in d["cases"] for m in c["measures"]]
assert any(x["name"] == "mode" and x["value"] == 2 for x in m), m
assert d["unit"]["mac"] and d["unit"]["firmware"], d["unit"]
# Secrets never reach a report.
assert "s3cr3t" not in open(sys.argv[1]).read()
skipped = 0 if sys.argv[4] == "manual" else 1
assert d["stats"]["cases"] == len(want), d["stats"]
assert d["stats"]["passed"] == len(want) - skipped, d["stats"]
# JUnit: one testcase per case, unit properties present.
x = ET.parse(sys.argv[2]).getroot()
tcs = x.findall(".//testcase")
assert len(tcs) == len(want), len(tcs)
props = {p.get("name"): p.get("value") for p in x.find(".//testsuite/properties")}
assert props["unit.mac"] == d["unit"]["mac"], props
tap = open(sys.argv[3]).read().splitlines()
assert tap[0] == "TAP version 13" and tap[1] == "1..%d" % len(want), tap[:2]
assert all(l.startswith("ok ") for l in tap[2:] if l[:2] in ("ok", "no")), tap
assert any("# SKIP" in l for l in tap) == (sys.argv[4] != "manual"), tap
PY
done
echo "all step types pass on manual, luat and g3"
