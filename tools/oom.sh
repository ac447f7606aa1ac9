#!/bin/sh
# SPDX-License-Identifier: MIT
# Allocation-failure injection (make oom): runs each unit test binary with
# ATP_FAIL_ALLOC=N (the Nth allocation and every later one fail). The
# failure points are N = 1..OOM_FIRST, then OOM_SPREAD more spread evenly
# over every allocation the binary makes (counted first with
# ATP_ALLOC_REPORT=1), so the last allocation sites are reached too.
# Assertions may fail (the tests expect memory); what must never happen is
# a crash, a sanitizer error or a hang: every failure is handled.
# OOM_TESTS=<pattern> limits the binaries (e.g. OOM_TESTS='test_emu_*').
B=${B:-build}
OOM_FIRST=${OOM_FIRST:-${OOM_MAX:-40}}
OOM_SPREAD=${OOM_SPREAD:-40}
OOM_TESTS=${OOM_TESTS:-test_*}
bad=0
runs=0
bins=0

# 124: timeout; 128+n: killed by signal n. (cmocka exits 255 when a failed
# assertion leaves its test allocations behind: no crash.)
crashed() {
	[ "$1" -eq 124 ] || { [ "$1" -ge 128 ] && [ "$1" -lt 255 ]; } || echo "$2" | grep -q -E \
	    'Test failed with exception|AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault'
}

for t in "$B"/tests/$OOM_TESTS; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	bins=$((bins + 1))
	total=$(ATP_ALLOC_REPORT=1 ASAN_OPTIONS=detect_leaks=0 CMOCKA_MESSAGE_OUTPUT=stdout \
	    timeout 300 "$t" 2>&1 | sed -n 's/^atp_alloc: \([0-9][0-9]*\) allocations$/\1/p' | tail -1)
	total=${total:-0}
	points=$(awk -v f="$OOM_FIRST" -v s="$OOM_SPREAD" -v n="$total" 'BEGIN {
		for (i = 1; i <= f && i <= n + 1; i++) print i
		if (n > f) for (k = 1; k <= s; k++) { p = f + int((n - f) * k / s); if (p > f) print p }
	}' | sort -n -u)
	fail=""
	for n in $points; do
		out=$(ATP_FAIL_ALLOC=$n ASAN_OPTIONS=detect_leaks=0 CMOCKA_MESSAGE_OUTPUT=stdout \
		    timeout 60 "$t" 2>&1)
		rc=$?
		runs=$((runs + 1))
		if crashed "$rc" "$out"; then
			fail=$n
			echo "oom: $name with allocation $n failing: crash or hang (exit $rc)"
			echo "$out" | grep -E 'exception|Sanitizer|runtime error|#[0-9] ' | head -12
			bad=$((bad + 1))
			break
		fi
	done
	[ -n "$fail" ] || echo "oom: $name: $(echo "$points" | wc -w) failure points over $total allocations, all handled"
done
echo "oom: $bins binaries, $runs runs, $bad binaries crashed"
[ "$bins" -gt 0 ] && [ "$bad" -eq 0 ]
