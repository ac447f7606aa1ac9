#!/bin/sh
# SPDX-License-Identifier: MIT
# The model against the manual's own text, not against a list copied from it:
#   1. every name of the §1.2.1 table and every AT+ name of the §2.2
#      headings (body and table of contents) is a command of
#      'atproof commands --json' with the heading's section (or, for the
#      +MTOPIC/+MQD heading, a report with it), and every command of the
#      model is named by the manual; every "+NAME:" the manual prints is a
#      report of the model;
#   2. every '→' (or '->') line of the manual is a host line of
#      tests/data/manual-examples.txt, in the manual's order, and every '←'
#      line that follows it is in the module bytes the data file gives for
#      that exchange (blanks aside: the manual prints no terminators), so
#      test_manual, which judges the data file, judges every example;
#   3. every command line of chapter 3 (flows given without answers) is a
#      line the analyzer finds nothing wrong with on the host side.
# The manual lives outside the repository (../shared/reference, DESIGN.md);
# ATPROOF_MANUAL names another copy. Without one the test says so and skips.
set -eu
B=${B:-build}
MANUAL=${ATPROOF_MANUAL:-../shared/reference/air602-at-manual-v1.1.txt}
if [ ! -r "$MANUAL" ]; then
	echo "skip: the manual is not at $MANUAL (set ATPROOF_MANUAL)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$B/atproof" commands --json >"$out/c.json"
python3 - "$MANUAL" "$out/c.json" tests/data/manual-examples.txt "$out/ch3.txt" <<'PY'
import json, re, sys

man = open(sys.argv[1], encoding="utf-8").read().split("\n")
doc = json.load(open(sys.argv[2]))
data = open(sys.argv[3], encoding="utf-8").read().split("\n")
cmds = {c["name"]: c for c in doc["commands"]}
reps = {r["name"]: r for r in doc["reports"]}
bad = []

# 1a. The §1.2.1 table: "N<TAB><a href="#">NAME</a>...", rows 1..N in order.
table = []
for l in man:
    m = re.match(r'^(\d+)\t<a href="#">([^<]*)</a>', l)
    if m:
        table.append((int(m.group(1)), m.group(2)))
assert [n for n, _ in table] == list(range(1, len(table) + 1)), table
assert len(table) >= 50, len(table)
for n, name in table:
    name = "" if name == "(null)" else name
    if name not in cmds:
        bad.append("§1.2.1 row %d: AT+%s is not in the command table" % (n, name))

# 1b. The §2.2 headings, in the body ("### 2.2.3.4 Title : **AT+WJOIN**")
# and in the table of contents ("2.2.3.4<TAB>Title : AT+WJOIN ....").
# The manual misspells two names, once each: the body heading of §2.2.2.18
# says AT+WP (its contents line and format say AT+WPSM) and the contents
# line of §2.2.3.19 says AT+HTTTPC. The test reads them as meant, and
# insists the misprint is there, so that an edited manual is noticed.
typos = {"WP": "WPSM", "HTTTPC": "HTTPC"}
seen_typos = set()
body, toc = {}, {}
for l in man:
    m = re.match(r'^(?:#+ *)?(2\.2\.\d+\.\d+)([ \t])(.*)$', l)
    if not m:
        continue
    names = re.findall(r'AT\+([A-Z0-9]*)', m.group(3))
    for k, nm in enumerate(names):
        if nm in typos:
            seen_typos.add(nm)
            names[k] = typos[nm]
    where = toc if m.group(2) == "\t" else body
    where.setdefault(m.group(1), [])
    where[m.group(1)] += [nm for nm in names if nm not in where[m.group(1)]]
assert seen_typos == set(typos), "the manual's misprints changed: %r" % seen_typos
assert len(toc) >= 60, len(toc)
headings = {}
for sec in sorted(set(body) | set(toc)):
    if sec in body and sec in toc and body[sec] != toc[sec] and body[sec]:
        bad.append("§%s: the heading names %r, the contents %r" % (sec, body[sec], toc[sec]))
    headings[sec] = body.get(sec) or toc.get(sec) or []
named = {nm for _, nm in table} | {""}
for sec, names in headings.items():
    for nm in names:
        named.add(nm)
        if nm in cmds:
            if cmds[nm]["section"] != sec:
                bad.append("AT+%s: section %s in the model, §%s in the manual"
                           % (nm, cmds[nm]["section"], sec))
        elif "+" + nm in reps:
            # "Received a message : AT+MTOPIC,AT+MQD": reports, not commands
            if reps["+" + nm]["section"] != sec:
                bad.append("+%s: section %s in the model, §%s in the manual"
                           % (nm, reps["+" + nm]["section"], sec))
        else:
            bad.append("§%s heading: AT+%s is neither a command nor a report" % (sec, nm))
ncmd = sum(1 for names in headings.values() for nm in names if nm in cmds)
assert ncmd >= 60, ncmd

# 1c. Every command of the model is named by the manual: in the table, a
# heading or an example line (ATPT, §2.1.1.2), and its section exists.
text = "\n".join(man)
sections = set(headings) | set(re.findall(r'^#+ *(\d+(?:\.\d+)+)', text, re.M)) | {"1.2.1"}
for nm, c in cmds.items():
    if nm not in named and not re.search(r'AT\+%s[=\s]' % re.escape(nm), text):
        bad.append("AT+%s of the model is not named by the manual" % nm)
    if c["section"] not in sections:
        bad.append("AT+%s: section %s is not a section of the manual" % (nm, c["section"]))

# 1d. Every "+NAME:" the module prints (AT+NAME: is prose) is a report.
printed = set(re.findall(r'(?<![A-Z])\+([A-Z]{2,}):', text))
assert {"MQTT", "MSUB", "MPUB", "MTOPIC", "MQD"} <= printed, printed
for nm in sorted(printed):
    if "+" + nm not in reps:
        bad.append("+%s: printed by the manual, not a report of the model" % nm)

# 2. The examples. An exchange is a host line and the module lines after
# it, up to the next host line (a section line in the data file too).
def squeeze(s):
    return re.sub(r'\s+', "", s)

def unraw(s):
    return s.replace("\\r", "\r").replace("\\n", "\n")

# Twice (§2.2.3.5) the manual's arrow is typed "->".
mex = []
for l in man:
    if l.startswith("→") or l.startswith("->\t"):
        host = re.sub(r'</?u>', "", l[1:].lstrip(">")).strip()
        mex.append((host, []))
    elif l.startswith("←"):
        assert mex, "a '←' before any '→'"
        mex[-1][1].append(l[1:].strip().split("\t")[0])
dex = []
for n, l in enumerate(data, 1):
    if l.startswith("> "):
        dex.append((n, l[2:], ""))
    elif l.startswith(">raw "):
        dex.append((n, unraw(l[5:]), ""))
    elif l.startswith("@"):
        dex.append((n, None, ""))
    elif l.startswith("< ") and dex:
        dex[-1] = (dex[-1][0], dex[-1][1], dex[-1][2] + l[2:] + "\r\n\r\n")
    elif l.startswith("<raw ") and dex:
        dex[-1] = (dex[-1][0], dex[-1][1], dex[-1][2] + unraw(l[5:]))
dex = [d for d in dex if d[1] is not None]
assert len(mex) >= 85, len(mex)
k = 0
for host, lines in mex:
    while k < len(dex) and dex[k][1] != host:
        k += 1
    if k == len(dex):
        bad.append("→ %s: not in the data file (in the manual's order)" % host)
        break
    got, at = squeeze(dex[k][2]), 0
    for want in lines:
        i = got.find(squeeze(want), at)
        if i < 0:
            bad.append("%s:%d: → %s: ← %s is not in its module bytes"
                       % (sys.argv[3], dex[k][0], host, want))
            break
        at = i + len(squeeze(want))
    k += 1

# 3. Chapter 3 gives command lines without answers (and §3.9 with "TX:"):
# they go to the analyzer below, which must find nothing wrong with them.
ch3 = text[text.index("\n## 3 Common operation"):]
lines3 = sorted(set(l.replace("\\_", "_") for l in re.findall(r'AT\+[A-Z]*(?:=\S*)?', ch3)))
assert len(lines3) >= 25, lines3
with open(sys.argv[4], "w", encoding="utf-8") as f:
    for l in lines3:
        f.write("→\t%s\n" % l)

for b in bad:
    print(b)
assert not bad, "%d mismatches" % len(bad)
print("manual text: %d table rows, %d headings, %d printed reports, %d example exchanges "
      "(%d '←' lines) found in the model and the data file; %d chapter 3 lines"
      % (len(table), len(headings), len(printed), len(mex), sum(len(l) for _, l in mex),
         len(lines3)))
PY
rc=0
"$B/atproof" analyze --format arrows --report json:"$out/ch3.json" "$out/ch3.txt" >/dev/null 2>&1 || rc=$?
[ $rc -le 1 ] || { echo "analyze of chapter 3 exited $rc"; exit 1; }
python3 - "$out/ch3.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
bad = [f for f in rep["findings"] if f["rule"].startswith("cmd-")]
for f in bad:
    print("chapter 3: %s: %s" % (f["rule"], f["message"]))
assert not bad
# the lines were read: each one is an exchange the analyzer saw unanswered
assert sum(1 for f in rep["findings"] if f["rule"] == "resp-missing") >= 25
PY
echo ok
