#!/bin/sh
# SPDX-License-Identifier: MIT
# atproof diff, the firmware release check (issue 6): the same emulator run
# twice gives no difference; an injected fault shows exactly that
# regression; the emulator's delay fault shows as a latency shift with the
# percentiles of both runs; the analyzer's reports compare too; bad input
# exits 2 with file:line:col; MACs, IPs, RSSIs and BSSIDs that differ
# between two modules and worlds are no difference (also where the harness
# cut a long response), a changed stable field or terminator is.
set -eu
B=${B:-build}
A="$B/atproof"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
E=scenarios/examples
SUITE="$E/basic.yaml $E/negative.yaml $E/socket.yaml $E/report.yaml $E/echo.yaml $E/flow.yaml"

run() { # name, then extra options of atproof run
	name=$1
	shift
	rc=0
	# shellcheck disable=SC2086
	"$A" run --emulator=manual "$@" --report json:"$out/$name.json" $SUITE \
	    >"$out/$name.run" 2>&1 || rc=$?
	echo $rc
}

diff_rc() { # old new [options]: runs atproof diff, prints its exit code
	o=$1 n=$2
	shift 2
	rc=0
	"$A" diff "$@" --report text:"$out/diff.txt" --report json:"$out/diff.json" \
	    "$out/$o.json" "$out/$n.json" 2>"$out/diff.err" || rc=$?
	echo $rc
}

# 1. The same clean run twice: no difference at all.
[ "$(run a)" = 0 ] || { cat "$out/a.run"; echo "clean run failed"; exit 1; }
[ "$(run b)" = 0 ] || { cat "$out/b.run"; echo "second clean run failed"; exit 1; }
rc=$(diff_rc a b)
[ "$rc" = 0 ] || { cat "$out/diff.txt" "$out/diff.err"; echo "same run twice: exit $rc, not 0"; exit 1; }
grep -q '^0 worse, 0 better, 0 other changes' "$out/diff.txt" ||
	{ cat "$out/diff.txt"; echo "same run twice: differences reported"; exit 1; }
echo "ok   the same emulator run twice: no difference"

# Default output is text on stdout; the exit code does not depend on it.
"$A" diff "$out/a.json" "$out/b.json" | grep -q 'NEW is not worse than OLD' ||
	{ echo "no text on stdout by default"; exit 1; }

# 2. --fault wrong-error: AT+NOSUCH answers -4 for -2; that and nothing else.
[ "$(run f --fault wrong-error)" = 1 ] || { cat "$out/f.run"; echo "fault run did not fail"; exit 1; }
rc=$(diff_rc a f)
[ "$rc" = 1 ] || { cat "$out/diff.txt" "$out/diff.err"; echo "fault: exit $rc, not 1"; exit 1; }
python3 - "$out/diff.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["worse"] is True, d
ch = d["changes"]
kinds = sorted((c["kind"], c["where"]) for c in ch)
want = sorted([("new-failure", "example-negative"),
               ("error-code", "example-negative: AT+NOSUCH"),
               ("new-finding", "resp-errcode AT+NOSUCH")])
assert kinds == want, kinds
ec = [c for c in ch if c["kind"] == "error-code"][0]
assert (ec["old"], ec["new"]) == ("+ERR=-2", "+ERR=-4"), ec
nf = [c for c in ch if c["kind"] == "new-failure"][0]
assert (nf["old"], nf["new"]) == ("pass", "fail"), nf
assert d["counts"] == {"worse": 3, "better": 0, "info": 0}, d["counts"]
PY
grep -q 'error-code .*AT+NOSUCH: +ERR=-2 -> +ERR=-4' "$out/diff.txt" ||
	{ cat "$out/diff.txt"; echo "text report lacks the error code change"; exit 1; }
echo "ok   --fault wrong-error: exactly the changed error code"

# The other way round the failure is fixed, and that is not worse.
rc=$(diff_rc f a)
[ "$rc" = 0 ] || { cat "$out/diff.txt"; echo "fixed run: exit $rc, not 0"; exit 1; }
grep -q '^BETTER fixed  *example-negative: fail -> pass' "$out/diff.txt" ||
	{ cat "$out/diff.txt"; echo "the fix is not reported"; exit 1; }
echo "ok   the reverse diff reports the fix and exits 0"

# 3. A spurious asynchronous report: the new report is named.
[ "$(run s --fault spurious-report=1)" = 1 ] || { cat "$out/s.run"; echo "spurious run did not fail"; exit 1; }
rc=$(diff_rc a s)
[ "$rc" = 1 ] || { cat "$out/diff.txt"; echo "spurious report: exit $rc"; exit 1; }
python3 - "$out/diff.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
reps = [c for c in d["changes"] if c["kind"] == "new-report"]
assert reps and all(c["new"] == "+SKTRPT" for c in reps), d["changes"]
PY
echo "ok   --fault spurious-report: the new +SKTRPT is reported"

# 4. --fault delay=QVER:150: a latency shift of QVER only, with both runs'
# p50, p90 and p99; the scenarios still pass.
[ "$(run d --fault delay=QVER:150)" = 0 ] || { cat "$out/d.run"; echo "delay run failed"; exit 1; }
# The floor is given (100 ms, under the 150 ms shift): the default may come
# from ATPROOF_LATENCY_FLOOR_US (tests/run.sh raises it under valgrind).
rc=$(diff_rc a d --latency-floor 100000)
[ "$rc" = 1 ] || { cat "$out/diff.txt"; echo "delay: exit $rc, not 1"; exit 1; }
python3 - "$out/diff.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ch = d["changes"]
assert [(c["kind"], c["where"]) for c in ch] == [("latency", "QVER")], ch
o, n = ch[0]["old"], ch[0]["new"]
for p in ("p50_us", "p90_us", "p99_us"):
    assert o[p] < 100000, (p, o)
    assert 150000 <= n[p] < 1000000, (p, n)
assert o["samples"] == n["samples"] > 0, (o, n)
assert d["latency_threshold"] == {"percent": 20, "floor_us": 100000}, d
PY
grep -Eq '^WORSE  latency +QVER: p50 [0-9]+ -> 1[5-9][0-9]{4} us, p90 [0-9]+ -> [0-9]+ us, p99 [0-9]+ -> [0-9]+ us' \
    "$out/diff.txt" || { cat "$out/diff.txt"; echo "text lacks the percentiles"; exit 1; }
# A floor above the shift hides it.
rc=$(diff_rc a d --latency-floor 1000000)
[ "$rc" = 0 ] || { cat "$out/diff.txt"; echo "--latency-floor ignored"; exit 1; }
# ... and so does the environment's default; the option still wins over it.
rc=0
ATPROOF_LATENCY_FLOOR_US=1000000 "$A" diff --report json:"$out/env.json" \
    "$out/a.json" "$out/d.json" >/dev/null 2>&1 || rc=$?
[ "$rc" = 0 ] || { echo "ATPROOF_LATENCY_FLOOR_US ignored: exit $rc"; exit 1; }
grep -q '"floor_us": 1000000' "$out/env.json" || { cat "$out/env.json"; echo "env floor not reported"; exit 1; }
rc=0
ATPROOF_LATENCY_FLOOR_US=1000000 "$A" diff --latency-floor 100000 "$out/a.json" "$out/d.json" \
    >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || { echo "--latency-floor does not win over the environment: exit $rc"; exit 1; }
echo "ok   --fault delay=QVER:150: QVER's p50/p90/p99 of both runs"

# 5. The analyzer's reports: the same capture twice is no difference; the
# manual's examples against a clean capture are new findings.
"$A" run --emulator=manual --capture "$out/c.pcapng" --report json:/dev/null "$E/basic.yaml" \
    >/dev/null 2>&1
for n in x y; do
	"$A" analyze --report json:"$out/$n.json" "$out/c.pcapng" >/dev/null 2>&1 || true
done
"$A" analyze --report json:"$out/m.json" tests/data/manual-examples.txt >/dev/null 2>&1 || true
rc=$(diff_rc x y)
[ "$rc" = 0 ] || { cat "$out/diff.txt"; echo "analyze twice: exit $rc"; exit 1; }
rc=$(diff_rc x m)
[ "$rc" = 1 ] || { cat "$out/diff.txt"; echo "analyze, new findings: exit $rc"; exit 1; }
grep -q '^WORSE  new-finding    resp-expected-error UART' "$out/diff.txt" ||
	{ cat "$out/diff.txt"; echo "no new finding listed"; exit 1; }
rc=$(diff_rc m x)
[ "$rc" = 0 ] || { cat "$out/diff.txt"; echo "analyze, fixed findings: exit $rc"; exit 1; }
grep -q '^BETTER fixed-finding' "$out/diff.txt" || { cat "$out/diff.txt"; echo "no fixed finding"; exit 1; }
echo "ok   analyzer reports: new and fixed findings"

# 6. Bad input exits 2 and says where.
printf '{"tool": "run",\n "cases": [1,\n' >"$out/bad.json"
rc=$(diff_rc a bad)
[ "$rc" = 2 ] || { echo "truncated JSON: exit $rc, not 2"; exit 1; }
grep -Eq "bad.json:3:[0-9]+: " "$out/diff.err" || { cat "$out/diff.err"; echo "no file:line:col"; exit 1; }
rc=$(diff_rc a x)
[ "$rc" = 2 ] || { echo "run against analyze: exit $rc, not 2"; exit 1; }
grep -q 'do not compare' "$out/diff.err" || { cat "$out/diff.err"; exit 1; }
echo '{"tool": "lint", "findings": []}' >"$out/lint.json"
rc=$(diff_rc a lint)
[ "$rc" = 2 ] || { echo "a lint report: exit $rc, not 2"; exit 1; }
# Sparse: the size is refused before a byte is read.
truncate -s 513M "$out/huge.json"
rc=$(diff_rc a huge)
[ "$rc" = 2 ] || { echo "oversized: exit $rc, not 2"; exit 1; }
grep -q 'more than the 512 MiB' "$out/diff.err" || { cat "$out/diff.err"; exit 1; }
rc=0
"$A" diff "$out/a.json" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "one file: exit $rc, not 2"; exit 1; }
rc=0
"$A" diff --latency-threshold x "$out/a.json" "$out/b.json" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "bad threshold: exit $rc, not 2"; exit 1; }
rc=0
"$A" diff --report html:/dev/null "$out/a.json" "$out/b.json" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "html report: exit $rc, not 2"; exit 1; }
echo "ok   bad input exits 2 with file:line:col"

# 7. A station's summary: cases pair per unit (every unit runs the same ids).
printf 'station: diff\nunits:\n  - { name: emu, emulator: manual, count: 2 }\n' >"$out/st.yaml"
for n in sa sb; do
	f=
	[ "$n" = sb ] && f="--fault wrong-error"
	# shellcheck disable=SC2086
	"$A" run --station "$out/st.yaml" $f --report json:"$out/$n.json" \
	    "$E/basic.yaml" "$E/negative.yaml" >/dev/null 2>&1 || true
done
rc=$(diff_rc sa sb)
[ "$rc" = 1 ] || { cat "$out/diff.txt"; echo "station: exit $rc, not 1"; exit 1; }
python3 - "$out/diff.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
nf = sorted(c["where"] for c in d["changes"] if c["kind"] == "new-failure")
assert nf == ["emu-0/example-negative", "emu-1/example-negative"], d["changes"]
PY
echo "ok   a station's summary pairs cases per unit"

# 8. Volatile values through the protocol model's field types: two modules
# with other MACs in worlds whose access points have other BSSIDs, RSSIs
# (one of one digit, so a response the harness cut moves its cut) and DHCP
# leases give the same run; the raw responses do differ, so the check is
# not vacuous. A stable field (an access point's channel) is a changed
# response, at exactly the steps that show it; so is a lost CR LF.
mkdir -p "$out/vol/lib"
cp scenarios/lib/common.yaml "$out/vol/lib/"
cat >"$out/vol/vol.yaml" <<'YAML'
id: diff-volatile
title: Answers with a MAC, an IP, RSSIs and BSSIDs
spec: ["§2.2.3.4 AT+WJOIN", "§2.2.3.5 AT+LKSTT", "§2.2.3.6 AT+WSCAN", "§2.2.1.8 AT+QMAC"]
include: lib/common.yaml
setup:
  - use: join-open
steps:
  - cmd: LKSTT
  - cmd: WSCAN
    deadline: 5s
  - cmd: QMAC
YAML
W=scenarios/worlds/default.yaml
sed -e 's/bssid: 3c46d82bd81e/bssid: 3c46d82b0001/; s/bssid: 828917c49d9a/bssid: 8289170000aa/' \
    -e 's/rssi: 53/rssi: 9/; s/rssi: 70/rssi: 61/; s/rssi: 56/rssi: 66/' \
    -e 's/ip: 192.168.1.109/ip: 192.168.1.77/' "$W" >"$out/w2.yaml"
sed 's/channel: 11/channel: 3/' "$out/w2.yaml" >"$out/w3.yaml"
cmp -s "$W" "$out/w2.yaml" && { echo "the second world is the first"; exit 1; }
cmp -s "$out/w2.yaml" "$out/w3.yaml" && { echo "the third world is the second"; exit 1; }
emus=""
trap 'for p in $emus; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"' EXIT
vol_run() { # name world mac: the scenario on a module of its own (a pty)
	"$A" emu --pty "$out/$1.pty" --firmware manual --world "$2" --mac "$3" \
	    --log /dev/null 2>"$out/$1.emu" &
	emus="$emus $!"
	i=0
	while [ ! -e "$out/$1.pty" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$out/$1.pty" ] || { cat "$out/$1.emu"; echo "emulator $1 did not start"; exit 1; }
	rc=0
	"$A" run --port "$out/$1.pty" --report json:"$out/$1.json" "$out/vol/vol.yaml" \
	    >"$out/$1.run" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$out/$1.run"; echo "volatile run $1: exit $rc"; exit 1; }
}
vol_run v1 "$W" 28:6d:cd:00:4e:7d
vol_run v2 "$out/w2.yaml" 02:11:22:33:44:55
vol_run v3 "$out/w3.yaml" 02:11:22:33:44:55
python3 - "$out/v1.json" "$out/v2.json" <<'PY'
import json, sys
def acts(p):
    d = json.load(open(p))
    return {s["name"]: s.get("actual", "") for c in d["cases"] for s in c["steps"]}
a, b = acts(sys.argv[1]), acts(sys.argv[2])
for step, old, new in (("AT+QMAC", "286dcd004e7d", "021122334455"),
                       ("AT+LKSTT", "192.168.1.109", "192.168.1.77"),
                       ("AT+WJOIN", ",53\\r", ",9\\r"),
                       ("AT+WSCAN", "3C46D82BD81E", "3C46D82B0001")):
    assert old in a[step] and new in b[step], (step, a[step], b[step])
# The scan is longer than the harness shows: both are cut, at other places.
assert a["AT+WSCAN"].endswith(" bytes)") and b["AT+WSCAN"].endswith(" bytes)"), a["AT+WSCAN"]
assert a["AT+WSCAN"][-12:] != b["AT+WSCAN"][-12:], (a["AT+WSCAN"], b["AT+WSCAN"])
PY
diff_want() { # old new exit-code what
	got=$(diff_rc "$1" "$2")
	[ "$got" = "$3" ] || { cat "$out/diff.txt"; echo "$4: exit $got, not $3"; exit 1; }
}
diff_want v1 v2 0 "volatile values"
grep -q '^0 worse, 0 better, 0 other changes' "$out/diff.txt" ||
	{ cat "$out/diff.txt"; echo "volatile values reported as changes"; exit 1; }
diff_want v2 v3 1 "a changed channel"
python3 - "$out/diff.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ch = d["changes"]
assert sorted((c["kind"], c["where"]) for c in ch) == [
    ("response", "diff-volatile: AT+WJOIN"), ("response", "diff-volatile: AT+WSCAN")], ch
j = [c for c in ch if c["where"].endswith("WJOIN")][0]
assert (j["old"], j["new"]) == ('+OK=<mac>,0,11,0,"TP-LINK_HyFi_1E",<rssi>\\r\\n\\r\\n',
                                '+OK=<mac>,0,3,0,"TP-LINK_HyFi_1E",<rssi>\\r\\n\\r\\n'), j
PY
[ "$(run t --fault drop-crlf)" = 1 ] || { cat "$out/t.run"; echo "drop-crlf run did not fail"; exit 1; }
diff_want a t 1 "drop-crlf"
grep -q '^WORSE  response       example-basic: send AT+\\r: +OK\\r\\n\\r\\n -> +OK\\r\\n$' \
    "$out/diff.txt" || { cat "$out/diff.txt"; echo "drop-crlf: no changed response"; exit 1; }
echo "ok   MACs, IPs, RSSIs, BSSIDs normalised; a changed channel or terminator is a changed response"
