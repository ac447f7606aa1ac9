#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates the expected reports of the analyzer's golden tests
# (tests/golden/TESTLIST): NAME.json and NAME.exit. Review the diff before
# committing it; the expected files are never edited by hand.
#   ATPROOF=path/to/atproof sh tools/golden-update.sh [NAME...]
# Needs no make: it runs whatever binary ATPROOF names (build/atproof).
set -eu
ATPROOF=${ATPROOF:-build/atproof}
cd "$(dirname "$0")/.."
case $ATPROOF in /*) ;; *) ATPROOF=$PWD/$ATPROOF ;; esac
[ -x "$ATPROOF" ] || { echo "golden-update: no $ATPROOF (build it, or set ATPROOF)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
grep -v -e '^#' -e '^[[:space:]]*$' tests/golden/TESTLIST | while read -r name args; do
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	set +e
	# ARGS are split into words on blanks, with globbing off (regexes).
	(set -f; exec "$ATPROOF" analyze --report "json:$tmp" $args) >/dev/null 2>&1
	rc=$?
	set -e
	# The version is left out so that a release does not change every file.
	sed '/^  "version": /d' "$tmp" >"tests/golden/$name.json"
	echo "$rc" >"tests/golden/$name.exit"
	echo "golden: $name (exit $rc)"
done
