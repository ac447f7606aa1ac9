#!/bin/sh
# SPDX-License-Identifier: MIT
# Allocation-failure injection (make oom): runs each unit test binary with
# ATP_FAIL_ALLOC=N (the Nth allocation and every later one fail) for N = 1..
# OOM_MAX. Assertions may fail (the tests expect memory); what must never
# happen is a crash, a sanitizer error or a hang: every failure is handled.
B=${B:-build}
OOM_MAX=${OOM_MAX:-60}
bad=0
runs=0
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	n=1
	while [ "$n" -le "$OOM_MAX" ]; do
		out=$(ATP_FAIL_ALLOC=$n ASAN_OPTIONS=detect_leaks=0 CMOCKA_MESSAGE_OUTPUT=stdout \
			timeout 60 "$t" 2>&1)
		rc=$?
		runs=$((runs + 1))
		# 124: timeout; 128+n: killed by signal n. (cmocka exits 255 when
		# a failed assertion leaves its test allocations behind: no crash.)
		if [ "$rc" -eq 124 ] || { [ "$rc" -ge 128 ] && [ "$rc" -lt 255 ]; } || echo "$out" | grep -q -E \
			'Test failed with exception|AddressSanitizer|runtime error:|Segmentation fault'; then
			echo "oom: $(basename "$t") with allocation $n failing: crash or hang (exit $rc)"
			echo "$out" | grep -E 'exception|Sanitizer|runtime error|#[0-9] ' | head -12
			bad=$((bad + 1))
			break
		fi
		n=$((n + 1))
	done
done
echo "oom: $runs runs, $bad binaries crashed"
[ "$bad" -eq 0 ]
