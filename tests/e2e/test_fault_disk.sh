#!/bin/sh
# SPDX-License-Identifier: MIT
# The disk fills while the capture is being written. A file size limit
# (ulimit -f, RLIMIT_FSIZE) stands in for the full disk: atproof ignores
# SIGXFSZ, so the write fails with EFBIG ("File too large") as one on a
# full disk fails with ENOSPC. The run then:
#   - says so on standard error, naming the capture file and the errno text;
#   - goes on with its scenarios (they all pass) and finishes its report,
#     whose reason is the same message; exit 3 (an environment failure);
#   - leaves a capture that is valid pcapng up to its last whole block: the
#     analyzer and tshark read it, and what it holds, each way, is exactly
#     the start of what a run without the limit captures.
# The report goes to a pipe, out of the limit's reach.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

{
	printf 'id: fault-disk\ntitle: many exchanges\nspec: "§2.2.1.10 AT+QVER"\nsteps:\n'
	i=0
	while [ $i -lt 150 ]; do
		printf '  - cmd: QVER\n'
		i=$((i + 1))
	done
} >"$out/many.yaml"

# Without a limit: the reference capture.
"$B/atproof" run --emulator=manual --capture "$out/full.pcapng" --report json:"$out/full.json" \
    "$out/many.yaml" >"$out/full.txt" 2>&1 || { cat "$out/full.txt"; echo "the clean run fails"; exit 1; }
full=$(wc -c <"$out/full.pcapng")
[ "$full" -gt 24000 ] || { echo "the reference capture is only $full bytes"; exit 1; }

# With a limit of 16 blocks (8 or 16 KiB, as the shell counts them).
( ulimit -f 16 && rc=0 && "$B/atproof" run --emulator=manual --capture "$out/cap.pcapng" \
    --report json:- "$out/many.yaml" 2>"$out/err.txt" || rc=$?; echo $rc >"$out/rc" ) |
    cat >"$out/run.json"
rc=$(cat "$out/rc")
cat "$out/err.txt"
[ $rc -eq 3 ] || { echo "exit $rc, not 3"; exit 1; }
size=$(wc -c <"$out/cap.pcapng")
[ "$size" -gt 0 ] && [ "$size" -lt "$full" ] || { echo "capture of $size bytes (full: $full)"; exit 1; }
grep -q "capture $out/cap.pcapng: cannot write the capture: File too large" "$out/err.txt" ||
    { echo "no clear error on standard error"; exit 1; }
# One message, not one per record.
[ "$(grep -c 'cannot write the capture' "$out/err.txt")" -eq 1 ] || { echo "repeated messages"; exit 1; }

"$B/atproof" analyze --report json:"$out/ana.json" "$out/cap.pcapng" >/dev/null 2>&1 || true
PYTHONPATH=tests/e2e python3 - "$out/run.json" "$out/ana.json" "$out/cap.pcapng" "$out/full.pcapng" <<'PY'
import json, os, struct, sys
from pcap_count import streams
run, ana = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert run["verdict"] == "error", run["verdict"]
r = run["reason"]
assert r.startswith("capture " + sys.argv[3] + ": cannot write the capture: File too large"), r
assert "valid up to its last complete block" in r, r
# The run went on: every step of the case passed.
c = run["cases"][0]
assert c["verdict"] == "pass" and len(c["steps"]) >= 150, (c["verdict"], len(c["steps"]))
assert all(s["verdict"] == "pass" for s in c["steps"]), [s for s in c["steps"] if s["verdict"] != "pass"]
assert ana["stats"]["records"] > 0 and ana["stats"]["bytes_to_module"] > 0, ana["stats"]

def whole_blocks(path):
    """The file ends on a block: every block's length and trailer agree."""
    b = open(path, "rb").read()
    off = 0
    while off < len(b):
        assert off + 12 <= len(b), ("half a block header at", off)
        typ, ln = struct.unpack_from("<II", b, off)
        assert ln >= 12 and ln % 4 == 0 and off + ln <= len(b), ("half a block at", off, ln)
        assert struct.unpack_from("<I", b, off + ln - 4)[0] == ln, ("bad trailer at", off)
        off += ln

whole_blocks(sys.argv[3])
cut, full = streams(sys.argv[3]), streams(sys.argv[4])
assert cut, "no packet in the capture"
for d, data in cut.items():
    assert data and full.get(d, b"").startswith(data), ("direction", d, len(data))
PY
if command -v tshark >/dev/null 2>&1; then
	tshark -r "$out/cap.pcapng" >"$out/tshark.txt" 2>"$out/tshark.err" ||
	    { cat "$out/tshark.err"; echo "tshark cannot read the cut capture"; exit 1; }
	[ -s "$out/tshark.txt" ] || { echo "tshark read no packet"; exit 1; }
else
	echo "skip tshark check: tshark is not installed (make deps-check installs it)"
fi
echo "ok   capture cut at $size of $full bytes: exit 3, one clear message, the run and report finished, the file valid"

# A capture that cannot even be created: nothing runs, exit 3, not a pass.
rc=0
"$B/atproof" run --emulator=manual --capture "$out/no-such-dir/cap.pcapng" \
    --report json:"$out/nocap.json" "$out/many.yaml" >"$out/nocap.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$out/nocap.txt"; echo "uncreatable capture: exit $rc, not 3"; exit 1; }
grep -q "capture $out/no-such-dir/cap.pcapng: cannot create the capture: No such file or directory" \
    "$out/nocap.txt" || { cat "$out/nocap.txt"; echo "uncreatable capture: no clear error"; exit 1; }
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['verdict'] == 'error' and 'cannot create the capture' in d['reason'], d
assert d['stats']['bytes_tx'] == 0 and not d['cases'], d['stats']" "$out/nocap.json"
echo "ok   capture that cannot be created: exit 3, nothing run, the report says why"
