#!/bin/sh
# SPDX-License-Identifier: MIT
# 'make install PREFIX=... DESTDIR=...' puts the binary, the core archive,
# every public header and every man page under DESTDIR/PREFIX and nothing
# elsewhere; the installed atproof runs, and a program built against the
# installed headers and archive alone (no -I into the tree) finds the
# command table.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PREFIX=/opt/atproof-install-test
[ ! -e "$PREFIX" ] || { echo "$PREFIX exists: cannot tell an install outside DESTDIR"; exit 1; }
D=$out/root
# A make of its own (the one running make check hands down its jobserver).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s B="$B" install PREFIX="$PREFIX" DESTDIR="$D" \
	>"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
[ ! -e "$PREFIX" ] || { echo "make install wrote $PREFIX outside DESTDIR"; exit 1; }
P=$D$PREFIX
[ -x "$P/bin/atproof" ] || { echo "no $P/bin/atproof"; exit 1; }
[ -f "$P/lib/libatproof.a" ] || { echo "no $P/lib/libatproof.a"; exit 1; }
for h in include/atproof/*.h; do
	cmp -s "$h" "$P/$h" || { echo "$h not installed as it is"; exit 1; }
done
for m in docs/*.1; do
	[ -f "$P/share/man/man1/${m#docs/}" ] || { echo "${m#docs/} not installed"; exit 1; }
done
"$P/bin/atproof" commands --json >"$out/c.json"
grep -q '"name": "SKCT"' "$out/c.json" || { echo "installed atproof: no SKCT"; exit 1; }

# The installed API on its own. A sanitized archive (make SANITIZE=...)
# needs its runtimes at link time.
cat >"$out/p.c" <<'EOF'
#include <stdio.h>
#include <string.h>

#include <atproof/atproof.h>

int
main(void)
{
	const struct atp_cmd *c;

	if (atp_model_init(NULL) != ATP_OK)
		return 1;
	c = atp_cmd_find_str("SKCT");
	printf("%zu %s\n", atp_cmd_count(), c != NULL ? c->section : "none");
	atp_model_free();
	return c != NULL && strcmp(c->section, "2.2.3.10") == 0 ? 0 : 1;
}
EOF
san=""
if nm "$P/lib/libatproof.a" 2>/dev/null | grep -q '__asan_'; then san="$san -fsanitize=address"; fi
if nm "$P/lib/libatproof.a" 2>/dev/null | grep -q '__ubsan_'; then san="$san -fsanitize=undefined"; fi
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -Wall -Wextra -Werror $san -I"$P/include" -o "$out/p" "$out/p.c" \
	"$P/lib/libatproof.a" $(pkg-config --libs libpcre2-8 libpcap yaml-0.1 jansson) -lm
"$out/p" >"$out/p.out" || { cat "$out/p.out"; echo "the installed API failed"; exit 1; }
cat "$out/p.out"
echo ok
