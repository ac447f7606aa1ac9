#!/bin/sh
# SPDX-License-Identifier: MIT
# --station: the same suite on many units in parallel (32 emulated modules
# here), each with its own capture and reports, one summary entry per unit
# with its MAC, firmware and verdict; the exit code is the worst unit's. A
# bad station file is exit 2 with file:line:col.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
E=scenarios/examples

cat >"$out/station.yaml" <<'YAML'
station: bench
units:
  - { name: emu, emulator: luat, count: 32 }
YAML
t0=$(date +%s%N)
"$B/atproof" run --station "$out/station.yaml" --firmware luat --capture "$out/cap.pcapng" \
    --report json:"$out/run.json" --report junit:"$out/junit.xml" \
    $E/basic.yaml $E/flow.yaml $E/peers.yaml
t1=$(date +%s%N)
echo "32 emulated units: $(( (t1 - t0) / 1000000 )) ms"
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
d = json.load(open(os.path.join(out, "run.json")))
assert d["verdict"] == "pass", d["verdict"]
names = [u["name"] for u in d["units"]]
assert names == ["emu-%d" % i for i in range(32)], names
for u in d["units"]:
    assert u["verdict"] == "pass" and u["exit"] == 0, u
    assert u["mac"] and "G2.02.05" in u["firmware"], u
    assert os.path.getsize(os.path.join(out, "cap-%s.pcapng" % u["name"])) > 100
    per = json.load(open(os.path.join(out, "run-%s.json" % u["name"])))
    assert per["verdict"] == "pass" and len(per["cases"]) == 6, per["verdict"]
assert len(d["cases"]) == 32 * 6 and all(c["unit"] for c in d["cases"])
import xml.etree.ElementTree as ET
x = ET.parse(os.path.join(out, "junit.xml")).getroot()
suites = x.findall("testsuite")
assert [s.get("name") for s in suites] == ["atproof run emu-%d" % i for i in range(32)], suites
assert all(len(s.findall("testcase")) == 6 for s in suites)
PY

# One unit that is not there: the others pass, the station is exit 3.
cat >"$out/mixed.yaml" <<YAML
station: mixed
units:
  - { name: a, emulator: g3 }
  - { name: gone, port: $out/no-such-tty }
YAML
rc=0
"$B/atproof" run --station "$out/mixed.yaml" $E/basic.yaml >"$out/mixed.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$out/mixed.txt"; echo "mixed station: exit $rc"; exit 1; }
grep -q '^pass   unit a ' "$out/mixed.txt"
grep -q '^error  unit gone ' "$out/mixed.txt"

# A bad station file.
printf 'units:\n  - { name: a, emulator: luat, port: /dev/x }\n  - { nom: b }\n' >"$out/bad.yaml"
rc=0
"$B/atproof" run --station "$out/bad.yaml" $E/basic.yaml >"$out/bad.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$out/bad.txt"; echo "bad station: exit $rc"; exit 1; }
grep -q 'bad.yaml:2:5: error: a unit has one of port, tcp, emulator' "$out/bad.txt"
grep -q "bad.yaml:3:7: error: unknown key 'nom'" "$out/bad.txt"
echo "station ok"
