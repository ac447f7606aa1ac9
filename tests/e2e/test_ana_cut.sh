#!/bin/sh
# SPDX-License-Identifier: MIT
# Transfers the capture kept only part of (usbmon's text shows 32 bytes of
# each, a pcap keeps its snap length): the exchanges they touch are
# inconclusive (exit 4) with a finding at the record that says how many
# bytes were cut, never a failure; the exchanges after them are judged again,
# and a response the module itself stopped short in an uncut capture fails.
set -eu
A=${ATPROOF:-${B:-build}/atproof}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Each input with the exit code it must give; its JSON report is kept.
check() {
	set +e
	"$A" analyze --report "json:$out/$2.json" "$3" >"$out/stdout" 2>"$out/stderr"
	rc=$?
	set -e
	[ "$rc" = "$1" ] && return 0
	echo "FAIL: analyze $3: exit $rc, want $1"
	cat "$out/stderr" "$out/stdout"
	exit 1
}

check 4 usbmon tests/golden/cut-usbmon-long.txt
check 4 snaplen tests/golden/cut-snaplen.pcap
check 1 short tests/golden/short-usbmon.txt
# The capture in which the module gets one thing wrong after a cut: the cut
# does not hide it.
python3 - "$out/late.txt" <<'PY'
import sys
src = open("tests/golden/cut-usbmon-long.txt").read()
# The last response, +OK=<mac>, becomes +ERR=-99 (no such code, §1.2.2).
src = src.replace("C Bi:1:005:1 0 20 = 2b4f4b3d 30303145 45334138 30313032 0d0a0d0a",
                  "C Bi:1:005:1 0 11 = 2b455252 3d2d3939 0d0a0d 0a")
assert "2b455252" in src
open(sys.argv[1], "w").write(src)
PY
check 1 late "$out/late.txt"

python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]

def load(name):
    return json.load(open(d + "/" + name))

for name, where in (("usbmon.json", "line"), ("snaplen.json", "offset")):
    r = load(name)
    assert r["verdict"] == "inconc", (name, r["verdict"])
    fs = r["findings"]
    assert not [f for f in fs if f["verdict"] == "fail"], (name, fs)
    cuts = [f for f in fs if f["rule"] == "input-cut"]
    # The SSID line (40 bytes), LKSTT's response (77), the payload (48).
    assert [f["message"].split(" bytes of this")[0].split("kept ")[1] for f in cuts] == \
        ["32 of the 40", "32 of the 77", "32 of the 48"], (name, cuts)
    assert all(f["verdict"] == "inconc" for f in cuts), cuts
    inc = [f for f in fs if f["rule"] == "frame-incomplete"]
    assert len(inc) == 1 and inc[0]["verdict"] == "inconc", (name, inc)
    assert inc[0]["command"] == "LKSTT", inc
    at = cuts[1]["source"][where]
    assert ("the capture cut 45 bytes of the transfer at %s %d" % (where, at)) in \
        inc[0]["message"], (inc, at)
    assert inc[0]["source"][where] == at, (inc, at)
    # Every exchange paired: the cut line was answered, the payload
    # counted, the commands after the cuts judged and clean.
    assert r["stats"]["commands"] == 7 and r["stats"]["responses"] == 7, r["stats"]
    assert not [f for f in fs if f["command"] in ("QMAC", "SKCT", "SKSND")], fs
    # The cut response ended with its transfer, 10 ms after the command,
    # not when the host next spoke.
    lat = {l["command"]: l for l in r["stats"]["latency"]}
    assert lat["LKSTT"]["max_us"] == 10000, lat["LKSTT"]

r = load("short.json")
assert r["verdict"] == "fail", r["verdict"]
assert [(f["rule"], f["verdict"]) for f in r["findings"]] == [("frame-incomplete", "fail")], \
    r["findings"]
assert "undecided" not in r["findings"][0]["message"]

r = load("late.json")
assert r["verdict"] == "fail", r["verdict"]
fails = [f for f in r["findings"] if f["verdict"] == "fail"]
assert fails and all(f["command"] == "QMAC" for f in fails), fails
PY
echo "analyze cut: ok"
