#!/bin/sh
# SPDX-License-Identifier: MIT
# A module that misbehaves at the level below the protocol:
#   reset   it restarts in the middle of a scenario (--fault reset-mid=2:
#           the second command prints the "ready" banner instead of an
#           answer): the step fails at once saying the module reset, exit 1,
#           not a timeout;
#   baud    it talks at another rate (--fault baud=9600: the host reads
#           framing garbage): the run stops with "the bytes look like a
#           baud-rate mismatch ... check --baud", exit 3 (an environment
#           failure, like a vanished port), the scenarios not reached are
#           listed as not run.
# Each time the capture holds every byte the run counted (the analyzer's
# counts equal the run's), the garbage and the banner included.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. tests/e2e/fault_lib.sh
E=scenarios/examples

check() { fault_run "$@"; }   # CASE EXPECTED-EXIT ARGS...

# The same rate is no fault at all: the resampling is exact.
check same 0 --fault baud=115200 "$E/basic.yaml"
echo "ok   --fault baud=115200 passes (the host's own rate)"

check reset 1 --fault reset-mid=2 "$E/basic.yaml"
python3 - "$out/reset.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
assert run["verdict"] == "fail", run["verdict"]
steps = run["cases"][0]["steps"]
bad = [s for s in steps if s["verdict"] not in ("pass", "skip")]
assert len(bad) == 1 and bad[0]["name"] == "AT+QVER", [(s["name"], s["verdict"]) for s in steps]
m = bad[0]["message"]
assert m.startswith("the module reset:") and '"ready"' in m, m
# It ended on the banner, not at the deadline.
assert "no response within" not in m, m
# The banner's own line end is not a second symptom.
assert all(s["verdict"] in ("pass", "skip") for s in steps if s is not bad[0]), steps
PY
grep -aq 'ready' "$out/reset.pcapng" || { echo "reset: the banner is not in the capture"; exit 1; }
echo "ok   reset mid-scenario: exit 1, \"the module reset\", no timeout, capture complete"

check baud 3 --fault baud=9600 "$E/basic.yaml" "$E/negative.yaml"
python3 - "$out/baud.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
assert run["verdict"] == "error", run["verdict"]
r = run["reason"]
assert r.startswith("no valid response: the bytes look like a baud-rate mismatch"), r
assert "check --baud" in r and "not text" in r, r
first, rest = run["cases"][0], run["cases"][1:]
assert first["verdict"] == "error" and "baud-rate mismatch" in first["steps"][0]["message"], first
assert "no response within" not in first["steps"][0]["message"], first["steps"][0]
assert rest and all(c["verdict"] == "skip" and c["reason"].startswith("not run: ") for c in rest), rest
PY
echo "ok   wrong baud rate: exit 3, \"baud-rate mismatch ... check --baud\", capture complete"
