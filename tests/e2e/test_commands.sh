#!/bin/sh
# SPDX-License-Identifier: MIT
# 'atproof commands --json' lists every command of the manual's §1.2.1 table
# and §2.2 headings with forms, arguments, responses and sections; the text
# form prints the same commands; bad options exit 2.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$B/atproof" commands --json >"$out/c.json"
python3 - "$out/c.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
names = {c["name"] for c in doc["commands"]}
want = ["", "ATM", "ATRM", "BSSID", "BRDSSID", "CHL", "CHLL", "CNTPARAM", "CUSTDATA",
        "DNAME", "DNS", "E", "ENCRY", "ENTM", "ENTS", "HTTPC", "KEY", "LKSTI", "LKSTT2",
        "NIP", "ONESHOT", "PASS", "PMTF", "PORTM", "QMAC", "QMAC2", "QVER", "RSTF",
        "SKCLS", "SKCT", "SKGHBN", "SKRCV", "SKRPTM", "SKSDF", "SKSND", "SKSRCIP",
        "SKSTT", "SLIST", "SSID", "SSID2", "UART", "WATC", "WEBS", "WJOIN", "WLEAV",
        "WPRT", "WPSM", "WSCAN", "WWPS", "Z",
        "APMAC", "APNIP", "APSSID", "APENCRY", "APKEY", "APCHL", "LKSTT", "APLKSTT",
        "MSERVER", "MLOGIN", "MID", "MCONNECT", "MSUB", "MPUB", "MCLOSE"]
missing = [n for n in want if n not in names]
assert not missing, "missing: %r" % missing
assert len(doc["commands"]) > 60, len(doc["commands"])
for c in doc["commands"]:
    assert c["forms"], c["name"]
    assert c["section"], c["name"]
    for f in c["forms"]:
        assert c["responses"][f], (c["name"], f)
kinds = {a["type"] for c in doc["commands"] for a in c["arguments"]}
assert {"String", "Dec", "Hex", "IP", "MAC", "Enum"} <= kinds, kinds
skct = next(c for c in doc["commands"] if c["name"] == "SKCT")
assert [a["name"] for a in skct["arguments"]][:4] == ["protocol", "cs", "host_timeout", "remote_port"]
assert skct["section"] == "2.2.3.10"
assert next(c for c in doc["commands"] if c["name"] == "SKRCV")["binary_phase"] == "device-data"
reps = {r["name"] for r in doc["reports"]}
assert {"+SKTRPT", "+HTTPCRPT", "+HTTPCERRRPT", "+MQTT", "+MSUB", "+MPUB", "+MTOPIC", "+MQD"} <= reps
profs = {p["name"]: p for p in doc["profiles"]}
assert profs["manual"]["deviations"] == []
assert "slist-double-comma" in profs["luat"]["deviations"]
print("commands --json: %d commands, %d reports" % (len(doc["commands"]), len(reps)))
PY

"$B/atproof" commands >"$out/c.txt"
grep -q '^AT+SKSND ' "$out/c.txt"
grep -q '^AT+MPUB ' "$out/c.txt"
grep -q 'slist-double-comma' "$out/c.txt"

rc=0
"$B/atproof" commands --bogus 2>"$out/err" || rc=$?
[ "$rc" -eq 2 ] || { echo "bad option exit $rc, want 2"; exit 1; }
grep -q -- '--bogus' "$out/err"
rc=0
"$B/atproof" frobnicate 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "unknown subcommand exit $rc, want 2"; exit 1; }
"$B/atproof" --help | grep -q 'atproof analyze'
echo ok
