#!/bin/sh
# SPDX-License-Identifier: MIT
# The JUnit XML of the harness and of the analyzer is what Jenkins and
# GitLab accept: well-formed, valid against the Jenkins xUnit plugin's
# junit-10.xsd (tests/data/junit.xsd, its origin cited there), with
# counts that agree with the test cases it holds. Covered: passing,
# failing, erring, skipped cases, a step name that needs escaping, a log
# with non-ASCII bytes, a station's summary and its units' files, the
# analyzer's rules as cases.
set -eu
B=${B:-build}
A="$B/atproof"
XSD=tests/data/junit.xsd
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v xmllint >/dev/null 2>&1 ||
	{ echo "xmllint is missing: run 'make deps-check' (Debian libxml2-utils)"; exit 1; }
E=scenarios/examples

# The harness: failures (a fault), a skip (mqtt on luat lacks the
# capability), passes, and a failing step whose name holds < & >.
cat >"$out/escape.yaml" <<'YAML'
id: junit-escape
title: "A failing step whose name needs XML escaping: <&> \"quoted\""
spec: "§2.2.2.1"
steps:
  - send: "AT+SSID=<&>\r"
    expect: "+ERR=-4"
YAML
"$A" run --emulator=manual --fault wrong-error --report junit:"$out/run-fail.xml" \
    "$E/basic.yaml" "$E/negative.yaml" >/dev/null 2>&1 || true
"$A" run --emulator=luat --report junit:"$out/run-skip.xml" \
    "$E/mqtt.yaml" "$E/basic.yaml" >/dev/null 2>&1 || true
"$A" run --emulator=manual --report junit:"$out/run-pass.xml" "$E/basic.yaml" >/dev/null 2>&1 || true
"$A" run --emulator=manual --report junit:"$out/run-escape.xml" "$out/escape.yaml" \
    >/dev/null 2>&1 || true
# A station: the summary of its units and each unit's own file.
printf 'station: junit\nunits:\n  - { name: u, emulator: manual, count: 2 }\n' >"$out/st.yaml"
"$A" run --station "$out/st.yaml" --fault wrong-error --report junit:"$out/run-station.xml" \
    "$E/basic.yaml" "$E/negative.yaml" >/dev/null 2>&1 || true
# The analyzer: the manual's examples (failures and undecided findings), a
# raw log with bytes that are not UTF-8, a clean capture.
"$A" analyze --report junit:"$out/ana-manual.xml" tests/data/manual-examples.txt \
    >/dev/null 2>&1 || true
printf 'AT+SSID=\377\376<&\r+OK=1\r\n\r\nAT+QVRE\r+ERR=-2\r\n\r\n' >"$out/bytes.raw"
"$A" analyze --report junit:"$out/ana-bytes.xml" "$out/bytes.raw" >/dev/null 2>&1 || true
"$A" run --emulator=manual --capture "$out/c.pcapng" "$E/basic.yaml" >/dev/null 2>&1 || true
"$A" analyze --report junit:"$out/ana-clean.xml" "$out/c.pcapng" >/dev/null 2>&1 || true

bad=0
for f in run-fail run-skip run-pass run-escape run-station run-station-u-0 run-station-u-1 \
    ana-manual ana-bytes ana-clean; do
	x="$out/$f.xml"
	[ -s "$x" ] || { echo "FAIL $f: no JUnit file was written"; bad=1; continue; }
	if ! xmllint --noout "$x" 2>"$out/$f.wf"; then
		echo "FAIL $f: not well-formed XML:"
		head -6 "$out/$f.wf"
		bad=1
		continue
	fi
	if ! xmllint --noout --schema "$XSD" "$x" 2>"$out/$f.err" >/dev/null; then
		echo "FAIL $f: invalid against junit-10.xsd:"
		# One line per distinct problem, with its first place.
		sed -n 's/^[^:]*:\([0-9]*\): \(.*\)$/\2 (line \1)/p' "$out/$f.err" |
			sort -u -t'(' -k1,1 | head -8
		bad=1
		continue
	fi
	# The counts Jenkins and GitLab show come from the attributes: they
	# must agree with the elements.
	if ! python3 - "$x" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
assert suites, "no testsuite"
for s in suites:
    cases = s.findall("testcase")
    n = {k: sum(1 for c in cases if c.find(k) is not None) for k in ("failure", "error", "skipped")}
    assert int(s.get("tests")) == len(cases), (s.get("tests"), len(cases))
    assert int(s.get("failures")) == n["failure"], (s.get("failures"), n)
    assert int(s.get("errors")) == n["error"], (s.get("errors"), n)
    assert int(s.get("skipped", "0")) == n["skipped"], (s.get("skipped"), n)
    for c in cases:
        assert c.get("name"), "a testcase without a name"
PY
	then
		echo "FAIL $f: counts disagree with the test cases"
		bad=1
		continue
	fi
	echo "ok   $f: valid JUnit"
done
[ $bad -eq 0 ]
