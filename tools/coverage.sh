#!/bin/sh
# SPDX-License-Identifier: MIT
# Coverage of the protocol model by the scenarios: for every command and
# form of `atproof commands --json`, the scenarios that send it. A command
# line counts where a scenario writes it (send:, a matrix value, a block of
# its library) or renders it (cmd: with form/args). Forms the manual does
# not give are listed too (negative tests). Exit 1 when a command of the
# manual is sent by no scenario.
#
#   tools/coverage.sh [DIR...]          (default: the four suite folders)
#   COVERAGE_OUT=file.txt tools/coverage.sh
set -eu
B=${B:-build}
[ $# -gt 0 ] || set -- scenarios/conformance scenarios/flows scenarios/robustness scenarios/factory
"$B/atproof" commands --json | python3 -c '
import json, os, re, sys

table = json.load(sys.stdin)
cmds = {c["name"]: c for c in table["commands"]}
OPS = (("=!", "flash"), ("=?", "query"), ("=", "set"))
uses = {}            # (name, form) -> set of scenario ids

def add(name, form, sid):
    if name in cmds:
        uses.setdefault((name, form), set()).add(sid)

def form_of(rest):
    for op, f in OPS:
        if rest.startswith(op):
            return f
    return "bare"

line_re = re.compile(r"AT\+([A-Z0-9]*)(=!|=\?|=)?", re.I)
files = []
for root in sys.argv[1:]:
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            if f.endswith((".yaml", ".yml")):
                files.append(os.path.join(dp, f))
libs = {}
for path in files:
    text = open(path, encoding="utf-8", errors="replace").read()
    if re.search(r"^blocks:", text, re.M) and not re.search(r"^id:", text, re.M):
        libs[os.path.realpath(path)] = text
for path in files:
    text = open(path, encoding="utf-8", errors="replace").read()
    m = re.search(r"^id:\s*(\S+)", text, re.M)
    if not m:
        continue
    sid = m.group(1).strip("\"")
    body = text
    for inc in re.findall(r"^include:\s*(\S+)", text, re.M):
        body += "\n" + libs.get(os.path.realpath(os.path.join(os.path.dirname(path), inc)), "")
    # command lines only: not comments, nor the spec, title and ids that name commands
    lines = [l for l in body.split("\n") if not l.lstrip().startswith("#")
             and not re.match(r"\s*(spec|title|id|description|tags):", l)
             and not re.match(r"\s*\"\u00a7", l)]
    for l in lines:
        for mm in line_re.finditer(l):
            name = mm.group(1).upper()
            add(name, form_of(mm.group(2) or ""), sid)
    # cmd: steps, with their form: or args: in the lines that follow
    for i, l in enumerate(lines):
        mm = re.match(r"\s*-?\s*cmd:\s*\"?([A-Za-z0-9]*)\"?\s*$", l)
        if not mm:
            continue
        form, indent = None, len(l) - len(l.lstrip(" -"))
        has_args = False
        for k in lines[i + 1:i + 8]:
            if k.strip().startswith("- ") and len(k) - len(k.lstrip(" ")) < indent:
                break
            f = re.match(r"\s*form:\s*(\w+)", k)
            if f:
                form = {"exec": "bare", "set_save": "flash"}.get(f.group(1), f.group(1))
            if re.match(r"\s*args:", k):
                has_args = True
        add(mm.group(1).upper(), form or ("set" if has_args else "bare"), sid)

missing = []
out = []
for name, c in cmds.items():
    label = "AT+" + name
    allowed = c["forms"]
    seen_any = False
    for form in ("bare", "set", "flash", "query"):
        ids = sorted(uses.get((name, form), ()))
        if ids:
            seen_any = True
        tag = "" if form in allowed else " (not a form of the manual)"
        if ids or form in allowed:
            shown = ", ".join(ids[:6]) + (" ... +%d" % (len(ids) - 6) if len(ids) > 6 else "")
            out.append("%-12s %-6s %4d  %s%s" % (label, form, len(ids), shown or "-- UNEXERCISED --", tag))
    if not seen_any:
        missing.append(label)
print("Coverage of the protocol model (%d commands) by %s" % (len(cmds), " ".join(sys.argv[1:])))
print("%-12s %-6s %4s  %s" % ("command", "form", "n", "scenarios"))
print("\n".join(out))
unex = [l.split()[0] + " " + l.split()[1] for l in out if "UNEXERCISED" in l]
print("%d of %d commands exercised; %d allowed forms unexercised%s" % (len(cmds) - len(missing), len(cmds),
      len(unex), (": " + ", ".join(unex)) if unex else ""))
if missing:
    print("UNEXERCISED commands: " + " ".join(missing))
    sys.exit(1)
' "$@" | { if [ -n "${COVERAGE_OUT:-}" ]; then tee "$COVERAGE_OUT"; else cat; fi; }
