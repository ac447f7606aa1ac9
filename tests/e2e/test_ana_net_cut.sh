#!/bin/sh
# SPDX-License-Identifier: MIT
# --net with a UART capture that cut transfers (a pcap's snap length, see
# docs/analyzer.md "Cut transfers"): the network side's bytes of an SKSND
# payload and of an SKRCV delivery that the UART capture did not keep are
# not failures (the bytes cut are passed over on the wire, the rest of the
# delivery is undecided), while a byte the capture kept and the wire
# carried otherwise still fails.
set -eu
A=${ATPROOF:-${B:-build}/atproof}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

python3 - "$out" <<'PY'
import struct, sys
d = sys.argv[1]
T0 = 1795000000
H, M = "H", "M"
PAY = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"     # 48 bytes
RCV = b"the peer's answer, forty bytes long: ok."             # 40 bytes
assert len(PAY) == 48 and len(RCV) == 40
uart = [
    (0.000, H, b"AT+SKCT=0,0,192.168.1.100,1000\r"), (0.010, M, b"+OK=1\r\n\r\n"),
    (0.100, H, b"AT+SKSND=1,48\r"), (0.110, M, b"+OK=48\r\n\r\n"), (0.120, H, PAY),
    (0.300, H, b"AT+SKRCV=1,40\r"), (0.310, M, b"+OK=40\r\n\r\n" + RCV),
    (0.400, H, b"AT+QMAC\r"), (0.410, M, b"+OK=001EE3A80102\r\n\r\n"),
]

def pcap(recs, linktype, snap):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, linktype)]
    for t, data in recs:
        us = int(round((T0 + t) * 1e6))
        cap = data[:snap]
        out.append(struct.pack("<IIII", us // 1000000, us % 1000000, len(cap), len(data)) + cap)
    return b"".join(out)

def rtac(t, dr, b):
    us = int(round((T0 + t) * 1e6))
    return struct.pack(">IIBBH", us // 1000000, us % 1000000, 1 if dr == H else 2, 0x18, 0) + b

# RTAC_SERIAL, 32 bytes kept of each transfer: the payload keeps 32 of 48,
# SKRCV's response 32 of 50 (22 bytes of the data).
open(d + "/uart.pcap", "wb").write(pcap([(t, rtac(t, dr, b)) for t, dr, b in uart], 250, 44))

MOD, PEER = bytes([192, 168, 1, 101]), bytes([192, 168, 1, 100])

def tcp(src, dst, sp, dp, seq, ack, flags, data):
    th = struct.pack(">HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(th) + len(data), 0, 0, 64, 6, 0, src, dst)
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + th + data

def net(pay):
    return pcap([
        (0.005, tcp(MOD, PEER, 50000, 1000, 100, 0, 0x02, b"")),
        (0.006, tcp(PEER, MOD, 1000, 50000, 700, 101, 0x12, b"")),
        (0.121, tcp(MOD, PEER, 50000, 1000, 101, 701, 0x18, pay)),
        (0.200, tcp(PEER, MOD, 1000, 50000, 701, 101 + len(pay), 0x18, RCV)),
    ], 1, 65535)

open(d + "/net.pcap", "wb").write(net(PAY))
# A byte the UART capture kept went otherwise on the wire.
open(d + "/net-bad.pcap", "wb").write(net(PAY[:3] + b"X" + PAY[4:]))
PY

run() {
	set +e
	"$A" analyze --net "$out/$2" --report "json:$out/$3.json" "$out/uart.pcap" \
	    >"$out/stdout" 2>"$out/stderr"
	rc=$?
	set -e
	[ "$rc" = "$1" ] && return 0
	echo "FAIL: analyze --net $2: exit $rc, want $1"
	cat "$out/stderr" "$out/stdout"
	exit 1
}

run 4 net.pcap good
run 1 net-bad.pcap bad

python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/good.json"))
fs = r["findings"]
assert not [f for f in fs if f["verdict"] == "fail"], fs
c = r["network"]["connections"][0]
# The 32 bytes kept matched; the 16 cut passed over on the wire, not judged.
assert c["sent"]["matched"] == 32 and c["sent"]["unverified"] == 16, c["sent"]
assert c["sent"]["extra"] == 0 and c["sent"]["unsent"] == 0, c["sent"]
net = [f for f in fs if f["rule"].startswith("net-")]
# The delivery lost its last bytes: what the wire carried past them is
# undecided, and says which record was cut.
rec = [f for f in net if f["rule"] == "net-recv-unreported"]
assert rec and all(f["verdict"] == "inconc" for f in rec), net
assert all("(undecided: the capture cut" in f["message"] for f in rec), rec
assert not [f for f in net if f["rule"] in ("net-sent-extra", "net-sent-missing")], net

r = json.load(open(d + "/bad.json"))
bad = [f for f in r["findings"] if f["verdict"] == "fail"]
# The byte changed: 8 bytes from offset 3 never went, 8 others went instead.
assert sorted(f["rule"] for f in bad) == ["net-sent-extra", "net-sent-missing"], r["findings"]
assert all("8 bytes at offset 3 " in f["message"] for f in bad), bad
print("ok   --net over a cut UART capture: the cut bytes undecided, a kept byte changed fails")
PY
