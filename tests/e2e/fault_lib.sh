# SPDX-License-Identifier: MIT
# Shared by the test_fault_*.sh scripts and test_run_peers.sh (sourced;
# they set B and out).

# fault_join FILE: the steps that join the default world's open network
# (WJOIN takes the work mode and key from flash, w600-firmware.md §7) and,
# with a second argument, connect a TCP client to the peer "echo".
fault_join() {
	cat >"$1" <<'YAML'
  - cmd: WPRT
    form: flash
    args: [0]
  - cmd: SSID
    args: [TP-LINK_HyFi_1E]
  - cmd: KEY
    form: flash
    args: [1, 0, ""]
  - cmd: WJOIN
    deadline: 5s
YAML
	[ $# -lt 2 ] || cat >>"$1" <<'YAML'
  - cmd: SKCT
    args: [0, 0, 192.168.1.100, "${peers.echo.port}"]
    expect: { shape: "+OK=<sock:Dec 1..20>" }
    deadline: 5s
YAML
}

# fault_emu_child PID: the emulator the run PID started (waits up to 10 s).
fault_emu_child() {
	_e=""
	_i=0
	while [ -z "$_e" ] && [ $_i -lt 200 ]; do
		_e=$(pgrep -P "$1" | head -n 1 || true)
		[ -n "$_e" ] || sleep 0.05
		_i=$((_i + 1))
	done
	echo "$_e"
}

# fault_run NAME WANT ARGS...: atproof run --emulator=manual ARGS with a
# capture and a JSON report named NAME in $out; the exit code must be WANT,
# and the capture must hold every byte the run counted, both ways.
fault_run() {
	_n=$1
	_want=$2
	shift 2
	_rc=0
	"$B/atproof" run --emulator=manual --capture "$out/$_n.pcapng" \
	    --report json:"$out/$_n.json" "$@" >"$out/$_n.txt" 2>&1 || _rc=$?
	[ $_rc -eq "$_want" ] || { cat "$out/$_n.txt"; echo "$_n: exit $_rc, not $_want"; exit 1; }
	"$B/atproof" analyze --report json:"$out/$_n-ana.json" "$out/$_n.pcapng" >/dev/null 2>&1 || true
	python3 - "$out/$_n.json" "$out/$_n-ana.json" <<'PY'
import json, sys
run, ana = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
st, rs = ana["stats"], run["stats"]
assert rs["bytes_rx"] > 0, rs
assert st["bytes_to_module"] == rs["bytes_tx"], (st["bytes_to_module"], rs["bytes_tx"])
assert st["bytes_from_module"] == rs["bytes_rx"], (st["bytes_from_module"], rs["bytes_rx"])
PY
}
