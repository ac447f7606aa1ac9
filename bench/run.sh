#!/bin/sh
# SPDX-License-Identifier: MIT
# The benchmark sheet (make bench): every figure of issues 4 to 8 next
# to the reference it is compared against, both measured in this run, on this
# machine. Prints the table and writes it as Markdown to $B/bench/BENCHMARKS.md.
#
#   BENCH_QUICK=1          a tenth of the suite, smaller inputs, a 30 s soak: about 1 minute
#   BENCH_SOAK_SECONDS=N   the soak's length (default 60, quick 30)
#   BENCH_SOAK_SCALE=X     the soak's --timeout-scale (default 2; see section 5)
#   BENCH_ONLY=soak        the soak alone (its rows only in the sheet)
#   BENCH_ONLY=harness     the harness exchange rate alone
#
# A benchmark is not a test: nothing here fails on a figure. A row whose tool
# (tshark) or subcommand is missing says so and the sheet goes on.
set -u
B=${B:-build}
QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
A=$B/atproof
BIN=$B/bench/bin
OUT=$B/bench
W=$OUT/work
ROWS=$W/rows.tsv
MD=$OUT/BENCHMARKS.md
FW=luat

if [ "$QUICK" = 1 ]; then
	SOAK=${BENCH_SOAK_SECONDS:-30}
	BIG_MB=100
	NET_MB=64
	AT_RECORDS=1000000
	CORE_SCALE=0
else
	SOAK=${BENCH_SOAK_SECONDS:-60}
	BIG_MB=1024
	NET_MB=256
	AT_RECORDS=1000000
	CORE_SCALE=1
fi
XCHG_N=2000
XCHG_W=15
UNITS=32
ONLY=${BENCH_ONLY:-}
SOAK_SCALE=${BENCH_SOAK_SCALE:-2}

NEED="$BIN/ptyecho $BIN/capgen $BIN/corebench $BIN/netgen"
[ "$ONLY" = soak ] && NEED=""
[ "$ONLY" = harness ] && NEED="$BIN/ptyecho"
for f in "$A" $NEED; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing (run it through 'make bench')" >&2
		exit 2
	fi
done
rm -rf "$W"
mkdir -p "$W"
: >"$ROWS"
HAVE_JQ=0
command -v jq >/dev/null 2>&1 && HAVE_JQ=1

# Helpers ---------------------------------------------------------------------

now() { date +%s.%N; }
# calc EXPR: awk arithmetic, e.g. calc "$a / $b" (fixed point: awk's %s
# would print large values as 1.23457e+06); gt A B: 1 if A > B.
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? 1 : 0 }'; }
# fmt N [DECIMALS]: a number for people (thousands separated).
fmt() {
	awk -v n="$1" -v d="${2:-0}" 'BEGIN {
		s = sprintf("%." d "f", n); split(s, p, "."); i = p[1]; neg = ""
		if (substr(i, 1, 1) == "-") { neg = "-"; i = substr(i, 2) }
		o = ""; while (length(i) > 3) { o = "," substr(i, length(i) - 2) o; i = substr(i, 1, length(i) - 3) }
		o = neg i o; if (d > 0) o = o "." p[2]; print o }'
}
# ratio A B: A / B with two decimals and an x, or "-" when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2fx", a / b }'; }
# row SECTION FIGURE VALUE UNIT REFERENCE RATIO NOTE
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" >>"$ROWS"
	printf '  %-44s %14s %-10s %s\n' "$2" "$3" "$4" "${6:+($6) }$7" >&2
}
skip() { row "$1" "$2" "-" "" "-" "" "$3"; }
# kv FILE KEY: the value of "KEY value" in FILE.
kv() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
# rss_kb PID, fds PID: from /proc (empty when the process is gone).
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
fds() { [ -d "/proc/$1/fd" ] && ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# verdicts FILE: the summary line of a text report ("PASS: 14 passed, 0
# failed...") without the unit and the time.
verdicts() {
	grep -E '^[A-Z ]+: [0-9]+ passed' "$1" | tail -1 | sed 's/ (unit .*)//; s/ in [0-9.]*s$//'
}
# json_num FILE FILTER: a number from a JSON report (needs jq).
json_num() { jq -r "$2 // empty" "$1" 2>/dev/null; }

# The suite: conformance/ and flows/ once they exist (what `make run` runs);
# until then the examples, so that every row already has a figure.
# has_scenarios DIR: true when DIR holds a scenario file (the folders appear
# before their scenarios do).
has_scenarios() { [ -n "$(find "$1" -name '*.y*ml' 2>/dev/null | head -1)" ]; }
SUITE=""
for d in scenarios/conformance scenarios/flows; do
	has_scenarios "$d" && SUITE="$SUITE $d"
done
if [ -n "$SUITE" ]; then
	SUITE_NAME=$(echo $SUITE | sed 's|scenarios/||g; s| | + |g')
else
	SUITE=$(ls scenarios/examples/*.yaml)
	SUITE_NAME="examples (no conformance/ yet)"
fi
# A tenth of the suite's files (every tenth, in name order): what the soak
# loops over, so that a run ends many times within the soak, and what quick
# mode times instead of the whole suite.
SAMPLE=$(find $SUITE -name '*.y*ml' | sort | awk 'NR % 10 == 1')
SAMPLE_NAME="$SUITE_NAME, every 10th file ($(echo "$SAMPLE" | wc -l) files)"
if [ "$QUICK" = 1 ]; then
	SUITE=$SAMPLE
	SUITE_NAME="quick mode: $SAMPLE_NAME"
fi

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $("$A" --version 2>/dev/null | head -1), mode $([ "$QUICK" = 1 ] && echo quick || echo full), work in $W" >&2

# BENCH_ONLY=soak skips sections 1 to 4 (the fi is before section 5).
if [ "$ONLY" != soak ]; then

# 1. Harness exchange rate (issue 4) --------------------------------------------
# A scenario of N cheap exchanges (AT+ -> +OK) against the emulator, run as
# W cases (repeat: W), and the raw pty round trip in W windows of N trips:
# both are timed in windows of the same length, the harness by each case's
# own time (process start and the unit's identification excluded). Three
# rounds alternate the two, so that both see the same load of the machine;
# the figure is the best window of all, the note gives the medians. (One
# window of each, measured apart, moved 3x with what else the machine ran.)
echo "harness" >&2
mkdir -p "$W/xchg"
{
	echo "id: bench-exchanges"
	echo "spec: \"§2.2.1.1 AT+\""
	echo "settle: 0ms"
	echo "repeat: $XCHG_W"
	echo "steps:"
	i=0
	while [ $i -lt $XCHG_N ]; do
		printf '  - send: "AT+\\r"\n    expect: "+OK"\n'
		i=$((i + 1))
	done
} >"$W/xchg/xchg.yaml"
# median FILE: the middle of the numbers in FILE, one a line.
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR > 0) print v[int((NR + 1) / 2)] }'; }
best_h=""
best_p=""
fail_k=""
: >"$W/xchg/h_rates.txt"
: >"$W/xchg/p_medians.txt"
for k in 1 2 3; do
	if [ -z "$fail_k" ]; then
		t0=$(now)
		"$A" run --emulator=$FW --firmware $FW --report json:"$W/xchg/run$k.json" \
		    "$W/xchg/xchg.yaml" >"$W/xchg/run$k.txt" 2>&1
		rc=$?
		t1=$(now)
		if [ $rc -ne 0 ]; then
			fail_k=$k
			fail_rc=$rc
			best_h=""
		else
			if [ $HAVE_JQ = 1 ]; then
				jq -r ".cases[].seconds | select(. > 0) | $XCHG_N / ." \
				    "$W/xchg/run$k.json" >>"$W/xchg/h_rates.txt" 2>/dev/null
			else
				# Without jq, the whole run (its start included) as one window.
				calc "$XCHG_N * $XCHG_W / ($t1 - $t0)" >>"$W/xchg/h_rates.txt"
				echo >>"$W/xchg/h_rates.txt"
			fi
			r=$(sort -g "$W/xchg/h_rates.txt" | tail -1)
			if [ -n "$r" ]; then best_h=$r; fi
		fi
	fi
	"$BIN/ptyecho" $XCHG_N $XCHG_W >"$W/xchg/pty$k.txt" 2>&1 || continue
	r=$(kv "$W/xchg/pty$k.txt" pty_exchanges_per_s)
	if [ -z "$best_p" ] || [ "$(gt "$r" "$best_p")" = 1 ]; then best_p=$r; fi
	kv "$W/xchg/pty$k.txt" pty_exchanges_per_s_median >>"$W/xchg/p_medians.txt"
done
PTY_RATE=${best_p:-0}
if [ -z "$best_h" ]; then
	skip harness "atproof run: exchanges against the emulator" "the run failed (exit $fail_rc): see $W/xchg/run$fail_k.txt"
elif [ -z "$best_p" ]; then
	row harness "atproof run: exchanges against the emulator" "$(fmt "$best_h")" "exch/s" "-" "" "no pty for the reference"
else
	med_h=$(median "$W/xchg/h_rates.txt")
	med_p=$(median "$W/xchg/p_medians.txt")
	row harness "atproof run: exchanges against the emulator" "$(fmt "$best_h")" "exch/s" \
	    "raw pty echo (4 B -> 7 B): $(fmt "$best_p") exch/s, $(fmt "$(calc "1e6 / $best_p")" 1) us a trip" \
	    "$(ratio "$best_h" "$best_p")" "goal >= 0.5x; best window of $XCHG_N x AT+ of $((3 * XCHG_W)) for each (3 alternating rounds of $XCHG_W); medians $(fmt "$med_h") vs $(fmt "$med_p") exch/s, $(ratio "$med_h" "$med_p")"
fi

if [ "$ONLY" != harness ]; then

# 2. Suite wall time on 1 and on 32 modules (issues 4, 5) ----------------------
echo "suite: $SUITE_NAME" >&2
mkdir -p "$W/suite"
t0=$(now)
"$A" run --emulator=$FW --firmware $FW --capture "$W/suite/one.pcapng" $SUITE \
    >"$W/suite/one.txt" 2>&1
rc1=$?
t1=$(now)
T1=$(calc "$t1 - $t0")
if [ $rc1 -ge 2 ] && [ $rc1 -ne 4 ]; then
	skip suite "suite wall time, 1 module" "the run failed (exit $rc1): see $W/suite/one.txt"
	T1=0
else
	row suite "suite wall time, 1 module" "$(fmt "$T1" 2)" s "-" "" \
	    "$SUITE_NAME; exit $rc1: $(verdicts "$W/suite/one.txt")"
	if "$BIN/capgen" bytes "$W/suite/one.pcapng" >"$W/suite/one.bytes" 2>&1; then
		by=$(calc "$(kv "$W/suite/one.bytes" bytes_to) + $(kv "$W/suite/one.bytes" bytes_from)")
		wire=$(calc "$by * 10 / 115200")
		row suite "suite: wire time of its bytes at 115200 baud" "$(fmt "$wire" 2)" s \
		    "suite wall time $(fmt "$T1" 2) s" "$(ratio "$wire" "$T1")" \
		    "$(fmt "$by") bytes both ways from the capture, 10 bits a byte"
	fi
fi
printf 'station: bench\nunits:\n  - { name: emu, emulator: %s, count: %d }\n' $FW $UNITS \
    >"$W/suite/station.yaml"
t0=$(now)
"$A" run --station "$W/suite/station.yaml" --firmware $FW $SUITE >"$W/suite/station.txt" 2>&1
rc32=$?
t1=$(now)
T32=$(calc "$t1 - $t0")
if [ $rc32 -ge 2 ] && [ $rc32 -ne 4 ]; then
	skip suite "suite wall time, $UNITS modules in parallel" "the station run failed (exit $rc32): see $W/suite/station.txt"
else
	npass=$(grep -c '^pass' "$W/suite/station.txt")
	row suite "suite wall time, $UNITS modules in parallel" "$(fmt "$T32" 2)" s \
	    "$UNITS x the 1-module time: $(fmt "$(calc "$T1 * $UNITS")" 2) s" \
	    "$(ratio "$(calc "$T1 * $UNITS")" "$T32")" \
	    "speed-up; --station, one process per unit, $(nproc) CPUs; exit $rc32, $npass of $UNITS units pass"
fi

# The factory suite against its wire time (issue 5).
if has_scenarios scenarios/factory; then
	t0=$(now)
	"$A" run --emulator=$FW --firmware $FW --capture "$W/suite/factory.pcapng" \
	    scenarios/factory >"$W/suite/factory.txt" 2>&1
	rcf=$?
	t1=$(now)
	TF=$(calc "$t1 - $t0")
	if [ $rcf -ge 2 ] && [ $rcf -ne 4 ]; then
		skip suite "factory suite wall time" "the run failed (exit $rcf): see $W/suite/factory.txt"
	elif "$BIN/capgen" bytes "$W/suite/factory.pcapng" >"$W/suite/factory.bytes" 2>&1; then
		by=$(calc "$(kv "$W/suite/factory.bytes" bytes_to) + $(kv "$W/suite/factory.bytes" bytes_from)")
		wire=$(calc "$by * 10 / 115200")
		row suite "factory suite wall time, emulator" "$(fmt "$TF" 2)" s \
		    "wire time at 115200 baud: $(fmt "$wire" 2) s" "$(ratio "$TF" "$wire")" \
		    "$(fmt "$by") bytes both ways from the capture; exit $rcf: $(verdicts "$W/suite/factory.txt")"
	else
		skip suite "factory suite wall time" "its capture could not be read"
	fi
else
	skip suite "factory suite wall time" "not yet written (no scenarios/factory/)"
fi

# 3. Analyzer (issue 8) ---------------------------------------------------------
echo "analyzer" >&2
mkdir -p "$W/ana"
AT=$W/ana/at.pcapng
if ! "$BIN/capgen" records "$AT" $AT_RECORDS >"$W/ana/gen.txt" 2>&1; then
	skip analyzer "analyze: AT capture" "capgen failed: see $W/ana/gen.txt"
else
	# Both read the same file, alternately, the best of AT_RUNS each: 8
	# sessions share 2 cores, and the best is the least disturbed run.
	AT_RUNS=5
	[ "$QUICK" = 0 ] || AT_RUNS=3
	TA="" TT="" rca=0 rct=0
	have_ts=0
	command -v tshark >/dev/null 2>&1 && have_ts=1
	k=0
	while [ $k -lt $AT_RUNS ] && [ $rca -lt 2 ]; do
		t0=$(now)
		"$A" analyze --firmware $FW "$AT" >"$W/ana/at.txt" 2>&1
		rca=$?
		t1=$(now)
		t=$(calc "$t1 - $t0")
		if [ -z "$TA" ] || [ "$(gt "$TA" "$t")" = 1 ]; then TA=$t; fi
		if [ $have_ts = 1 ] && [ $rct -eq 0 ]; then
			t0=$(now)
			tshark -r "$AT" >/dev/null 2>"$W/ana/tshark.err"
			rct=$?
			t1=$(now)
			t=$(calc "$t1 - $t0")
			if [ -z "$TT" ] || [ "$(gt "$TT" "$t")" = 1 ]; then TT=$t; fi
		fi
		k=$((k + 1))
	done
	FA=$(calc "$AT_RECORDS / $TA")
	if [ $rca -ge 2 ]; then
		skip analyzer "analyze: AT capture" "atproof analyze failed (exit $rca): see $W/ana/at.txt"
	elif [ $have_ts = 0 ]; then
		row analyzer "analyze: AT capture (pcapng)" "$(fmt "$FA")" frames/s "-" "" \
		    "tshark not installed: no reference"
	elif [ $rct -ne 0 ]; then
		row analyzer "analyze: AT capture (pcapng)" "$(fmt "$FA")" frames/s "-" "" \
		    "tshark -r failed (exit $rct)"
	else
		FT=$(calc "$AT_RECORDS / $TT")
		row analyzer "analyze: AT capture (pcapng)" "$(fmt "$FA")" frames/s \
		    "tshark -r, same file: $(fmt "$FT") frames/s" "$(ratio "$FA" "$FT")" \
		    "goal >= 20x; $(fmt $AT_RECORDS) records, $(fmt "$(calc "$(wc -c <"$AT") / 1048576")" 1) MiB; best of $AT_RUNS each, alternating"
	fi
fi

rm -f "$AT"

# Network pcaps with correlation: only once `atproof analyze --net` exists.
# bench/netgen.c writes the network pcap and the UART capture of the same
# SKSND traffic, so that every segment has its command to be matched to.
# Both tools read the same pcap in this run, alternately, the best of
# NET_RUNS each (8 sessions share 2 cores: the best is the least disturbed).
NET=$W/ana/net.pcap
NET_RUNS=5
[ "$QUICK" = 0 ] || NET_RUNS=3
if "$A" analyze --help 2>&1 | grep -q -- '--net'; then
	if ! "$BIN/netgen" "$NET" "$W/ana/net-uart.pcapng" $NET_MB >"$W/ana/net-gen.txt" 2>&1; then
		skip analyzer "analyze --net: network pcap" "netgen failed: see $W/ana/net-gen.txt"
	else
		size=$(wc -c <"$NET")
		have_ts=0
		command -v tshark >/dev/null 2>&1 && have_ts=1
		TN="" TT="" rcn=0 rct=0 i=0
		while [ $i -lt $NET_RUNS ]; do
			i=$((i + 1))
			t0=$(now)
			"$A" analyze --firmware $FW --net "$NET" "$W/ana/net-uart.pcapng" >"$W/ana/net.txt" 2>&1
			rcn=$?
			t1=$(now)
			d=$(calc "$t1 - $t0")
			if [ -z "$TN" ] || [ "$(gt "$TN" "$d")" = 1 ]; then TN=$d; fi
			[ $rcn -lt 2 ] || break
			[ $have_ts = 1 ] || continue
			t0=$(now)
			tshark -q -z conv,tcp -r "$NET" >"$W/ana/net-tshark.txt" 2>&1
			rct=$?
			t1=$(now)
			d=$(calc "$t1 - $t0")
			if [ -z "$TT" ] || [ "$(gt "$TT" "$d")" = 1 ]; then TT=$d; fi
		done
		MN=$(calc "$size / 1048576 / $TN")
		# The correlation is real: every SKSND matched (up to the bytes
		# kept), no finding on the network side.
		matched=$(awk '/^  socket 1 tcp/ { sub(/\/.*/, "", $8); print $8; exit }' "$W/ana/net.txt")
		if [ $rcn -ge 2 ]; then
			skip analyzer "analyze --net: network pcap" "atproof analyze --net failed (exit $rcn): see $W/ana/net.txt"
		elif [ $have_ts = 0 ]; then
			row analyzer "analyze --net: network pcap + correlation" "$(fmt "$MN" 1)" MiB/s "-" "" \
			    "tshark not installed: no reference"
		elif [ $rct -ne 0 ]; then
			row analyzer "analyze --net: network pcap + correlation" "$(fmt "$MN" 1)" MiB/s "-" "" \
			    "tshark -q -z conv,tcp failed (exit $rct): see $W/ana/net-tshark.txt"
		else
			MT=$(calc "$size / 1048576 / $TT")
			row analyzer "analyze --net: network pcap + correlation" "$(fmt "$MN" 1)" MiB/s \
			    "tshark -q -z conv,tcp, same pcap: $(fmt "$MT" 1) MiB/s" "$(ratio "$MN" "$MT")" \
			    "goal >= 10x; best of $NET_RUNS each; $(fmt "$(calc "$size / 1048576")") MiB pcap + $(fmt "$(calc "$(wc -c <"$W/ana/net-uart.pcapng") / 1048576")") MiB UART pcapng, $(kv "$W/ana/net-gen.txt" sends) SKSND of 512 B, ${matched:-?} bytes matched byte for byte (every byte compared; the UART's SKSND payload read again from its pcapng, not copied); exit $rcn"
		fi
	fi
	rm -f "$NET" "$W/ana/net-uart.pcapng"
else
	skip analyzer "analyze --net: network pcap" "not yet implemented (atproof analyze has no --net)"
fi

# Peak memory on a large input: GNU time's maximum resident set size of the
# analyzer (a 1 GiB capture; quick mode a 100 MiB one, scaled).
BIG=$W/ana/big.pcapng
if [ ! -x /usr/bin/time ]; then
	skip analyzer "analyze: peak memory" "/usr/bin/time not installed"
elif ! "$BIN/capgen" mbytes "$BIG" $BIG_MB >"$W/ana/big-gen.txt" 2>&1; then
	skip analyzer "analyze: peak memory" "capgen failed: see $W/ana/big-gen.txt"
else
	size=$(wc -c <"$BIG")
	t0=$(now)
	/usr/bin/time -f '%M' -o "$W/ana/big.rss" "$A" analyze --firmware $FW "$BIG" \
	    >"$W/ana/big.txt" 2>"$W/ana/big.err"
	rcb=$?
	t1=$(now)
	kb=$(tail -1 "$W/ana/big.rss")
	if [ $rcb -ge 2 ]; then
		skip analyzer "analyze: peak memory" "atproof analyze failed (exit $rcb): see $W/ana/big.err"
	else
		row analyzer "analyze: peak memory, $(fmt "$(calc "$size / 1048576")") MiB input" \
		    "$(fmt "$(calc "$kb / 1024")" 1)" MiB "input size $(fmt "$(calc "$size / 1048576")") MiB" \
		    "$(ratio "$(calc "$kb * 1024")" "$size")" \
		    "goal < 100 MiB$([ "$QUICK" = 1 ] && echo "; quick mode: 100 MiB, not 1 GiB"); maximum RSS (GNU time)"
		row analyzer "analyze: throughput on it" "$(fmt "$(calc "$size / 1048576 / ($t1 - $t0)")" 1)" MiB/s \
		    "-" "" "$(fmt "$(calc "$t1 - $t0")" 1) s"
	fi
	rm -f "$BIG"
fi

# 4. Core --------------------------------------------------------------------------
echo "core" >&2
if "$BIN/corebench" $CORE_SCALE >"$W/core.txt" 2>&1; then
	v=$(kv "$W/core.txt" framer_mb_per_s)
	m=$(kv "$W/core.txt" memchr_mb_per_s)
	row core "framer: module output" "$(fmt "$v" 1)" MiB/s "memchr() line scan, same bytes: $(fmt "$m" 1) MiB/s" \
	    "$(ratio "$v" "$m")" "$(fmt "$(kv "$W/core.txt" framer_frames_per_s)") frames/s, 4 KiB chunks"
	v=$(kv "$W/core.txt" validator_xchg_per_s)
	row core "validator: command + response" "$(fmt "$v")" exch/s "raw pty exchanges: $(fmt "$PTY_RATE") exch/s" \
	    "$(ratio "$v" "$PTY_RATE")" "headroom over the pty ceiling; luat profile"
	v=$(kv "$W/core.txt" cmdline_lines_per_s)
	row core "command-line parser" "$(fmt "$v")" lines/s "raw pty exchanges: $(fmt "$PTY_RATE") exch/s" \
	    "$(ratio "$v" "$PTY_RATE")" "headroom over the pty ceiling"
else
	skip core "framer, validator, parser" "corebench failed: see $W/core.txt"
fi

# 4b. The HTML report at scale (issue 6) -------------------------------------------
# The page of an analysis of a million exchanges (capgen's cycle, as in
# section 3) and of a run of thousands of scenarios (generated: three steps
# each, one in 50 failing): the time the writer takes (from the page's open
# to its close, through strace; "-" without it), the page's size, and what
# headless Chromium takes to load it and run its script against an empty
# page (best of 3 each).
echo "reports" >&2
mkdir -p "$W/html/s"
HTML_N=3000
[ "$QUICK" = 0 ] || HTML_N=300
# page_ms TRACE PAGE: milliseconds from PAGE's openat to the close of its fd.
page_ms() {
	awk -v page="\"$2\"" '
		!fd && index($0, "openat(") && index($0, page) { pid = $1; t0 = $2; fd = $NF; next }
		fd && $1 == pid && $3 == "close(" fd ")" { printf "%.1f", ($2 - t0) * 1000; exit }' "$1"
}
# load_s PAGE: best of 3 of headless Chromium's --dump-dom of PAGE.
load_s() {
	best=""
	for k in 1 2 3; do
		prof=$(mktemp -d "$W/html/prof.XXXXXX")
		t0=$(now)
		timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		    --virtual-time-budget=2000 --dump-dom "$1" >/dev/null 2>&1
		t1=$(now)
		t=$(calc "$t1 - $t0")
		if [ -z "$best" ] || [ "$(gt "$best" "$t")" = 1 ]; then best=$t; fi
	done
	echo "$best"
}
have_st=0
command -v strace >/dev/null 2>&1 && have_st=1
have_cr=0
command -v chromium >/dev/null 2>&1 && have_cr=1
# html_rows WHAT PAGE TRACE
html_rows() {
	ms="-"
	[ $have_st = 0 ] || ms=$(page_ms "$3" "$2")
	row reports "HTML page of $1: writer" "${ms:--}" ms "-" "" \
	    "$(fmt "$(calc "$(wc -c <"$2") / 1024")") KiB page; from its open to its close (strace)"
	if [ $have_cr = 1 ]; then
		empty=$(load_s "data:text/html,<p>x</p>")
		t=$(load_s "file://$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
		row reports "HTML page of $1: Chromium load" "$(fmt "$t" 2)" s \
		    "an empty page: $(fmt "$empty" 2) s" "$(ratio "$t" "$empty")" \
		    "headless, --dump-dom after the page's script; best of 3"
	fi
}
trace() { # TRACE, then the command
	tr=$1
	shift
	if [ $have_st = 1 ]; then
		strace -f -ttt -e trace=openat,close -o "$tr" "$@"
	else
		"$@"
	fi
}
if "$BIN/capgen" records "$W/html/at.pcapng" 2000000 >"$W/html/gen.txt" 2>&1; then
	trace "$W/html/an.trace" "$A" analyze --report html:"$W/html/an.html" "$W/html/at.pcapng" \
	    >"$W/html/an.txt" 2>&1
	rc=$?
	rm -f "$W/html/at.pcapng"
	if [ $rc -ge 2 ] || [ ! -s "$W/html/an.html" ]; then
		skip reports "HTML page of an analysis" "analyze failed (exit $rc): see $W/html/an.txt"
	else
		html_rows "an analysis of 1,000,000 exchanges" "$W/html/an.html" "$W/html/an.trace"
	fi
else
	skip reports "HTML page of an analysis" "capgen failed: see $W/html/gen.txt"
fi
i=1
while [ $i -le $HTML_N ]; do
	exp='{ shape: "+OK=<fw:Text 1..128>" }'
	[ $((i % 50)) = 0 ] && exp='"+OK=nope"'
	printf 'id: html-%05d\ntitle: page %d\nspec: "§2.2.1.10 AT+QVER"\nsteps:\n  - send: "AT+\\r"\n    expect: "+OK"\n  - cmd: QVER\n    expect: %s\n  - cmd: QMAC\n' \
	    $i $i "$exp" >"$W/html/s/h$i.yaml"
	i=$((i + 1))
done
trace "$W/html/run.trace" "$A" run --emulator=$FW --report html:"$W/html/run.html" "$W/html/s" \
    >"$W/html/run.txt" 2>&1
rc=$?
if [ $rc -ge 2 ] || [ ! -s "$W/html/run.html" ]; then
	skip reports "HTML page of a run" "the run failed (exit $rc): see $W/html/run.txt"
else
	html_rows "a run of $(fmt $HTML_N) scenarios" "$W/html/run.html" "$W/html/run.trace"
fi
rm -rf "$W/html/s"

fi # not harness

fi # BENCH_ONLY

if [ "$ONLY" != harness ]; then

# 5. Soak (issue 7) ----------------------------------------------------------------
# 32 long-lived emulators, each driven by a loop of suite runs (a new harness
# process a run, as a factory station does) for SOAK seconds; a run still
# going at the end is interrupted (SIGINT: the harness ends cleanly). RSS and
# descriptors of every emulator and of the harness processes running at the
# time are sampled warm (a quarter into the soak) and at the end; each run's
# own peak RSS (VmHWM) is also sampled while it runs.
#
# Every completed run is compared, case by case, with the reference: one run
# of the same sample on a fresh emulator with nothing else of the soak
# running, taken first. A run differs when one case's verdict or the exit
# code differs; the sheet names the cases that flipped. The sample is read
# from a copy of scenarios/ taken first, so that an edit in the tree during
# the soak does not change what the later runs read (an earlier soak's 12
# runs with other verdicts were a scenario file edited under it).
#
# The soak puts 64 processes on the machine's CPUs, and other work shares
# them: a process can wait seconds for a CPU. The sample's deadlines (2 s
# for a command) and settle times (1.5 s for automatic mode to join and
# connect after a restart) are a real module's on an idle link, so the soak
# runs with --timeout-scale $SOAK_SCALE (the reference too): what it checks
# is that runs agree and nothing leaks, not the module's timing. At scale 1
# with two CPU hogs beside it, 3 runs of 218 flipped (uart-015's teardown
# took a late +OK: the emulator reads a pty byte's rate when it reads the
# byte, and a loaded emulator reads late); at scale 2, none of 256.
echo "soak: $UNITS modules, ${SOAK}s, --timeout-scale $SOAK_SCALE" >&2
S=$W/soak
rm -rf "$S"
mkdir -p "$S"
cp -R scenarios "$S/scenarios"
SOAK_SAMPLE=$(echo "$SAMPLE" | sed "s|^scenarios/|$S/scenarios/|")
# case_verdicts TEXT_REPORT: "id<TAB>VERDICT" per case, sorted (a case line
# is the verdict in 6 columns, a space, the id, two spaces and "(").
case_verdicts() {
	awk '/^(PASS|FAIL|INCONC|ERROR|SKIP) / {
		i = index($0, "  ("); if (i > 8) print substr($0, 8, i - 8) "\t" $1 }' "$1" | sort
}
# flips REF RUN: "id<TAB>REF->RUN" for every case whose verdict differs.
flips() {
	awk -F'\t' 'NR == FNR { r[$1] = $2; next } { s[$1] = $2 }
	    END { for (k in r) if (s[k] != r[k]) printf "%s\t%s->%s\n", k, r[k], (k in s) ? s[k] : "none"
	          for (k in s) if (!(k in r)) printf "%s\tnone->%s\n", k, s[k] }' "$1" "$2"
}
# The reference run, on an emulator of its own.
"$A" emu --pty "$S/emuref" --firmware $FW >/dev/null 2>&1 &
ref_pid=$!
k=0
while [ $k -lt 50 ] && [ ! -e "$S/emuref" ]; do
	sleep 0.1
	k=$((k + 1))
done
"$A" run --port "$S/emuref" --firmware $FW --timeout-scale $SOAK_SCALE $SOAK_SAMPLE \
    >"$S/ref.txt" 2>"$S/ref.err"
ref_rc=$?
kill $ref_pid 2>/dev/null
wait $ref_pid 2>/dev/null
case_verdicts "$S/ref.txt" >"$S/ref.v"
: >"$S/verdicts.log"
: >"$S/flips.log"
EMU_PIDS=""
LOOP_PIDS=""
cleanup() {
	for p in $LOOP_PIDS $EMU_PIDS; do kill "$p" 2>/dev/null; done
	EMU_PIDS=""
	LOOP_PIDS=""
}
trap 'cleanup; exit 130' INT TERM
i=0
while [ $i -lt $UNITS ]; do
	"$A" emu --pty "$S/emu$i" --firmware $FW >/dev/null 2>&1 &
	EMU_PIDS="$EMU_PIDS $!"
	i=$((i + 1))
done
# Wait for every pty link (at most 5 s).
k=0
while [ $k -lt 50 ]; do
	n=$(ls "$S"/emu*[0-9] 2>/dev/null | wc -l)
	[ "$n" -ge $UNITS ] && break
	sleep 0.1
	k=$((k + 1))
done
# sample LABEL: one line per process, "LABEL emu|harness PID RSS_KB FDS".
sample() {
	for p in $EMU_PIDS; do
		echo "$1 emu $p $(rss_kb "$p") $(fds "$p")"
	done
	for f in "$S"/h*.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		r=$(rss_kb "$p")
		[ -n "$r" ] && echo "$1 harness $p $r $(fds "$p")"
	done
	return 0
}
soak_unit() {
	u=$1
	end=$2
	it=0
	while [ "$(date +%s)" -lt "$end" ]; do
		t0=$(date +%s)
		"$A" run --port "$S/emu$u" --firmware $FW --timeout-scale $SOAK_SCALE $SOAK_SAMPLE \
		    >"$S/run$u.txt" 2>"$S/run$u.err" &
		hp=$!
		echo $hp >"$S/h$u.pid"
		peak=0
		cut=0
		while kill -0 $hp 2>/dev/null; do
			h=$(hwm_kb $hp)
			[ -n "$h" ] && [ "$h" -gt "$peak" ] && peak=$h
			if [ $cut = 0 ] && [ "$(date +%s)" -ge "$end" ]; then
				kill -INT $hp 2>/dev/null
				cut=1
			fi
			sleep 0.5
		done
		wait $hp
		rc=$?
		echo "$it $rc $peak $cut $(($(date +%s) - t0))" >>"$S/unit$u.log"
		if [ $cut = 0 ]; then
			case_verdicts "$S/run$u.txt" >"$S/run$u.v"
			flips "$S/ref.v" "$S/run$u.v" >"$S/run$u.flips"
			if [ $rc = $ref_rc ] && [ ! -s "$S/run$u.flips" ]; then
				echo "same" >>"$S/verdicts.log"
			else
				echo "differ unit $u run $it exit $rc" >>"$S/verdicts.log"
				awk -v p="unit $u run $it" '{ print p "\t" $0 }' "$S/run$u.flips" >>"$S/flips.log"
				cp "$S/run$u.txt" "$S/differ-u$u-r$it.txt"
			fi
		fi
		it=$((it + 1))
	done
}
sample cold >"$S/samples.txt"
start=$(date +%s)
end=$((start + SOAK))
i=0
while [ $i -lt $UNITS ]; do
	soak_unit $i $end &
	LOOP_PIDS="$LOOP_PIDS $!"
	i=$((i + 1))
done
sleep $((SOAK / 4))
sample warm >>"$S/samples.txt"
k=$((end - 1 - $(date +%s)))
[ $k -gt 0 ] && sleep $k
sample end >>"$S/samples.txt"
for p in $LOOP_PIDS; do wait "$p"; done
LOOP_PIDS=""
soak_s=$(($(date +%s) - start))
alive=0
for p in $EMU_PIDS; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
cleanup
trap - INT TERM
# Runs: "it rc peak_kb cut seconds" per unit; samples: the maxima over processes
# and the largest growth of one emulator from warm to end.
cat "$S"/unit*.log 2>/dev/null | awk -v alive=$alive -v secs=$soak_s '
	$4 == 1 { cut++; next }
	{ runs++; secs_run += $5; if ($2 == 0) pass++; else if ($2 == 1) fail++; else if ($2 == 4) inconc++; else other++ }
	END { printf "runs %d\npass %d\nfail %d\ninconc %d\nother %d\ncut %d\nalive %d\nsecs %d\n",
	    runs, pass, fail, inconc, other, cut, alive, secs
	    printf "run_secs %s\n", runs ? sprintf("%.0f", secs_run / runs) : "-" }' >"$S/summary.txt"
for u in $(seq 0 $((UNITS - 1))); do
	[ -f "$S/unit$u.log" ] && head -1 "$S/unit$u.log" | awk '{ print "hwm_first", $3 }'
	[ -f "$S/unit$u.log" ] && tail -1 "$S/unit$u.log" | awk '{ print "hwm_last", $3 }'
done | awk '{ if ($2 > m[$1]) m[$1] = $2 } END { for (k in m) print k, m[k] }' >>"$S/summary.txt"
awk '
	{ k = $1 "_" $2; if ($4 > rss[k]) rss[k] = $4; if ($5 > fd[k]) fd[k] = $5 }
	$2 == "emu" && $1 == "warm" { w[$3] = $4; wf[$3] = $5 }
	$2 == "emu" && $1 == "end" && ($3 in w) { if ($4 - w[$3] > g) g = $4 - w[$3]; if ($5 - wf[$3] > gf) gf = $5 - wf[$3] }
	END {
		for (k in rss) printf "rss_%s %d\nfd_%s %d\n", k, rss[k], k, fd[k]
		printf "emu_grow %d\nemu_fdgrow %d\n", g, gf
	}' "$S/samples.txt" >>"$S/summary.txt"
# Under load every completed run should give the reference's verdicts: how
# many did, and the cases that flipped (most often first, "id REF->RUN xN").
same=$(grep -c '^same' "$S/verdicts.log")
differ=$(grep -c '^differ' "$S/verdicts.log")
ref_line="exit $ref_rc, $(verdicts "$S/ref.txt")"
flipped=$(awk -F'\t' '{ n[$2 " " $3]++ } END { for (k in n) print n[k] "\t" k }' "$S/flips.log" |
    sort -rn | awk -F'\t' '{ printf "%s%s x%d", (NR > 1 ? "; " : ""), $2, $1 } NR == 8 { exit }')
sv() { v=$(kv "$S/summary.txt" "$1"); echo "${v:-?}"; }
if [ "$(sv runs)" = 0 ] && [ "$(sv cut)" = 0 ]; then
	skip soak "soak" "no suite run was made: see $S/"
else
	row soak "soak: suite runs, $UNITS modules, ${soak_s} s" "$(sv runs)" runs "-" "" \
	    "$SAMPLE_NAME; exit codes: $(sv pass) pass, $(sv fail) fail, $(sv inconc) inconclusive, $(sv other) other; a run takes $(sv run_secs) s under this load; $(sv cut) cut at the end; $(sv alive) of $UNITS emulators alive at the end"
	# A reference that ran no case (exit 2: an invalid scenario; 3: the
	# port) is no reference: every run would agree with it.
	case $ref_rc in
	0 | 1 | 4)
		row soak "soak: runs with the reference's verdicts" "${same:-0}" runs "completed runs: $(sv runs)" \
		    "$(ratio "${same:-0}" "$(sv runs)")" "goal 1.00x; reference (one run first, idle emulator): $ref_line; ${differ:-0} runs differ${flipped:+: $flipped}; --timeout-scale $SOAK_SCALE; see $S/flips.log" ;;
	*)
		skip soak "soak: runs with the reference's verdicts" "the reference run ran no case (exit $ref_rc): see $S/ref.err" ;;
	esac
	row soak "soak: emulator RSS, cold -> warm -> end" "$(sv rss_cold_emu) -> $(sv rss_warm_emu) -> $(sv rss_end_emu)" KiB \
	    "-" "" "max over the $UNITS emulators; largest growth of one, warm ($((SOAK / 4)) s in) -> end: $(sv emu_grow) KiB"
	row soak "soak: emulator descriptors, warm -> end" "$(sv fd_warm_emu) -> $(sv fd_end_emu)" fds \
	    "-" "" "max over the $UNITS emulators; largest growth of one: $(sv emu_fdgrow)"
	row soak "soak: harness RSS, warm -> end" "$(sv rss_warm_harness) -> $(sv rss_end_harness)" KiB \
	    "-" "" "max over the harness processes running then; a run's peak, first run -> last: $(sv hwm_first) -> $(sv hwm_last) KiB"
	row soak "soak: harness descriptors, warm -> end" "$(sv fd_warm_harness) -> $(sv fd_end_harness)" fds \
	    "-" "" "max over the harness processes running then"
fi

fi # not harness

# The sheet -----------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
host="$(nproc) CPUs, ${cpu:-unknown CPU}, $mem RAM, Linux $(uname -r)"
when=$(date -u '+%Y-%m-%d %H:%M UTC')
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "# atproof benchmarks"
	echo
	echo "Taken $when by \`make bench$([ "$QUICK" = 1 ] && echo " BENCH_QUICK=1")\` at $rev on: $host."
	echo "Load average at the start $LOAD0, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "(other work on the machine moves the figures; the references move with them)."
	echo "Every reference was measured in the same run on the same machine;"
	echo "the ratio is figure / reference unless the note says otherwise."
	echo
	echo "| section | figure | value | unit | reference (same run) | ratio | note |"
	echo "|---|---|---:|---|---|---:|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$ROWS"
} >"$MD"
echo
echo "atproof benchmarks, $when, $host"
awk -F'\t' '{ printf "%-9s %-46s %14s %-9s %-8s %s\n", $1, $2, $3, $4, $6, $5 }' "$ROWS"
echo
echo "written to $MD"
exit 0
