#!/bin/sh
# SPDX-License-Identifier: MIT
# The emulator's command-by-command case table (tests/unit/test_emu_cmds.c),
# every case in every profile, through the real pty of `atproof emu`: the
# unit test drives it with its own plain termios client when ATP_EMU_BIN
# names the binary (a plain unit run skips that test). About 7 s.
set -u
B=${B:-build}
for f in "$B/atproof" "$B/tests/test_emu_cmds"; do
	[ -x "$f" ] || { echo "FAIL: $f is not built"; exit 1; }
done
out=$(ATP_EMU_BIN="$B/atproof" CMOCKA_MESSAGE_OUTPUT=stdout timeout 120 \
	"$B/tests/test_emu_cmds" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: test_emu_cmds exited $rc"; exit 1; }
# A skip would also exit 0: the pty test must have run and passed.
echo "$out" | grep -q '^\[       OK \] every_case_in_every_profile_through_a_real_pty$' ||
	{ echo "FAIL: the pty run did not pass"; exit 1; }
echo "test_emu_pty_table: all passed"
