#!/bin/sh
# SPDX-License-Identifier: MIT
# --baseline OLD.json on run and analyze (issue 6): the run, then atproof
# diff of its JSON report against OLD; exit 1 when the new run is worse,
# else 0 (failures the baseline had too do not fail: only new deviations
# do), or the run's own 3 or 4; a baseline that cannot be read is exit 2
# before anything runs; the run's own reports are untouched, and no
# temporary file is left behind.
set -eu
B=${B:-build}
A="$B/atproof"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir "$out/tmp"
TMPDIR=$out/tmp
export TMPDIR
E=scenarios/examples
SUITE="$E/basic.yaml $E/negative.yaml $E/echo.yaml"

code() { # runs "$@" with stdout and stderr in $out/o and $out/e; prints the exit code
	rc=0
	"$@" >"$out/o" 2>"$out/e" || rc=$?
	echo "$rc"
}
want() { # exit-code wanted, what, then the command
	w=$1 what=$2
	shift 2
	got=$(code "$@")
	[ "$got" = "$w" ] || { cat "$out/o" "$out/e"; echo "FAIL $what: exit $got, not $w"; exit 1; }
}

# shellcheck disable=SC2086
want 0 "the clean baseline" "$A" run --emulator=manual --report json:"$out/base.json" $SUITE
# shellcheck disable=SC2086
want 1 "the faulty baseline" "$A" run --emulator=manual --fault wrong-error \
    --report json:"$out/faulty.json" $SUITE

# 1. The same run again: not worse, exit 0; the default text report and the
#    diff both on stdout.
# shellcheck disable=SC2086
want 0 "same run" "$A" run --emulator=manual --baseline "$out/base.json" $SUITE
grep -q '^PASS: 3 passed' "$out/o" || { cat "$out/o"; echo "FAIL no text report"; exit 1; }
grep -q '^0 worse, 0 better, 0 other changes: NEW is not worse than OLD' "$out/o" ||
	{ cat "$out/o"; echo "FAIL same run: no diff, or a difference"; exit 1; }
echo "ok   the same run against its baseline: exit 0, no difference"

# 2. A fault: exactly that regression, exit 1 (--baseline=FILE form).
# shellcheck disable=SC2086
want 1 "fault" "$A" run --emulator=manual --fault wrong-error --baseline="$out/base.json" $SUITE
grep -q '^WORSE  new-failure    example-negative: pass -> fail' "$out/o" &&
    grep -q '^WORSE  error-code     example-negative: AT+NOSUCH: +ERR=-2 -> +ERR=-4' "$out/o" &&
    grep -q '^3 worse, 0 better, 0 other changes: NEW is worse than OLD' "$out/o" ||
	{ cat "$out/o"; echo "FAIL fault: the regression is not reported"; exit 1; }
echo "ok   an injected fault: exit 1 with the regression"

# 3. The same failure in both: not worse, so the release check passes (0).
# shellcheck disable=SC2086
want 0 "known failure" "$A" run --emulator=manual --fault wrong-error \
    --baseline "$out/faulty.json" $SUITE
grep -q 'NEW is not worse than OLD' "$out/o" || { cat "$out/o"; echo "FAIL known failure"; exit 1; }
# The fault fixed: better, and the run passes: 0.
# shellcheck disable=SC2086
want 0 "fixed" "$A" run --emulator=manual --baseline "$out/faulty.json" $SUITE
grep -q '^BETTER fixed          example-negative: fail -> pass' "$out/o" ||
	{ cat "$out/o"; echo "FAIL fixed: no fixed failure"; exit 1; }
echo "ok   not worse: exit 0 (with the baseline's own failure, and when fixed)"

# 4. The run's own JSON report is the one compared, and stays; a report on
#    stdout stays parseable (the diff goes to stderr).
# shellcheck disable=SC2086
want 1 "own report" "$A" run --emulator=manual --fault wrong-error \
    --report json:"$out/new.json" --report json:- --baseline "$out/base.json" $SUITE
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verdict"]=="fail"' "$out/o" ||
	{ echo "FAIL stdout is not the JSON report"; exit 1; }
grep -q "atproof diff $out/base.json $out/new.json" "$out/e" &&
    grep -q 'NEW is worse than OLD' "$out/e" || { cat "$out/e"; echo "FAIL own report: no diff on stderr"; exit 1; }
[ -s "$out/new.json" ] || { echo "FAIL the run's JSON report is gone"; exit 1; }
echo "ok   the run's own JSON report is compared and kept; a report on stdout stays clean"

# 5. A baseline that cannot be read or is no report: exit 2; a missing one
#    before the run starts (no scenario output at all).
# shellcheck disable=SC2086
want 2 "missing baseline" "$A" run --emulator=manual --baseline "$out/nope.json" $SUITE
[ ! -s "$out/o" ] && grep -q 'nope.json: cannot read it' "$out/e" ||
	{ cat "$out/o" "$out/e"; echo "FAIL missing baseline: ran anyway"; exit 1; }
printf '{"tool": "run",\n  "verdict": }\n' >"$out/bad.json"
# shellcheck disable=SC2086
want 2 "bad baseline" "$A" run --emulator=manual --baseline "$out/bad.json" $SUITE
grep -q "^$out/bad.json:2:" "$out/e" || { cat "$out/e"; echo "FAIL bad baseline: no file:line"; exit 1; }
want 2 "no value" "$A" run --emulator=manual --baseline
echo "ok   a missing or bad baseline: exit 2 (file:line:col)"

# 6. analyze: a log against the report of a clean one.
want 0 "analyze baseline" "$A" analyze --report json:"$out/an-old.json" \
    tests/golden/basic-jpnevulator.txt
want 0 "analyze same" "$A" analyze --baseline "$out/an-old.json" tests/golden/basic-jpnevulator.txt
grep -q 'NEW is not worse than OLD' "$out/o" || { cat "$out/o"; echo "FAIL analyze same"; exit 1; }
want 1 "analyze worse" "$A" analyze --baseline "$out/an-old.json" tests/golden/bad-arrows.txt
grep -q '^WORSE  new-finding' "$out/o" && grep -q 'NEW is worse than OLD' "$out/o" ||
	{ cat "$out/o"; echo "FAIL analyze worse: no new finding"; exit 1; }
# A run's report is no baseline for an analysis.
want 2 "analyze vs run" "$A" analyze --baseline "$out/base.json" tests/golden/bad-arrows.txt
grep -q 'they do not compare' "$out/e" || { cat "$out/e"; echo "FAIL analyze vs run"; exit 1; }
echo "ok   analyze --baseline: same 0, new findings 1, a run's report 2"

# 7. --help names it; nothing is left in TMPDIR.
"$A" run --help | grep -q -- '--baseline OLD.json' || { echo "FAIL run --help"; exit 1; }
"$A" analyze --help | grep -q -- '--baseline OLD.json' || { echo "FAIL analyze --help"; exit 1; }
[ -z "$(ls -A "$out/tmp")" ] || { ls -la "$out/tmp"; echo "FAIL temporary files left"; exit 1; }
echo "ok   --help names --baseline; no temporary file left"
