#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual's own examples (tests/data/manual-examples.txt, read with the
# arrows importer) give, exchange by exchange, exactly the validator rules
# the data file records on its "= RULE" lines: the importer, the pairing and
# the source lines of the analyzer reproduce the model's judgement. The
# session rules of the analyzer (which see across exchanges) are listed
# apart and checked too.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
"$B/atproof" analyze --format arrows --report json:"$out/m.json" tests/data/manual-examples.txt \
	>/dev/null 2>&1 || rc=$?
[ $rc -eq 1 ] || { echo "exit $rc, want 1"; exit 1; }
python3 - "$out/m.json" tests/data/manual-examples.txt <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")
# Exchanges: from a '>' line to the line before the next '>' or '@' line.
ex, cur = [], None
for n, l in enumerate(lines, 1):
    if l.startswith(">") or l.startswith("@"):
        if cur:
            ex.append(cur)
        cur = {"first": n, "last": n, "want": set()} if l.startswith(">") else None
    elif cur is not None:
        cur["last"] = n
        if l.startswith("= "):
            cur["want"] |= set(l[2:].split())
if cur:
    ex.append(cur)
session_rules = {"transparent-exit", "data-long", "data-short", "sock-not-open", "resync",
                 "dir-inferred"}
got_session = set()
bad = []
for e in ex:
    got = {f["rule"] for f in rep["findings"]
           if e["first"] <= f["source"]["line"] <= e["last"] and f["rule"] not in session_rules}
    if got != e["want"]:
        bad.append((e["first"], sorted(e["want"]), sorted(got)))
for f in rep["findings"]:
    if f["rule"] in session_rules:
        got_session.add((f["rule"], f["source"]["line"]))
for b in bad:
    print("exchange at line %d: want %s, got %s" % b)
assert not bad, "%d exchanges differ" % len(bad)
# The manual's examples leave out +++ after ENTM, send 5 bytes after
# SKSND's +OK=1, and read socket 2 that no example opened.
assert {r for r, _ in got_session} == {"transparent-exit", "data-long", "sock-not-open"}, got_session
assert rep["stats"]["commands"] == rep["stats"]["responses"] == 101, rep["stats"]
print("manual examples: %d exchanges as the data file judges them" % len(ex))
PY
