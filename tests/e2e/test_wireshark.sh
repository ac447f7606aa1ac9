#!/bin/sh
# SPDX-License-Identifier: MIT
# The Wireshark dissector tools/atproof.lua:
#   - its protocol model, tools/atproof_cmds.lua, is what `atproof commands
#     --json` gives today (fails when the C table changes and the Lua one
#     does not; tools/gen-lua-table.sh regenerates it);
#   - tshark with the dissector loaded prints the commands, responses,
#     directions, error texts and binary phases of: a harness capture
#     (atproof run --emulator --capture), the known session the pcapng
#     writer of the core writes (test_capture, $ATP_CAPTURE_OUT), and a
#     session made with text2pcap that has reports, list entries, lines
#     cut across records and transparent mode, written both as exported
#     PDUs for "at" and as USER0;
#   - installed as the README says (the personal plugin folder, no -X),
#     tshark loads it and names the harness capture's commands;
#   - other exported PDUs still reach their own dissector, the preference
#     hands atproof's frames back to the built-in "at", and a second pass
#     (tshark -2) draws the same fields as the first.
# The tshark part is skipped (passes) when tshark is not installed.
set -eu
B=${B:-build}

sh tools/gen-lua-table.sh --check

if ! command -v tshark >/dev/null 2>&1; then
	echo "skip: tshark is not installed (sh tools/deps.sh check installs it)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
LUA=tools/atproof.lua
# A home of its own: a copy of the plugin installed in ~/.local would load
# twice, and personal preferences could change what tshark prints.
mkdir -p "$out/home"
ts() {
	HOME=$out/home XDG_CONFIG_HOME=$out/home/.config tshark "$@"
}

# fields FILE [tshark options]: one line per frame, '|' between fields and
# ';' between occurrences. A Lua error (the script does not load, or the
# dissector fails on a frame) fails the test.
fields() {
	f=$1
	shift
	ts -X lua_script:$LUA -r "$f" -T fields -E separator='|' -E aggregator=';' \
		"$@" >"$out/fields.out" 2>"$out/tshark.err" || { cat "$out/tshark.err"; exit 1; }
	if grep -i 'lua' "$out/tshark.err"; then
		echo "the dissector failed to load"
		exit 1
	fi
	ts -X lua_script:$LUA -r "$f" -V >"$out/verbose" 2>/dev/null
	if grep -n 'Lua Error' "$out/verbose"; then
		echo "the dissector failed on a frame of $f"
		exit 1
	fi
	cat "$out/fields.out"
}

expect() {
	name=$1
	if ! diff -u "$out/want" "$out/got"; then
		echo "tshark with atproof.lua decodes $name differently"
		exit 1
	fi
	echo "ok: $name"
}

COLS="-e frame.number -e atproof.dir -e atproof.kind -e atproof.cmd -e atproof.form
	-e atproof.args -e atproof.resp -e atproof.reply_to -e atproof.err -e atproof.err.text
	-e atproof.report -e atproof.phase -e atproof.data_len"

# 1. A harness capture: a scenario of our own against the emulator.
cat >"$out/ws.yaml" <<'EOF'
id: wireshark-dissector
title: Commands, a parameter and an error for the Wireshark dissector test
spec: "§2.2.1.1 AT+; §2.2.1.10 AT+QVER; §2.2.3.17 AT+SKRPTM; §2.2.3.14 AT+SKCLS"
steps:
  - send: "AT+\r"
    expect: "+OK"
  - cmd: QVER
  - cmd: SKRPTM
    args: [1]
    expect: "+OK"
  - cmd: SKCLS
    args: [7]
    expect: { regex: '^\+ERR=-[0-9]+$' }
EOF
rc=0
timeout 50 "$B/atproof" run --emulator --capture "$out/run.pcapng" "$out/ws.yaml" \
	>"$out/run.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || [ ! -s "$out/run.pcapng" ]; then
	cat "$out/run.log"
	echo "atproof run (exit $rc) wrote no capture, or failed"
	exit 1
else
	fields "$out/run.pcapng" -e frame.p2p_dir -e atproof.dir -e atproof.kind -e atproof.cmd \
		-e atproof.reply_to -e atproof.resp >"$out/run.fields"
	cat "$out/run.fields"
	# The commands, in order, as the built-in "at" dissector names them
	# (its at.cmd is "+NAME"): an oracle that owes nothing to atproof.lua.
	ts -r "$out/run.pcapng" -T fields -E separator='|' -e frame.p2p_dir -e at.cmd \
		2>/dev/null | awk -F'|' '$1 == 0 { sub(/^\+/, "", $2); print $2 }' >"$out/want"
	awk -F'|' '$1 == 0 { print $4 }' "$out/run.fields" >"$out/got"
	grep -q . "$out/want"
	expect "the commands of the harness capture"
	# Our scenario's commands are there with their forms, and each
	# from-module record is a response to the command before it.
	grep -q '^0|to-module|command|SKRPTM|' "$out/run.fields"
	grep -q '^0|to-module|command|SKCLS|' "$out/run.fields"
	awk -F'|' '$1 == 0 { last = $4 }
		$1 == 1 && ($3 != "response" || $5 != last) { print "not the response to " last ": " $0; bad = 1 }
		$1 != 0 && $1 != 1 && $3 != "" { print "a record without direction decoded: " $0; bad = 1 }
		END { exit bad }' "$out/run.fields"
	fields "$out/run.pcapng" -Y 'atproof.cmd == "SKCLS"' -e atproof.form -e atproof.args >"$out/got"
	echo "set|7" >"$out/want"
	expect "a display filter on atproof.cmd"
	echo ok: harness capture
fi

# 1b. Installed as the README says (both files in the personal plugin
# folder, no -X): tshark loads it and names the harness capture's commands.
mkdir -p "$out/home/.local/lib/wireshark/plugins"
ln -s "$PWD/tools/atproof.lua" "$PWD/tools/atproof_cmds.lua" "$out/home/.local/lib/wireshark/plugins/"
ts -G plugins 2>/dev/null | grep -q "atproof.lua.*$out/home/.local/lib/wireshark/plugins" ||
	{ echo "the installed plugin is not loaded"; exit 1; }
ts -r "$out/run.pcapng" -T fields -E separator='|' -e frame.p2p_dir -e atproof.cmd \
	>"$out/inst.fields" 2>"$out/inst.err" || { cat "$out/inst.err"; exit 1; }
if grep -i 'lua' "$out/inst.err"; then
	echo "the installed dissector failed to load"
	exit 1
fi
awk -F'|' '$1 == 0 { print $2 }' "$out/inst.fields" >"$out/got"
awk -F'|' '$1 == 0 { print $4 }' "$out/run.fields" >"$out/want"
expect "the harness capture with the plugin installed as the README says"
rm -f "$out/home/.local/lib/wireshark/plugins/"*.lua

# 2. The known session of the core's pcapng writer (byte for byte what
# atproof writes): SKSND's 5 payload bytes after +OK=5, and +ERR=-2.
ATP_CAPTURE_OUT=$out/unit.pcapng CMOCKA_MESSAGE_OUTPUT=stdout \
	"$B/tests/test_capture" >"$out/unit.log" 2>&1 || { tail -20 "$out/unit.log"; exit 1; }
# shellcheck disable=SC2086
fields "$out/unit.pcapng" $COLS | cut -d'|' -f1,2,4- >"$out/got"
cat >"$out/want" <<'EOF'
1|to-module|QVER|bare||||||||
2|from-module||||+OK|QVER|||||
3|to-module|SKSND|set|1,5|||||||
4|from-module||||+OK|SKSND|||||
5|to-module|||||||||SKSND|5
6|from-module||||+ERR||-2|Command not supported|||
7|unknown||||||||||
EOF
expect "the core writer's session"

# 3. A session made with text2pcap: exported PDUs for "at" (what Wireshark's
# own "Export PDUs" writes) and USER0 give the same fields.
n=0
rec() {
	n=$((n + 1))
	printf '%s 2024-01-01T00:00:%02d.000000Z\n' "$1" "$n"
	# shellcheck disable=SC2059
	printf "$2" | od -Ax -v -tx1 | sed '$d'
}
{
	rec O 'AT+SKRPTM=!1\r'
	rec I '+OK\r\n\r\n'
	rec O 'AT+SKRCV=1,5\r'
	rec I '+OK=5\r\n\r\nhe\r\no'
	rec O 'AT+SKRCV=1,4\r'
	rec I '+OK=4\r\n'
	rec I '\r\n\r\na'
	rec I 'b\r\n'
	rec I '+SKTRPT=1,3,10.0.0.2,7\r\n\r\nxyz+MQTT:CONNECTED\r\n\r\n'
	rec O 'AT+QV'
	rec O 'ER\r'
	rec I '+OK=G3.04\r\n\r\n'
	rec O 'AT+WSCAN\r'
	rec I '+OK=828917C49D9A,2,1,1,"AirM2M_WiFi",70\r\nC4CAD90B1592,2,1,1,"q,lan",86\r\n\r\n\r\n'
	rec I '+MTOPIC:5,hello\r\n\r\n+MQD:6,ab\r\n,c\r\n\r\n'
	rec O 'AT+WJOIN\r'
	rec I '+ERR=-10\r\n\r\n'
	rec O 'AT+FOO=1\r'
	rec I '+ERR=-2\r\n\r\n'
	rec O 'AT+ENTM\r'
	rec I '+OK\r\n\r\n'
	rec O 'ping\r\n'
	rec I 'pong'
	rec O '+++'
	rec I '+OK\r\n\r\n'
	rec O 'AT+SKSND=1,3\r'
	rec I '+OK=3\r\n\r\n'
	rec O '\r\n\000'
	rec I '+HTTPCRPT=0,4\r\n\r\nbody'
} >"$out/session.txt"
t2p() {
	text2pcap -q -D -t ISO "$@" >"$out/t2p.log" 2>&1 || { cat "$out/t2p.log"; exit 1; }
}
t2p -P at "$out/session.txt" "$out/epdu.pcapng"
t2p -l 147 "$out/session.txt" "$out/user0.pcapng"
# shellcheck disable=SC2086
fields "$out/epdu.pcapng" $COLS -e atproof.field >"$out/got"
cat "$out/got"
cat >"$out/want" <<'EOF'
1|to-module|command|SKRPTM|flash|1||||||||
2|from-module|response||||+OK|SKRPTM||||||
3|to-module|command|SKRCV|set|1,5||||||||
4|from-module|response;data||||+OK|SKRCV||||SKRCV|5|5
5|to-module|command|SKRCV|set|1,4||||||||
6|from-module|response||||+OK|SKRCV||||||4
7|from-module|term;data|||||||||SKRCV|3|
8|from-module|data;stray|||||||||SKRCV|1|
9|from-module|report;data;report||||||||+SKTRPT;+MQTT|+SKTRPT|3|1;3;10.0.0.2;7;CONNECTED
10|to-module|fragment|||||||||||
11|to-module|command|QVER|bare|||||||||
12|from-module|response||||+OK|QVER||||||G3.04
13|to-module|command|WSCAN|bare|||||||||
14|from-module|response;entry||||+OK|WSCAN||||||828917C49D9A;2;1;1;"AirM2M_WiFi";70;C4CAD90B1592;2;1;1;"q,lan";86
15|from-module|report;report||||||||+MTOPIC;+MQD|+MQD|6|5;hello;6;ab\r\n,c
16|to-module|command|WJOIN|bare|||||||||
17|from-module|response||||+ERR|WJOIN|-10|access the network failed||||
18|to-module|command|FOO|set|1||||||||
19|from-module|response||||+ERR|FOO|-2|Command not supported||||
20|to-module|command|ENTM|bare|||||||||
21|from-module|response||||+OK|ENTM||||||
22|to-module|data|||||||||transparent|6|
23|from-module|data|||||||||transparent|4|
24|to-module|escape|||||||||||
25|from-module|response||||+OK|+++||||||
26|to-module|command|SKSND|set|1,3||||||||
27|from-module|response||||+OK|SKSND||||||3
28|to-module|data|||||||||SKSND|3|
29|from-module|report;data||||||||+HTTPCRPT|+HTTPCRPT|4|0;4
EOF
expect "a text2pcap session as exported PDUs"
# shellcheck disable=SC2086
fields "$out/user0.pcapng" $COLS -e atproof.field >"$out/got"
expect "the same session as USER0"
# shellcheck disable=SC2086
fields "$out/epdu.pcapng" -2 $COLS -e atproof.field >"$out/got"
expect "the session in two passes"

# The error text and the binary phase, also through display filters.
fields "$out/epdu.pcapng" -Y 'atproof.err == -10' -e atproof.err.name -e atproof.err.text >"$out/got"
echo "JOIN|access the network failed" >"$out/want"
expect "a filter on atproof.err"
fields "$out/epdu.pcapng" -Y 'atproof.phase == "SKSND" && atproof.dir == "to-module"' \
	-e frame.number -e atproof.data_len -e atproof.data >"$out/got"
echo "28|3|0d0a00" >"$out/want"
expect "a filter on the SKSND data phase"

# 4. Exported PDUs for another dissector are not ours (they pass through
# atproof, which took exported_pdu's place); with the preference off,
# atproof's frames go back to the built-in "at" dissector.
printf 'O 2024-01-01T00:00:01.000000Z\n000000 41 54 2b 51 56 45 52 0d\n' >"$out/other.txt"
t2p -P data "$out/other.txt" "$out/other.pcapng"
fields "$out/other.pcapng" -e frame.protocols -e atproof.cmd >"$out/got"
echo "atproof:exported_pdu:data|" >"$out/want"
expect "an exported PDU for \"data\""
fields "$out/epdu.pcapng" -o atproof.upper_pdu:FALSE -c 1 -e frame.protocols -e at.cmd \
	-e atproof.cmd >"$out/got"
echo "atproof:exported_pdu:at|+SKRPTM|" >"$out/want"
expect "the upper_pdu preference off"
echo ok
