#!/bin/sh
# SPDX-License-Identifier: MIT
# tshark reads the pcapng that atproof writes the way the design says
# (analyzer-anchors.md §1.8-1.9): the "at" dissector chosen by the
# exported-PDU tag with no preference set, the direction from epb_flags
# (frame.p2p_dir 0 = Sent = host to module, 1 = Rcvd), the step comments,
# the interface name, microsecond time stamps and the writing application.
# The capture is the known session that test_capture writes to
# $ATP_CAPTURE_OUT. Skips (passes) when tshark is not installed.
set -eu
B=${B:-build}
if ! command -v tshark >/dev/null 2>&1; then
	echo "skip: tshark is not installed (sh tools/deps.sh check installs it)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# A private home, so a copy of tools/atproof.lua installed for this user
# (which takes over link type 252) cannot change what the built-in "at"
# dissector shows here.
mkdir -p "$out/home"
export HOME="$out/home" XDG_CONFIG_HOME="$out/home/.config"

ATP_CAPTURE_OUT=$out/session.pcapng CMOCKA_MESSAGE_OUTPUT=stdout \
	"$B/tests/test_capture" >"$out/unit.log" 2>&1 || { tail -20 "$out/unit.log"; exit 1; }
[ -s "$out/session.pcapng" ] || { echo "test_capture wrote no capture"; exit 1; }

# tshark warns on stderr when run as root; a real error still fails here.
tshark -r "$out/session.pcapng" -T fields -E separator='|' \
	-e frame.number -e frame.p2p_dir -e at.cmd -e frame.comment \
	-e frame.interface_name -e frame.time_epoch -e frame.protocols \
	>"$out/fields" 2>"$out/tshark.err" || { cat "$out/tshark.err"; exit 1; }
cat "$out/fields"

# One line per record: number|direction|AT command prefix|comment|time.
# at.cmd of a response is "+OK," in tshark 4.0 (the empty phantom command
# after \r\n\r\n, §1.6), so only its start is compared.
cat >"$out/want" <<'EOF'
1|0|+QVER|step 1: AT+QVER|1704067200.000000000
2|1|+OK||1704067200.001000000
3|0|+SKSND|step 2: send 5 bytes|1704067200.002000000
4|1|+OK||1704067200.003000000
5|0|||1704067200.004000000
6|1|+ERR||1704067200.005000000
7|||end of run|1704067200.009000000
EOF
awk -F'|' '{ cmd = $3; sub(/,.*/, "", cmd); print $1 "|" $2 "|" cmd "|" $4 "|" $6 }' \
	"$out/fields" >"$out/got"
diff -u "$out/want" "$out/got" || { echo "tshark decodes the capture differently"; exit 1; }

# Every packet on the UART interface, through exported_pdu; all but the
# empty comment record decoded as AT.
awk -F'|' '$5 != "/dev/pts/7" { print "frame " $1 ": interface " $5; bad = 1 }
	$1 < 7 && $7 != "exported_pdu:at" { print "frame " $1 ": protocols " $7; bad = 1 }
	END { exit bad }' "$out/fields"

# The section and interface headers, as capinfos shows them.
if command -v capinfos >/dev/null 2>&1; then
	capinfos "$out/session.pcapng" >"$out/capinfos" 2>/dev/null
	grep -q 'Capture application: *atproof ' "$out/capinfos"
	grep -q 'Description = 115200 8N1' "$out/capinfos"
	grep -q 'Time precision = microseconds (6)' "$out/capinfos"
	grep -q 'Wireshark Upper PDU export' "$out/capinfos"
fi
echo ok
