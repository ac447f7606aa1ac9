#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages (docs/*.1) render without a warning (groff -ww, man -l),
# have the sections a reader looks for, and name every option that
# `atproof --help` and `atproof SUBCOMMAND --help` print, and the other way
# round (every option a page defines is in its --help), so the pages and
# the program stay in step; `make install` puts them in share/man/man1.
set -eu
B=${B:-build}
A="$B/atproof"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v groff >/dev/null 2>&1 ||
	{ echo "groff is missing: run 'make deps-check' (Debian groff-base)"; exit 1; }
SUBS="emu run analyze lint commands diff ports"

page_of() { [ "$1" = atproof ] && echo docs/atproof.1 || echo "docs/atproof-$1.1"; }

# 1. Every page renders without a warning, and has its sections.
for s in atproof $SUBS; do
	p=$(page_of "$s")
	[ -f "$p" ] || { echo "$p is missing"; exit 1; }
	groff -man -Tutf8 -ww -z "$p" 2>"$out/warn" || { cat "$out/warn"; echo "$p: groff failed"; exit 1; }
	[ ! -s "$out/warn" ] || { cat "$out/warn"; echo "$p: groff warnings"; exit 1; }
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 man --warnings -l "$p" >"$out/man.txt" 2>"$out/warn" ||
			{ cat "$out/warn"; echo "$p: man -l failed"; exit 1; }
		[ ! -s "$out/warn" ] || { cat "$out/warn"; echo "$p: man -l warnings"; exit 1; }
	fi
	# One long line per paragraph, no hyphenation: options stay whole.
	groff -man -Tutf8 -rLL=4000n -rHY=0 -P-cbou "$p" 2>/dev/null >"$out/$s.txt"
	for sec in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -q "^$sec\$" "$out/$s.txt" || { echo "$p: no $sec section"; exit 1; }
	done
done
echo "ok   the pages render without warnings and have their sections"

# 2. Every option a --help prints is in the page; so is each subcommand.
python3 - "$A" "$out" $SUBS <<'PY'
import re, subprocess, sys
A, out, subs = sys.argv[1], sys.argv[2], sys.argv[3:]
OPT = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")

def page(name):
    t = open("%s/%s.txt" % (out, name), encoding="utf-8").read()
    # groff's hyphen and minus glyphs, whatever the device maps them to.
    return t.replace("\u2010", "-").replace("\u2212", "-").replace("\u00ad", "")

def helptext(*args):
    p = subprocess.run([A, *args], capture_output=True, text=True)
    assert p.returncode == 0, (args, p.returncode, p.stderr)
    assert p.stdout.strip(), args
    return p.stdout

bad = []
top = helptext("--help")
main = page("atproof")
for o in ("--help", "--version"):
    if o not in main:
        bad.append("atproof.1 lacks %s" % o)
# The subcommands of the top-level usage, each with the options of its row.
rows, cur = {}, None
for line in top.splitlines():
    m = re.match(r"  atproof (\w+)\s", line)
    if m and m.group(1) != "SUBCOMMAND":
        cur = m.group(1)
        rows[cur] = line
    elif cur and line.startswith("          "):
        rows[cur] += line
    else:
        cur = None
missing = set(subs) - set(rows)
if missing:
    bad.append("atproof --help lacks %s" % sorted(missing))
for s, row in rows.items():
    if s not in subs:
        bad.append("atproof --help names '%s', which has no page in this test" % s)
        continue
    if "atproof-%s(1)" % s not in main:
        bad.append("atproof.1 does not refer to atproof-%s(1)" % s)
    for o in sorted(set(OPT.findall(row))):
        if o not in page(s):
            bad.append("atproof --help shows %s for %s; atproof-%s.1 lacks it" % (o, s, s))
def defined(t):
    """The options a page defines: the tags of its OPTIONS paragraphs."""
    sec = re.search(r"^OPTIONS$(.*?)^[A-Z][A-Z ]+$", t, re.M | re.S)
    tags = re.findall(r"^ {7}(-.*)$", sec.group(1) if sec else "", re.M)
    return {o for tag in tags for o in OPT.findall(tag)}

for s in subs:
    t = page(s)
    shown = set(OPT.findall(helptext(s, "--help")))
    for o in sorted(shown):
        if o not in t:
            bad.append("atproof %s --help shows %s; atproof-%s.1 lacks it" % (s, o, s))
    if "--help" not in t:
        bad.append("atproof-%s.1 lacks --help" % s)
    # ... and the other way: an option the page defines that --help does
    # not show (--help itself aside) is one of them out of step.
    if not defined(t):
        bad.append("atproof-%s.1 defines no option in its OPTIONS section" % s)
    for o in sorted(defined(t) - shown - {"--help"}):
        bad.append("atproof-%s.1 defines %s; atproof %s --help does not show it" % (s, o, s))
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
echo "ok   every option of every --help is in its man page"

# 3. make install puts the pages where man finds them.
make -s install B="$B" DESTDIR="$out/root" PREFIX=/usr >"$out/install.log" 2>&1 ||
	{ cat "$out/install.log"; echo "make install failed"; exit 1; }
for s in atproof $SUBS; do
	p=$(basename "$(page_of "$s")")
	[ -f "$out/root/usr/share/man/man1/$p" ] || { echo "make install: no man1/$p"; exit 1; }
done
if command -v man >/dev/null 2>&1; then
	MANPATH="$out/root/usr/share/man" man -w atproof-diff | grep -q "man1/atproof-diff.1" ||
		{ echo "man does not find the installed atproof-diff(1)"; exit 1; }
fi
echo "ok   make install puts the pages in \$(PREFIX)/share/man/man1"
