#!/bin/sh
# SPDX-License-Identifier: MIT
# 'atproof analyze' as a user runs it: exit codes (0 pass, 1 fail, 2 usage
# or unreadable input, 4 inconclusive), the text summary by default, and the
# JSON, JUnit, TAP and HTML reports side by side, each readable by a parser.
set -eu
B=${B:-build}
A=${ATPROOF:-$B/atproof}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

expect_exit() {
	want=$1
	shift
	set +e
	"$A" analyze "$@" >"$out/stdout" 2>"$out/stderr"
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "FAIL: analyze $*: exit $got, want $want"
		cat "$out/stderr"
		exit 1
	fi
}

expect_exit 0 tests/golden/basic-jpnevulator.txt
grep -q '^verdict: pass' "$out/stdout"
expect_exit 1 tests/golden/bad-arrows.txt
grep -q '^verdict: fail' "$out/stdout"
grep -q 'tests/golden/bad-arrows.txt:5: AT+WPRT=7' "$out/stdout"
expect_exit 4 tests/golden/cut.pcapng
# The wrong format reads nothing: that is no pass.
expect_exit 4 --format sscom tests/golden/bad-arrows.txt
grep -q 'input-empty' "$out/stdout"
: >"$out/empty.txt"
expect_exit 4 "$out/empty.txt"
# A missing input is the user's mistake: 2, with the file named.
expect_exit 2 tests/golden/no-such-file.txt
grep -q 'no-such-file.txt' "$out/stderr"
expect_exit 2 --format nosuch tests/golden/bad-arrows.txt
expect_exit 2 --firmware nosuch tests/golden/bad-arrows.txt
expect_exit 2 --limit QVER tests/golden/bad-arrows.txt
expect_exit 2 --limit NOSUCH=5 tests/golden/bad-arrows.txt
expect_exit 2 --report pdf:x tests/golden/bad-arrows.txt
expect_exit 2 '--format=regex:(' tests/golden/bad-regex.log
expect_exit 2
expect_exit 0 --help
# Known deviations are warnings with the firmware's profile.
expect_exit 1 --format arrows tests/golden/manual-arrows.txt
expect_exit 1 --format arrows --firmware luat tests/golden/manual-arrows.txt

# Every report at once.
expect_exit 1 --limit QMAC=100 --report "json:$out/r.json" --report "junit:$out/r.xml" \
	--report "tap:$out/r.tap" --report "html:$out/r.html" --report "text:$out/r.txt" \
	tests/golden/state-jpnevulator.txt
[ ! -s "$out/stdout" ]
python3 - "$out" <<'PY'
import json, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
r = json.load(open(d + "/r.json"))
assert r["verdict"] == "fail", r["verdict"]
for k in ("findings", "stats", "rules", "inputs"):
    assert k in r, k
rules = {f["rule"] for f in r["findings"]}
for want in ("flash-lost", "wjoin-lkstt", "cmd-while-busy", "data-long", "sock-after-close",
             "resp-unsolicited", "latency-limit", "resp-missing"):
    assert want in rules, want
for f in r["findings"]:
    for k in ("rule", "severity", "verdict", "source", "command", "message", "section"):
        assert k in f, (k, f)
    assert f["source"]["file"] == "tests/golden/state-jpnevulator.txt"
    assert f["source"]["line"] > 0
lat = {l["command"]: l for l in r["stats"]["latency"]}
assert lat["QMAC"]["max_us"] == 1910000, lat["QMAC"]
t = ET.parse(d + "/r.xml").getroot()
names = [tc.get("name") for tc in t.iter("testcase")]
assert "flash-lost" in names and "timing" in names, names
assert t.find("testsuite").get("failures") != "0"
tap = open(d + "/r.tap").read().splitlines()
assert tap[0] == "TAP version 13" and tap[1].startswith("1.."), tap[:2]
assert any(l.startswith("not ok") and "flash-lost" in l for l in tap)
assert "<html" in open(d + "/r.html").read()
txt = open(d + "/r.txt").read()
assert "flash-lost" in txt
tl = txt[txt.index("timeline:"):].splitlines()
assert "10:00:01.310" in tl[1] and "flash-lost" in tl[1], tl[:2]
PY
echo "analyze cli: ok"
