#!/bin/sh
# SPDX-License-Identifier: MIT
# The importers stream: peak memory does not grow with the input. A 40 MB
# hex dump and a 40 MB pcapng (about 300 k exchanges each) are analyzed in
# well under 64 MB of resident memory, and every exchange is paired.
set -eu
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 - "$B/atproof" "$out" <<'PY'
import resource, struct, subprocess, sys, json
atproof, out = sys.argv[1], sys.argv[2]
ex = [(b"AT+QVER\r", b"+OK=G3.1.2\r\n\r\n"), (b"AT+LKSTT\r", b"+OK=0\r\n\r\n"),
      (b"AT+NIP=?\r", b"+OK=0,192.168.1.5,255.255.255.0,192.168.1.1,192.168.1.1\r\n\r\n")]
size = 40 << 20

def hexrows(b):
    return "".join("%-47s\t%s\n" % (" ".join("%02X" % x for x in b[i:i + 16]), "")
                   for i in range(0, len(b), 16))

# jpnevulator dump
n = 0
with open(out + "/big.txt", "w") as f:
    t = 0
    blocks = []
    for k in range(3):
        h, m = ex[k]
        blocks.append((hexrows(h), hexrows(m)))
    while f.tell() < size:
        hh, mm = blocks[n % 3]
        for d, rows in (("DTE2DCE", hh), ("DCE2DTE", mm)):
            t += 5000
            s, us = divmod(t, 1000000)
            f.write("2026-11-24 %02d:%02d:%02d.%06d: %s\n%s" % (s // 3600 % 24, s // 60 % 60, s % 60, us, d, rows))
        n += 1
n_txt = n

# pcapng, USER0, directions in epb_flags
def block(bt, body):
    pad = (-len(body)) % 4
    tot = 12 + len(body) + pad
    return struct.pack("<II", bt, tot) + body + b"\0" * pad + struct.pack("<I", tot)
def opt(c, v):
    return struct.pack("<HH", c, len(v)) + v + b"\0" * ((-len(v)) % 4)
pre = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(0, b"")),
       block(1, struct.pack("<HHI", 147, 0, 0) + opt(9, b"\x06") + opt(0, b""))]
epbs = []
for h, m in ex:
    pair = []
    for flags, b in ((2, h), (1, m)):
        pair.append((flags, b))
    epbs.append(pair)
n = 0
with open(out + "/big.pcapng", "wb") as f:
    f.write(b"".join(pre))
    t = 1795000000 * 1000000
    while f.tell() < size:
        for flags, b in epbs[n % 3]:
            t += 2000
            body = struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(b), len(b)) + b + \
                b"\0" * ((-len(b)) % 4) + opt(2, struct.pack("<I", flags)) + opt(0, b"")
            f.write(block(6, body))
        n += 1
n_cap = n

for name, want in (("big.txt", n_txt), ("big.pcapng", n_cap)):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = subprocess.run([atproof, "analyze", "--report", "json:" + out + "/r.json", out + "/" + name])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss   # KiB, the largest child
    assert r.returncode == 0, (name, r.returncode)
    st = json.load(open(out + "/r.json"))["stats"]
    assert st["commands"] == want and st["responses"] == want, (name, st["commands"], want)
    assert peak < 64 * 1024, (name, "peak RSS %d KiB" % peak)
    print("%s: %d exchanges, peak RSS %d KiB" % (name, want, peak))
PY
