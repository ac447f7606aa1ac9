#!/bin/sh
# SPDX-License-Identifier: MIT
# 'atproof lint': scenarios/ and the examples are clean (exit 0); each bad file
# (tests/data/bad-scenarios/)
# gets its problems as file:line:col: messages and exit 2; hostile YAML
# (an alias bomb, two documents) is refused quickly; no file, exit 2.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
E=scenarios/examples
BAD=tests/data/bad-scenarios   # wrong on purpose

"$B/atproof" lint $E/*.yaml >"$out/ok.txt" 2>&1 || { cat "$out/ok.txt"; echo "examples not clean"; exit 1; }
# The whole scenarios/ tree (suite, examples, libraries; worlds/ holds the
# emulator's world files and is skipped) is clean (issue 5).
"$B/atproof" lint scenarios/ >"$out/all.txt" 2>&1 || { cat "$out/all.txt"; echo "scenarios/ not clean"; exit 1; }

expect_lint() {
	file=$1
	shift
	rc=0
	"$B/atproof" lint "$file" >"$out/lint.txt" 2>&1 || rc=$?
	[ $rc -eq 2 ] || { cat "$out/lint.txt"; echo "$file: exit $rc, not 2"; exit 1; }
	for want in "$@"; do
		grep -qF -- "$want" "$out/lint.txt" ||
		    { cat "$out/lint.txt"; echo "$file: no line with: $want"; exit 1; }
	done
}

expect_lint $BAD/errors.yaml \
	"$BAD/errors.yaml:4:1: error: unknown key 'stpes' in a scenario" \
	"$BAD/errors.yaml:1:1: error: a scenario needs spec" \
	"$BAD/errors.yaml:6:10: error: unknown command 'QVRE'" \
	"$BAD/errors.yaml:8:11: error: AT+QVER does not have the flash form" \
	"$BAD/errors.yaml:10:23: error: bad regex at offset 0" \
	"$BAD/errors.yaml:12:12: error: undefined variable \${nope}" \
	"$BAD/errors.yaml:13:12: error: sleep must be a duration" \
	"$BAD/errors.yaml:15:12: error: retry must be a whole number" \
	"atproof lint: 8 errors"
expect_lint $BAD/types.yaml \
	"types.yaml:3:9: error: repeat must be a whole number" \
	"types.yaml:5:12: error: '+NOPE' is not a report" \
	"types.yaml:4:17: error: matrix dimension 'mode' is empty" \
	"types.yaml:9:17: error: first_byte: min is above max" \
	"types.yaml:11:31: error: bad shape pattern" \
	"types.yaml:14:19: error: a step has expect or expect_error, not both" \
	"types.yaml:17:11: error: send must be a scalar" \
	"types.yaml:20:16: error: a step does one thing"
expect_lint $BAD/escape.yaml \
	"escape.yaml:4:11: error: absolute path '/etc/passwd'" \
	"is outside the scenario root" \
	"escape.yaml:7:10: error: no block named 'nowhere'"
expect_lint $BAD/lib-bad.yaml \
	"lib-bad.yaml:4:12: error: unknown command 'QVRE'" \
	"lib-bad.yaml:5:14: error: sleep must be a duration"
"$B/atproof" lint $E/lib/common.yaml
expect_lint $BAD/two-docs.yaml "two-docs.yaml:4:1: error: one scenario per file"
expect_lint $BAD/alias-bomb.yaml "alias-bomb.yaml:4:4: error: anchors are not supported"

# --var tells lint about names given on the command line.
printf 'id: v\nspec: "x"\nsteps:\n  - cmd: SSID\n    args: ["${ssid}"]\n' >"$out/v.yaml"
expect_lint "$out/v.yaml" "v.yaml:5:12: error: undefined variable \${ssid}"
"$B/atproof" lint --var ssid "$out/v.yaml"

# A deep nesting bomb: refused at the nesting ceiling, in well under a second.
python3 -c "print('id: deep\nspec: x\nsteps: ' + '[' * 5000 + ']' * 5000)" >"$out/deep.yaml"
expect_lint "$out/deep.yaml" "nested deeper than 32 levels"
# A huge scalar.
python3 -c "print('id: big\nspec: x\nsteps: [{send: \"' + 'A' * 70000 + '\"}]')" >"$out/big.yaml"
expect_lint "$out/big.yaml" "a scalar longer than 65536 bytes"

rc=0
"$B/atproof" lint >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || { echo "lint without files: exit $rc"; exit 1; }
rc=0
"$B/atproof" run --emulator $BAD/errors.yaml >"$out/run.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$out/run.txt"; echo "run of a bad scenario: exit $rc"; exit 1; }
grep -q "nothing was run" "$out/run.txt"
echo "lint ok"
