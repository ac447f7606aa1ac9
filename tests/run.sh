#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every test program and prints one closing line "N passed, N failed".
# Unit tests are cmocka programs (their per-case counts are summed); the
# fuzz replayers and shell tests count as one test each.
B=${B:-build}
passed=0
failed=0
failed_names=""
log=$B/tests/log
mkdir -p "$log"
# make valgrind: every test program runs under memcheck; an error or a leak
# fails it (exit 99).
VG=""
if [ "${VALGRIND:-0}" = 1 ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no"
fi

count_cmocka() {
	# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$1" | tail -1)
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$1" | tail -1)
	echo "${p:-0} ${f:-0}"
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	CMOCKA_MESSAGE_OUTPUT=stdout timeout 900 $VG "$t" >"$log/$name.out" 2>&1
	rc=$?
	set -- $(count_cmocka "$log/$name.out")
	p=$1 f=$2
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failed_names="$failed_names $name"
		echo "FAIL $name (exit $rc)"
		grep -E '^\[  (FAILED|ERROR) \]|\[  ERROR   \]|Failure|error' "$log/$name.out" | head -20
	else
		echo "ok   $name ($p)"
	fi
done

for t in "$B"/tests/replay_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	target=${name#replay_}
	if timeout 900 $VG "$t" fuzz/regress/"$target" fuzz/corpus/"$target" >"$log/$name.out" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name ($(tail -1 "$log/$name.out"))"
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		echo "FAIL $name"
		tail -20 "$log/$name.out"
	fi
done

for t in tests/e2e/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	if B=$B timeout 600 sh "$t" >"$log/$name.out" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		echo "FAIL $name"
		tail -30 "$log/$name.out"
	fi
done

[ -n "$failed_names" ] && echo "failed:$failed_names (logs in $log)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
