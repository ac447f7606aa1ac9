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

# The e2e scripts call "$B/atproof". Under VALGRIND=1 they get B=$B/vg.<pid>
# instead: a shadow of the build folder whose atproof is a script that
# execs the real binary under memcheck, children included (the emulator
# that run --emulator starts is /proc/self/exe, which valgrind reports as
# the real binary, so it is traced too; the broker and shell tools are not).
# Each process logs to $B/tests/log/vg.<run>/<pid>.log; a non-empty log fails the
# script that made it, whatever exit code the script expected.
E2E_B=$B
# Under memcheck the timing is valgrind's, not the module's: a diff (and
# run --baseline) counts no latency shift under 10 s unless told otherwise.
if [ "${VALGRIND:-0}" = 1 ]; then
	ATPROOF_LATENCY_FLOOR_US=${ATPROOF_LATENCY_FLOOR_US:-10000000}
	export ATPROOF_LATENCY_FLOOR_US
fi
E2E_TIMEOUT=600
if [ "${VALGRIND:-0}" = 1 ]; then
	real=$(cd "$B" && pwd)
	# Per run (two runs on one build folder must not share them).
	vgdir=$real/vg.$$
	vglog=$real/tests/log/vg.$$
	trap 'rm -rf "$vgdir" "$vglog"' EXIT
	mkdir -p "$vgdir" "$vglog"
	for f in "$real"/* "$real"/.[!.]*; do
		[ -e "$f" ] || continue
		case ${f##*/} in atproof | vg.*) continue ;; esac
		ln -s "$f" "$vgdir/${f##*/}"
	done
	# The emulator under memcheck takes seconds to make its pty.
	cat >"$vgdir/atproof" <<EOF
#!/bin/sh
ATP_EMU_START_MS=\${ATP_EMU_START_MS:-60000}
export ATP_EMU_START_MS
exec valgrind -q --error-exitcode=99 --leak-check=full \\
    --errors-for-leak-kinds=definite,indirect --track-fds=no \\
    --trace-children=yes --trace-children-skip='*mosquitto*,/bin/*,/usr/bin/*,/usr/sbin/*' \\
    --log-file="$vglog/%p.log" "$real/atproof" "\$@"
EOF
	chmod +x "$vgdir/atproof"
	E2E_B=$vgdir
	E2E_TIMEOUT=${VG_E2E_TIMEOUT:-3600}
fi
# E2E=<pattern> runs only the e2e scripts it matches (e.g. E2E='test_run_*');
# E2E_ONLY=1 skips the unit tests and replays.
E2E=${E2E:-test_*}
UB=$B
[ "${E2E_ONLY:-0}" = 1 ] && UB=/nonexistent

# Under VALGRIND=1: any memcheck report from the processes of an e2e script
# fails it (the logs move to $log/vg-<script>/).
vg_clean() {
	[ "${VALGRIND:-0}" = 1 ] || return 0
	rm -rf "$log/vg-$1"
	mkdir -p "$log/vg-$1"
	for l in "$vglog"/*.log; do
		[ -e "$l" ] || continue
		mv "$l" "$log/vg-$1/"
	done
	for l in "$log/vg-$1"/*.log; do
		[ -s "$l" ] || continue
		# Valgrind's own notes (an ioctl it has no wrapper for, a large
		# allocation) are not findings; an error or a leak is.
		grep -v -E '== (Warning: |   This could cause spurious|   See README_MISSING|   This is probably caused)' "$l" |
		    grep -q -E '^==[0-9]+== +[^ ]' || continue
		echo "valgrind: $l"
		head -40 "$l"
		return 1
	done
	return 0
}

count_cmocka() {
	# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$1" | tail -1)
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$1" | tail -1)
	echo "${p:-0} ${f:-0}"
}

for t in "$UB"/tests/test_*; do
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

for t in "$UB"/tests/replay_*; do
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

for t in tests/e2e/$E2E.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	B=$E2E_B timeout "$E2E_TIMEOUT" sh "$t" >"$log/$name.out" 2>&1
	rc=$?
	vg_clean "$name" >>"$log/$name.out" || rc=99
	if [ "$rc" -eq 0 ]; then
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
